"""CreateParticipantToken through boto3 against a live server: every constraint and default."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import START
from tests.helpers import client_error, error_code, error_message, status


def test_defaults_are_720_minutes_and_publish_subscribe(ivs: Any, stage_arn: str) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn)["participantToken"]
    assert token["duration"] == 720
    assert token["capabilities"] == ["PUBLISH", "SUBSCRIBE"]


def test_inputs_are_echoed_with_participant_id_token_and_expiration(
    ivs: Any, stage_arn: str
) -> None:
    token = ivs.create_participant_token(
        stageArn=stage_arn,
        duration=60,
        userId="alice",
        attributes={"role": "host"},
        capabilities=["SUBSCRIBE"],
    )["participantToken"]
    assert {k: token[k] for k in ("userId", "attributes", "duration", "capabilities")} == {
        "userId": "alice",
        "attributes": {"role": "host"},
        "duration": 60,
        "capabilities": ["SUBSCRIBE"],
    }
    assert len(token["participantId"]) == 12 and token["participantId"].isalnum()
    assert token["token"].count(".") == 2


def test_expiration_time_is_issue_time_plus_duration(ivs: Any, stage_arn: str) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn, duration=90)["participantToken"]
    assert token["expirationTime"] == START + timedelta(minutes=90)


def test_empty_capabilities_are_kept_empty(ivs: Any, stage_arn: str) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn, capabilities=[])["participantToken"]
    assert token["capabilities"] == []


@pytest.mark.parametrize("duration", [1, 20160])
def test_duration_bounds_are_accepted(ivs: Any, stage_arn: str, duration: int) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn, duration=duration)["participantToken"]
    assert token["duration"] == duration


def test_duration_over_20160_is_a_validation_exception(ivs_unchecked: Any, stage_arn: str) -> None:
    error = client_error(ivs_unchecked.create_participant_token, stageArn=stage_arn, duration=20161)
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    assert error_message(error) == (
        "1 validation error detected: Value '20161' at 'duration' failed to satisfy constraint: "
        "Member must have value less than or equal to 20160"
    )


def test_duration_zero_is_a_validation_exception(ivs_unchecked: Any, stage_arn: str) -> None:
    error = client_error(ivs_unchecked.create_participant_token, stageArn=stage_arn, duration=0)
    assert error_message(error).endswith("Member must have value greater than or equal to 1")


def test_user_id_of_128_characters_is_accepted(ivs: Any, stage_arn: str) -> None:
    user_id = "ü" * 128  # code points, not bytes
    token = ivs.create_participant_token(stageArn=stage_arn, userId=user_id)["participantToken"]
    assert token["userId"] == user_id


def test_user_id_of_129_characters_is_a_validation_exception(
    ivs_unchecked: Any, stage_arn: str
) -> None:
    error = client_error(
        ivs_unchecked.create_participant_token, stageArn=stage_arn, userId="u" * 129
    )
    assert (
        "at 'userId' failed to satisfy constraint: Member must have length less than or equal to 128"
        in error_message(error)
    )


def test_three_capabilities_are_a_validation_exception(ivs_unchecked: Any, stage_arn: str) -> None:
    error = client_error(
        ivs_unchecked.create_participant_token,
        stageArn=stage_arn,
        capabilities=["PUBLISH", "SUBSCRIBE", "PUBLISH"],
    )
    assert error_message(error) == (
        "1 validation error detected: Value '[PUBLISH, SUBSCRIBE, PUBLISH]' at 'capabilities' "
        "failed to satisfy constraint: Member must have length less than or equal to 2"
    )


def test_unknown_capability_is_a_validation_exception(ivs_unchecked: Any, stage_arn: str) -> None:
    error = client_error(
        ivs_unchecked.create_participant_token, stageArn=stage_arn, capabilities=["ADMIN"]
    )
    assert error_message(error) == (
        "1 validation error detected: Value '[ADMIN]' at 'capabilities' failed to satisfy "
        "constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[PUBLISH, SUBSCRIBE]]"
    )


def test_attributes_of_exactly_1024_bytes_are_accepted(ivs: Any, stage_arn: str) -> None:
    attributes = {"k": "v" * 1023}
    token = ivs.create_participant_token(stageArn=stage_arn, attributes=attributes)
    assert token["participantToken"]["attributes"] == attributes


def test_attributes_over_1024_utf8_bytes_are_a_validation_exception(
    ivs: Any, stage_arn: str
) -> None:
    attributes = {"k": "é" * 512}  # 1 + 1024 bytes
    error = client_error(ivs.create_participant_token, stageArn=stage_arn, attributes=attributes)
    assert error_code(error) == "ValidationException"
    assert "at 'attributes'" in error_message(error)


def test_malformed_stage_arn_is_a_validation_exception(ivs_unchecked: Any) -> None:
    error = client_error(ivs_unchecked.create_participant_token, stageArn="not-an-arn")
    assert error_message(error) == (
        "1 validation error detected: Value 'not-an-arn' at 'stageArn' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage/[a-zA-Z0-9-]+"
    )


def test_stage_arn_over_128_characters_is_a_validation_exception(ivs_unchecked: Any) -> None:
    arn = "arn:aws:ivs:us-east-1:123456789012:stage/" + "a" * 100
    error = client_error(ivs_unchecked.create_participant_token, stageArn=arn)
    assert "Member must have length less than or equal to 128" in error_message(error)


def test_missing_stage_arn_is_a_validation_exception(ivs_unchecked: Any) -> None:
    error = client_error(ivs_unchecked.create_participant_token)
    assert error_message(error) == (
        "1 validation error detected: Value null at 'stageArn' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_every_violation_is_listed_in_member_order(ivs_unchecked: Any) -> None:
    error = client_error(
        ivs_unchecked.create_participant_token, stageArn="bad", duration=0, userId="u" * 200
    )
    message = error_message(error)
    assert message.startswith("3 validation errors detected: ")
    assert message.index("'stageArn'") < message.index("'duration'") < message.index("'userId'")


def test_unknown_stage_is_resource_not_found(ivs: Any) -> None:
    arn = "arn:aws:ivs:us-east-1:123456789012:stage/doesNotExist"
    error = client_error(ivs.create_participant_token, stageArn=arn)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


def test_stage_of_another_region_is_resource_not_found(make_ivs: Any) -> None:
    arn = make_ivs(region="eu-west-1").create_stage()["stage"]["arn"]
    error = client_error(make_ivs(region="us-east-1").create_participant_token, stageArn=arn)
    assert error_code(error) == "ResourceNotFoundException"


def test_stage_of_another_account_is_resource_not_found(make_ivs: Any) -> None:
    arn = make_ivs(access_key="111111111111").create_stage()["stage"]["arn"]
    error = client_error(make_ivs(access_key="222222222222").create_participant_token, stageArn=arn)
    assert error_code(error) == "ResourceNotFoundException"


def test_error_carries_exception_message_for_the_js_sdk(ivs: Any) -> None:
    arn = "arn:aws:ivs:us-east-1:123456789012:stage/missing"
    error = client_error(ivs.create_participant_token, stageArn=arn)
    assert error.response["exceptionMessage"] == error_message(error) != ""
