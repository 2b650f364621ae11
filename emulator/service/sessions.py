"""Stage sessions: who is on a stage, what each participant does, and the events that remain.

Every change of a session goes through here, whether a stage client causes it
(service/client_actions.py) or the control plane forces it (DisconnectParticipant,
RevokeConnectionToken, DeleteStage), so each leaves the same events (choice C24 in
contract/README.md):

- the first join on a stage without an active session starts one; a rejoin in the same
  session reuses the participant's record (CONNECTED again, a new JOINED event);
- a publisher that stops (unpublish, leave, removal) ends the subscriptions to it: each
  subscriber gets SUBSCRIBE_STOPPED naming it;
- leaving stops the participant's own subscriptions, then its publishing, then records LEFT;
  when nobody is connected any more, the session ends and the stage has no activeSessionId.

The caller holds the region's lock; nothing here raises.
"""

from __future__ import annotations

from ..store import ParticipantEventRecord, ParticipantRecord, StageRecord, StageSessionRecord
from . import Context

CONNECTED = "CONNECTED"
DISCONNECTED = "DISCONNECTED"


def active_session(stage: StageRecord) -> StageSessionRecord | None:
    """The stage's session in progress, if any."""
    if stage.active_session_id is None:
        return None
    return stage.sessions[stage.active_session_id]


def connected_participant(
    stage: StageRecord, participant_id: str
) -> tuple[StageSessionRecord, ParticipantRecord] | None:
    """The active session and the participant with this id, if it is connected there."""
    session = active_session(stage)
    participant = None if session is None else session.participants.get(participant_id)
    if session is None or participant is None or participant.state != CONNECTED:
        return None
    return session, participant


def record_event(
    context: Context,
    participant: ParticipantRecord,
    name: str,
    *,
    remote_participant_id: str | None = None,
    error_code: str | None = None,
) -> None:
    """Append an event to the participant's log, at the context's time."""
    participant.events.append(
        ParticipantEventRecord(
            name=name,
            participant_id=participant.participant_id,
            event_time=context.now,
            sequence=context.state.next_sequence(),
            remote_participant_id=remote_participant_id,
            error_code=error_code,
        )
    )


def connect(
    context: Context,
    stage: StageRecord,
    fresh: ParticipantRecord,
) -> tuple[StageSessionRecord, ParticipantRecord]:
    """Connect a participant (not connected now) to the stage's session, starting one if needed.

    `fresh` describes the joining participant as a new record would; when the participant was
    in this session before, its record is reused and takes the token's current user id,
    attributes and capabilities (its first join time and `published` stay).
    """
    session = active_session(stage) or _start_session(context, stage)
    participant = session.participants.get(fresh.participant_id)
    if participant is None:
        participant = session.participants[fresh.participant_id] = fresh
    else:
        participant.user_id = fresh.user_id
        participant.attributes = fresh.attributes
        participant.can_publish = fresh.can_publish
        participant.can_subscribe = fresh.can_subscribe
        participant.token_digest = fresh.token_digest
        participant.recorded = fresh.recorded
        participant.state = CONNECTED
    record_event(context, participant, "JOINED")
    return session, participant


def start_publishing(context: Context, participant: ParticipantRecord) -> None:
    participant.publishing = True
    participant.published = True
    record_event(context, participant, "PUBLISH_STARTED")


def stop_publishing(
    context: Context, session: StageSessionRecord, participant: ParticipantRecord
) -> None:
    """Stop publishing; the subscriptions of others to this participant end with it."""
    participant.publishing = False
    record_event(context, participant, "PUBLISH_STOPPED")
    for subscriber in session.participants.values():
        if participant.participant_id in subscriber.subscriptions:
            unsubscribe(context, subscriber, participant.participant_id)


def subscribe(context: Context, participant: ParticipantRecord, publisher_id: str) -> None:
    participant.subscriptions.append(publisher_id)
    record_event(context, participant, "SUBSCRIBE_STARTED", remote_participant_id=publisher_id)


def unsubscribe(context: Context, participant: ParticipantRecord, publisher_id: str) -> None:
    participant.subscriptions.remove(publisher_id)
    record_event(context, participant, "SUBSCRIBE_STOPPED", remote_participant_id=publisher_id)


def leave(
    context: Context,
    stage: StageRecord,
    session: StageSessionRecord,
    participant: ParticipantRecord,
) -> None:
    """The participant leaves (or is removed): its media stops, LEFT, and the session ends
    when it was the last one connected."""
    for publisher_id in list(participant.subscriptions):
        unsubscribe(context, participant, publisher_id)
    if participant.publishing:
        stop_publishing(context, session, participant)
    participant.state = DISCONNECTED
    record_event(context, participant, "LEFT")
    if not any(p.state == CONNECTED for p in session.participants.values()):
        session.end_time = context.now
        if stage.active_session_id == session.session_id:
            stage.active_session_id = None


def remove(context: Context, stage: StageRecord, participant_id: str) -> bool:
    """Disconnect the participant with this id if it is connected; True when it was."""
    found = connected_participant(stage, participant_id)
    if found is None:
        return False
    leave(context, stage, *found)
    return True


def close_stage(context: Context, stage: StageRecord) -> None:
    """Disconnect everyone on the stage (each with LEFT), which ends its session."""
    session = active_session(stage)
    if session is None:
        return
    for participant in list(session.participants.values()):
        if participant.state == CONNECTED:
            leave(context, stage, session, participant)


def _start_session(context: Context, stage: StageRecord) -> StageSessionRecord:
    session_id = context.backend.ids.session_id()
    while session_id in stage.sessions:
        session_id = context.backend.ids.session_id()
    session = StageSessionRecord(
        session_id=session_id, start_time=context.now, sequence=context.state.next_sequence()
    )
    stage.sessions[session_id] = session
    stage.active_session_id = session_id
    return session
