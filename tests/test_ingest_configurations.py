"""Ingest configurations: Create/Get/List/Update/DeleteIngestConfiguration through boto3, and an
RTMP(S) encoder played through /_emulator/ingest/start and /stop (tests/stage_player.py).

What the stage sees of an encoder (its participant, events and the configuration's state) is
read back with boto3 from the same live server; raw JSON for the output-shape checks comes from
the Flask test client of the same app.

Delete, not found and other callers, as for every kind: tests/test_resource_kinds.py.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator import Config, create_app
from emulator.testing import LiveServer, boto3_client
from tests.helpers import client_error, error_code, error_message, raw, status
from tests.output_shape import assert_conforms
from tests.stage_player import StagePlayer, joined

ACCOUNT, REGION = "123456789012", "us-east-1"
STREAM_KEY = re.compile(rf"rt_{ACCOUNT}_{REGION}_(?P<id>[A-Za-z0-9]{{12}})_[A-Za-z0-9]{{32}}")
SERVER_LOGGERS = {"emulator", "werkzeug", "granian"}
RTMP_NEEDS_INSECURE = (
    "1 validation error detected: Value null at 'insecureIngest' failed to satisfy constraint: "
    "Member must be true when ingestProtocol is RTMP"
)


def create(ivs: Any, **request: Any) -> dict[str, Any]:
    request.setdefault("ingestProtocol", "RTMPS")
    return dict(ivs.create_ingest_configuration(**request)["ingestConfiguration"])


def get(ivs: Any, arn: str) -> dict[str, Any]:
    return dict(ivs.get_ingest_configuration(arn=arn)["ingestConfiguration"])


def session_of(ivs: Any, stage_arn: str) -> str:
    return str(ivs.get_stage(arn=stage_arn)["stage"]["activeSessionId"])


def events_of(ivs: Any, stage_arn: str, session_id: str, participant_id: str) -> list[str]:
    """Event names oldest first."""
    listed = ivs.list_participant_events(
        stageArn=stage_arn, sessionId=session_id, participantId=participant_id
    )["events"]
    return [event["name"] for event in reversed(listed)]


# -- creating -----------------------------------------------------------------------------


def test_create_rtmps_configuration_looks_like_the_cli_example(ivs: Any) -> None:
    created = create(ivs, name="ingest1")
    match = STREAM_KEY.fullmatch(created["streamKey"])
    assert match is not None, created["streamKey"]
    assert created["arn"] == f"arn:aws:ivs:{REGION}:{ACCOUNT}:ingest-configuration/{match['id']}"
    assert re.fullmatch(r"[A-Za-z0-9]{12}", created["participantId"])
    assert {k: v for k, v in created.items() if k not in ("arn", "streamKey", "participantId")} == {
        "name": "ingest1",
        "ingestProtocol": "RTMPS",
        "stageArn": "",
        "state": "INACTIVE",
        "userId": "",
        "redundantIngest": False,
        "tags": {},
    }


def test_create_rtmp_configuration_with_insecure_ingest(ivs: Any) -> None:
    created = create(ivs, ingestProtocol="RTMP", insecureIngest=True)
    assert created["ingestProtocol"] == "RTMP"


def test_rtmp_without_insecure_ingest_is_refused_with_the_rule(ivs: Any) -> None:
    error = client_error(ivs.create_ingest_configuration, ingestProtocol="RTMP")
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    assert error_message(error) == RTMP_NEEDS_INSECURE


def test_rtmp_with_insecure_ingest_false_shows_the_value(ivs: Any) -> None:
    error = client_error(
        ivs.create_ingest_configuration, ingestProtocol="RTMP", insecureIngest=False
    )
    assert error_message(error) == RTMP_NEEDS_INSECURE.replace("Value null", "Value 'false'")


def test_create_keeps_user_id_attributes_and_an_existing_stage(ivs: Any, stage_arn: str) -> None:
    created = create(ivs, stageArn=stage_arn, userId="encoder", attributes={"role": "camera"})
    assert (created["stageArn"], created["userId"], created["attributes"]) == (
        stage_arn,
        "encoder",
        {"role": "camera"},
    )


def test_create_with_a_stage_that_does_not_exist_is_a_validation_error(ivs: Any) -> None:
    missing = f"arn:aws:ivs:{REGION}:{ACCOUNT}:stage/missingStage"
    error = client_error(ivs.create_ingest_configuration, ingestProtocol="RTMPS", stageArn=missing)
    assert (error_code(error), error_message(error)) == (
        "ValidationException",
        f"1 validation error detected: Value '{missing}' at 'stageArn' failed to satisfy "
        "constraint: Member must be the ARN of an existing stage of this account and region",
    )


def test_attributes_over_one_kilobyte_are_refused(ivs_unchecked: Any) -> None:
    error = client_error(
        ivs_unchecked.create_ingest_configuration,
        ingestProtocol="RTMPS",
        attributes={"k": "v" * 1024},
    )
    assert "Member must have a total size of keys and values less than or equal to 1024 bytes" in (
        error_message(error)
    )


def test_redundant_ingest_gives_a_second_participant_and_stream_key(ivs: Any) -> None:
    created = create(ivs, redundantIngest=True)
    [second] = created["redundantIngestCredentials"]
    assert STREAM_KEY.fullmatch(second["streamKey"])
    assert second["participantId"] != created["participantId"]
    assert second["streamKey"] != created["streamKey"]
    assert created["redundantIngest"] is True


def test_quota_is_off_unless_set_and_then_answers_402() -> None:
    with LiveServer(create_app(Config(ingest_configuration_quota=1))) as server:
        ivs = boto3_client(server.url)
        create(ivs)
        error = client_error(ivs.create_ingest_configuration, ingestProtocol="RTMPS")
        assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)


def test_stream_keys_are_never_logged(
    ivs: Any, player: StagePlayer, stage_arn: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The emulator's own log lines (botocore's DEBUG lines on the client side are not ours)."""
    with caplog.at_level(logging.DEBUG):
        created = create(ivs, stageArn=stage_arn)
        get(ivs, created["arn"])
        joined(player.start_ingest(created["streamKey"]))
        joined(player.stop_ingest(created["streamKey"]))
    secret = created["streamKey"].rsplit("_", 1)[1]
    ours = [r.getMessage() for r in caplog.records if r.name.split(".")[0] in SERVER_LOGGERS]
    assert ours and not [line for line in ours if secret in line]


# -- reading ------------------------------------------------------------------------------


def test_get_returns_what_create_returned(ivs: Any) -> None:
    created = create(ivs, name="cam", tags={"team": "a"})
    assert get(ivs, created["arn"]) == created


def test_get_of_an_unknown_configuration_is_not_found(ivs: Any) -> None:
    arn = f"arn:aws:ivs:{REGION}:{ACCOUNT}:ingest-configuration/missingConf1"
    error = client_error(ivs.get_ingest_configuration, arn=arn)
    assert (error_code(error), status(error), error_message(error)) == (
        "ResourceNotFoundException",
        404,
        f"Ingest configuration not found: {arn}",
    )


def test_list_shows_summaries_without_stream_keys_in_creation_order(ivs: Any) -> None:
    first, second = create(ivs, name="a"), create(ivs, name="b", redundantIngest=True)
    listed = ivs.list_ingest_configurations()["ingestConfigurations"]
    assert [item["arn"] for item in listed] == [first["arn"], second["arn"]]
    assert set(listed[1]) == {
        "name",
        "arn",
        "ingestProtocol",
        "stageArn",
        "participantId",
        "state",
        "userId",
        "redundantIngest",
    }


def test_list_filters_by_stage_and_by_state(ivs: Any, player: StagePlayer, stage_arn: str) -> None:
    on_stage, idle, _ = (
        create(ivs, stageArn=stage_arn),
        create(ivs, stageArn=stage_arn),
        create(ivs),
    )
    joined(player.start_ingest(on_stage["streamKey"]))

    def arns(**filters: Any) -> list[str]:
        listed = ivs.list_ingest_configurations(**filters)["ingestConfigurations"]
        return [item["arn"] for item in listed]

    assert arns(filterByStageArn=stage_arn) == [on_stage["arn"], idle["arn"]]
    assert arns(filterByState="ACTIVE") == [on_stage["arn"]]
    assert arns(filterByStageArn=stage_arn, filterByState="INACTIVE") == [idle["arn"]]


def test_list_pages_with_next_token(ivs: Any) -> None:
    made = [create(ivs)["arn"] for _ in range(3)]
    first = ivs.list_ingest_configurations(maxResults=2)
    rest = ivs.list_ingest_configurations(maxResults=2, nextToken=first["nextToken"])
    listed = first["ingestConfigurations"] + rest["ingestConfigurations"]
    assert [item["arn"] for item in listed] == made
    assert "nextToken" not in rest


def test_the_botocore_paginator_walks_every_page(ivs: Any) -> None:
    made = [create(ivs)["arn"] for _ in range(5)]
    pages = ivs.get_paginator("list_ingest_configurations").paginate(
        PaginationConfig={"PageSize": 2}
    )
    assert [item["arn"] for page in pages for item in page["ingestConfigurations"]] == made


# -- updating -----------------------------------------------------------------------------


def test_update_associates_a_stage_and_dissociates_with_an_empty_arn(
    ivs: Any, stage_arn: str
) -> None:
    created = create(ivs)
    updated = ivs.update_ingest_configuration(arn=created["arn"], stageArn=stage_arn)
    assert updated["ingestConfiguration"] == {**created, "stageArn": stage_arn}
    ivs.update_ingest_configuration(arn=created["arn"], stageArn="")
    assert get(ivs, created["arn"])["stageArn"] == ""


def test_update_without_members_changes_nothing(ivs: Any, stage_arn: str) -> None:
    created = create(ivs, stageArn=stage_arn)
    assert ivs.update_ingest_configuration(arn=created["arn"])["ingestConfiguration"] == created


def test_update_to_a_stage_that_does_not_exist_is_not_found(ivs: Any) -> None:
    created = create(ivs)
    missing = f"arn:aws:ivs:{REGION}:{ACCOUNT}:stage/missingStage"
    error = client_error(ivs.update_ingest_configuration, arn=created["arn"], stageArn=missing)
    assert (error_code(error), error_message(error)) == (
        "ResourceNotFoundException",
        f"Stage not found: {missing}",
    )


def test_update_turns_redundant_ingest_on_and_off(ivs: Any) -> None:
    created = create(ivs)
    on = ivs.update_ingest_configuration(arn=created["arn"], redundantIngest=True)
    assert len(on["ingestConfiguration"]["redundantIngestCredentials"]) == 1
    off = ivs.update_ingest_configuration(arn=created["arn"], redundantIngest=False)
    assert "redundantIngestCredentials" not in off["ingestConfiguration"]
    assert off["ingestConfiguration"]["redundantIngest"] is False


def test_update_while_active_is_a_conflict(ivs: Any, player: StagePlayer, stage_arn: str) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    other = ivs.create_stage()["stage"]["arn"]
    error = client_error(ivs.update_ingest_configuration, arn=created["arn"], stageArn=other)
    assert (error_code(error), status(error)) == ("ConflictException", 409)
    assert "cannot be updated while it is ACTIVE" in error_message(error)
    assert get(ivs, created["arn"])["stageArn"] == stage_arn


# -- publishing ---------------------------------------------------------------------------


def test_publishing_joins_the_stage_as_the_configurations_participant(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn, userId="cam-1", attributes={"seat": "3"})
    answer = joined(player.start_ingest(created["streamKey"]))
    assert answer["ingestConfiguration"]["state"] == "ACTIVE"
    assert get(ivs, created["arn"])["state"] == "ACTIVE"

    session_id = session_of(ivs, stage_arn)
    participant = ivs.get_participant(
        stageArn=stage_arn, sessionId=session_id, participantId=created["participantId"]
    )["participant"]
    assert {
        key: participant[key]
        for key in (
            "userId",
            "state",
            "attributes",
            "published",
            "protocol",
            "ingestConfigurationArn",
            "redundantIngest",
            "replicationType",
        )
    } == {
        "userId": "cam-1",
        "state": "CONNECTED",
        "attributes": {"seat": "3"},
        "published": True,
        "protocol": "RTMPS",
        "ingestConfigurationArn": created["arn"],
        "redundantIngest": False,
        "replicationType": "NONE",
    }
    assert events_of(ivs, stage_arn, session_id, created["participantId"]) == [
        "JOINED",
        "PUBLISH_STARTED",
    ]


def test_an_rtmp_configuration_publishes_with_protocol_rtmp(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn, ingestProtocol="RTMP", insecureIngest=True)
    answer = joined(player.start_ingest(created["streamKey"]))
    assert answer["participant"]["protocol"] == "RTMP"


def test_stopping_leaves_the_stage_and_the_configuration_is_inactive(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    session_id = session_of(ivs, stage_arn)
    answer = joined(player.stop_ingest(created["streamKey"]))
    assert (answer["participant"]["state"], answer["ingestConfiguration"]["state"]) == (
        "DISCONNECTED",
        "INACTIVE",
    )
    assert get(ivs, created["arn"])["state"] == "INACTIVE"
    assert events_of(ivs, stage_arn, session_id, created["participantId"]) == [
        "JOINED",
        "PUBLISH_STARTED",
        "PUBLISH_STOPPED",
        "LEFT",
    ]


def test_the_redundant_stream_key_publishes_as_the_second_participant(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn, redundantIngest=True)
    [second] = created["redundantIngestCredentials"]
    answer = joined(player.start_ingest(second["streamKey"]))
    assert answer["participant"]["participantId"] == second["participantId"]
    assert answer["participant"]["redundantIngest"] is True
    joined(player.start_ingest(created["streamKey"]))
    listed = ivs.list_participants(stageArn=stage_arn, sessionId=session_of(ivs, stage_arn))
    assert [p["participantId"] for p in listed["participants"]] == [
        second["participantId"],
        created["participantId"],
    ]


def test_a_subscriber_can_subscribe_to_the_ingest_participant(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    token = ivs.create_participant_token(stageArn=stage_arn)["participantToken"]["token"]
    joined(player.join(token))
    assert joined(player.subscribe(token, created["participantId"]))["subscriptions"] == [
        created["participantId"]
    ]


def test_an_unknown_stream_key_is_refused_without_repeating_it(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    wrong = created["streamKey"][:-4] + "AAAA"
    for key in (wrong, "not-a-stream-key", f"rt_{ACCOUNT}_{REGION}_missingConf1_secret"):
        answer = player.start_ingest(key)
        assert (answer.status, answer.error) == (403, "invalid_stream_key"), answer.body
        assert key not in answer.body["reason"]


def test_a_stream_key_without_a_stage_is_refused(ivs: Any, player: StagePlayer) -> None:
    created = create(ivs)
    answer = player.start_ingest(created["streamKey"])
    assert (answer.status, answer.error) == (403, "stage_not_associated")
    assert "UpdateIngestConfiguration" in answer.body["reason"]


def test_a_stream_key_already_publishing_is_a_conflict(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    answer = player.start_ingest(created["streamKey"])
    assert (answer.status, answer.error) == (409, "already_publishing")


def test_stopping_a_stream_key_that_is_not_publishing_is_a_conflict(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    answer = player.stop_ingest(created["streamKey"])
    assert (answer.status, answer.error) == (409, "not_publishing")


def test_the_ingest_body_must_carry_a_stream_key(player: StagePlayer) -> None:
    answer = player.send("/_emulator/ingest/start", {"token": "x"})
    assert (answer.status, answer.error) == (400, "bad_request")


# -- deleting -----------------------------------------------------------------------------


def test_delete_while_active_is_a_conflict(ivs: Any, player: StagePlayer, stage_arn: str) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    error = client_error(ivs.delete_ingest_configuration, arn=created["arn"])
    assert (error_code(error), status(error)) == ("ConflictException", 409)
    assert "set force to true" in error_message(error)
    assert get(ivs, created["arn"])["state"] == "ACTIVE"


def test_force_delete_disconnects_the_publisher(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    session_id = session_of(ivs, stage_arn)
    ivs.delete_ingest_configuration(arn=created["arn"], force=True)
    participant = ivs.get_participant(
        stageArn=stage_arn, sessionId=session_id, participantId=created["participantId"]
    )["participant"]
    assert participant["state"] == "DISCONNECTED"
    assert events_of(ivs, stage_arn, session_id, created["participantId"])[-2:] == [
        "PUBLISH_STOPPED",
        "LEFT",
    ]
    assert player.start_ingest(created["streamKey"]).error == "invalid_stream_key"


# -- what the control plane does to a publishing configuration ----------------------------


def test_disconnect_participant_of_the_ingest_participant_clears_the_stage_arn(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    ivs.disconnect_participant(stageArn=stage_arn, participantId=created["participantId"])
    after = get(ivs, created["arn"])
    assert (after["stageArn"], after["state"]) == ("", "INACTIVE")
    assert player.start_ingest(created["streamKey"]).error == "stage_not_associated"


def test_an_ingest_configuration_publishes_again_after_being_associated_anew(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    ivs.disconnect_participant(stageArn=stage_arn, participantId=created["participantId"])
    ivs.update_ingest_configuration(arn=created["arn"], stageArn=stage_arn)
    assert joined(player.start_ingest(created["streamKey"]))["participant"]["state"] == "CONNECTED"


def test_disconnecting_another_participant_leaves_the_configuration_alone(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    issued = ivs.create_participant_token(stageArn=stage_arn)["participantToken"]
    joined(player.join(issued["token"]))
    ivs.disconnect_participant(stageArn=stage_arn, participantId=issued["participantId"])
    assert (get(ivs, created["arn"])["stageArn"], get(ivs, created["arn"])["state"]) == (
        stage_arn,
        "ACTIVE",
    )


def test_delete_stage_clears_the_stage_arn_of_a_publishing_configuration(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    joined(player.start_ingest(created["streamKey"]))
    ivs.delete_stage(arn=stage_arn)
    after = get(ivs, created["arn"])
    assert (after["stageArn"], after["state"]) == ("", "INACTIVE")


def test_delete_stage_keeps_the_stage_arn_of_a_configuration_not_publishing(
    ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = create(ivs, stageArn=stage_arn)
    ivs.delete_stage(arn=stage_arn)
    assert get(ivs, created["arn"])["stageArn"] == stage_arn
    assert player.start_ingest(created["streamKey"]).error == "stage_not_found"


# -- tags and shapes ----------------------------------------------------------------------


def test_ingest_configurations_take_tags(ivs: Any) -> None:
    created = create(ivs, tags={"team": "a"})
    arn = created["arn"]
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a"}
    ivs.tag_resource(resourceArn=arn, tags={"env": "dev"})
    ivs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert get(ivs, arn)["tags"] == {"env": "dev"}


def test_every_answer_conforms_to_its_output_shape(
    client: FlaskClient, ivs: Any, player: StagePlayer, stage_arn: str
) -> None:
    created = raw(
        client,
        "CreateIngestConfiguration",
        ingestProtocol="RTMPS",
        stageArn=stage_arn,
        redundantIngest=True,
        attributes={"a": "b"},
    )
    assert_conforms("CreateIngestConfigurationResponse", created)
    config = created["ingestConfiguration"]
    joined(player.start_ingest(config["streamKey"]))
    where = {"stageArn": stage_arn, "sessionId": session_of(ivs, stage_arn)}
    who = {**where, "participantId": config["participantId"]}
    for operation, body in [
        ("GetIngestConfiguration", {"arn": config["arn"]}),
        ("ListIngestConfigurations", {}),
        ("GetParticipant", who),
        ("ListParticipants", where),
        ("ListParticipantEvents", who),
    ]:
        assert_conforms(f"{operation}Response", raw(client, operation, **body))
    joined(player.stop_ingest(config["streamKey"]))
    updated = raw(client, "UpdateIngestConfiguration", arn=config["arn"], stageArn="")
    assert_conforms("UpdateIngestConfigurationResponse", updated)
