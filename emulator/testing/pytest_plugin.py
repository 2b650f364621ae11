"""A pytest plugin: an IVS Real-Time emulator for a test suite, with nothing to set up.

Installing the package registers this module with pytest (entry point `pytest11`, plugin name
`ivs_realtime_emulator`), which gives every test these fixtures:

- `ivs_realtime_client`: a boto3 `ivs-realtime` client pointed at the emulator (needs boto3);
- `ivs_emulator`: the emulator, reset first: `.url`, `.app`, `.reset()`, `.client(...)`;
- `ivs_emulator_url`: its URL, e.g. for `AWS_ENDPOINT_URL_IVS_REALTIME` or a JWKS client;
- `ivs_events`: the EventBridge events of the emulator (reset first), with
  `wait_for(detail_type, event_name, timeout)` (docs/events.md);
- `ivs_emulator_env`: for the test, `AWS_ENDPOINT_URL_IVS_REALTIME`, fake credentials and a
  region point every client the code under test builds itself at the emulator (restored after);
- `ivs_emulator_session`: the same emulator, not reset (for session-scoped fixtures);
- `ivs_emulator_config`: the Config it is built from: `IVS_EMULATOR_*` variables, then test
  defaults (127.0.0.1, an ephemeral port, log level WARNING unless set). Override this fixture
  in a conftest.py to change a setting.

Nothing starts until a test asks for one of them. The first such test starts one emulator
in-process, behind a real HTTP server on a thread; it serves the rest of the session and is
reset before each test that takes `ivs_emulator`, `ivs_emulator_url`, `ivs_emulator_env` or
`ivs_realtime_client`. Every name starts with `ivs_`, so the plugin cannot take the place of a
project's own `app`, `client` or `live_server` fixtures. `-p no:ivs_realtime_emulator` turns it off.

This module imports neither Flask nor boto3 until a fixture needs them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from ..config import ENV_PREFIX, Config

if TYPE_CHECKING:
    from flask import Flask

BOTO3_MISSING = (
    "the ivs_realtime_client fixture needs boto3, which is not installed: pip install boto3"
)


def config_from_env(environ: Mapping[str, str]) -> Config:
    """The emulator's Config for tests: `IVS_EMULATOR_*` variables, then test defaults.

    It always listens on 127.0.0.1 and an ephemeral port, whatever IVS_EMULATOR_HOST and
    IVS_EMULATOR_PORT say (they are for a server you start yourself), and logs at WARNING
    unless IVS_EMULATOR_LOG_LEVEL is set.
    """
    config = Config.from_env(environ, host="127.0.0.1", port=0)
    if not environ.get(ENV_PREFIX + "LOG_LEVEL"):
        config = config.replace(log_level="WARNING")
    return config


@dataclass(frozen=True)
class IvsEmulator:
    """A running emulator: where it listens, the Flask app that serves it, and its reset."""

    url: str
    app: Flask

    @property
    def jwks_url(self) -> str:
        """The JWKS whose key verifies the participant tokens this emulator issues."""
        return self.url + "/_emulator/jwks.json"

    def reset(self) -> None:
        """Forget every stage, token and session, as `POST /_emulator/reset` does."""
        response = self.app.test_client().post("/_emulator/reset")
        if response.status_code != 200:
            raise RuntimeError(f"resetting the emulator failed: {response.status_code}")

    def client(
        self, region: str = "us-east-1", access_key: str = "test", validate: bool = True
    ) -> Any:
        """A boto3 `ivs-realtime` client for this emulator.

        The account is the access key's (a 12-digit access key id is its own account, any
        other is 123456789012 unless IVS_EMULATOR_ACCESS_KEYS maps it). validate=False lets
        values botocore would refuse reach the emulator, whose validation then answers.
        """
        if importlib.util.find_spec("boto3") is None:
            raise ModuleNotFoundError(BOTO3_MISSING, name="boto3")
        from . import boto3_client

        return boto3_client(self.url, region=region, access_key=access_key, validate=validate)


class IvsEvents:
    """The EventBridge events the emulator sent (GET /_emulator/events), for a test that waits
    for the event its code would react to."""

    POLL = 0.05

    def __init__(self, url: str) -> None:
        self.url = url

    def all(
        self,
        detail_type: str | None = None,
        event_name: str | None = None,
        resource: str | None = None,
    ) -> list[dict[str, Any]]:
        """The events sent so far that match, oldest first."""
        query = {"detailType": detail_type, "eventName": event_name, "resource": resource}
        given = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        with urllib.request.urlopen(f"{self.url}/_emulator/events?{given}") as answer:
            return list(json.load(answer)["events"])

    def wait_for(
        self,
        detail_type: str,
        event_name: str | None = None,
        timeout: float = 5.0,
        resource: str | None = None,
    ) -> dict[str, Any]:
        """The oldest event of `detail_type` (and `event_name`, `resource` when given), waiting
        up to `timeout` seconds for it; AssertionError, naming the events seen, if none comes."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.all(detail_type, event_name, resource)
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                seen = [(e["detail-type"], e["detail"].get("event_name")) for e in self.all()]
                wanted = detail_type + (f" / {event_name}" if event_name else "")
                raise AssertionError(f"no {wanted} event within {timeout} s; sent: {seen}")
            time.sleep(self.POLL)

    def clear(self) -> None:
        """Forget the events sent so far (DELETE /_emulator/events)."""
        request = urllib.request.Request(f"{self.url}/_emulator/events", method="DELETE")
        with urllib.request.urlopen(request) as answer:
            answer.read()


@pytest.fixture(scope="session")
def ivs_emulator_config() -> Config:
    """The emulator's settings; override this fixture in a conftest.py to change them."""
    return config_from_env(os.environ)


@pytest.fixture(scope="session")
def ivs_emulator_session(ivs_emulator_config: Config) -> Iterator[IvsEmulator]:
    """One emulator for the whole session, started on first use; not reset between tests."""
    from ..http.app import create_app
    from . import LiveServer

    config = ivs_emulator_config
    with LiveServer(create_app(config), host=config.host, port=config.port) as server:
        yield IvsEmulator(url=server.url, app=server.app)


@pytest.fixture
def ivs_emulator(ivs_emulator_session: IvsEmulator) -> IvsEmulator:
    """The session's emulator, reset before the test: no stage or token of another test."""
    ivs_emulator_session.reset()
    return ivs_emulator_session


@pytest.fixture
def ivs_emulator_url(ivs_emulator: IvsEmulator) -> str:
    """The URL of the emulator (reset before the test), e.g. http://127.0.0.1:41234."""
    return ivs_emulator.url


@pytest.fixture
def ivs_emulator_env(ivs_emulator: IvsEmulator) -> Iterator[dict[str, str]]:
    """The emulator (reset before the test) in the environment, for the test only.

    `AWS_ENDPOINT_URL_IVS_REALTIME`, fake credentials and us-east-1 (account 123456789012), as
    `emulator.testing.aws_environment` sets them: code under test that builds its own
    `boto3.client("ivs-realtime")` reaches the emulator. Gives the variables it set.
    """
    from .environment import aws_environment

    with aws_environment(ivs_emulator.url) as variables:
        yield variables


@pytest.fixture
def ivs_realtime_client(ivs_emulator: IvsEmulator) -> Any:
    """A boto3 `ivs-realtime` client on the emulator (reset before the test), us-east-1."""
    if importlib.util.find_spec("boto3") is None:
        pytest.fail(BOTO3_MISSING, pytrace=False)
    return ivs_emulator.client()


@pytest.fixture
def ivs_events(ivs_emulator: IvsEmulator) -> IvsEvents:
    """The emulator's EventBridge events (reset before the test, so none of another test)."""
    return IvsEvents(ivs_emulator.url)
