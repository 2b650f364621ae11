"""StartComposition, GetComposition, ListCompositions and StopComposition through boto3 against
a live server (choices C38, C39 and C40 in contract/README.md), and what a composition does to
DeleteEncoderConfiguration, DeleteStorageConfiguration, DeleteStage and the tagging operations.

The emulator's clock is the `clock` fixture: a test moves it to walk a composition through its
states. Publishers are played through the stage client endpoints (tests/stage_player.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator import Config
from emulator.controls.clock import FixedClock
from tests.conftest import START
from tests.helpers import client_error, error_code, error_message, raw, status
from tests.output_shape import assert_conforms
from tests.stage_player import StagePlayer, joined

CHANNEL = "arn:aws:ivs:us-east-1:123456789012:channel/abcABCdefDEg"
MISSING = "arn:aws:ivs:us-east-1:123456789012:{}/abcdABCDefgh"
DEFAULT_GRID = {
    "featuredParticipantAttribute": "",
    "omitStoppedVideo": False,
    "videoAspectRatio": "VIDEO",
    "gridGap": 2,
    "participantOrderAttribute": "",
}
DEFAULT_PIP = {
    "featuredParticipantAttribute": "",
    "omitStoppedVideo": False,
    "videoFillMode": "COVER",
    "gridGap": 0,
    "pipParticipantAttribute": "",
    "pipBehavior": "STATIC",
    "pipOffset": 0,
    "pipPosition": "BOTTOM_RIGHT",
    "participantOrderAttribute": "",
}
DEFAULT_RECORDING = {"format": "HLS", "hlsConfiguration": {"targetSegmentDurationSeconds": 2}}
EXACTLY_ONE = "Member must have exactly one of channel or s3"
AT_MOST_ONE_EACH = "Member must have at most one channel destination and at most one s3 destination"


@pytest.fixture
def encoder_arn(ivs: Any) -> str:
    return str(ivs.create_encoder_configuration(name="enc")["encoderConfiguration"]["arn"])


@pytest.fixture
def storage_arn(ivs: Any) -> str:
    created = ivs.create_storage_configuration(s3={"bucketName": "recordings"})
    return str(created["storageConfiguration"]["arn"])


@pytest.fixture
def channel() -> list[dict[str, Any]]:
    return [{"channel": {"channelArn": CHANNEL}}]


@pytest.fixture
def s3(storage_arn: str, encoder_arn: str) -> list[dict[str, Any]]:
    return [
        {"s3": {"storageConfigurationArn": storage_arn, "encoderConfigurationArns": [encoder_arn]}}
    ]


def start(ivs: Any, stage_arn: str, destinations: list[dict[str, Any]], **kwargs: Any) -> Any:
    return ivs.start_composition(stageArn=stage_arn, destinations=destinations, **kwargs)[
        "composition"
    ]


def get(ivs: Any, arn: str) -> Any:
    return ivs.get_composition(arn=arn)["composition"]


def listed(ivs: Any, **kwargs: Any) -> list[str]:
    return [c["arn"] for c in ivs.list_compositions(**kwargs)["compositions"]]


def resource_id(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


# -- StartComposition ---------------------------------------------------------------------


def test_start_with_a_channel_destination_answers_starting_with_a_default_grid(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    composition = start(ivs, stage_arn, channel)
    assert re.fullmatch(
        r"arn:aws:ivs:us-east-1:123456789012:composition/[A-Za-z0-9]{12}", composition["arn"]
    )
    assert (composition["stageArn"], composition["state"]) == (stage_arn, "STARTING")
    assert composition["layout"] == {"grid": DEFAULT_GRID}
    assert (composition["tags"], composition["startTime"]) == ({}, START)
    assert "endTime" not in composition
    [destination] = composition["destinations"]
    assert re.fullmatch(r"[A-Za-z0-9]{12}", destination["id"])
    assert destination["state"] == "STARTING"
    assert "startTime" not in destination and "detail" not in destination
    assert destination["configuration"] == {"channel": {"channelArn": CHANNEL}, "name": ""}


def test_start_with_an_s3_destination_fills_recording_defaults_and_a_recording_prefix(
    ivs: Any, stage_arn: str, s3: list[dict[str, Any]], storage_arn: str, encoder_arn: str
) -> None:
    composition = start(ivs, stage_arn, s3)
    [destination] = composition["destinations"]
    assert destination["configuration"] == {
        "name": "",
        "s3": {
            "storageConfigurationArn": storage_arn,
            "encoderConfigurationArns": [encoder_arn],
            "recordingConfiguration": DEFAULT_RECORDING,
        },
    }
    prefix = f"{resource_id(stage_arn)}/{resource_id(composition['arn'])}/{destination['id']}"
    assert destination["detail"] == {"s3": {"recordingPrefix": prefix + "/composite"}}


def test_a_channel_and_an_s3_destination_get_different_ids(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], s3: list[dict[str, Any]]
) -> None:
    destinations = start(ivs, stage_arn, channel + s3)["destinations"]
    assert len({d["id"] for d in destinations}) == 2
    assert ["detail" in d for d in destinations] == [False, True]


def test_given_members_are_kept_and_the_others_take_their_defaults(
    ivs: Any, stage_arn: str, encoder_arn: str, storage_arn: str
) -> None:
    destinations: list[dict[str, Any]] = [
        {
            "name": "live",
            "channel": {"channelArn": CHANNEL, "encoderConfigurationArn": encoder_arn},
        },
        {
            "s3": {
                "storageConfigurationArn": storage_arn,
                "encoderConfigurationArns": [encoder_arn],
                "recordingConfiguration": {"hlsConfiguration": {"targetSegmentDurationSeconds": 5}},
                "thumbnailConfigurations": [{"targetIntervalSeconds": 30}],
            }
        },
    ]
    grid: dict[str, Any] = {
        "gridGap": 8,
        "videoFillMode": "CONTAIN",
        "participantOrderAttribute": "o",
    }
    layout: dict[str, Any] = {"grid": grid}
    composition = start(ivs, stage_arn, destinations, layout=layout)
    assert composition["layout"] == {"grid": {**DEFAULT_GRID, **grid}}
    live, recording = (d["configuration"] for d in composition["destinations"])
    assert live == {**destinations[0], "name": "live"}
    assert recording["s3"]["recordingConfiguration"] == {
        "format": "HLS",
        "hlsConfiguration": {"targetSegmentDurationSeconds": 5},
    }
    assert recording["s3"]["thumbnailConfigurations"] == [
        {"targetIntervalSeconds": 30, "storage": ["SEQUENTIAL"]}
    ]


def test_a_grid_without_video_fill_mode_has_none(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    assert "videoFillMode" not in start(ivs, stage_arn, channel)["layout"]["grid"]


def test_a_pip_layout_takes_the_documented_defaults_and_no_grid(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    layout = {"pip": {"featuredParticipantAttribute": "abcdefg"}}
    composition = start(ivs, stage_arn, channel, layout=layout)
    assert composition["layout"] == {
        "pip": {**DEFAULT_PIP, "featuredParticipantAttribute": "abcdefg"}
    }


def test_an_empty_layout_is_the_default_grid(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    assert start(ivs, stage_arn, channel, layout={})["layout"] == {"grid": DEFAULT_GRID}


def test_grid_and_pip_given_together_are_both_kept(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    layout = start(ivs, stage_arn, channel, layout={"grid": {}, "pip": {}})["layout"]
    assert layout == {"grid": DEFAULT_GRID, "pip": DEFAULT_PIP}


def test_any_channel_arn_of_the_models_pattern_is_accepted(ivs: Any, stage_arn: str) -> None:
    other = "arn:aws:ivs:eu-west-1:999999999999:channel/anyOtherChannel"
    composition = start(ivs, stage_arn, [{"channel": {"channelArn": other}}])
    assert composition["destinations"][0]["configuration"]["channel"]["channelArn"] == other


def test_tags_given_at_start_are_the_compositions(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    arn = start(ivs, stage_arn, channel, tags={"team": "video"})["arn"]
    assert get(ivs, arn)["tags"] == {"team": "video"}
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "video"}


def test_the_tagging_operations_work_on_a_composition(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    arn = start(ivs, stage_arn, channel, tags={"a": "1"})["arn"]
    ivs.tag_resource(resourceArn=arn, tags={"b": "2"})
    ivs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert get(ivs, arn)["tags"] == {"b": "2"}
    assert ivs.list_compositions()["compositions"][0]["tags"] == {"b": "2"}


# -- validation and references ----------------------------------------------------------------


def refused(ivs_unchecked: Any, stage_arn: str, destinations: list[Any]) -> str:
    """The message of a StartComposition refused with 400 ValidationException."""
    error = client_error(
        ivs_unchecked.start_composition, stageArn=stage_arn, destinations=destinations
    )
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    return error_message(error)


def test_three_destinations_are_refused_by_the_model_limit(
    ivs_unchecked: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    message = refused(ivs_unchecked, stage_arn, channel * 3)
    assert (
        "at 'destinations' failed to satisfy constraint: Member must have length less "
        "than or equal to 2" in message
    )


def test_no_destination_is_refused(ivs_unchecked: Any, stage_arn: str) -> None:
    assert "Member must have length greater than or equal to 1" in refused(
        ivs_unchecked, stage_arn, []
    )


def test_a_destination_with_neither_channel_nor_s3_is_refused(
    ivs_unchecked: Any, stage_arn: str
) -> None:
    assert refused(ivs_unchecked, stage_arn, [{"name": "nothing"}]) == (
        "1 validation error detected: Value '{name=nothing}' at 'destinations.1.member' failed "
        f"to satisfy constraint: {EXACTLY_ONE}"
    )


def test_a_destination_with_both_channel_and_s3_is_refused(
    ivs_unchecked: Any, stage_arn: str, channel: list[dict[str, Any]], s3: list[dict[str, Any]]
) -> None:
    both = {**channel[0], **s3[0]}
    message = refused(ivs_unchecked, stage_arn, [both])
    assert message.startswith("1 validation error detected: Value '{channel={channelArn=")
    assert message.endswith(
        f"at 'destinations.1.member' failed to satisfy constraint: {EXACTLY_ONE}"
    )


def test_two_channel_destinations_are_refused(
    ivs_unchecked: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    message = refused(ivs_unchecked, stage_arn, channel * 2)
    assert message == (
        f"1 validation error detected: Value '[{{channel={{channelArn={CHANNEL}}}}}, "
        f"{{channel={{channelArn={CHANNEL}}}}}]' at 'destinations' failed to satisfy "
        f"constraint: {AT_MOST_ONE_EACH}"
    )


def test_two_s3_destinations_are_refused(
    ivs_unchecked: Any, stage_arn: str, s3: list[dict[str, Any]]
) -> None:
    assert AT_MOST_ONE_EACH in refused(ivs_unchecked, stage_arn, s3 * 2)


def test_every_broken_rule_is_counted_in_one_message(
    ivs_unchecked: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    message = refused(ivs_unchecked, stage_arn, [channel[0], {}])
    assert message.startswith("1 validation error detected: Value '{}' at 'destinations.2.member'")
    message = refused(ivs_unchecked, stage_arn, [{}, {"name": "x"}])
    assert message.startswith("2 validation errors detected: ")
    assert "'destinations.1.member'" in message and "'destinations.2.member'" in message


def test_validation_comes_before_the_stage_lookup(ivs_unchecked: Any) -> None:
    message = refused(ivs_unchecked, MISSING.format("stage"), [{}])
    assert EXACTLY_ONE in message


def test_a_missing_stage_is_not_found(ivs: Any, channel: list[dict[str, Any]]) -> None:
    error = client_error(start, ivs, MISSING.format("stage"), channel)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
    assert error_message(error) == f"Stage not found: {MISSING.format('stage')}"


def test_a_stage_of_another_region_is_not_found(
    make_ivs: Callable[..., Any], stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    error = client_error(start, make_ivs(region="eu-west-1"), stage_arn, channel)
    assert error_code(error) == "ResourceNotFoundException"


def test_a_missing_storage_configuration_is_not_found(
    ivs: Any, stage_arn: str, encoder_arn: str
) -> None:
    missing = MISSING.format("storage-configuration")
    s3 = {"storageConfigurationArn": missing, "encoderConfigurationArns": [encoder_arn]}
    error = client_error(start, ivs, stage_arn, [{"s3": s3}])
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
    assert error_message(error) == f"Storage configuration not found: {missing}"


@pytest.mark.parametrize("where", ["channel", "s3"])
def test_a_missing_encoder_configuration_is_not_found(
    ivs: Any, stage_arn: str, storage_arn: str, where: str
) -> None:
    missing = MISSING.format("encoder-configuration")
    choices: dict[str, dict[str, Any]] = {
        "channel": {"channel": {"channelArn": CHANNEL, "encoderConfigurationArn": missing}},
        "s3": {
            "s3": {"storageConfigurationArn": storage_arn, "encoderConfigurationArns": [missing]}
        },
    }
    destination = choices[where]
    error = client_error(start, ivs, stage_arn, [destination])
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
    assert error_message(error) == f"Encoder configuration not found: {missing}"


def test_a_refused_start_leaves_nothing_behind(ivs: Any, stage_arn: str, encoder_arn: str) -> None:
    s3 = {
        "storageConfigurationArn": MISSING.format("storage-configuration"),
        "encoderConfigurationArns": [encoder_arn],
    }
    client_error(start, ivs, stage_arn, [{"s3": s3}])
    assert listed(ivs) == []


# -- idempotency --------------------------------------------------------------------------


def test_the_same_token_and_request_answer_the_same_composition(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    first = start(ivs, stage_arn, channel, idempotencyToken="token-1")
    clock.advance(5)
    again = start(ivs, stage_arn, channel, idempotencyToken="token-1")
    assert again["arn"] == first["arn"]
    assert (again["state"], again["startTime"]) == ("ACTIVE", START)
    assert listed(ivs) == [first["arn"]]


def test_the_same_token_with_the_defaults_spelled_out_is_the_same_request(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    first = start(ivs, stage_arn, channel, idempotencyToken="token-1")
    spelled = [{**channel[0], "name": ""}]
    again = start(ivs, stage_arn, spelled, idempotencyToken="token-1", layout={"grid": {}})
    assert again["arn"] == first["arn"]


def test_the_same_token_with_another_request_is_a_conflict(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    first = start(ivs, stage_arn, channel, idempotencyToken="token-1")
    error = client_error(
        start, ivs, stage_arn, channel, idempotencyToken="token-1", layout={"pip": {}}
    )
    assert (error_code(error), status(error)) == ("ConflictException", 409)
    assert error_message(error) == (
        f"Idempotency token token-1 was already used to start composition {first['arn']} "
        "with other parameters"
    )


def test_without_an_explicit_token_each_start_is_a_new_composition(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    # boto3 fills in a fresh idempotency token for each call.
    assert start(ivs, stage_arn, channel)["arn"] != start(ivs, stage_arn, channel)["arn"]


def test_tokens_are_per_account(
    make_ivs: Callable[..., Any], channel: list[dict[str, Any]]
) -> None:
    arns = []
    for account in ("111122223333", "444455556666"):
        client = make_ivs(access_key=account)
        stage = client.create_stage()["stage"]["arn"]
        arns.append(start(client, stage, channel, idempotencyToken="shared")["arn"])
    assert arns[0] != arns[1]


def test_a_token_is_free_again_once_its_composition_is_deleted(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    first = start(ivs, stage_arn, channel, idempotencyToken="token-1")
    ivs.stop_composition(arn=first["arn"])
    clock.advance(299)
    assert start(ivs, stage_arn, channel, idempotencyToken="token-1")["arn"] == first["arn"]
    clock.advance(1)
    again = start(ivs, stage_arn, channel, idempotencyToken="token-1")
    assert again["arn"] != first["arn"] and again["state"] == "STARTING"


# -- lifecycle ----------------------------------------------------------------------------


def test_a_composition_is_active_one_second_after_its_start(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    arn = start(ivs, stage_arn, channel)["arn"]
    assert get(ivs, arn)["state"] == "STARTING"
    clock.advance(1)
    composition = get(ivs, arn)
    assert composition["state"] == "ACTIVE"
    [destination] = composition["destinations"]
    assert (destination["state"], destination["startTime"]) == (
        "ACTIVE",
        START + timedelta(seconds=1),
    )
    assert "endTime" not in composition and "endTime" not in destination


def test_stop_gives_stopping_then_stopped_with_end_times_then_not_found(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    arn = start(ivs, stage_arn, channel)["arn"]
    clock.advance(10)
    stopped_at = START + timedelta(seconds=10)
    assert ivs.stop_composition(arn=arn)["ResponseMetadata"]["HTTPStatusCode"] == 200
    stopping = get(ivs, arn)
    assert stopping["state"] == "STOPPING" and "endTime" not in stopping
    assert stopping["destinations"][0]["state"] == "STOPPING"
    clock.advance(1)
    stopped = get(ivs, arn)
    assert (stopped["state"], stopped["endTime"]) == ("STOPPED", stopped_at)
    assert (stopped["destinations"][0]["state"], stopped["destinations"][0]["endTime"]) == (
        "STOPPED",
        stopped_at,
    )
    assert listed(ivs) == [arn]
    clock.advance(298)
    assert get(ivs, arn)["state"] == "STOPPED"
    clock.advance(1)  # 5 minutes after the stop
    error = client_error(get, ivs, arn)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
    assert error_message(error) == f"Composition not found: {arn}"
    assert listed(ivs) == []
    assert error_code(client_error(ivs.list_tags_for_resource, resourceArn=arn)) == (
        "ResourceNotFoundException"
    )


def test_stopping_a_composition_that_is_stopping_or_stopped_changes_nothing(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    arn = start(ivs, stage_arn, channel)["arn"]
    ivs.stop_composition(arn=arn)
    clock.advance(1)
    ivs.stop_composition(arn=arn)
    clock.advance(1)
    ivs.stop_composition(arn=arn)
    assert get(ivs, arn)["endTime"] == START


def test_a_composition_stopped_while_starting_never_started_its_destinations(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    arn = start(ivs, stage_arn, channel)["arn"]
    ivs.stop_composition(arn=arn)
    clock.advance(1)
    assert "startTime" not in get(ivs, arn)["destinations"][0]


def test_stop_and_get_of_an_unknown_composition_are_not_found(ivs: Any) -> None:
    missing = MISSING.format("composition")
    for call in (ivs.stop_composition, ivs.get_composition):
        error = client_error(call, arn=missing)
        assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


def test_a_composition_of_another_account_is_not_found(
    ivs: Any, make_ivs: Callable[..., Any], stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    arn = start(ivs, stage_arn, channel)["arn"]
    error = client_error(get, make_ivs(access_key="111122223333"), arn)
    assert error_code(error) == "ResourceNotFoundException"


def test_a_composition_on_a_stage_without_publishers_shuts_down_after_60_seconds(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    arn = start(ivs, stage_arn, channel)["arn"]
    clock.advance(59)
    assert get(ivs, arn)["state"] == "ACTIVE"
    clock.advance(1)
    assert get(ivs, arn)["state"] == "STOPPING"
    clock.advance(1)
    stopped = get(ivs, arn)
    assert (stopped["state"], stopped["endTime"]) == ("STOPPED", START + timedelta(seconds=60))


@pytest.fixture
def publisher(ivs: Any, player: StagePlayer, stage_arn: str) -> tuple[StagePlayer, str]:
    """A participant who joined the stage: the player and its token."""
    token = ivs.create_participant_token(stageArn=stage_arn)["participantToken"]["token"]
    joined(player.join(token))
    return player, token


def test_a_publisher_keeps_the_composition_active_and_60_seconds_after_it_stops_it_ends(
    ivs: Any,
    stage_arn: str,
    channel: list[dict[str, Any]],
    clock: FixedClock,
    publisher: tuple[StagePlayer, str],
) -> None:
    player, token = publisher
    arn = start(ivs, stage_arn, channel)["arn"]
    clock.advance(30)
    joined(player.publish(token))
    clock.advance(3600)
    assert get(ivs, arn)["state"] == "ACTIVE"
    joined(player.unpublish(token))
    clock.advance(59)
    assert get(ivs, arn)["state"] == "ACTIVE"
    clock.advance(2)
    stopped = get(ivs, arn)
    assert (stopped["state"], stopped["endTime"]) == (
        "STOPPED",
        START + timedelta(seconds=30 + 3600 + 60),
    )


def test_joining_without_publishing_does_not_keep_a_composition(
    ivs: Any,
    stage_arn: str,
    channel: list[dict[str, Any]],
    clock: FixedClock,
    publisher: tuple[StagePlayer, str],
) -> None:
    arn = start(ivs, stage_arn, channel)["arn"]
    clock.advance(61)
    assert get(ivs, arn)["state"] == "STOPPED"


def test_a_composition_ends_after_24_hours_even_with_a_publisher(
    ivs: Any,
    stage_arn: str,
    channel: list[dict[str, Any]],
    clock: FixedClock,
    publisher: tuple[StagePlayer, str],
) -> None:
    player, token = publisher
    joined(player.publish(token))
    arn = start(ivs, stage_arn, channel)["arn"]
    clock.advance(24 * 3600 - 1)
    assert get(ivs, arn)["state"] == "ACTIVE"
    clock.advance(2)
    assert get(ivs, arn)["endTime"] == START + timedelta(hours=24)


def test_deleting_the_stage_stops_its_compositions(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    arn = start(ivs, stage_arn, channel)["arn"]
    clock.advance(5)
    ivs.delete_stage(arn=stage_arn)
    clock.advance(1)
    stopped = get(ivs, arn)
    assert (stopped["state"], stopped["endTime"]) == ("STOPPED", START + timedelta(seconds=5))


def test_responses_conform_to_the_output_shapes(
    client: FlaskClient,
    stage_arn: str,
    channel: list[dict[str, Any]],
    s3: list[dict[str, Any]],
    clock: FixedClock,
) -> None:
    body = {"stageArn": stage_arn, "destinations": channel + s3, "tags": {"k": "v"}}
    started = raw(client, "StartComposition", **body)
    assert_conforms("StartCompositionResponse", started)
    arn = started["composition"]["arn"]
    for moment in (1, 10, 1):  # ACTIVE, STOPPING, STOPPED
        clock.advance(moment)
        if moment == 10:
            raw(client, "StopComposition", arn=arn)
        assert_conforms("GetCompositionResponse", raw(client, "GetComposition", arn=arn))
        assert_conforms("ListCompositionsResponse", raw(client, "ListCompositions"))
    assert raw(client, "GetComposition", arn=arn)["composition"]["endTime"] == (
        "2026-01-02T03:04:16Z"
    )


# -- ListCompositions ---------------------------------------------------------------------


def test_list_shows_the_newest_first_as_summaries(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
) -> None:
    older = start(ivs, stage_arn, channel)["arn"]
    clock.advance(1)
    newer = start(ivs, stage_arn, channel)["arn"]
    compositions = ivs.list_compositions()["compositions"]
    assert [c["arn"] for c in compositions] == [newer, older]
    assert set(compositions[1]) == {"arn", "stageArn", "destinations", "state", "tags", "startTime"}
    assert set(compositions[1]["destinations"][0]) == {"id", "state", "startTime"}
    assert [c["state"] for c in compositions] == ["STARTING", "ACTIVE"]


def test_list_filters_by_stage_and_by_encoder_configuration_and_by_both(
    ivs: Any, stage_arn: str, encoder_arn: str, s3: list[dict[str, Any]]
) -> None:
    other_stage = ivs.create_stage()["stage"]["arn"]
    with_encoder = [{"channel": {"channelArn": CHANNEL, "encoderConfigurationArn": encoder_arn}}]
    on_stage_plain = start(ivs, stage_arn, [{"channel": {"channelArn": CHANNEL}}])["arn"]
    on_stage_encoded = start(ivs, stage_arn, with_encoder)["arn"]
    elsewhere_recorded = start(ivs, other_stage, s3)["arn"]
    assert listed(ivs, filterByStageArn=stage_arn) == [on_stage_encoded, on_stage_plain]
    assert listed(ivs, filterByEncoderConfigurationArn=encoder_arn) == [
        elsewhere_recorded,
        on_stage_encoded,
    ]
    assert listed(ivs, filterByStageArn=stage_arn, filterByEncoderConfigurationArn=encoder_arn) == [
        on_stage_encoded
    ]
    assert listed(ivs, filterByStageArn=MISSING.format("stage")) == []


def test_list_pages_through_every_composition_once(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    arns = [start(ivs, stage_arn, channel)["arn"] for _ in range(5)]
    seen: list[str] = []
    request: dict[str, Any] = {"maxResults": 2, "filterByStageArn": stage_arn}
    pages = 0
    while True:
        page = ivs.list_compositions(**request)
        pages += 1
        seen += [c["arn"] for c in page["compositions"]]
        if "nextToken" not in page:
            break
        request["nextToken"] = page["nextToken"]
    assert (seen, pages) == (arns[::-1], 3)


def test_a_next_token_is_bound_to_its_filters(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    for _ in range(2):
        start(ivs, stage_arn, channel)
    token = ivs.list_compositions(maxResults=1, filterByStageArn=stage_arn)["nextToken"]
    error = client_error(ivs.list_compositions, nextToken=token)
    assert (error_code(error), status(error)) == ("ValidationException", 400)


def test_list_is_per_account_and_region(
    ivs: Any, make_ivs: Callable[..., Any], stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    start(ivs, stage_arn, channel)
    assert listed(make_ivs(region="eu-west-1")) == []
    assert listed(make_ivs(access_key="111122223333")) == []


# -- configurations in use ----------------------------------------------------------------


def test_an_encoder_configuration_used_by_a_composition_cannot_be_deleted_until_it_stopped(
    ivs: Any, stage_arn: str, encoder_arn: str, clock: FixedClock
) -> None:
    destination = {"channel": {"channelArn": CHANNEL, "encoderConfigurationArn": encoder_arn}}
    arn = start(ivs, stage_arn, [destination])["arn"]
    error = client_error(ivs.delete_encoder_configuration, arn=encoder_arn)
    assert (error_code(error), status(error)) == ("ConflictException", 409)
    assert error_message(error) == (
        f"Encoder configuration {encoder_arn} cannot be deleted while in use by: {arn}"
    )
    ivs.stop_composition(arn=arn)
    assert error_code(client_error(ivs.delete_encoder_configuration, arn=encoder_arn)) == (
        "ConflictException"
    )  # still STOPPING
    clock.advance(1)
    ivs.delete_encoder_configuration(arn=encoder_arn)
    assert get(ivs, arn)["state"] == "STOPPED"


def test_a_storage_configuration_used_by_a_composition_cannot_be_deleted_until_it_stopped(
    ivs: Any,
    stage_arn: str,
    storage_arn: str,
    encoder_arn: str,
    s3: list[dict[str, Any]],
    clock: FixedClock,
) -> None:
    arn = start(ivs, stage_arn, s3)["arn"]
    for delete, used in (
        (ivs.delete_storage_configuration, storage_arn),
        (ivs.delete_encoder_configuration, encoder_arn),
    ):
        error = client_error(delete, arn=used)
        assert (error_code(error), status(error)) == ("ConflictException", 409)
        assert error_message(error).endswith(f"cannot be deleted while in use by: {arn}")
    ivs.stop_composition(arn=arn)
    clock.advance(1)
    ivs.delete_storage_configuration(arn=storage_arn)
    ivs.delete_encoder_configuration(arn=encoder_arn)


def test_users_of_a_storage_configuration_are_named_oldest_first(
    ivs: Any, storage_arn: str, s3: list[dict[str, Any]]
) -> None:
    recorded = ivs.create_stage(
        autoParticipantRecordingConfiguration={"storageConfigurationArn": storage_arn}
    )["stage"]["arn"]
    arn = start(ivs, recorded, s3)["arn"]
    error = client_error(ivs.delete_storage_configuration, arn=storage_arn)
    assert error_message(error).endswith(f"in use by: {recorded}, {arn}")


def test_a_composition_that_timed_out_no_longer_uses_its_configuration(
    ivs: Any, stage_arn: str, storage_arn: str, s3: list[dict[str, Any]], clock: FixedClock
) -> None:
    start(ivs, stage_arn, s3)
    clock.advance(61)
    ivs.delete_storage_configuration(arn=storage_arn)


# -- quota --------------------------------------------------------------------------------


def test_the_sixth_concurrent_composition_exceeds_the_default_quota_402(
    ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
) -> None:
    for _ in range(5):
        start(ivs, stage_arn, channel)
    error = client_error(start, ivs, stage_arn, channel)
    assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)
    assert "5 concurrent compositions" in error_message(error)


class TestConfiguredQuota:
    @pytest.fixture
    def config(self) -> Config:
        return Config(composition_quota=2)

    def test_a_configured_quota_gives_402(
        self, ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
    ) -> None:
        start(ivs, stage_arn, channel)
        start(ivs, stage_arn, channel)
        error = client_error(start, ivs, stage_arn, channel)
        assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)

    def test_a_stopping_composition_still_counts_and_a_stopped_one_does_not(
        self, ivs: Any, stage_arn: str, channel: list[dict[str, Any]], clock: FixedClock
    ) -> None:
        first = start(ivs, stage_arn, channel)["arn"]
        start(ivs, stage_arn, channel)
        ivs.stop_composition(arn=first)
        assert error_code(client_error(start, ivs, stage_arn, channel)) == (
            "ServiceQuotaExceededException"
        )
        clock.advance(1)
        assert start(ivs, stage_arn, channel)["state"] == "STARTING"

    def test_the_quota_counts_per_region(
        self, make_ivs: Callable[..., Any], channel: list[dict[str, Any]]
    ) -> None:
        for region in ("us-east-1", "eu-west-1"):
            client = make_ivs(region=region)
            stage = client.create_stage()["stage"]["arn"]
            start(client, stage, channel)
            start(client, stage, channel)

    def test_a_repeated_request_is_answered_at_the_quota(
        self, ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
    ) -> None:
        first = start(ivs, stage_arn, channel, idempotencyToken="again")["arn"]
        start(ivs, stage_arn, channel)
        assert start(ivs, stage_arn, channel, idempotencyToken="again")["arn"] == first

    def test_validation_and_not_found_come_before_the_quota(
        self, ivs_unchecked: Any, stage_arn: str, channel: list[dict[str, Any]]
    ) -> None:
        start(ivs_unchecked, stage_arn, channel)
        start(ivs_unchecked, stage_arn, channel)
        assert error_code(client_error(start, ivs_unchecked, stage_arn, [{}])) == (
            "ValidationException"
        )
        missing_stage = client_error(start, ivs_unchecked, MISSING.format("stage"), channel)
        assert error_code(missing_stage) == "ResourceNotFoundException"


class TestQuotaOff:
    @pytest.fixture
    def config(self) -> Config:
        return Config(composition_quota=None)

    def test_without_a_quota_many_compositions_run_at_once(
        self, ivs: Any, stage_arn: str, channel: list[dict[str, Any]]
    ) -> None:
        assert len({start(ivs, stage_arn, channel)["arn"] for _ in range(7)}) == 7
