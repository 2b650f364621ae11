"""Helpers for tests that run an emulator, a public API (docs/testing.md): an in-process live
server and a boto3 client (live_server), a block that points clients built from the environment
at it (environment), and the pytest plugin built on them (pytest_plugin).

The project's own tests use them through tests/conftest.py, and users' tests directly or
through the plugin. `LiveServer` and `boto3_client` are imported on first use, so that loading
the plugin does not load Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .environment import aws_environment, emulator_variables

if TYPE_CHECKING:
    from .live_server import LiveServer, boto3_client

__all__ = ["LiveServer", "aws_environment", "boto3_client", "emulator_variables"]

_LAZY = ("LiveServer", "boto3_client")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import live_server

        return getattr(live_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
