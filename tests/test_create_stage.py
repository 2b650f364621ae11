"""CreateStage and GetStage through boto3 against a live server."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers import client_error, error_code, error_message, status

DEFAULT_RECORDING = {
    "storageConfigurationArn": "",
    "mediaTypes": ["AUDIO_VIDEO"],
    "thumbnailConfiguration": {
        "targetIntervalSeconds": 60,
        "storage": ["SEQUENTIAL"],
        "recordingMode": "DISABLED",
    },
    "recordingReconnectWindowSeconds": 0,
    "hlsConfiguration": {"targetSegmentDurationSeconds": 6},
    "recordParticipantReplicas": True,
}


def test_stage_arn_has_the_callers_region_account_and_a_12_character_id(make_ivs: Any) -> None:
    stage = make_ivs(region="eu-west-1", access_key="111122223333").create_stage()["stage"]
    assert re.fullmatch(r"arn:aws:ivs:eu-west-1:111122223333:stage/[A-Za-z0-9]{12}", stage["arn"])


def test_name_and_tags_are_kept(ivs: Any) -> None:
    stage = ivs.create_stage(name="show-1", tags={"team": "a"})["stage"]
    assert (stage["name"], stage["tags"]) == ("show-1", {"team": "a"})


def test_tags_default_to_empty(ivs: Any) -> None:
    assert ivs.create_stage()["stage"]["tags"] == {}


def test_recording_configuration_defaults_are_filled_in(ivs: Any) -> None:
    stage = ivs.create_stage()["stage"]
    assert stage["autoParticipantRecordingConfiguration"] == DEFAULT_RECORDING


def test_partial_recording_configuration_keeps_given_values(ivs: Any) -> None:
    arn = "arn:aws:ivs:us-east-1:123456789012:storage-configuration/abcdABCDefgh"
    stage = ivs.create_stage(
        autoParticipantRecordingConfiguration={
            "storageConfigurationArn": arn,
            "hlsConfiguration": {"targetSegmentDurationSeconds": 4},
        }
    )["stage"]
    config = stage["autoParticipantRecordingConfiguration"]
    assert config["storageConfigurationArn"] == arn
    assert config["hlsConfiguration"] == {"targetSegmentDurationSeconds": 4}
    assert config["mediaTypes"] == ["AUDIO_VIDEO"]


def test_endpoints_look_like_the_services(ivs: Any) -> None:
    endpoints = ivs.create_stage()["stage"]["endpoints"]
    assert endpoints["events"] == "wss://global.events.live-video.net"
    assert re.fullmatch(
        r"https://[0-9a-f]{12}\.global-bm\.whip\.live-video\.net", endpoints["whip"]
    )
    prefix = endpoints["whip"][8:20]
    assert endpoints["rtmp"] == f"rtmp://{prefix}.global-contribute.live-video.net/app/"
    assert endpoints["rtmps"] == f"rtmps://{prefix}.global-contribute.live-video.net:443/app/"


def test_endpoint_prefix_is_per_account(make_ivs: Any) -> None:
    first = make_ivs(access_key="111111111111")
    second = make_ivs(access_key="222222222222")
    assert first.create_stage()["stage"]["endpoints"] == first.create_stage()["stage"]["endpoints"]
    assert first.create_stage()["stage"]["endpoints"] != second.create_stage()["stage"]["endpoints"]


def test_no_active_session_before_anyone_joins(ivs: Any) -> None:
    assert "activeSessionId" not in ivs.create_stage()["stage"]


def test_participant_token_configurations_return_one_token_each(ivs: Any) -> None:
    created = ivs.create_stage(
        participantTokenConfigurations=[
            {"userId": "alice", "capabilities": ["PUBLISH"]},
            {"duration": 5, "attributes": {"a": "b"}},
        ]
    )
    first, second = created["participantTokens"]
    assert (first["userId"], first["capabilities"], first["duration"]) == (
        "alice",
        ["PUBLISH"],
        720,
    )
    assert (second["duration"], second["attributes"]) == (5, {"a": "b"})
    assert second["capabilities"] == ["PUBLISH", "SUBSCRIBE"]
    assert first["participantId"] != second["participantId"]


def test_no_token_configurations_return_an_empty_token_list(ivs: Any) -> None:
    assert ivs.create_stage()["participantTokens"] == []


def test_thirteen_token_configurations_are_a_validation_exception(ivs_unchecked: Any) -> None:
    error = client_error(ivs_unchecked.create_stage, participantTokenConfigurations=[{}] * 13)
    assert "Member must have length less than or equal to 12" in error_message(error)


def test_nested_violation_is_named_by_its_path(ivs_unchecked: Any) -> None:
    error = client_error(
        ivs_unchecked.create_stage,
        participantTokenConfigurations=[{}, {"duration": 20161}],
    )
    assert error_message(error) == (
        "1 validation error detected: Value '20161' at "
        "'participantTokenConfigurations.2.member.duration' failed to satisfy constraint: "
        "Member must have value less than or equal to 20160"
    )


def test_name_outside_the_pattern_is_a_validation_exception(ivs_unchecked: Any) -> None:
    error = client_error(ivs_unchecked.create_stage, name="bad name!")
    assert error_message(error) == (
        "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]*"
    )


def test_fifty_one_tags_are_a_validation_exception(ivs_unchecked: Any) -> None:
    tags = {f"k{i}": "v" for i in range(51)}
    error = client_error(ivs_unchecked.create_stage, tags=tags)
    assert (
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
        in error_message(error)
    )


def test_tag_value_over_256_characters_is_a_validation_exception(ivs_unchecked: Any) -> None:
    error = client_error(ivs_unchecked.create_stage, tags={"k": "v" * 257})
    assert (
        "Map value must satisfy constraint: [Member must have length less than or equal to 256]"
        in error_message(error)
    )


def test_get_stage_returns_what_create_stage_returned(ivs: Any) -> None:
    created = ivs.create_stage(name="same", tags={"x": "y"})["stage"]
    assert ivs.get_stage(arn=created["arn"])["stage"] == created


def test_get_unknown_stage_is_resource_not_found(ivs: Any) -> None:
    error = client_error(ivs.get_stage, arn="arn:aws:ivs:us-east-1:123456789012:stage/nope")
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


def test_get_stage_of_another_account_is_resource_not_found(make_ivs: Any) -> None:
    arn = make_ivs(access_key="111111111111").create_stage()["stage"]["arn"]
    error = client_error(make_ivs(access_key="222222222222").get_stage, arn=arn)
    assert error_code(error) == "ResourceNotFoundException"
