"""The stage's EventBridge events as GET /_emulator/events lists them: derived from every write
and from the passing of time, in the service's envelope (emulator/events/, docs/events.md,
choices C60 to C65 in contract/README.md)."""

from __future__ import annotations

import re
import uuid

import pytest
from event_helpers import (
    COMPOSITION,
    RECORDING,
    STAGE_UPDATE,
    act,
    call,
    events,
    names,
    new_stage,
    start_composition,
    token,
)
from flask import Flask
from flask.testing import FlaskClient

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from emulator.controls.ids import IdGenerator
from emulator.http.app import emulator_of
from emulator.service.transactions import Commit

ENVELOPE_KEYS = ["version", "id", "detail-type", "source", "account", "time", "region",
                 "resources", "detail"]

# -- a whole session -----------------------------------------------------------------------------


def test_a_scripted_session_lists_every_event_in_order(
    client: FlaskClient, clock: FixedClock
) -> None:
    stage, other = new_stage(client), new_stage(client)
    alice = token(client, stage, userId="alice")
    act(client, "join", alice["token"])
    act(client, "publish", alice["token"])
    composition = start_composition(client, stage)
    clock.advance(2)
    replication = {"sourceStageArn": stage, "destinationStageArn": other,
                   "participantId": alice["participantId"]}
    call(client, "StartParticipantReplication", replication)
    call(client, "StopParticipantReplication", replication)
    act(client, "unpublish", alice["token"])
    call(client, "StopComposition", {"arn": composition["arn"]})
    clock.advance(2)
    act(client, "leave", alice["token"])

    listed = events(client)
    assert names(listed) == [
        (STAGE_UPDATE, "Participant Published"),
        (COMPOSITION, "Session Start"),
        (COMPOSITION, "Destination Start"),
        (STAGE_UPDATE, "Participant Replication Started"),
        (STAGE_UPDATE, "Participant Published"),  # the replica, on the other stage
        (STAGE_UPDATE, "Participant Replication Stopped"),
        (STAGE_UPDATE, "Participant Unpublished"),  # the replica leaves the other stage
        (STAGE_UPDATE, "Participant Unpublished"),
        (COMPOSITION, "Destination End"),
        (COMPOSITION, "Session End"),
    ]
    assert [e["resources"] for e in listed] == [
        [stage], [composition["arn"]], [composition["arn"]], [stage], [other], [stage],
        [other], [stage], [composition["arn"]], [composition["arn"]],
    ]
    assert [e["time"][-4:] for e in listed] == [
        ":05Z", ":06Z", ":06Z", ":07Z", ":07Z", ":07Z", ":07Z", ":07Z", ":07Z", ":08Z",
    ]


def test_every_event_has_the_documented_envelope(client: FlaskClient) -> None:
    stage = new_stage(client)
    alice = token(client, stage)
    act(client, "join", alice["token"])
    act(client, "publish", alice["token"])
    (event,) = events(client)
    assert list(event) == ENVELOPE_KEYS
    assert (event["version"], event["source"], event["account"], event["region"]) == (
        "0", "aws.ivs", "123456789012", "us-east-1"
    )
    assert str(uuid.UUID(event["id"])) == event["id"]
    assert event["time"] == "2026-01-02T03:04:05Z"
    assert event["resources"] == [stage]


def test_a_stage_update_names_the_session_user_and_participant(client: FlaskClient) -> None:
    stage = new_stage(client)
    alice = token(client, stage, userId="alice")
    session = act(client, "join", alice["token"])["session"]
    act(client, "publish", alice["token"])
    (event,) = events(client)
    assert event["detail"] == {
        "session_id": session["sessionId"],
        "event_name": "Participant Published",
        "user_id": "alice",
        "participant_id": alice["participantId"],
        "event_time": "2026-01-02T03:04:05Z",
    }


def test_a_participant_without_a_user_id_has_an_empty_one(client: FlaskClient) -> None:
    stage = new_stage(client)
    anonymous = token(client, stage)
    act(client, "join", anonymous["token"])
    act(client, "publish", anonymous["token"])
    assert events(client)[0]["detail"]["user_id"] == ""


def test_a_publish_error_says_its_error_code(client: FlaskClient) -> None:
    stage = new_stage(client)
    viewer = token(client, stage, capabilities=["SUBSCRIBE"])
    act(client, "join", viewer["token"])
    act(client, "publish", viewer["token"], status=403)
    (event,) = events(client)
    assert event["detail"]["event_name"] == "Participant Publish Error"
    assert event["detail"]["error_code"] == "INSUFFICIENT_CAPABILITIES"


def test_replication_events_name_the_destination_stage_and_session(
    client: FlaskClient,
) -> None:
    stage, other = new_stage(client), new_stage(client)
    alice = token(client, stage)
    act(client, "join", alice["token"])
    call(client, "StartParticipantReplication", {
        "sourceStageArn": stage, "destinationStageArn": other,
        "participantId": alice["participantId"]})
    (event,) = events(client)
    destination_session = call(client, "GetStage", {"arn": other})["stage"]["activeSessionId"]
    assert event["detail"]["event_name"] == "Participant Replication Started"
    assert event["detail"]["destination_stage_arn"] == other
    assert event["detail"]["destination_session_id"] == destination_session


def test_joins_leaves_and_subscriptions_send_no_event(client: FlaskClient) -> None:
    stage = new_stage(client)
    alice, bob = token(client, stage), token(client, stage)
    act(client, "join", alice["token"])
    act(client, "join", bob["token"])
    act(client, "publish", alice["token"])
    client.post("/_emulator/stage/subscribe",
                json={"token": bob["token"], "publisherId": alice["participantId"]})
    act(client, "leave", bob["token"])
    act(client, "leave", alice["token"])
    assert names(events(client)) == [
        (STAGE_UPDATE, "Participant Published"), (STAGE_UPDATE, "Participant Unpublished"),
    ]


# -- compositions: their state follows from the clock ---------------------------------------


def test_a_composition_becomes_active_without_any_write(
    client: FlaskClient, clock: FixedClock
) -> None:
    stage = new_stage(client)
    composition = start_composition(client, stage)
    assert events(client) == []
    clock.advance(1)
    listed = events(client)
    destination = composition["destinations"][0]["id"]
    assert [e["detail"] for e in listed] == [
        {"event_name": "Session Start", "stage_arn": stage},
        {"event_name": "Destination Start", "stage_arn": stage, "id": destination},
    ]
    assert listed[0]["resources"] == [composition["arn"]]


def test_an_idle_composition_ends_by_itself(client: FlaskClient, clock: FixedClock) -> None:
    start_composition(client, new_stage(client))
    clock.advance(62)
    listed = events(client)
    assert names(listed) == [
        (COMPOSITION, "Session Start"), (COMPOSITION, "Destination Start"),
        (COMPOSITION, "Destination End"), (COMPOSITION, "Session End"),
    ]
    assert [e["time"] for e in listed][2:] == ["2026-01-02T03:05:05Z", "2026-01-02T03:05:06Z"]


def test_a_composition_stopped_while_starting_sends_only_its_end(
    client: FlaskClient, clock: FixedClock
) -> None:
    composition = start_composition(client, new_stage(client))
    call(client, "StopComposition", {"arn": composition["arn"]})
    clock.advance(5)
    assert names(events(client)) == [(COMPOSITION, "Session End")]


def test_deleting_the_stage_ends_its_compositions(client: FlaskClient, clock: FixedClock) -> None:
    stage = new_stage(client)
    start_composition(client, stage)
    clock.advance(1)
    call(client, "DeleteStage", {"arn": stage})
    clock.advance(1)
    assert names(events(client))[-2:] == [
        (COMPOSITION, "Destination End"), (COMPOSITION, "Session End"),
    ]


def test_each_composition_event_is_sent_once(client: FlaskClient, clock: FixedClock) -> None:
    start_composition(client, new_stage(client))
    for _ in range(4):
        clock.advance(30)
        events(client)
        new_stage(client)  # a write in between
    assert len(events(client)) == 4


# -- participant recording -------------------------------------------------------------------


def recorded_stage(client: FlaskClient, window: int = 0) -> str:
    storage = call(client, "CreateStorageConfiguration", {"s3": {"bucketName": "recordings"}})
    return new_stage(client, autoParticipantRecordingConfiguration={
        "storageConfigurationArn": storage["storageConfiguration"]["arn"],
        "recordingReconnectWindowSeconds": window})


def test_a_recorded_participant_sends_recording_start_and_end(
    client: FlaskClient, clock: FixedClock
) -> None:
    stage = recorded_stage(client)
    alice = token(client, stage)
    session = act(client, "join", alice["token"])["session"]["sessionId"]
    act(client, "publish", alice["token"])
    clock.advance(3)
    act(client, "unpublish", alice["token"])
    recording = events(client, detailType=RECORDING)
    stage_id, participant = stage.rsplit("/", 1)[1], alice["participantId"]
    prefix = f"{stage_id}/{session}/{participant}/2026-01-02T03-04-05Z"
    assert [e["detail"] for e in recording] == [
        {"session_id": session, "event_name": name, "participant_id": participant,
         "recording_s3_bucket_name": "recordings", "recording_s3_key_prefix": prefix}
        for name in ("Recording Start", "Recording End")
    ]
    assert [e["time"] for e in recording] == ["2026-01-02T03:04:05Z", "2026-01-02T03:04:08Z"]
    assert recording[0]["resources"] == [stage]


def test_publishing_again_within_the_reconnect_window_continues_the_recording(
    client: FlaskClient, clock: FixedClock
) -> None:
    alice = token(client, recorded_stage(client, window=10))
    act(client, "join", alice["token"])
    act(client, "publish", alice["token"])
    act(client, "unpublish", alice["token"])
    clock.advance(5)
    act(client, "publish", alice["token"])
    act(client, "unpublish", alice["token"])
    assert [e["detail"]["event_name"] for e in events(client, detailType=RECORDING)] == [
        "Recording Start"
    ]
    clock.advance(10)  # the window passes without a write
    assert [e["detail"]["event_name"] for e in events(client, detailType=RECORDING)] == [
        "Recording Start", "Recording End"
    ]


def test_a_stage_without_recording_sends_no_recording_event(client: FlaskClient) -> None:
    alice = token(client, new_stage(client))
    act(client, "join", alice["token"])
    act(client, "publish", alice["token"])
    assert events(client, detailType=RECORDING) == []


# -- ids -----------------------------------------------------------------------------------------


def test_event_ids_repeat_with_the_seed_and_leave_resource_ids_as_they_were() -> None:
    with_events, without, again = IdGenerator(7), IdGenerator(7), IdGenerator(7)
    drawn = [with_events.event_id() for _ in range(3)]
    assert [again.event_id() for _ in range(3)] == drawn
    assert with_events.resource_id() == without.resource_id()
    assert len(set(drawn)) == 3


def test_event_ids_are_never_among_a_commits_drawn_ids() -> None:
    app = create_app(Config(seed=5))
    client = app.test_client()
    commits: list[Commit] = []
    emulator_of(app).backend.observers.append(commits.append)
    alice = token(client, new_stage(client))
    act(client, "join", alice["token"])
    act(client, "publish", alice["token"])
    (event,) = events(client)
    assert all(event["id"] not in commit.drawn for commit in commits)
    assert commits[-1].drawn == ()


# -- the view ------------------------------------------------------------------------------------


@pytest.fixture
def two_stages(client: FlaskClient, clock: FixedClock) -> tuple[str, str]:
    first, second = new_stage(client), new_stage(client)
    for stage in (first, second):
        alice = token(client, stage)
        act(client, "join", alice["token"])
        act(client, "publish", alice["token"])
        clock.advance(10)
        act(client, "unpublish", alice["token"])
    return first, second


def test_events_filter_by_detail_type_name_resource_and_time(
    client: FlaskClient, two_stages: tuple[str, str]
) -> None:
    first, second = two_stages
    assert len(events(client, detailType=STAGE_UPDATE)) == 4
    assert events(client, detailType=COMPOSITION) == []
    assert len(events(client, eventName="Participant Unpublished")) == 2
    assert {e["resources"][0] for e in events(client, resource=second)} == {second}
    assert len(events(client, since="2026-01-02T03:04:15Z")) == 3
    assert len(events(client, resource=first, eventName="Participant Published")) == 1
    assert events(client, limit="2") == events(client)[-2:]
    assert events(client, limit="0") == []


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"since": "yesterday"}, "'since': expected an ISO 8601"),
        ({"kind": "x"}, "unknown filter"),
        ({"limit": "-1"}, "'limit' must be a whole number"),
    ],
)
def test_a_bad_filter_is_refused_with_400(
    client: FlaskClient, query: dict[str, str], words: str
) -> None:
    answer = client.get("/_emulator/events", query_string=query)
    assert answer.status_code == 400
    assert words in answer.get_json()["message"]


def test_delete_empties_the_list(client: FlaskClient, two_stages: tuple[str, str]) -> None:
    assert client.delete("/_emulator/events").get_json() == {"cleared": True}
    assert events(client) == []


def test_reset_empties_the_list_and_forgets_compositions(
    client: FlaskClient, clock: FixedClock
) -> None:
    alice = token(client, new_stage(client))
    act(client, "join", alice["token"])
    act(client, "publish", alice["token"])
    start_composition(client, new_stage(client))
    client.post("/_emulator/reset")
    clock.advance(5)
    assert events(client) == []


def test_the_list_keeps_the_newest_events_size(clock: FixedClock) -> None:
    app: Flask = create_app(Config(events_size=2), clock=clock)
    client = app.test_client()
    alice = token(client, new_stage(client))
    act(client, "join", alice["token"])
    for action in ("publish", "unpublish", "publish"):
        act(client, action, alice["token"])
    body = client.get("/_emulator/events").get_json()
    assert (body["size"], body["total"]) == (2, 3)
    assert names(body["events"]) == [
        (STAGE_UPDATE, "Participant Unpublished"), (STAGE_UPDATE, "Participant Published"),
    ]


def test_times_are_whole_seconds_in_utc(client: FlaskClient) -> None:
    alice = token(client, new_stage(client))
    act(client, "join", alice["token"])
    act(client, "publish", alice["token"])
    (event,) = events(client)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
