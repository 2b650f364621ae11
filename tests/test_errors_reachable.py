"""Each of CreateParticipantToken's five error shapes, reached from boto3 as a user would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from emulator import Config, create_app
from emulator.testing import LiveServer, boto3_client
from tests.helpers import client_error, error_code, status

DENIED = "111111111111"
PENDING = "222222222222"


@pytest.fixture
def config() -> Config:
    return Config(
        denied=frozenset({DENIED}),
        pending_verification=frozenset({PENDING}),
        stage_quota=2,
        participant_token_quota=1,
    )


def test_validation_exception_is_400(ivs_unchecked: Any, stage_arn: str) -> None:
    error = client_error(ivs_unchecked.create_participant_token, stageArn=stage_arn, duration=99999)
    assert (error_code(error), status(error)) == ("ValidationException", 400)


def test_resource_not_found_is_404(ivs: Any) -> None:
    error = client_error(
        ivs.create_participant_token, stageArn="arn:aws:ivs:us-east-1:123456789012:stage/none"
    )
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


def test_denied_account_gets_access_denied_403(make_ivs: Callable[..., Any]) -> None:
    error = client_error(
        make_ivs(access_key=DENIED).create_participant_token,
        stageArn=f"arn:aws:ivs:us-east-1:{DENIED}:stage/abc",
    )
    assert (error_code(error), status(error)) == ("AccessDeniedException", 403)


def test_access_denied_comes_before_validation(make_ivs: Callable[..., Any]) -> None:
    client = make_ivs(access_key=DENIED, validate=False)
    error = client_error(client.create_participant_token, stageArn="not-an-arn")
    assert error_code(error) == "AccessDeniedException"


def test_access_denied_applies_to_every_operation(make_ivs: Callable[..., Any]) -> None:
    error = client_error(
        make_ivs(access_key=DENIED).get_stage, arn="arn:aws:ivs:us-east-1:1:stage/a"
    )
    assert error_code(error) == "AccessDeniedException"


def test_pending_account_gets_pending_verification_403(make_ivs: Callable[..., Any]) -> None:
    error = client_error(
        make_ivs(access_key=PENDING).create_participant_token,
        stageArn=f"arn:aws:ivs:us-east-1:{PENDING}:stage/abc",
    )
    assert (error_code(error), status(error)) == ("PendingVerification", 403)


def test_pending_verification_only_where_the_model_lists_it(make_ivs: Callable[..., Any]) -> None:
    # GetStage does not model PendingVerification, so the call goes on to not-found.
    error = client_error(
        make_ivs(access_key=PENDING).get_stage, arn=f"arn:aws:ivs:us-east-1:{PENDING}:stage/abc"
    )
    assert error_code(error) == "ResourceNotFoundException"


def test_token_quota_gives_service_quota_exceeded_402(ivs: Any, stage_arn: str) -> None:
    ivs.create_participant_token(stageArn=stage_arn)
    error = client_error(ivs.create_participant_token, stageArn=stage_arn)
    assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)


def test_stage_quota_gives_service_quota_exceeded_402(ivs: Any) -> None:
    ivs.create_stage()
    ivs.create_stage()
    error = client_error(ivs.create_stage)
    assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)


def test_stage_quota_counts_per_region(make_ivs: Callable[..., Any]) -> None:
    east = make_ivs(region="us-east-1")
    east.create_stage()
    east.create_stage()
    assert make_ivs(region="eu-west-1").create_stage()["stage"]["arn"]


def test_quota_is_checked_after_validation(ivs_unchecked: Any, stage_arn: str) -> None:
    ivs_unchecked.create_participant_token(stageArn=stage_arn)
    error = client_error(ivs_unchecked.create_participant_token, stageArn=stage_arn, duration=0)
    assert error_code(error) == "ValidationException"


def test_behaviours_change_at_run_time_through_the_admin_api() -> None:
    app: Flask = create_app(Config())
    with LiveServer(app) as server:
        import json
        import urllib.request

        body = json.dumps({"denied": ["333333333333"]}).encode()
        request = urllib.request.Request(
            f"{server.url}/_emulator/behaviours",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request)
        client = boto3_client(server.url, access_key="333333333333")
        assert error_code(client_error(client.create_stage)) == "AccessDeniedException"
        assert boto3_client(server.url, access_key="444444444444").create_stage()["stage"]
