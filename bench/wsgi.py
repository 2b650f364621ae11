"""Calling a WSGI app directly, as a server would but without a socket (in-process figures).

Only the WSGI interface is used, so this works on whatever `emulator.create_app` returns.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_BASE: dict[str, Any] = {
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "4599",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "SCRIPT_NAME": "",
    "QUERY_STRING": "",
    "HTTP_HOST": "127.0.0.1:4599",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": True,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def call(app: WsgiApp, method: str, path: str, body: bytes = b"") -> Answer:
    """One request through the app: a fresh environ, the whole body read."""
    environ = dict(_BASE)
    environ["REQUEST_METHOD"] = method
    environ["PATH_INFO"] = path
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return lambda data: None

    result = app(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Answer(int(str(started[0]).split(" ", 1)[0]), list(started[1]), data)


def post(app: WsgiApp, path: str, body: object) -> Answer:
    """POST a JSON body; raises RuntimeError unless the answer is 2xx."""
    answer = call(app, "POST", path, json.dumps(body, separators=(",", ":")).encode())
    if not 200 <= answer.status < 300:
        raise RuntimeError(f"POST {path} answered {answer.status}: {answer.body[:300]!r}")
    return answer
