"""Playing a stage client through /_emulator/stage/: who may join, and what each action leaves.

The control plane is driven with boto3 against the live server, the client endpoints with
urllib against the same server; times come from the FixedClock the app was built with.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.controls.clock import FixedClock
from tests.conftest import START
from tests.helpers import client_error, error_code
from tests.output_shape import assert_conforms
from tests.stage_player import StagePlayer, joined, public_pem, self_signed_token

NOW = int(START.timestamp())


@pytest.fixture
def stage(ivs: Any) -> dict[str, Any]:
    return dict(ivs.create_stage(name="client-stage")["stage"])


def issue(ivs: Any, stage: dict[str, Any], **request: Any) -> dict[str, Any]:
    return dict(ivs.create_participant_token(stageArn=stage["arn"], **request)["participantToken"])


def events(ivs: Any, stage: dict[str, Any], session_id: str, participant_id: str) -> list[Any]:
    """The participant's events, oldest first (the API lists them newest first)."""
    listed = ivs.list_participant_events(
        stageArn=stage["arn"], sessionId=session_id, participantId=participant_id
    )["events"]
    return list(reversed(listed))


def names(listed: list[Any]) -> list[str]:
    return [event["name"] for event in listed]


# -- the whole flow -----------------------------------------------------------------------


def test_create_join_publish_list_disconnect_and_the_rejoin_is_refused(
    ivs: Any, player: StagePlayer, stage: dict[str, Any], clock: FixedClock
) -> None:
    token = issue(ivs, stage, userId="alice", attributes={"seat": "3"})
    view = joined(player.join(token["token"]))
    session_id = view["session"]["sessionId"]
    clock.advance(10)
    joined(player.publish(token["token"]))

    listed = ivs.list_participants(stageArn=stage["arn"], sessionId=session_id)["participants"]
    assert [(p["participantId"], p["userId"], p["state"], p["published"]) for p in listed] == [
        (token["participantId"], "alice", "CONNECTED", True)
    ]
    got = events(ivs, stage, session_id, token["participantId"])
    assert [(e["name"], e["eventTime"]) for e in got] == [
        ("JOINED", START),
        ("PUBLISH_STARTED", START + timedelta(seconds=10)),
    ]

    clock.advance(5)
    ivs.disconnect_participant(
        stageArn=stage["arn"], participantId=token["participantId"], reason="rude"
    )
    participant = ivs.get_participant(
        stageArn=stage["arn"], sessionId=session_id, participantId=token["participantId"]
    )["participant"]
    assert participant["state"] == "DISCONNECTED"
    assert names(events(ivs, stage, session_id, token["participantId"]))[-2:] == [
        "PUBLISH_STOPPED",
        "LEFT",
    ]

    refused = player.join(token["token"])
    assert (refused.status, refused.error) == (403, "participant_disconnected")
    assert "rude" in refused.body["reason"]


def test_a_join_answers_the_participant_as_get_participant_has_it(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    token = issue(ivs, stage, userId="bob", attributes={"a": "b"}, capabilities=["SUBSCRIBE"])
    view = joined(player.join(token["token"]))
    assert view["stageArn"] == stage["arn"]
    assert view["participant"] == {
        "participantId": token["participantId"],
        "userId": "bob",
        "state": "CONNECTED",
        "firstJoinTime": "2026-01-02T03:04:05Z",
        "attributes": {"a": "b"},
        "published": False,
        "recordingState": "DISABLED",
        "replicationType": "NONE",
    }
    assert (view["publishing"], view["subscriptions"]) == (False, [])
    assert_conforms("Participant", view["participant"])
    assert_conforms("StageSession", view["session"])


# -- who may join -------------------------------------------------------------------------


@pytest.fixture
def user_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture
def key_arn(ivs: Any, user_key: ec.EllipticCurvePrivateKey) -> str:
    return str(ivs.import_public_key(publicKeyMaterial=public_pem(user_key))["publicKey"]["arn"])


def test_a_self_signed_token_joins_with_its_own_jti_user_and_attributes(
    ivs: Any,
    player: StagePlayer,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
) -> None:
    token = self_signed_token(
        user_key, key_arn, stage, "mySelfSigned1", NOW, user_id="carol", attributes={"x": "y"}
    )
    participant = joined(player.join(token))["participant"]
    assert (participant["participantId"], participant["userId"], participant["attributes"]) == (
        "mySelfSigned1",
        "carol",
        {"x": "y"},
    )


@pytest.mark.parametrize(
    ("capabilities", "may_publish", "may_subscribe"),
    [({"allow_subscribe": True}, False, True), ({"allow_publish": True}, True, False), ({}, False, False)],
    ids=["subscribe-only", "publish-only", "none"],
)
def test_a_self_signed_token_is_granted_only_the_flags_it_holds(
    ivs: Any,
    player: StagePlayer,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
    capabilities: dict[str, bool],
    may_publish: bool,
    may_subscribe: bool,
) -> None:
    publisher = issue(ivs, stage)
    joined(player.join(publisher["token"]))
    joined(player.publish(publisher["token"]))
    token = self_signed_token(user_key, key_arn, stage, "flags", NOW, capabilities=capabilities)
    joined(player.join(token))
    published = player.publish(token)
    subscribed = player.subscribe(token, publisher["participantId"])
    assert (published.error, subscribed.error) == (
        None if may_publish else "insufficient_capabilities",
        None if may_subscribe else "insufficient_capabilities",
    )


def test_an_issued_token_without_a_flag_is_not_granted_it(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    token = issue(ivs, stage, capabilities=[])
    joined(player.join(token["token"]))
    assert player.publish(token["token"]).error == "insufficient_capabilities"


def test_after_delete_public_key_a_self_signed_token_cannot_join(
    ivs: Any,
    player: StagePlayer,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
) -> None:
    ivs.delete_public_key(arn=key_arn)
    refused = player.join(self_signed_token(user_key, key_arn, stage, "late", NOW))
    assert (refused.status, refused.error) == (403, "key_deleted")
    assert key_arn in refused.body["reason"]


def test_an_expired_token_is_refused(
    ivs: Any, player: StagePlayer, stage: dict[str, Any], clock: FixedClock
) -> None:
    token = issue(ivs, stage, duration=1)["token"]
    clock.advance(60)
    refused = player.join(token)
    assert (refused.status, refused.error) == (403, "expired")


def test_a_token_of_a_deleted_stage_is_refused(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    token = issue(ivs, stage)["token"]
    ivs.delete_stage(arn=stage["arn"])
    refused = player.join(token)
    assert (refused.status, refused.error) == (403, "stage_not_found")


def test_a_revoked_token_is_refused_and_its_holder_disconnected(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    holder = issue(ivs, stage)
    other = issue(ivs, stage)
    session_id = joined(player.join(holder["token"]))["session"]["sessionId"]
    joined(player.join(other["token"]))

    ivs.revoke_connection_token(tokenId=holder["participantId"])

    got = ivs.get_participant(
        stageArn=stage["arn"], sessionId=session_id, participantId=holder["participantId"]
    )["participant"]
    assert got["state"] == "DISCONNECTED"
    assert names(events(ivs, stage, session_id, holder["participantId"])) == ["JOINED", "LEFT"]
    refused = player.join(holder["token"])
    assert (refused.status, refused.error) == (403, "token_revoked")
    assert player.publish(holder["token"]).error == "not_joined"
    assert joined(player.publish(other["token"]))["publishing"] is True


def test_a_revoked_jti_is_refused_on_every_stage_of_the_region_but_not_elsewhere(
    ivs: Any,
    make_ivs: Callable[..., Any],
    player: StagePlayer,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
) -> None:
    second = dict(ivs.create_stage()["stage"])
    ivs.revoke_connection_token(tokenId="sharedJti")
    for target in (stage, second):
        refused = player.join(self_signed_token(user_key, key_arn, target, "sharedJti", NOW))
        assert refused.error == "token_revoked"
    west = make_ivs(region="us-west-2")
    west_key = str(
        west.import_public_key(publicKeyMaterial=public_pem(user_key))["publicKey"]["arn"]
    )
    west_stage = dict(west.create_stage()["stage"])
    joined(player.join(self_signed_token(user_key, west_key, west_stage, "sharedJti", NOW)))


def test_revoking_a_token_nobody_holds_is_accepted(ivs: Any) -> None:
    answer = ivs.revoke_connection_token(tokenId="neverIssued")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_disconnected_participant_id_cannot_rejoin_even_with_a_fresh_token(
    ivs: Any,
    player: StagePlayer,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
    clock: FixedClock,
) -> None:
    joined(player.join(self_signed_token(user_key, key_arn, stage, "kicked", NOW)))
    ivs.disconnect_participant(stageArn=stage["arn"], participantId="kicked")
    clock.advance(60)
    fresh = self_signed_token(user_key, key_arn, stage, "kicked", NOW + 60, user_id="again")
    assert player.join(fresh).error == "participant_disconnected"
    other_stage = dict(ivs.create_stage()["stage"])
    joined(player.join(self_signed_token(user_key, key_arn, other_stage, "kicked", NOW + 60)))


def test_a_participant_that_left_may_rejoin_and_keeps_its_record(
    ivs: Any, player: StagePlayer, stage: dict[str, Any], clock: FixedClock
) -> None:
    stays, leaves = issue(ivs, stage), issue(ivs, stage, userId="first")
    session_id = joined(player.join(stays["token"]))["session"]["sessionId"]
    joined(player.join(leaves["token"]))
    joined(player.publish(leaves["token"]))
    joined(player.leave(leaves["token"]))
    clock.advance(30)
    again = joined(player.join(leaves["token"]))
    assert again["session"]["sessionId"] == session_id
    assert again["participant"]["firstJoinTime"] == "2026-01-02T03:04:05Z"
    assert (again["participant"]["state"], again["participant"]["published"]) == (
        "CONNECTED",
        True,
    )
    assert names(events(ivs, stage, session_id, leaves["participantId"])) == [
        "JOINED",
        "PUBLISH_STARTED",
        "PUBLISH_STOPPED",
        "LEFT",
        "JOINED",
    ]


# -- what actions leave -------------------------------------------------------------------


def test_publishing_without_the_capability_is_refused_and_recorded(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    token = issue(ivs, stage, capabilities=["SUBSCRIBE"])
    session_id = joined(player.join(token["token"]))["session"]["sessionId"]
    refused = player.publish(token["token"])
    assert (refused.status, refused.error) == (403, "insufficient_capabilities")
    last = events(ivs, stage, session_id, token["participantId"])[-1]
    assert (last["name"], last["errorCode"]) == ("PUBLISH_ERROR", "INSUFFICIENT_CAPABILITIES")
    assert "remoteParticipantId" not in last


def test_subscribing_without_the_capability_is_refused_and_recorded(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    publisher, viewer = issue(ivs, stage), issue(ivs, stage, capabilities=["PUBLISH"])
    joined(player.join(publisher["token"]))
    joined(player.publish(publisher["token"]))
    session_id = joined(player.join(viewer["token"]))["session"]["sessionId"]
    refused = player.subscribe(viewer["token"], publisher["participantId"])
    assert (refused.status, refused.error) == (403, "insufficient_capabilities")
    last = events(ivs, stage, session_id, viewer["participantId"])[-1]
    assert (last["name"], last["errorCode"], last["remoteParticipantId"]) == (
        "SUBSCRIBE_ERROR",
        "INSUFFICIENT_CAPABILITIES",
        publisher["participantId"],
    )


def test_subscribing_to_a_participant_that_does_not_publish_records_publisher_not_found(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    quiet, viewer = issue(ivs, stage), issue(ivs, stage)
    joined(player.join(quiet["token"]))
    session_id = joined(player.join(viewer["token"]))["session"]["sessionId"]
    for publisher_id in (quiet["participantId"], "nobodyAtAll1"):
        refused = player.subscribe(viewer["token"], publisher_id)
        assert (refused.status, refused.error) == (404, "publisher_not_found")
    got = events(ivs, stage, session_id, viewer["participantId"])[1:]
    assert [(e["name"], e["errorCode"], e["remoteParticipantId"]) for e in got] == [
        ("SUBSCRIBE_ERROR", "PUBLISHER_NOT_FOUND", quiet["participantId"]),
        ("SUBSCRIBE_ERROR", "PUBLISHER_NOT_FOUND", "nobodyAtAll1"),
    ]


def test_subscribe_events_name_the_publisher_and_unpublishing_ends_subscriptions(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    publisher, viewer = issue(ivs, stage), issue(ivs, stage)
    joined(player.join(publisher["token"]))
    joined(player.publish(publisher["token"]))
    session_id = joined(player.join(viewer["token"]))["session"]["sessionId"]
    view = joined(player.subscribe(viewer["token"], publisher["participantId"]))
    assert view["subscriptions"] == [publisher["participantId"]]
    joined(player.unpublish(publisher["token"]))
    got = events(ivs, stage, session_id, viewer["participantId"])
    assert [(e["name"], e.get("remoteParticipantId")) for e in got] == [
        ("JOINED", None),
        ("SUBSCRIBE_STARTED", publisher["participantId"]),
        ("SUBSCRIBE_STOPPED", publisher["participantId"]),
    ]
    assert player.unsubscribe(viewer["token"], publisher["participantId"]).error == (
        "not_subscribed"
    )


def test_leaving_stops_subscriptions_then_publishing_then_records_left(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    one, two = issue(ivs, stage), issue(ivs, stage)
    session_id = joined(player.join(one["token"]))["session"]["sessionId"]
    joined(player.join(two["token"]))
    joined(player.publish(one["token"]))
    joined(player.publish(two["token"]))
    joined(player.subscribe(one["token"], two["participantId"]))
    joined(player.subscribe(two["token"], one["participantId"]))

    view = joined(player.leave(one["token"]))
    assert (view["participant"]["state"], view["publishing"], view["subscriptions"]) == (
        "DISCONNECTED",
        False,
        [],
    )
    assert names(events(ivs, stage, session_id, one["participantId"]))[-3:] == [
        "SUBSCRIBE_STOPPED",
        "PUBLISH_STOPPED",
        "LEFT",
    ]
    assert names(events(ivs, stage, session_id, two["participantId"]))[-1] == "SUBSCRIBE_STOPPED"
    assert player.unsubscribe(one["token"], two["participantId"]).error == "not_joined"


def test_unsubscribe_stops_one_subscription(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    publisher, viewer = issue(ivs, stage), issue(ivs, stage)
    joined(player.join(publisher["token"]))
    joined(player.publish(publisher["token"]))
    joined(player.join(viewer["token"]))
    joined(player.subscribe(viewer["token"], publisher["participantId"]))
    again = player.subscribe(viewer["token"], publisher["participantId"])
    assert (again.status, again.error) == (409, "already_subscribed")
    assert (
        joined(player.unsubscribe(viewer["token"], publisher["participantId"]))["subscriptions"]
        == []
    )


# -- clear refusals -----------------------------------------------------------------------


def test_actions_before_joining_are_not_joined_409(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    token = issue(ivs, stage)["token"]
    for answer in (
        player.leave(token),
        player.publish(token),
        player.unpublish(token),
        player.subscribe(token, "someone"),
        player.unsubscribe(token, "someone"),
    ):
        assert (answer.status, answer.error) == (409, "not_joined")


def test_acting_with_another_token_than_the_one_that_joined_is_refused(
    ivs: Any,
    player: StagePlayer,
    stage: dict[str, Any],
    user_key: ec.EllipticCurvePrivateKey,
    key_arn: str,
) -> None:
    first = self_signed_token(user_key, key_arn, stage, "twoTokens", NOW)
    second = self_signed_token(user_key, key_arn, stage, "twoTokens", NOW, user_id="other")
    joined(player.join(first))
    refused = player.publish(second)
    assert (refused.status, refused.error) == (403, "token_mismatch")
    assert player.join(second).error == "already_joined"


def test_joining_twice_is_a_conflict(ivs: Any, player: StagePlayer, stage: dict[str, Any]) -> None:
    token = issue(ivs, stage)["token"]
    joined(player.join(token))
    again = player.join(token)
    assert (again.status, again.error) == (409, "already_joined")


def test_publishing_twice_and_unpublishing_when_not_publishing_are_conflicts(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    token = issue(ivs, stage)["token"]
    joined(player.join(token))
    assert player.unpublish(token).error == "not_publishing"
    joined(player.publish(token))
    assert (player.publish(token).status, player.publish(token).error) == (
        409,
        "already_publishing",
    )


@pytest.mark.parametrize(
    ("action", "body", "error"),
    [
        ("join", b"not json", "bad_request"),
        ("join", [1, 2], "bad_request"),
        ("join", {}, "bad_request"),
        ("join", {"token": 7}, "bad_request"),
        ("subscribe", {"token": "x.y.z"}, "bad_request"),
    ],
)
def test_a_body_without_the_members_it_needs_is_400(
    player: StagePlayer, action: str, body: Any, error: str
) -> None:
    answer = player.post(action, body)
    assert (answer.status, answer.error) == (400, error)
    assert answer.body["reason"]


def test_a_publisher_id_that_is_not_a_participant_id_is_400(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    token = issue(ivs, stage)
    joined(player.join(token["token"]))
    assert player.subscribe(token["token"], "no spaces allowed").status == 400
    assert player.subscribe(token["token"], token["participantId"]).status == 400


def test_a_token_that_is_not_a_jwt_is_refused_as_malformed(player: StagePlayer) -> None:
    answer = player.join("not-a-token")
    assert (answer.status, answer.error) == (403, "malformed")


def test_after_delete_stage_the_stage_client_is_no_longer_joined(
    ivs: Any, player: StagePlayer, stage: dict[str, Any]
) -> None:
    token = issue(ivs, stage)["token"]
    joined(player.join(token))
    ivs.delete_stage(arn=stage["arn"])
    answer = player.publish(token)
    assert (answer.status, answer.error) == (409, "not_joined")
    assert error_code(client_error(ivs.get_stage, arn=stage["arn"])) == "ResourceNotFoundException"
