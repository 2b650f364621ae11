"""CORS preflights: what a browser asks before it sends an SDK's signed request (choice C53).

A preflight is an `OPTIONS` request with `Access-Control-Request-Method`. To a path that names
an operation of the contract it is answered 200 with no body: the methods the contract routes
at that path, the headers the AWS SDKs send from a browser, and how long the browser may keep
the answer. Anything else (a plain OPTIONS, an unknown path) goes on to the API handler, which
answers it as it answers any unknown route.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Request, Response

from ..contract.model import Contract
from .protocol import COMMON_HEADERS

ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-user-agent",
    "x-amz-security-token",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
)
"""What the JS SDK v3 sends with a signed request (with session credentials, the token too)."""

ALLOWED_PREFIXES = ("x-amz-", "amz-sdk-")
"""Further headers of these families are allowed when the browser asks for them."""

MAX_AGE_SECONDS = 86400


def allowed_headers(requested: str | None) -> list[str]:
    """ALLOWED_HEADERS, then the requested headers of ALLOWED_PREFIXES' families not in it."""
    extra = [
        name
        for name in (part.strip().lower() for part in (requested or "").split(","))
        if name.startswith(ALLOWED_PREFIXES) and name not in ALLOWED_HEADERS
    ]
    return [*ALLOWED_HEADERS, *dict.fromkeys(extra)]


class Preflight:
    """Answers the preflights of the contract's routes."""

    def __init__(self, contract: Contract) -> None:
        self.routes = [(op.method, op.path_regex) for op in contract.operations.values()]

    def methods_at(self, path: str) -> list[str]:
        """The methods the contract routes at `path`, in a fixed order; [] for none."""
        found = {method for method, regex in self.routes if regex.fullmatch(path)}
        return sorted(found)

    def answer(self, request: Request) -> Response | None:
        """The answer to a preflight of an API path, or None when `request` is not one."""
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        methods = self.methods_at(request.path)
        if not methods:
            return None
        return preflight_response(
            methods, allowed_headers(request.headers.get("Access-Control-Request-Headers"))
        )


def preflight_response(methods: list[str], headers: list[str]) -> Response:
    cors: Mapping[str, str] = {
        "Access-Control-Allow-Methods": ", ".join([*methods, "OPTIONS"]),
        "Access-Control-Allow-Headers": ", ".join(headers),
        "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
    }
    response = Response(b"", status=200)
    del response.headers["Content-Type"]
    response.headers.update(COMMON_HEADERS)
    response.headers.update(cors)
    return response
