"""Participant replication: StartParticipantReplication, StopParticipantReplication and
ListParticipantReplicas.

A participant connected to a source stage is replicated to a destination stage of the same
account and region: a replica participant with the same participant id joins the destination
(replicationType REPLICA) and publishes while the source publishes; the source shows
replicationType SOURCE. The replication ends by StopParticipantReplication or when either side
leaves or is removed. The session changes live in service/live_sessions.py (`replicate`,
`stop_replication`); this module checks requests and lists replicas (choice C44 in
contract/README.md).
"""

from __future__ import annotations

from typing import Any

from ..contract.errors import ConflictException, ResourceNotFoundException
from ..contract.validation import invalid, violation
from ..state.store import ReplicationRecord, StageRecord
from . import live_sessions
from .context import Context, Handler, Request, Response
from .finders import find_stage
from .paging import paginate, with_next_token


def describe_replica(record: ReplicationRecord) -> dict[str, Any]:
    """A replication as the ParticipantReplica shape has it."""
    return {
        "sourceStageArn": record.source_stage_arn,
        "participantId": record.participant_id,
        "sourceSessionId": record.source_session_id,
        "destinationStageArn": record.destination_stage_arn,
        "destinationSessionId": record.destination_session_id,
        "replicationState": record.state,
    }


def start_participant_replication(context: Context, request: Request) -> Response:
    """Validation (the same stage twice), then not found (either stage, a source participant
    not connected), then conflicts (a replica, already replicated there, the id connected to
    or barred from the destination)."""
    source_arn, destination_arn = request["sourceStageArn"], request["destinationStageArn"]
    participant_id = request["participantId"]
    if source_arn == destination_arn:
        raise invalid(
            violation("destinationStageArn", "Member must not be the source stage", destination_arn)
        )
    source_stage = find_stage(context, source_arn)
    destination = find_stage(context, destination_arn)
    connected = live_sessions.connected_participant(source_stage, participant_id)
    if connected is None:
        raise ResourceNotFoundException(
            f"Participant not found: {participant_id!r} is not connected to stage {source_arn}"
        )
    session, participant = connected
    if participant.replication_type == live_sessions.REPLICA:
        raise ConflictException(
            f"Participant {participant_id} on stage {source_arn} is a replica of a participant "
            f"of stage {participant.source_stage_arn}; replicate the source participant instead"
        )
    _refuse_destination(context, source_stage, destination, participant_id)
    live_sessions.replicate(
        context,
        (source_stage, session, participant),
        destination,
        dict(request.get("attributes", {})),
    )
    return {}


def stop_participant_replication(context: Context, request: Request) -> Response:
    """End the active replication of the participant from the source to the destination."""
    source_stage = find_stage(context, request["sourceStageArn"])
    destination = find_stage(context, request["destinationStageArn"])
    record = _active(context, source_stage.arn, destination.arn, request["participantId"])
    if record is None:
        raise ResourceNotFoundException(
            f"Participant replication not found: participant {request['participantId']!r} is "
            f"not being replicated from stage {source_stage.arn} to stage {destination.arn}"
        )
    live_sessions.stop_replication(context, record)
    return {}


def list_participant_replicas(context: Context, request: Request) -> Response:
    """Every replication of the participant from the stage, in the order they started,
    stopped ones included; an unknown stage is not found (as C28)."""
    stage = find_stage(context, request["sourceStageArn"])
    participant_id = request["participantId"]
    records = [
        r
        for r in context.state.replications
        if r.source_stage_arn == stage.arn and r.participant_id == participant_id
    ]
    page, next_token = paginate(context, "ListParticipantReplicas", records, request)
    return with_next_token({"replicas": [describe_replica(record) for record in page]}, next_token)


def _active(
    context: Context, source_arn: str, destination_arn: str, participant_id: str
) -> ReplicationRecord | None:
    for record in context.state.replications:
        if record.state == live_sessions.ACTIVE and (
            record.source_stage_arn,
            record.destination_stage_arn,
            record.participant_id,
        ) == (source_arn, destination_arn, participant_id):
            return record
    return None


def _refuse_destination(
    context: Context, source: StageRecord, destination: StageRecord, participant_id: str
) -> None:
    """ConflictException when the replica cannot join the destination."""
    if _active(context, source.arn, destination.arn, participant_id) is not None:
        raise ConflictException(
            f"Participant {participant_id} is already being replicated from stage {source.arn} "
            f"to stage {destination.arn}"
        )
    if live_sessions.connected_participant(destination, participant_id) is not None:
        raise ConflictException(
            f"Participant {participant_id} is already connected to stage {destination.arn}"
        )
    if participant_id in destination.disconnected_participants:
        raise ConflictException(
            f"Participant {participant_id} was disconnected from stage {destination.arn} by "
            "DisconnectParticipant and cannot join it again"
        )


HANDLERS: dict[str, Handler] = {
    "StartParticipantReplication": start_participant_replication,
    "StopParticipantReplication": stop_participant_replication,
    "ListParticipantReplicas": list_participant_replicas,
}
