"""Fixtures: an app, a Flask test client, a live server on an ephemeral port, boto3 clients.

Each test gets a fresh emulator (its own state, key and ids); the live server is real HTTP,
so boto3 and the AWS CLI talk to it as they would to the service.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from emulator.testing import LiveServer, boto3_client
from tests.stage_player import StagePlayer

settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app(config: Config, clock: FixedClock) -> Flask:
    return create_app(config, clock=clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def player(live_server: LiveServer) -> StagePlayer:
    """Plays stage clients and encoders through the live server's /_emulator/ endpoints."""
    return StagePlayer(live_server.url)


@pytest.fixture
def server_with() -> Iterator[Callable[..., Any]]:
    """Start an emulator with the given Config fields; returns a client factory for it."""
    servers: list[LiveServer] = []

    def start(**config: Any) -> Callable[..., Any]:
        server = LiveServer(create_app(Config(**config))).start()
        servers.append(server)
        return lambda **kwargs: boto3_client(server.url, **kwargs)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def make_ivs(live_server: LiveServer) -> Callable[..., Any]:
    """Make boto3 clients for other regions, access keys, or without client-side validation."""

    def make(**kwargs: Any) -> Any:
        return boto3_client(live_server.url, **kwargs)

    return make


@pytest.fixture
def ivs(make_ivs: Callable[..., Any]) -> Any:
    """A boto3 ivs-realtime client for account 123456789012 in us-east-1."""
    return make_ivs()


@pytest.fixture
def ivs_unchecked(make_ivs: Callable[..., Any]) -> Any:
    """A client that sends what botocore would refuse, so the emulator's validation answers."""
    return make_ivs(validate=False)


@pytest.fixture
def stage_arn(ivs: Any) -> str:
    return str(ivs.create_stage(name="fixture-stage")["stage"]["arn"])
