"""How a request leaves when no view answered it: an HTTP error Werkzeug raised (no route, a
method no route takes, a body over the limit) or an unexpected exception (Flask hands it over
as a 500 after logging its traceback).

On the API's paths the answer has the AWS error shape (protocol.error_response): 404 and 405
are UnknownOperationException with their own status, 413 RequestEntityTooLargeException, 500
InternalServerException, 400 SerializationException; any other status is kept. Under
/_emulator/ the answer is `{"message": ...}` with the status, the shape of the control
endpoints; there a path no control route has is 404 and a control route called with a method
it does not take is 405 with an `Allow` header (the API's catch-all route would otherwise
answer both as an unknown operation). An unexpected error is never answered as a 404
(choice C68 in contract/README.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from ..contract.errors import (
    InternalServerException,
    RequestEntityTooLargeException,
    SerializationException,
    ServiceError,
    UnknownOperationException,
)

CONTROL_PREFIX = "/_emulator"
INTERNAL_MESSAGE = "An internal error occurred; see the emulator's log"


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


class HttpError(ServiceError):
    """An HTTP error with no modelled or protocol name of its own; named after its status."""

    def __init__(self, message: str, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self._code = code

    @property
    def code(self) -> str:
        return self._code


def api_error(exc: HTTPException, method: str, path: str, max_body_bytes: int) -> ServiceError:
    """The ServiceError an HTTP error on an API path is answered with."""
    status = exc.code or 500
    error: ServiceError
    if status == 413:
        error = RequestEntityTooLargeException(
            f"The request body is larger than {max_body_bytes} bytes"
        )
    elif status in (404, 405):
        error = UnknownOperationException(f"{exc.name}: {method} {path}")
        error.status = status
    elif status >= 500:
        error = InternalServerException(INTERNAL_MESSAGE)
    elif status == 400:
        error = SerializationException(f"{exc.name}: {exc.description}")
    else:
        error = HttpError(f"{exc.name}: {method} {path}", status, exc.name.replace(" ", ""))
    return error


def control_error(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    text = json.dumps({"message": message}) + "\n"
    return Response(text, status=status, content_type="application/json", headers=list(headers))


class ControlRoutes:
    """The control routes of an app, to tell a missing route (404) from a wrong method (405)."""

    def __init__(self, url_map: Map) -> None:
        rules = [
            Rule(rule.rule, methods=rule.methods, endpoint=rule.endpoint)
            for rule in url_map.iter_rules()
            if is_control_path(rule.rule)
        ]
        self._map = Map(rules)

    def miss(self, method: str, path: str) -> Response:
        """The answer to `method path` under /_emulator/ that no control view took."""
        try:
            self._map.bind("emulator").match(path, method)
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or ()))
            return control_error(
                405, f"{path} does not take {method}; it takes {allowed}", [("Allow", allowed)]
            )
        except (NotFound, RequestRedirect):
            pass
        return control_error(404, f"no control endpoint at {path}; the README lists them")

    def http_error(self, exc: HTTPException, method: str, path: str) -> Response:
        """An HTTP error raised on a control path, in the control shape."""
        status = exc.code or 500
        if status in (404, 405):
            return self.miss(method, path)
        if status >= 500:
            return control_error(500, INTERNAL_MESSAGE)
        return control_error(status, f"{exc.name}: {exc.description}")
