"""Sessions and participants seen from the control plane: GetStageSession, ListStageSessions,
GetParticipant, ListParticipants, ListParticipantEvents, DisconnectParticipant and
RevokeConnectionToken.

The sessions themselves change in service/live_sessions.py; this module reads them in the output
shapes of the model and removes people. Orders: sessions and events newest first,
participants in the order they first joined (choice C25 in contract/README.md).
"""

from __future__ import annotations

from typing import Any

from ..contract.errors import ResourceNotFoundException, ValidationException
from ..state.store import ParticipantEventRecord, ParticipantRecord, StageRecord, StageSessionRecord
from . import live_sessions
from .context import Context, Handler, Request, Response
from .finders import find_stage
from .ingest_configurations import dissociate_publishers
from .paging import newest_first, paginate, with_next_token

LIST_FILTERS = ("filterByUserId", "filterByPublished", "filterByState", "filterByRecordingState")
ONE_FILTER_ONLY = (
    "Only one of filterByUserId, filterByPublished, filterByState, or filterByRecordingState "
    "can be provided per request."
)
"""The model's documentation of each filter, answered as the ValidationException (C27)."""


# -- output shapes ------------------------------------------------------------------------


def recording_state(participant: ParticipantRecord) -> str:
    """DISABLED without a storage configuration on the stage when it joined; else ACTIVE while
    publishing and STOPPED otherwise (choice C26)."""
    if not participant.recorded:
        return "DISABLED"
    return "ACTIVE" if participant.publishing else "STOPPED"


def summarise_participant(participant: ParticipantRecord) -> dict[str, Any]:
    """A participant as the ParticipantSummary shape has it (choice C26); the replication and
    ingest members only where they apply (choice C45)."""
    result: dict[str, Any] = {
        "participantId": participant.participant_id,
        "userId": participant.user_id or "",
        "state": participant.state,
        "firstJoinTime": participant.first_join_time,
        "published": participant.published,
        "recordingState": recording_state(participant),
        "replicationType": participant.replication_type,
    }
    optional = {
        "replicationState": participant.replication_state,
        "sourceStageArn": participant.source_stage_arn,
        "sourceSessionId": participant.source_session_id,
        "redundantIngest": participant.redundant_ingest,
        "ingestConfigurationArn": participant.ingest_configuration_arn,
    }
    result.update((key, value) for key, value in optional.items() if value is not None)
    return result


def describe_participant(participant: ParticipantRecord) -> dict[str, Any]:
    """A participant as the Participant shape has it: the summary, its attributes, and the
    protocol of an ingest configuration's publisher."""
    summary = summarise_participant(participant)
    first = ("participantId", "userId", "state", "firstJoinTime")
    result = {key: summary[key] for key in first}  # the model's member order
    result["attributes"] = dict(participant.attributes or {})
    result["published"] = summary["published"]
    result["recordingState"] = summary["recordingState"]
    if participant.protocol is not None:
        result["protocol"] = participant.protocol
    result.update((key, value) for key, value in summary.items() if key not in result)
    return result


def describe_event(event: ParticipantEventRecord) -> dict[str, Any]:
    """An event as the Event shape has it; the replication members where they apply (choice
    C45)."""
    result: dict[str, Any] = {
        "name": event.name,
        "participantId": event.participant_id,
        "eventTime": event.event_time,
    }
    if event.remote_participant_id is not None:
        result["remoteParticipantId"] = event.remote_participant_id
    if event.error_code is not None:
        result["errorCode"] = event.error_code
    if event.destination_stage_arn is not None:
        result["destinationStageArn"] = event.destination_stage_arn
    if event.destination_session_id is not None:
        result["destinationSessionId"] = event.destination_session_id
    if event.replica:
        result["replica"] = True
    return result


def describe_session(session: StageSessionRecord) -> dict[str, Any]:
    """A session as StageSession and StageSessionSummary have it; no endTime while active."""
    result: dict[str, Any] = {"sessionId": session.session_id, "startTime": session.start_time}
    if session.end_time is not None:
        result["endTime"] = session.end_time
    return result


# -- lookups ------------------------------------------------------------------------------


def find_session(stage: StageRecord, session_id: str) -> StageSessionRecord:
    """The stage's session with this id; another stage's is not found (choice C28)."""
    session = stage.sessions.get(session_id)
    if session is None:
        raise ResourceNotFoundException(
            f"Stage session not found: {session_id} (stage {stage.arn})"
        )
    return session


def find_participant(session: StageSessionRecord, participant_id: str) -> ParticipantRecord:
    participant = session.participants.get(participant_id)
    if participant is None:
        raise ResourceNotFoundException(
            f"Participant not found: {participant_id!r} (stage session {session.session_id})"
        )
    return participant


def _session_of(context: Context, request: Request) -> StageSessionRecord:
    return find_session(find_stage(context, request["stageArn"]), request["sessionId"])


def _listed_session(context: Context, request: Request) -> StageSessionRecord | None:
    """The session a List operation names, or None when the caller's account and region have
    no such stage or session: the model declares no ResourceNotFoundException for the List
    operations, so they list nothing (choice C28), unless `--lists-not-found` asks for 404."""
    if context.backend.lists_not_found:
        return _session_of(context, request)
    stage = context.state.stages.get(request["stageArn"])
    return None if stage is None else stage.sessions.get(request["sessionId"])


# -- operations ---------------------------------------------------------------------------


def get_stage_session(context: Context, request: Request) -> Response:
    return {"stageSession": describe_session(_session_of(context, request))}


def list_stage_sessions(context: Context, request: Request) -> Response:
    """An unknown stage has no sessions to list (choice C28)."""
    if context.backend.lists_not_found:
        sessions = list(find_stage(context, request["stageArn"]).sessions.values())
    else:
        stage = context.state.stages.get(request["stageArn"])
        sessions = [] if stage is None else list(stage.sessions.values())
    page, next_token = paginate(context, "ListStageSessions", newest_first(sessions), request)
    return with_next_token(
        {"stageSessions": [describe_session(entry.item) for entry in page]}, next_token
    )


def get_participant(context: Context, request: Request) -> Response:
    participant = find_participant(_session_of(context, request), request["participantId"])
    return {"participant": describe_participant(participant)}


def list_participants(context: Context, request: Request) -> Response:
    """At most one filter (a rule across members: ValidationException before not-found, C13)."""
    given = [name for name in LIST_FILTERS if request.get(name) is not None]
    if len(given) > 1:
        raise ValidationException(ONE_FILTER_ONLY)
    session = _listed_session(context, request)
    everyone = [] if session is None else session.participants.values()
    selected = [p for p in everyone if _matches(p, request)]
    page, next_token = paginate(context, "ListParticipants", selected, request)
    return with_next_token({"participants": [summarise_participant(p) for p in page]}, next_token)


def _matches(participant: ParticipantRecord, request: Request) -> bool:
    """Whether the participant passes the request's filter (there is at most one)."""
    values: dict[str, Any] = {
        "filterByUserId": participant.user_id or "",
        "filterByPublished": participant.published,
        "filterByState": participant.state,
        "filterByRecordingState": recording_state(participant),
    }
    return all(request.get(name) in (None, value) for name, value in values.items())


def list_participant_events(context: Context, request: Request) -> Response:
    """An unknown stage, session or participant has no events to list (choice C28)."""
    session = _listed_session(context, request)
    participant_id = request["participantId"]
    if context.backend.lists_not_found and session is not None:
        events = find_participant(session, participant_id).events
    else:
        participant = None if session is None else session.participants.get(participant_id)
        events = [] if participant is None else participant.events
    page, next_token = paginate(context, "ListParticipantEvents", newest_first(events), request)
    return with_next_token({"events": [describe_event(entry.item) for entry in page]}, next_token)


def disconnect_participant(context: Context, request: Request) -> Response:
    """Remove the participant from the stage for good (choice C29): it leaves now if
    connected, and its id never joins this stage again. A participant id that never joined
    any session of the stage is not found. An ingest configuration publishing as this
    participant loses its stageArn (as documented; choice C42)."""
    stage = find_stage(context, request["stageArn"])
    participant_id = request["participantId"]
    if not any(participant_id in session.participants for session in stage.sessions.values()):
        raise ResourceNotFoundException(
            f"Participant not found: {participant_id!r} has not joined stage {stage.arn}"
        )
    stage.disconnected_participants[participant_id] = request.get("reason", "")
    dissociate_publishers(context, stage, participant_id)
    live_sessions.remove(context, stage, participant_id)
    return {}


def revoke_connection_token(context: Context, request: Request) -> Response:
    """Revoke the token whose `jti` is `tokenId` in the caller's account and region (choice
    C30): it joins no stage any more, and its holder is disconnected wherever connected."""
    token_id = request["tokenId"]
    context.state.revoked_tokens.add(token_id)
    for stage in list(context.state.stages.values()):
        live_sessions.remove(context, stage, token_id)
    return {}


HANDLERS: dict[str, Handler] = {
    "GetStageSession": get_stage_session,
    "ListStageSessions": list_stage_sessions,
    "GetParticipant": get_participant,
    "ListParticipants": list_participants,
    "ListParticipantEvents": list_participant_events,
    "DisconnectParticipant": disconnect_participant,
    "RevokeConnectionToken": revoke_connection_token,
}
