"""What counts as a failure, for one request and its answer.

- no answer within the time limit (a hang), or the connection closed without one;
- any 5xx, except an InternalServerException that a fault this run installed injected;
- an API error (a path outside /_emulator/) without the AWS error shape: an
  `x-amzn-ErrorType` header and a JSON object body with a string `message`;
- on an existing control route, a 404 in the API's shape (a crash or a routing miss dressed
  as UnknownOperationException), or an error whose body is not `{"message": ...}` (or the stage
  client's `{"error", "reason"}`);
- a 2xx API answer whose body is not a JSON object;
- anything but a 2xx to a request that must succeed (an export imported unchanged).

A request with a Host of its own (a foreign name) is refused before routing, as the emulator
refuses DNS-rebound names (choice C54 in contract/README.md): in the AWS shape on API paths.
Malformed HTTP (raw bytes, control characters in a header) may be refused by the HTTP server
in any 4xx form, or by closing the connection; what reaches the app is judged as above.
A 431 with no body is the HTTP server refusing headers too large before the app sees them.
"""

from __future__ import annotations

import json
from typing import Any

from .controls import is_control_route
from .transport import Answer, Case


def decoded(answer: Answer) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


def is_control(path: str) -> bool:
    return path == "/_emulator" or path.startswith("/_emulator/")


def aws_shaped(answer: Answer, head: bool) -> bool:
    if not answer.headers.get("x-amzn-errortype"):
        return False
    if head:
        return True
    body = decoded(answer)
    return isinstance(body, dict) and isinstance(body.get("message"), str)


def control_shaped(answer: Answer, head: bool) -> bool:
    if head:
        return True
    body = decoded(answer)
    return isinstance(body, dict) and (
        isinstance(body.get("message"), str) or isinstance(body.get("reason"), str)
    )


def judge(case: Case, answer: Answer, injected: set[str]) -> str | None:
    """Why this answer is a failure, or None when it is acceptable."""
    if answer.problem == "timeout":
        return "hang: no answer within the time limit"
    if answer.status is None:
        return None if case.malformed else f"no answer: {answer.problem}"
    status = answer.status
    if case.malformed and not answer.headers.get("content-type"):
        # Refused by the HTTP server before the app saw it (Granian: 400, no body).
        return f"{status} to malformed HTTP" if status >= 500 else None
    head = case.method == "HEAD"
    path = case.path.split("?", 1)[0]
    control = is_control(path)
    if status >= 500:
        body = decoded(answer)
        message = body.get("message") if isinstance(body, dict) else None
        if (
            status == 500
            and not control
            and answer.headers.get("x-amzn-errortype") == "InternalServerException"
            and message in injected
        ):
            return None
        return f"server error {status}"
    if case.must_succeed and not 200 <= status < 300:
        return f"{status} to a request that must succeed"
    if status == 431 and not answer.body:
        return None
    if control and is_control_route(path):
        if status == 404 and answer.headers.get("x-amzn-errortype"):
            return "404 in the API's shape on an existing control route"
        if status >= 400 and not control_shaped(answer, head):
            return f"control error {status} without a JSON message"
        return None
    if status >= 400:
        if control:  # either shape under /_emulator/
            ok = aws_shaped(answer, head) or control_shaped(answer, head)
        else:
            ok = aws_shaped(answer, head)
        return None if ok else f"error {status} without the AWS error shape"
    if not control and 200 <= status < 300 and not head and not isinstance(decoded(answer), dict):
        return f"{status} whose body is not a JSON object"
    return None
