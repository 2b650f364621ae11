"""Stage sessions and participants from the control plane: GetStageSession, ListStageSessions,
GetParticipant, ListParticipants (its filters), ListParticipantEvents, DisconnectParticipant,
and what DeleteStage does to a session.

People join and act through the stage client endpoints (tests/stage_player.py); boto3 reads
the result from the same live server. Raw JSON (for the output-shape checks) comes from the
Flask test client of the same app.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator import Config
from emulator.controls.clock import FixedClock
from emulator.http.app import emulator_of
from tests.conftest import START
from tests.helpers import AUTH, client_error, error_code, error_message, raw, status
from tests.output_shape import assert_conforms
from tests.stage_player import StagePlayer, joined

ONE_FILTER_ONLY = (
    "Only one of filterByUserId, filterByPublished, filterByState, or filterByRecordingState "
    "can be provided per request."
)
MISSING_SESSION = "st-0000000000000"


@pytest.fixture
def stage(ivs: Any) -> dict[str, Any]:
    return dict(ivs.create_stage(name="session-stage")["stage"])


class Crowd:
    """Issues tokens for one stage and plays its participants."""

    def __init__(self, ivs: Any, player: StagePlayer, stage: dict[str, Any]) -> None:
        self.ivs, self.player, self.stage = ivs, player, stage
        self.tokens: dict[str, str] = {}

    def join(self, **request: Any) -> str:
        """A new participant joins; its participant id."""
        issued = self.ivs.create_participant_token(stageArn=self.stage["arn"], **request)
        participant_id = str(issued["participantToken"]["participantId"])
        self.tokens[participant_id] = issued["participantToken"]["token"]
        joined(self.player.join(self.tokens[participant_id]))
        return participant_id

    def act(self, action: str, participant_id: str) -> dict[str, Any]:
        return joined(getattr(self.player, action)(self.tokens[participant_id]))

    def session_id(self) -> str:
        return str(self.ivs.get_stage(arn=self.stage["arn"])["stage"]["activeSessionId"])


@pytest.fixture
def crowd(ivs: Any, player: StagePlayer, stage: dict[str, Any]) -> Crowd:
    return Crowd(ivs, player, stage)


# -- sessions -----------------------------------------------------------------------------


def test_a_stage_has_no_session_until_someone_joins(ivs: Any, stage: dict[str, Any]) -> None:
    assert "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"]
    assert ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"] == []


def test_the_first_join_starts_a_session_that_get_stage_and_list_stages_show(
    ivs: Any, crowd: Crowd, stage: dict[str, Any]
) -> None:
    crowd.join()
    session_id = crowd.session_id()
    assert re.fullmatch(r"st-[A-Za-z0-9]{13}", session_id)
    summaries = ivs.list_stages()["stages"]
    assert [s.get("activeSessionId") for s in summaries if s["arn"] == stage["arn"]] == [session_id]
    session = ivs.get_stage_session(stageArn=stage["arn"], sessionId=session_id)["stageSession"]
    assert (session["sessionId"], session["startTime"], "endTime" in session) == (
        session_id,
        START,
        False,
    )


def test_a_second_join_joins_the_same_session(crowd: Crowd) -> None:
    crowd.join()
    first = crowd.session_id()
    crowd.join()
    assert crowd.session_id() == first


def test_the_session_ends_when_the_last_participant_leaves(
    ivs: Any, crowd: Crowd, stage: dict[str, Any], clock: FixedClock
) -> None:
    one, two = crowd.join(), crowd.join()
    session_id = crowd.session_id()
    clock.advance(60)
    crowd.act("leave", one)
    assert crowd.session_id() == session_id
    clock.advance(60)
    crowd.act("leave", two)
    assert "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"]
    assert "activeSessionId" not in ivs.list_stages()["stages"][0]
    session = ivs.get_stage_session(stageArn=stage["arn"], sessionId=session_id)["stageSession"]
    assert (session["startTime"], session["endTime"]) == (
        START,
        START.replace(minute=START.minute + 2),
    )


def test_a_join_after_the_session_ended_starts_a_new_one_listed_first(
    ivs: Any, crowd: Crowd, stage: dict[str, Any], clock: FixedClock
) -> None:
    first = crowd.join()
    old = crowd.session_id()
    crowd.act("leave", first)
    clock.advance(10)
    crowd.join()
    new = crowd.session_id()
    assert new != old
    listed = ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"]
    assert [s["sessionId"] for s in listed] == [new, old]
    assert ["endTime" in s for s in listed] == [False, True]


def test_a_participant_of_an_ended_session_is_a_new_participant_in_the_next(
    ivs: Any, crowd: Crowd, stage: dict[str, Any]
) -> None:
    alone = crowd.join()
    old = crowd.session_id()
    crowd.act("publish", alone)
    crowd.act("leave", alone)
    joined(crowd.player.join(crowd.tokens[alone]))
    new = crowd.session_id()
    fresh = ivs.get_participant(stageArn=stage["arn"], sessionId=new, participantId=alone)
    assert fresh["participant"]["published"] is False
    events = ivs.list_participant_events(stageArn=stage["arn"], sessionId=new, participantId=alone)
    assert [e["name"] for e in events["events"]] == ["JOINED"]
    before = ivs.get_participant(stageArn=stage["arn"], sessionId=old, participantId=alone)
    assert before["participant"]["state"] == "DISCONNECTED"


# -- participants and their filters -------------------------------------------------------


@pytest.fixture
def gathering(crowd: Crowd) -> dict[str, str]:
    """Four participants: alice publishing, bob subscribed and connected, carol gone, and one
    without a user id who published and stopped."""
    people = {
        "alice": crowd.join(userId="alice"),
        "bob": crowd.join(userId="bob"),
        "carol": crowd.join(userId="carol"),
        "anonymous": crowd.join(),
    }
    crowd.act("publish", people["alice"])
    joined(crowd.player.subscribe(crowd.tokens[people["bob"]], people["alice"]))
    crowd.act("leave", people["carol"])
    crowd.act("publish", people["anonymous"])
    crowd.act("unpublish", people["anonymous"])
    return people


def listed_ids(ivs: Any, crowd: Crowd, **filters: Any) -> list[str]:
    answer = ivs.list_participants(
        stageArn=crowd.stage["arn"], sessionId=crowd.session_id(), **filters
    )
    return [p["participantId"] for p in answer["participants"]]


def test_list_participants_lists_everyone_of_the_session_in_join_order(
    ivs: Any, crowd: Crowd, gathering: dict[str, str]
) -> None:
    assert listed_ids(ivs, crowd) == list(gathering.values())


def test_participants_without_a_user_id_show_an_empty_one(
    ivs: Any, crowd: Crowd, gathering: dict[str, str]
) -> None:
    answer = ivs.get_participant(
        stageArn=crowd.stage["arn"],
        sessionId=crowd.session_id(),
        participantId=gathering["anonymous"],
    )["participant"]
    assert (answer["userId"], answer["attributes"]) == ("", {})


def test_filter_by_user_id(ivs: Any, crowd: Crowd, gathering: dict[str, str]) -> None:
    assert listed_ids(ivs, crowd, filterByUserId="bob") == [gathering["bob"]]
    assert listed_ids(ivs, crowd, filterByUserId="") == [gathering["anonymous"]]
    assert listed_ids(ivs, crowd, filterByUserId="nobody") == []


def test_filter_by_published(ivs: Any, crowd: Crowd, gathering: dict[str, str]) -> None:
    assert listed_ids(ivs, crowd, filterByPublished=True) == [
        gathering["alice"],
        gathering["anonymous"],
    ]
    assert listed_ids(ivs, crowd, filterByPublished=False) == [gathering["bob"], gathering["carol"]]


def test_filter_by_state(ivs: Any, crowd: Crowd, gathering: dict[str, str]) -> None:
    assert listed_ids(ivs, crowd, filterByState="DISCONNECTED") == [gathering["carol"]]
    assert listed_ids(ivs, crowd, filterByState="CONNECTED") == [
        gathering["alice"],
        gathering["bob"],
        gathering["anonymous"],
    ]


def test_without_a_storage_configuration_recording_is_disabled_and_matches_no_filter(
    ivs: Any, crowd: Crowd, gathering: dict[str, str]
) -> None:
    states = ivs.list_participants(stageArn=crowd.stage["arn"], sessionId=crowd.session_id())
    assert {p["recordingState"] for p in states["participants"]} == {"DISABLED"}
    for state in ("STARTING", "ACTIVE", "STOPPING", "STOPPED", "FAILED"):
        assert listed_ids(ivs, crowd, filterByRecordingState=state) == []


def test_with_a_storage_configuration_publishers_record_and_filter_by_recording_state(
    ivs: Any, player: StagePlayer
) -> None:
    storage = ivs.create_storage_configuration(s3={"bucketName": "recordings"})
    recording = {"storageConfigurationArn": storage["storageConfiguration"]["arn"]}
    stage = dict(ivs.create_stage(autoParticipantRecordingConfiguration=recording)["stage"])
    crowd = Crowd(ivs, player, stage)
    speaker, listener = crowd.join(), crowd.join()
    crowd.act("publish", speaker)
    assert listed_ids(ivs, crowd, filterByRecordingState="ACTIVE") == [speaker]
    assert listed_ids(ivs, crowd, filterByRecordingState="STOPPED") == [listener]
    crowd.act("unpublish", speaker)
    assert listed_ids(ivs, crowd, filterByRecordingState="STOPPED") == [speaker, listener]


@pytest.mark.parametrize(
    "filters",
    [
        {"filterByUserId": "a", "filterByPublished": True},
        {"filterByState": "CONNECTED", "filterByRecordingState": "ACTIVE"},
        {"filterByPublished": False, "filterByState": "DISCONNECTED"},
        {
            "filterByUserId": "",
            "filterByPublished": True,
            "filterByState": "CONNECTED",
            "filterByRecordingState": "FAILED",
        },
    ],
)
def test_more_than_one_filter_is_a_validation_exception(
    ivs: Any, crowd: Crowd, filters: dict[str, Any]
) -> None:
    crowd.join()
    error = client_error(
        ivs.list_participants, stageArn=crowd.stage["arn"], sessionId=crowd.session_id(), **filters
    )
    assert (error_code(error), status(error), error_message(error)) == (
        "ValidationException",
        400,
        ONE_FILTER_ONLY,
    )


def test_the_one_filter_rule_comes_before_not_found(ivs: Any, stage: dict[str, Any]) -> None:
    error = client_error(
        ivs.list_participants,
        stageArn=stage["arn"],
        sessionId=MISSING_SESSION,
        filterByUserId="a",
        filterByState="CONNECTED",
    )
    assert error_code(error) == "ValidationException"


# -- paging -------------------------------------------------------------------------------


def test_participants_page_in_join_order(ivs: Any, crowd: Crowd) -> None:
    everyone = [crowd.join() for _ in range(5)]
    seen: list[str] = []
    request: dict[str, Any] = {
        "stageArn": crowd.stage["arn"],
        "sessionId": crowd.session_id(),
        "maxResults": 2,
    }
    pages = 0
    while True:
        answer = ivs.list_participants(**request)
        seen += [p["participantId"] for p in answer["participants"]]
        pages += 1
        if "nextToken" not in answer:
            break
        request["nextToken"] = answer["nextToken"]
    assert (seen, pages) == (everyone, 3)


def test_a_participants_token_is_bound_to_its_filter(ivs: Any, crowd: Crowd) -> None:
    for _ in range(3):
        crowd.join()
    base = {"stageArn": crowd.stage["arn"], "sessionId": crowd.session_id(), "maxResults": 1}
    token = ivs.list_participants(**base, filterByState="CONNECTED")["nextToken"]
    error = client_error(ivs.list_participants, **base, nextToken=token)
    assert error_code(error) == "ValidationException"
    assert "nextToken" in error_message(error)


def test_events_are_listed_newest_first_across_pages_50_to_a_page_by_default(
    ivs: Any, crowd: Crowd, clock: FixedClock
) -> None:
    busy = crowd.join()
    for _ in range(26):
        clock.advance(1)
        crowd.act("publish", busy)
        crowd.act("unpublish", busy)
    request: dict[str, Any] = {
        "stageArn": crowd.stage["arn"],
        "sessionId": crowd.session_id(),
        "participantId": busy,
    }
    first = ivs.list_participant_events(**request)
    assert len(first["events"]) == 50
    rest = ivs.list_participant_events(**request, nextToken=first["nextToken"])
    listed = first["events"] + rest["events"]
    assert "nextToken" not in rest
    assert len(listed) == 53
    assert [e["name"] for e in listed[:3]] == [
        "PUBLISH_STOPPED",
        "PUBLISH_STARTED",
        "PUBLISH_STOPPED",
    ]
    assert listed[-1]["name"] == "JOINED"
    times = [e["eventTime"] for e in listed]
    assert times == sorted(times, reverse=True)


def test_events_recorded_after_a_page_do_not_shift_the_next_pages(ivs: Any, crowd: Crowd) -> None:
    busy = crowd.join()
    crowd.act("publish", busy)
    crowd.act("unpublish", busy)
    request = {
        "stageArn": crowd.stage["arn"],
        "sessionId": crowd.session_id(),
        "participantId": busy,
        "maxResults": 2,
    }
    first = ivs.list_participant_events(**request)
    crowd.act("publish", busy)
    rest = ivs.list_participant_events(**request, nextToken=first["nextToken"])
    assert [e["name"] for e in first["events"] + rest["events"]] == [
        "PUBLISH_STOPPED",
        "PUBLISH_STARTED",
        "JOINED",
    ]


def test_sessions_page_newest_first(ivs: Any, crowd: Crowd, clock: FixedClock) -> None:
    started = []
    for _ in range(3):
        someone = crowd.join()
        started.append(crowd.session_id())
        crowd.act("leave", someone)
        clock.advance(60)
    request: dict[str, Any] = {"stageArn": crowd.stage["arn"], "maxResults": 2}
    first = ivs.list_stage_sessions(**request)
    rest = ivs.list_stage_sessions(**request, nextToken=first["nextToken"])
    listed = [s["sessionId"] for s in first["stageSessions"] + rest["stageSessions"]]
    assert listed == list(reversed(started))


# -- output shapes ------------------------------------------------------------------------


def test_every_answer_conforms_to_its_output_shape(
    client: FlaskClient, crowd: Crowd, gathering: dict[str, str]
) -> None:
    where = {"stageArn": crowd.stage["arn"], "sessionId": crowd.session_id()}
    bob = {**where, "participantId": gathering["bob"]}
    for operation, body in [
        ("GetStageSession", where),
        ("ListStageSessions", {"stageArn": crowd.stage["arn"]}),
        ("GetParticipant", bob),
        ("ListParticipants", where),
        ("ListParticipantEvents", bob),
    ]:
        assert_conforms(f"{operation}Response", raw(client, operation, **body))


def test_subscribe_events_carry_the_publisher_and_no_error_code(
    client: FlaskClient, crowd: Crowd, gathering: dict[str, str]
) -> None:
    where = {"stageArn": crowd.stage["arn"], "sessionId": crowd.session_id()}
    listed = raw(client, "ListParticipantEvents", **where, participantId=gathering["bob"])
    assert listed["events"][0] == {
        "name": "SUBSCRIBE_STARTED",
        "participantId": gathering["bob"],
        "eventTime": "2026-01-02T03:04:05Z",
        "remoteParticipantId": gathering["alice"],
    }


# -- not found ----------------------------------------------------------------------------


def test_get_of_an_unknown_stage_session_or_participant_is_resource_not_found(
    ivs: Any, crowd: Crowd
) -> None:
    present = crowd.join()
    arn, session_id = crowd.stage["arn"], crowd.session_id()
    missing_stage = arn.rsplit("/", 1)[0] + "/missingStage"
    calls: list[tuple[Any, dict[str, Any]]] = [
        (ivs.get_stage_session, {"stageArn": missing_stage, "sessionId": session_id}),
        (ivs.get_stage_session, {"stageArn": arn, "sessionId": MISSING_SESSION}),
        (ivs.get_participant, {"stageArn": arn, "sessionId": session_id, "participantId": "x"}),
        (
            ivs.get_participant,
            {"stageArn": arn, "sessionId": MISSING_SESSION, "participantId": present},
        ),
        (ivs.disconnect_participant, {"stageArn": missing_stage, "participantId": present}),
        (ivs.disconnect_participant, {"stageArn": arn, "participantId": "neverJoined"}),
    ]
    for call, request in calls:
        error = client_error(call, **request)
        assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404), request


def unknown_listings(crowd: Crowd) -> list[tuple[str, str, dict[str, Any]]]:
    """(operation, list key, request) naming a stage, session or participant that the
    caller's account and region do not have."""
    present = crowd.join()
    arn, session_id = crowd.stage["arn"], crowd.session_id()
    missing_stage = arn.rsplit("/", 1)[0] + "/missingStage"
    other_account = arn.replace(":123456789012:", ":210987654321:")
    return [
        ("ListStageSessions", "stageSessions", {"stageArn": missing_stage}),
        ("ListStageSessions", "stageSessions", {"stageArn": other_account}),
        ("ListParticipants", "participants", {"stageArn": missing_stage, "sessionId": session_id}),
        ("ListParticipants", "participants", {"stageArn": arn, "sessionId": MISSING_SESSION}),
        (
            "ListParticipantEvents",
            "events",
            {"stageArn": arn, "sessionId": MISSING_SESSION, "participantId": present},
        ),
        (
            "ListParticipantEvents",
            "events",
            {"stageArn": arn, "sessionId": session_id, "participantId": "neverJoined"},
        ),
    ]


def test_lists_of_an_unknown_stage_session_or_participant_are_empty(
    client: FlaskClient, crowd: Crowd
) -> None:
    for operation, key, request in unknown_listings(crowd):
        assert raw(client, operation, **request) == {key: []}, (operation, request)


def test_lists_of_a_deleted_stage_are_empty(
    ivs: Any, client: FlaskClient, crowd: Crowd
) -> None:
    present = crowd.join()
    where = {"stageArn": crowd.stage["arn"], "sessionId": crowd.session_id()}
    ivs.delete_stage(arn=crowd.stage["arn"])
    assert raw(client, "ListStageSessions", stageArn=crowd.stage["arn"]) == {"stageSessions": []}
    assert raw(client, "ListParticipants", **where) == {"participants": []}
    assert raw(client, "ListParticipantEvents", **where, participantId=present) == {"events": []}


def test_lists_of_an_unknown_stage_still_validate_their_input(
    ivs: Any, stage: dict[str, Any]
) -> None:
    missing_stage = stage["arn"].rsplit("/", 1)[0] + "/missingStage"
    calls: list[tuple[Any, dict[str, Any]]] = [
        (ivs.list_stage_sessions, {"stageArn": "not-an-arn"}),
        (ivs.list_stage_sessions, {"stageArn": missing_stage, "nextToken": "bogus"}),
        (ivs.list_participants, {"stageArn": missing_stage, "sessionId": "st-not a session"}),
    ]
    for call, request in calls:
        error = client_error(call, **request)
        assert (error_code(error), status(error)) == ("ValidationException", 400), request


@pytest.mark.parametrize("config", [Config(lists_not_found=True)], ids=["lists-not-found"])
def test_with_lists_not_found_unknown_listings_are_resource_not_found(
    client: FlaskClient, crowd: Crowd
) -> None:
    for operation, _, request in unknown_listings(crowd):
        answer = client.post(f"/{operation}", json=request, headers={"Authorization": AUTH})
        assert (answer.status_code, answer.headers["x-amzn-ErrorType"]) == (
            404,
            "ResourceNotFoundException",
        ), (operation, request)


def test_a_session_of_another_stage_is_not_found(ivs: Any, crowd: Crowd) -> None:
    crowd.join()
    other = ivs.create_stage()["stage"]["arn"]
    error = client_error(ivs.get_stage_session, stageArn=other, sessionId=crowd.session_id())
    assert error_code(error) == "ResourceNotFoundException"


# -- removing people ----------------------------------------------------------------------


def test_disconnecting_a_participant_that_already_left_is_accepted_and_bars_it(
    ivs: Any, crowd: Crowd
) -> None:
    gone = crowd.join()
    crowd.act("leave", gone)
    ivs.disconnect_participant(stageArn=crowd.stage["arn"], participantId=gone)
    assert crowd.player.join(crowd.tokens[gone]).error == "participant_disconnected"


def test_disconnecting_a_subscribed_publisher_stops_its_subscribers(
    ivs: Any, crowd: Crowd, gathering: dict[str, str]
) -> None:
    session_id = crowd.session_id()
    ivs.disconnect_participant(stageArn=crowd.stage["arn"], participantId=gathering["alice"])
    bob = ivs.list_participant_events(
        stageArn=crowd.stage["arn"], sessionId=session_id, participantId=gathering["bob"]
    )["events"]
    assert (bob[0]["name"], bob[0]["remoteParticipantId"]) == (
        "SUBSCRIBE_STOPPED",
        gathering["alice"],
    )


def test_delete_stage_disconnects_everyone_and_ends_the_session(
    ivs: Any, app: Flask, crowd: Crowd, gathering: dict[str, str], clock: FixedClock
) -> None:
    arn, session_id = crowd.stage["arn"], crowd.session_id()
    record = emulator_of(app).backend.store.region("123456789012", "us-east-1").stages[arn]
    clock.advance(5)
    ivs.delete_stage(arn=arn)

    session = record.sessions[session_id]
    assert session.end_time == clock.now()
    assert {p.state for p in session.participants.values()} == {"DISCONNECTED"}
    assert {p.events[-1].name for p in session.participants.values()} == {"LEFT"}
    alice = session.participants[gathering["alice"]]
    assert [e.name for e in alice.events[-2:]] == ["PUBLISH_STOPPED", "LEFT"]
    error = client_error(ivs.get_stage_session, stageArn=arn, sessionId=session_id)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
