"""ivs-realtime-emulator: a local emulator of the Amazon IVS Real-Time control-plane API.

`create_app` is imported on first use, so that importing a light part of the package (the
pytest plugin, the configuration) does not load Flask and the rest of the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import Config

if TYPE_CHECKING:
    from .http.app import create_app

__all__ = ["Config", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .http.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
