"""Helpers for tests that run an emulator: an in-process live server and a boto3 client
(live_server), and the pytest plugin built on them (pytest_plugin).

The project's own tests use them through tests/conftest.py, and users' tests through the
plugin. `LiveServer` and `boto3_client` are imported on first use, so that loading the plugin
does not load Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .live_server import LiveServer, boto3_client

__all__ = ["LiveServer", "boto3_client"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import live_server

        return getattr(live_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
