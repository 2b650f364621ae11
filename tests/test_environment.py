"""emulator.testing.aws_environment: clients that code builds from the environment reach the
emulator inside the block, and everything is as it was after it."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest

from emulator.testing import LiveServer, aws_environment

VARIABLES = (
    "AWS_ENDPOINT_URL_IVS_REALTIME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


@pytest.fixture
def real_looking_environment(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """What a developer's shell might hold: real-looking credentials and a profile."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALREALREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_IVS_REALTIME", raising=False)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return {name: os.environ.get(name) for name in VARIABLES}


def built_inside() -> Any:
    """What code under test does: a client from the environment alone."""
    return boto3.client("ivs-realtime")


def test_a_client_the_code_builds_itself_reaches_the_emulator(
    live_server: LiveServer, ivs: Any, real_looking_environment: dict[str, str | None]
) -> None:
    with aws_environment(live_server.url):
        arn = built_inside().create_stage(name="built-inside")["stage"]["arn"]
    assert arn.startswith("arn:aws:ivs:us-east-1:123456789012:stage/")
    assert ivs.get_stage(arn=arn)["stage"]["name"] == "built-inside"


def test_region_and_access_key_choose_where_the_records_go(live_server: LiveServer) -> None:
    with aws_environment(live_server.url, region="eu-central-1", access_key="333344445555"):
        arn = built_inside().create_stage()["stage"]["arn"]
    assert arn.startswith("arn:aws:ivs:eu-central-1:333344445555:stage/")


def test_after_the_block_every_variable_is_as_before(
    live_server: LiveServer, real_looking_environment: dict[str, str | None]
) -> None:
    with aws_environment(live_server.url) as variables:
        assert {name: os.environ.get(name) for name in variables} == variables
        assert "AWS_SESSION_TOKEN" not in os.environ and "AWS_PROFILE" not in os.environ
    assert {name: os.environ.get(name) for name in VARIABLES} == real_looking_environment


def test_the_environment_is_restored_when_the_block_raises(
    live_server: LiveServer, real_looking_environment: dict[str, str | None]
) -> None:
    with pytest.raises(RuntimeError), aws_environment(live_server.url):
        raise RuntimeError("the code under test failed")
    assert {name: os.environ.get(name) for name in VARIABLES} == real_looking_environment


def test_a_default_session_made_before_the_block_is_not_used_inside_and_is_back_after(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = boto3.Session(
        aws_access_key_id="AKIAREALREALREAL", aws_secret_access_key="x", region_name="eu-west-1"
    )
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", before)
    with aws_environment(live_server.url):
        client = built_inside()
        assert client.meta.region_name == "us-east-1"
        assert client._request_signer._credentials.access_key == "test"
    assert boto3.DEFAULT_SESSION is before


def test_other_services_keep_their_own_endpoint(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One endpoint variable per service: LocalStack's for every service, the emulator's for one.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    with aws_environment(live_server.url):
        assert built_inside().meta.endpoint_url == live_server.url
        assert boto3.client("sqs").meta.endpoint_url == "http://127.0.0.1:4566"
