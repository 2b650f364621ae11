"""Whether the data plane can run here: it needs the optional `media` extra (aiohttp, aiortc).

Checked before anything of the data plane is imported, so that asking for it without the extra
is one clear error at start, and the control plane alone never imports aiortc.
"""

from __future__ import annotations

import importlib.util

REQUIRED = ("aiohttp", "aiortc")
INSTALL_HINT = "pip install 'ivs-realtime-emulator[media]'"


class DataPlaneUnavailable(RuntimeError):
    """The data plane was asked for, but its libraries are not installed."""


def missing_media_packages() -> list[str]:
    """The packages of the `media` extra that cannot be imported here."""
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


def require_media() -> None:
    """Raise DataPlaneUnavailable, naming what is missing and how to install it."""
    missing = missing_media_packages()
    if missing:
        raise DataPlaneUnavailable(
            f"--data-plane needs {', '.join(missing)} (the 'media' extra): {INSTALL_HINT}"
        )
