"""The data plane's addresses: its root (the global WHIP entry), events and WHIP URLs.

Stages created while the data plane runs name these as their `endpoints.events` and
`endpoints.whip`, so the tokens issued for them lead there (choice C56 in contract/README.md).
Nothing here needs the `media` extra.
"""

from __future__ import annotations

from dataclasses import dataclass

EVENTS_PATH = "/events"
WHIP_PATH = "/whip"


def host_for_url(host: str) -> str:
    """A host as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@dataclass(frozen=True)
class DataPlaneUrls:
    """Where clients reach the data plane: `host` is the public host (--public-host, else the
    listening host), `port` the data plane's port."""

    host: str
    port: int

    @property
    def authority(self) -> str:
        return f"{host_for_url(self.host)}:{self.port}"

    @property
    def root(self) -> str:
        """The global WHIP entry: a POST here is redirected to the token's publish URL."""
        return f"http://{self.authority}"

    @property
    def events(self) -> str:
        """The events WebSocket (a token's `events_url`)."""
        return f"ws://{self.authority}{EVENTS_PATH}"

    @property
    def whip(self) -> str:
        """The WHIP base (a token's `whip_url`): `/publish/{jti}` and `/subscribe/{id}`."""
        return f"http://{self.authority}{WHIP_PATH}"

    @property
    def endpoints(self) -> dict[str, str]:
        """What stages name instead of the service's endpoints (service/stages.py)."""
        return {"events": self.events, "whip": self.whip}


WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})


def public_host(listen_host: str, configured: str | None) -> str:
    """The host clients are told: --public-host when given, else the listening host, with a
    wildcard listening host (0.0.0.0, ::) told as 127.0.0.1."""
    if configured:
        return configured
    return "127.0.0.1" if listen_host in WILDCARD_HOSTS else listen_host
