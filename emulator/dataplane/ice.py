"""Which local addresses aiortc gathers its ICE host candidates on.

aioice (aiortc's ICE) gathers on every interface address but 127.0.0.1 and ::1, so a data plane
that listens on loopback (the default) would answer with no usable candidate, and in a network
namespace whose only interface is loopback with none at all. `gathering_on(addresses)` makes
the gathering started inside it (in this task and the tasks it starts) use exactly
`addresses` (`"*"` among them: every interface address aioice finds, too); elsewhere aioice
gathers as it always does. It works by wrapping aioice's
`get_host_addresses` once (`install`), the one lookup aioice makes for this; the wrapper
consults a context variable, so other aiortc users in the process (a test's clients) are not
affected unless they ask for it too.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

_ADDRESSES: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "ivs_emulator_ice_addresses", default=None
)
_install_lock = threading.Lock()

HostAddresses = Callable[[bool, bool], list[str]]

EVERY_INTERFACE = "*"
"""Among the addresses: every interface address aioice finds by itself."""


def _scoped(original: HostAddresses) -> HostAddresses:
    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        chosen = _ADDRESSES.get()
        if chosen is None:
            return original(use_ipv4, use_ipv6)
        found = original(use_ipv4, use_ipv6) if EVERY_INTERFACE in chosen else []
        for address in chosen:
            wanted = use_ipv6 if ":" in address else use_ipv4
            if address != EVERY_INTERFACE and wanted and address not in found:
                found.append(address)
        return found

    get_host_addresses.ivs_emulator_scoped = True  # type: ignore[attr-defined]
    return get_host_addresses


def install() -> None:
    """Wrap aioice's address lookup, once per process (idempotent)."""
    import aioice.ice

    with _install_lock:
        current = aioice.ice.get_host_addresses
        if not getattr(current, "ivs_emulator_scoped", False):
            aioice.ice.get_host_addresses = _scoped(current)  # type: ignore[assignment]


@contextmanager
def gathering_on(addresses: Sequence[str]) -> Iterator[None]:
    """Gather ICE host candidates on exactly `addresses` within this block (see module)."""
    install()
    token = _ADDRESSES.set(tuple(addresses))
    try:
        yield
    finally:
        _ADDRESSES.reset(token)
