"""What a web page must not be able to do to an emulator on a developer's machine (choice C54).

Browsers let any page send some requests to any address without asking first (a "simple"
request: GET, or POST with a text/plain body), and a page can make its own host name resolve to
127.0.0.1 (DNS rebinding). So, before any other handling:

- a request whose Host is not a loopback name, the configured `--host` or `--public-host`, or
  one of `--allowed-hosts` is refused (403; on API paths as AccessDeniedException), so that a
  rebound name reaches nothing;
- a request to /_emulator/ that carries an `Origin` other than the emulator's own (or one of
  `--allowed-origins`) is refused (403), and a control body that is not `application/json` is
  refused (415), since a page may send text/plain without a preflight;
- an API request from a browser (it has an `Origin`) without an `Authorization` header is
  refused as the service refuses an unsigned request (MissingAuthenticationTokenException,
  403): an SDK's signed request carries one, which also makes the browser ask first (CORS
  preflight, emulator/http/cors.py).

Requests without an `Origin` (SDKs, the AWS CLI, curl, tests) are not affected by the last two.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Request, Response

from ..config import Config
from ..contract.errors import (
    AccessDeniedException,
    MissingAuthenticationTokenException,
    ServiceError,
)
from ..controls.views.common import PREFIX, json_response

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def hostname(host_header: str) -> str:
    """The name or address of a Host header, without port or IPv6 brackets, lower case."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@lru_cache(maxsize=256)
def is_loopback(name: str) -> bool:
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class WebGuard:
    def __init__(self, config: Config) -> None:
        self.any_host = "*" in config.allowed_hosts
        self.hosts = {h.lower() for h in config.allowed_hosts}
        for configured in (config.host, config.public_host or ""):
            if configured.lower() not in WILDCARD_HOSTS:
                self.hosts.add(hostname(configured))
        self.origins = {o.rstrip("/").lower() for o in config.allowed_origins}

    def check(self, request: Request) -> Response | ServiceError | None:
        """A refusal (a control answer, or an API error to answer in the AWS shape), or None."""
        name = hostname(request.host)
        control = request.path == PREFIX or request.path.startswith(PREFIX + "/")
        if not (self.any_host or is_loopback(name) or name in self.hosts):
            message = (
                f"Host {name!r} is not served here: the emulator answers loopback names and "
                "the hosts of --allowed-hosts (IVS_EMULATOR_ALLOWED_HOSTS)"
            )
            return (
                json_response({"message": message}, 403)
                if control
                else (AccessDeniedException(message))
            )
        origin = request.headers.get("Origin")
        if control:
            return self._check_control(request, origin)
        if origin is not None and "Authorization" not in request.headers:
            if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
                return None  # a CORS preflight: answered by emulator/http/cors.py
            return MissingAuthenticationTokenException(
                "Missing Authentication Token: a request from a web page must be signed "
                "(SigV4) as the AWS SDKs sign it"
            )
        return None

    def _check_control(self, request: Request, origin: str | None) -> Response | None:
        if origin is not None and not self._own(request, origin):
            message = (
                f"requests from the page at {origin} may not use /_emulator/; allow its origin "
                "with --allowed-origins (IVS_EMULATOR_ALLOWED_ORIGINS)"
            )
            return json_response({"message": message}, 403)
        json_body = request.mimetype == "application/json"
        if request.method in BODY_METHODS and request.content_length and not json_body:
            message = "the body of a control request must be application/json"
            return json_response({"message": message}, 415)
        return None

    def _own(self, request: Request, origin: str) -> bool:
        normalised = origin.rstrip("/").lower()
        if normalised in self.origins or "*" in self.origins:
            return True
        parts = urlsplit(normalised)
        return parts.netloc == request.host.lower() and parts.scheme in ("http", "https")
