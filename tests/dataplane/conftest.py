"""Fixtures for the data plane's tests: an emulator with `--data-plane` on a free port.

The signalling tests (events WebSocket, WHIP refusals) need the `media` extra and skip
without it. The WebRTC tests (marker `media`, `make test-media`) also need a network namespace
whose only interface is loopback, so that no ICE or media packet can leave the machine: they
skip elsewhere, with the reason.
"""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from emulator.http.app import emulator_of

MEDIA_MISSING = [name for name in ("aiohttp", "aiortc") if importlib.util.find_spec(name) is None]


def loopback_only() -> bool:
    """True inside a network namespace whose only interface is loopback."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/dataplane/" not in item.nodeid:
            continue
        if MEDIA_MISSING:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"the data plane needs the 'media' extra ({', '.join(MEDIA_MISSING)} "
                    "missing): pip install -e '.[dev,media]'"
                )
            )
        elif item.get_closest_marker("media") and not loopback_only():
            item.add_marker(
                pytest.mark.skip(
                    reason="WebRTC tests run only in a network namespace whose only interface "
                    "is loopback: make test-media (unshare --net as root)"
                )
            )


@pytest.fixture
def config() -> Config:
    return Config(data_plane=True, data_plane_port=0)


@pytest.fixture
def app(config: Config, clock: FixedClock) -> Iterator[Flask]:
    app = create_app(config, clock=clock)
    yield app
    plane = emulator_of(app).data_plane
    if plane is not None:
        plane.stop()


@pytest.fixture
def plane(app: Flask) -> Any:
    """The running data plane (emulator/dataplane/listener.py DataPlane)."""
    data_plane = emulator_of(app).data_plane
    assert data_plane is not None
    return data_plane


@pytest.fixture
def stage(ivs: Any) -> dict[str, Any]:
    return dict(ivs.create_stage(name="live-stage")["stage"])
