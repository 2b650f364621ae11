"""Participant replication: StartParticipantReplication, StopParticipantReplication and
ListParticipantReplicas through boto3, with participants played through the stage client
endpoints (tests/stage_player.py), and what each stage's sessions show of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient

from tests.conftest import START
from tests.helpers import client_error, error_code, error_message, raw, status
from tests.output_shape import assert_conforms
from tests.stage_player import StagePlayer, joined, public_pem, self_signed_token


class Stages:
    """A source and a destination stage, and the participants played on them."""

    def __init__(self, ivs: Any, player: StagePlayer) -> None:
        self.ivs, self.player = ivs, player
        self.source = str(ivs.create_stage(name="source")["stage"]["arn"])
        self.destination = str(ivs.create_stage(name="destination")["stage"]["arn"])
        self.tokens: dict[str, str] = {}

    def join(self, stage_arn: str | None = None, **request: Any) -> str:
        issued = self.ivs.create_participant_token(stageArn=stage_arn or self.source, **request)[
            "participantToken"
        ]
        self.tokens[issued["participantId"]] = issued["token"]
        joined(self.player.join(issued["token"]))
        return str(issued["participantId"])

    def act(self, action: str, participant_id: str) -> dict[str, Any]:
        return joined(getattr(self.player, action)(self.tokens[participant_id]))

    def replicate(self, participant_id: str, **request: Any) -> dict[str, Any]:
        return dict(
            self.ivs.start_participant_replication(
                sourceStageArn=self.source,
                destinationStageArn=self.destination,
                participantId=participant_id,
                **request,
            )
        )

    def stop(self, participant_id: str) -> dict[str, Any]:
        return dict(
            self.ivs.stop_participant_replication(
                sourceStageArn=self.source,
                destinationStageArn=self.destination,
                participantId=participant_id,
            )
        )

    def session(self, stage_arn: str) -> str:
        return str(self.ivs.get_stage(arn=stage_arn)["stage"]["activeSessionId"])

    def participant(self, stage_arn: str, session_id: str, participant_id: str) -> dict[str, Any]:
        return dict(
            self.ivs.get_participant(
                stageArn=stage_arn, sessionId=session_id, participantId=participant_id
            )["participant"]
        )

    def events(self, stage_arn: str, session_id: str, participant_id: str) -> list[dict[str, Any]]:
        """Events oldest first."""
        listed = self.ivs.list_participant_events(
            stageArn=stage_arn, sessionId=session_id, participantId=participant_id
        )["events"]
        return list(reversed(listed))

    def replicas(self, participant_id: str, **paging: Any) -> dict[str, Any]:
        return dict(
            self.ivs.list_participant_replicas(
                sourceStageArn=self.source, participantId=participant_id, **paging
            )
        )


@pytest.fixture
def stages(ivs: Any, player: StagePlayer) -> Stages:
    return Stages(ivs, player)


def names(events: list[dict[str, Any]]) -> list[str]:
    return [event["name"] for event in events]


# -- starting -----------------------------------------------------------------------------


def test_start_answers_the_common_headers_as_the_cli_example_shows(stages: Stages) -> None:
    answer = stages.replicate(stages.join())
    assert (answer["accessControlAllowOrigin"], answer["xFrameOptions"]) == ("*", "DENY")
    assert answer["cacheControl"] == "no-store, no-cache"


def test_the_replica_joins_the_destination_and_is_listed_there(stages: Stages) -> None:
    alice = stages.join(userId="alice")
    source_session = stages.session(stages.source)
    stages.replicate(alice)
    destination_session = stages.session(stages.destination)
    listed = stages.ivs.list_participants(
        stageArn=stages.destination, sessionId=destination_session
    )["participants"]
    assert [
        (p["participantId"], p["userId"], p["state"], p["replicationType"]) for p in listed
    ] == [(alice, "alice", "CONNECTED", "REPLICA")]
    replica = stages.participant(stages.destination, destination_session, alice)
    assert (
        replica["replicationState"],
        replica["sourceStageArn"],
        replica["sourceSessionId"],
    ) == ("ACTIVE", stages.source, source_session)
    assert names(stages.events(stages.destination, destination_session, alice)) == ["JOINED"]


def test_the_source_shows_replication_type_source_and_a_replication_started_event(
    stages: Stages,
) -> None:
    alice = stages.join()
    source_session = stages.session(stages.source)
    stages.replicate(alice)
    source = stages.participant(stages.source, source_session, alice)
    assert (source["replicationType"], source["replicationState"]) == ("SOURCE", "ACTIVE")
    started = stages.events(stages.source, source_session, alice)[-1]
    assert (
        started["name"],
        started["destinationStageArn"],
        started["destinationSessionId"],
    ) == ("REPLICATION_STARTED", stages.destination, stages.session(stages.destination))


def test_the_replicas_events_are_marked_replica(client: FlaskClient, stages: Stages) -> None:
    alice = stages.join()
    stages.replicate(alice)
    where = {"stageArn": stages.destination, "sessionId": stages.session(stages.destination)}
    [event] = raw(client, "ListParticipantEvents", **where, participantId=alice)["events"]
    assert (event["name"], event["replica"]) == ("JOINED", True)


def test_attributes_are_merged_over_the_tokens_with_overlapping_keys_replaced(
    stages: Stages,
) -> None:
    alice = stages.join(attributes={"name": "alice", "role": "host"})
    stages.replicate(alice, attributes={"role": "guest", "from": "main"})
    replica = stages.participant(stages.destination, stages.session(stages.destination), alice)
    assert replica["attributes"] == {"name": "alice", "role": "guest", "from": "main"}
    source = stages.participant(stages.source, stages.session(stages.source), alice)
    assert source["attributes"] == {"name": "alice", "role": "host"}


def test_the_replica_publishes_while_the_source_publishes(stages: Stages) -> None:
    alice = stages.join()
    stages.act("publish", alice)
    stages.replicate(alice, reconnectWindowSeconds=30)
    session_id = stages.session(stages.destination)
    assert stages.participant(stages.destination, session_id, alice)["published"] is True
    stages.act("unpublish", alice)
    stages.act("publish", alice)
    assert names(stages.events(stages.destination, session_id, alice)) == [
        "JOINED",
        "PUBLISH_STARTED",
        "PUBLISH_STOPPED",
        "PUBLISH_STARTED",
    ]


def test_a_destination_participant_subscribes_to_the_replica(
    client: FlaskClient, stages: Stages
) -> None:
    alice = stages.join()
    stages.act("publish", alice)
    stages.replicate(alice)
    bob = stages.join(stages.destination)
    joined(stages.player.subscribe(stages.tokens[bob], alice))
    where = {"stageArn": stages.destination, "sessionId": stages.session(stages.destination)}
    latest = raw(client, "ListParticipantEvents", **where, participantId=bob)["events"][0]
    assert (latest["name"], latest["remoteParticipantId"], latest["replica"]) == (
        "SUBSCRIBE_STARTED",
        alice,
        True,
    )


def test_reconnect_window_over_300_is_a_validation_error(
    ivs_unchecked: Any, stages: Stages
) -> None:
    error = client_error(
        ivs_unchecked.start_participant_replication,
        sourceStageArn=stages.source,
        destinationStageArn=stages.destination,
        participantId=stages.join(),
        reconnectWindowSeconds=301,
    )
    assert "Member must have value less than or equal to 300" in error_message(error)


# -- errors of start ----------------------------------------------------------------------


def test_a_participant_that_never_joined_is_not_found(stages: Stages) -> None:
    stages.join()
    error = client_error(stages.replicate, "nobodyHere12")
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
    assert error_message(error) == (
        f"Participant not found: 'nobodyHere12' is not connected to stage {stages.source}"
    )


def test_a_participant_that_left_is_not_found(stages: Stages) -> None:
    alice, _ = stages.join(), stages.join()
    stages.act("leave", alice)
    error = client_error(stages.replicate, alice)
    assert error_code(error) == "ResourceNotFoundException"


def test_unknown_stages_are_not_found(ivs: Any, stages: Stages) -> None:
    alice = stages.join()
    missing = stages.source.rsplit("/", 1)[0] + "/missingStage"
    for source, destination in ((missing, stages.destination), (stages.source, missing)):
        error = client_error(
            ivs.start_participant_replication,
            sourceStageArn=source,
            destinationStageArn=destination,
            participantId=alice,
        )
        assert error_message(error) == f"Stage not found: {missing}"


def test_replicating_to_the_source_stage_itself_is_a_validation_error(
    ivs: Any, stages: Stages
) -> None:
    error = client_error(
        ivs.start_participant_replication,
        sourceStageArn=stages.source,
        destinationStageArn=stages.source,
        participantId=stages.join(),
    )
    assert (error_code(error), error_message(error)) == (
        "ValidationException",
        f"1 validation error detected: Value '{stages.source}' at 'destinationStageArn' failed "
        "to satisfy constraint: Member must not be the source stage",
    )


def test_replicating_twice_to_the_same_stage_is_a_conflict(stages: Stages) -> None:
    alice = stages.join()
    stages.replicate(alice)
    error = client_error(stages.replicate, alice)
    assert (error_code(error), status(error)) == ("ConflictException", 409)


def test_replicating_a_replica_is_a_conflict(ivs: Any, stages: Stages) -> None:
    alice = stages.join()
    stages.replicate(alice)
    third = ivs.create_stage()["stage"]["arn"]
    error = client_error(
        ivs.start_participant_replication,
        sourceStageArn=stages.destination,
        destinationStageArn=third,
        participantId=alice,
    )
    assert error_code(error) == "ConflictException"
    assert "is a replica" in error_message(error)


def test_a_participant_id_connected_to_the_destination_is_a_conflict(
    ivs: Any, player: StagePlayer, stages: Stages
) -> None:
    """A self-signed token may carry the same jti on the destination stage."""
    alice = stages.join()
    destination = ivs.get_stage(arn=stages.destination)["stage"]
    key = ec.generate_private_key(ec.SECP384R1())
    key_arn = ivs.import_public_key(publicKeyMaterial=public_pem(key))["publicKey"]["arn"]
    iat = int(START.timestamp())
    joined(player.join(self_signed_token(key, key_arn, destination, alice, iat)))
    error = client_error(stages.replicate, alice)
    assert error_code(error) == "ConflictException"


# -- listing ------------------------------------------------------------------------------


def test_list_participant_replicas_lists_the_replication(stages: Stages) -> None:
    alice = stages.join()
    source_session = stages.session(stages.source)
    stages.replicate(alice)
    assert stages.replicas(alice)["replicas"] == [
        {
            "sourceStageArn": stages.source,
            "participantId": alice,
            "sourceSessionId": source_session,
            "destinationStageArn": stages.destination,
            "destinationSessionId": stages.session(stages.destination),
            "replicationState": "ACTIVE",
        }
    ]


def test_list_participant_replicas_pages_over_several_destinations(
    ivs: Any, stages: Stages
) -> None:
    alice = stages.join()
    more = [ivs.create_stage()["stage"]["arn"] for _ in range(2)]
    for destination in [stages.destination, *more]:
        ivs.start_participant_replication(
            sourceStageArn=stages.source, destinationStageArn=destination, participantId=alice
        )
    first = stages.replicas(alice, maxResults=2)
    rest = stages.replicas(alice, maxResults=2, nextToken=first["nextToken"])
    listed = [r["destinationStageArn"] for r in first["replicas"] + rest["replicas"]]
    assert listed == [stages.destination, *more]
    paginated = ivs.get_paginator("list_participant_replicas").paginate(
        sourceStageArn=stages.source, participantId=alice, PaginationConfig={"PageSize": 1}
    )
    assert len([r for page in paginated for r in page["replicas"]]) == 3


def test_a_participant_never_replicated_has_no_replicas(stages: Stages) -> None:
    assert stages.replicas(stages.join())["replicas"] == []


def test_list_participant_replicas_of_an_unknown_stage_is_not_found(
    ivs: Any, stages: Stages
) -> None:
    missing = stages.source.rsplit("/", 1)[0] + "/missingStage"
    error = client_error(ivs.list_participant_replicas, sourceStageArn=missing, participantId="a")
    assert error_code(error) == "ResourceNotFoundException"


# -- stopping -----------------------------------------------------------------------------


def test_stop_ends_the_replication_on_both_stages(stages: Stages) -> None:
    alice = stages.join()
    source_session = stages.session(stages.source)
    stages.replicate(alice)
    destination_session = stages.session(stages.destination)
    answer = stages.stop(alice)
    assert answer["accessControlAllowOrigin"] == "*"

    stopped = stages.events(stages.source, source_session, alice)[-1]
    assert (stopped["name"], stopped["destinationStageArn"]) == (
        "REPLICATION_STOPPED",
        stages.destination,
    )
    source = stages.participant(stages.source, source_session, alice)
    assert (source["state"], source["replicationType"], source["replicationState"]) == (
        "CONNECTED",
        "SOURCE",
        "STOPPED",
    )
    replica = stages.participant(stages.destination, destination_session, alice)
    assert (replica["state"], replica["replicationState"]) == ("DISCONNECTED", "STOPPED")
    assert names(stages.events(stages.destination, destination_session, alice)) == [
        "JOINED",
        "LEFT",
    ]
    assert "activeSessionId" not in stages.ivs.get_stage(arn=stages.destination)["stage"]
    assert [r["replicationState"] for r in stages.replicas(alice)["replicas"]] == ["STOPPED"]


def test_stop_without_an_active_replication_is_not_found(stages: Stages) -> None:
    alice = stages.join()
    error = client_error(stages.stop, alice)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
    stages.replicate(alice)
    stages.stop(alice)
    assert error_code(client_error(stages.stop, alice)) == "ResourceNotFoundException"


def test_replication_starts_again_after_a_stop(stages: Stages) -> None:
    alice = stages.join()
    stages.replicate(alice)
    stages.stop(alice)
    stages.replicate(alice)
    assert [r["replicationState"] for r in stages.replicas(alice)["replicas"]] == [
        "STOPPED",
        "ACTIVE",
    ]


def test_the_source_leaving_stops_its_replicas(stages: Stages) -> None:
    alice, _ = stages.join(), stages.join()
    source_session = stages.session(stages.source)
    stages.act("publish", alice)
    stages.replicate(alice)
    destination_session = stages.session(stages.destination)
    stages.act("leave", alice)
    assert names(stages.events(stages.source, source_session, alice))[-4:] == [
        "REPLICATION_STARTED",
        "REPLICATION_STOPPED",
        "PUBLISH_STOPPED",
        "LEFT",
    ]
    replica = stages.participant(stages.destination, destination_session, alice)
    assert (replica["state"], replica["replicationState"]) == ("DISCONNECTED", "STOPPED")
    assert names(stages.events(stages.destination, destination_session, alice))[-2:] == [
        "PUBLISH_STOPPED",
        "LEFT",
    ]
    assert [r["replicationState"] for r in stages.replicas(alice)["replicas"]] == ["STOPPED"]


def test_disconnecting_the_source_stops_its_replicas(ivs: Any, stages: Stages) -> None:
    alice = stages.join()
    stages.replicate(alice)
    destination_session = stages.session(stages.destination)
    ivs.disconnect_participant(stageArn=stages.source, participantId=alice)
    replica = stages.participant(stages.destination, destination_session, alice)
    assert replica["state"] == "DISCONNECTED"


def test_disconnecting_the_replica_stops_the_replication_and_keeps_the_source(
    ivs: Any, stages: Stages
) -> None:
    alice = stages.join()
    source_session = stages.session(stages.source)
    stages.replicate(alice)
    ivs.disconnect_participant(stageArn=stages.destination, participantId=alice)
    source = stages.participant(stages.source, source_session, alice)
    assert (source["state"], source["replicationState"]) == ("CONNECTED", "STOPPED")
    assert names(stages.events(stages.source, source_session, alice))[-1] == "REPLICATION_STOPPED"
    error = client_error(stages.replicate, alice)  # barred from the destination for good (C29)
    assert error_code(error) == "ConflictException"


def test_deleting_the_destination_stage_stops_the_replication(ivs: Any, stages: Stages) -> None:
    alice = stages.join()
    stages.replicate(alice)
    ivs.delete_stage(arn=stages.destination)
    assert [r["replicationState"] for r in stages.replicas(alice)["replicas"]] == ["STOPPED"]


# -- shapes -------------------------------------------------------------------------------


def test_every_answer_conforms_to_its_output_shape(client: FlaskClient, stages: Stages) -> None:
    alice = stages.join(attributes={"a": "b"})
    stages.act("publish", alice)
    raw(
        client,
        "StartParticipantReplication",
        sourceStageArn=stages.source,
        destinationStageArn=stages.destination,
        participantId=alice,
        attributes={"c": "d"},
    )
    for stage_arn in (stages.source, stages.destination):
        where = {"stageArn": stage_arn, "sessionId": stages.session(stage_arn)}
        who = {**where, "participantId": alice}
        for operation, body in [
            ("GetParticipant", who),
            ("ListParticipants", where),
            ("ListParticipantEvents", who),
        ]:
            assert_conforms(f"{operation}Response", raw(client, operation, **body))
    listed = raw(
        client, "ListParticipantReplicas", sourceStageArn=stages.source, participantId=alice
    )
    assert_conforms("ListParticipantReplicasResponse", listed)
