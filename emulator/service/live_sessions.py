"""Stage sessions: who is on a stage, what each participant does, and the events that remain.

Every change of a session goes through here, whether a stage client causes it
(service/stage_actions.py) or the control plane forces it (DisconnectParticipant,
RevokeConnectionToken, DeleteStage), so each leaves the same events (choice C24 in
contract/README.md):

- the first join on a stage without an active session starts one; a rejoin in the same
  session reuses the participant's record (CONNECTED again, a new JOINED event);
- a publisher that stops (unpublish, leave, removal) ends the subscriptions to it: each
  subscriber gets SUBSCRIBE_STOPPED naming it;
- leaving stops the participant's own subscriptions, then its publishing, then records LEFT;
  when nobody is connected any more, the session ends and the stage has no activeSessionId;
- a participant replicated to other stages (StartParticipantReplication) has a replica
  participant there that publishes while it publishes; the replication stops when the source
  or the replica leaves or is removed, or by StopParticipantReplication (choice C44).

The caller holds the region's lock; nothing here raises.
"""

from __future__ import annotations

from ..state.store import (
    ParticipantEventRecord,
    ParticipantRecord,
    ReplicationRecord,
    StageRecord,
    StageSessionRecord,
)
from .context import Context

CONNECTED = "CONNECTED"
DISCONNECTED = "DISCONNECTED"
SOURCE = "SOURCE"
REPLICA = "REPLICA"
ACTIVE = "ACTIVE"
STOPPED = "STOPPED"


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
    destination: tuple[str, str] | None = None,
    remote_replica: bool = False,
) -> None:
    """Append an event to the participant's log, at the context's time.

    `destination` is the (stage ARN, session id) of a REPLICATION_* event; the event is marked
    `replica` when the participant is a replica, or on a SUBSCRIBE_* event when the remote
    publisher is one (`remote_replica`).
    """
    event = ParticipantEventRecord(
        name=name,
        participant_id=participant.participant_id,
        event_time=context.now,
        sequence=context.state.next_sequence(),
        remote_participant_id=remote_participant_id,
        error_code=error_code,
        destination_stage_arn=None if destination is None else destination[0],
        destination_session_id=None if destination is None else destination[1],
        replica=remote_replica if name.startswith("SUBSCRIBE_") else _is_replica(participant),
    )
    participant.events.append(event)
    context.state.new_events.append((participant, event))


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
        participant.stage_arn, participant.session_id = stage.arn, session.session_id
    else:
        participant.user_id = fresh.user_id
        participant.attributes = fresh.attributes
        participant.can_publish = fresh.can_publish
        participant.can_subscribe = fresh.can_subscribe
        participant.token_digest = fresh.token_digest
        participant.recorded = fresh.recorded
        participant.protocol = fresh.protocol
        participant.ingest_configuration_arn = fresh.ingest_configuration_arn
        participant.redundant_ingest = fresh.redundant_ingest
        if _is_replica(fresh) or _is_replica(participant):  # a source keeps its history
            participant.replication_type = fresh.replication_type
            participant.replication_state = fresh.replication_state
            participant.source_stage_arn = fresh.source_stage_arn
            participant.source_session_id = fresh.source_session_id
        participant.state = CONNECTED
    record_event(context, participant, "JOINED")
    return session, participant


def start_publishing(context: Context, participant: ParticipantRecord) -> None:
    """Start publishing; its replicas on other stages start too."""
    participant.publishing = True
    participant.published = True
    record_event(context, participant, "PUBLISH_STARTED")
    for _, _, replica in _replicas_of(context, participant):
        if replica.state == CONNECTED and not replica.publishing:
            start_publishing(context, replica)


def stop_publishing(
    context: Context, session: StageSessionRecord, participant: ParticipantRecord
) -> None:
    """Stop publishing; the subscriptions of others to this participant end with it, and its
    replicas on other stages stop publishing too."""
    participant.publishing = False
    record_event(context, participant, "PUBLISH_STOPPED")
    for subscriber in session.participants.values():
        if participant.participant_id in subscriber.subscriptions:
            unsubscribe(
                context,
                subscriber,
                participant.participant_id,
                remote_replica=_is_replica(participant),
            )
    for _, replica_session, replica in _replicas_of(context, participant):
        if replica.publishing:
            stop_publishing(context, replica_session, replica)


def subscribe(
    context: Context,
    participant: ParticipantRecord,
    publisher_id: str,
    *,
    remote_replica: bool = False,
) -> None:
    participant.subscriptions.append(publisher_id)
    record_event(
        context,
        participant,
        "SUBSCRIBE_STARTED",
        remote_participant_id=publisher_id,
        remote_replica=remote_replica,
    )


def unsubscribe(
    context: Context,
    participant: ParticipantRecord,
    publisher_id: str,
    *,
    remote_replica: bool = False,
) -> None:
    participant.subscriptions.remove(publisher_id)
    record_event(
        context,
        participant,
        "SUBSCRIBE_STOPPED",
        remote_participant_id=publisher_id,
        remote_replica=remote_replica,
    )


def leave(
    context: Context,
    stage: StageRecord,
    session: StageSessionRecord,
    participant: ParticipantRecord,
    *,
    rejoining: bool = False,
) -> None:
    """The participant leaves (or is removed): its replications stop, its media stops, LEFT,
    and the session ends when it was the last one connected, unless it is `rejoining` at once
    (a second join with the same participant id takes over the first)."""
    for record in _replications_of(context, stage, session, participant):
        stop_replication(context, record, replica_leaves=not _is_replica(participant))
    for publisher_id in list(participant.subscriptions):
        publisher = session.participants.get(publisher_id)
        unsubscribe(
            context,
            participant,
            publisher_id,
            remote_replica=publisher is not None and _is_replica(publisher),
        )
    if participant.publishing:
        stop_publishing(context, session, participant)
    participant.state = DISCONNECTED
    record_event(context, participant, "LEFT")
    if not rejoining and not any(p.state == CONNECTED for p in session.participants.values()):
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


# -- participant replication (service/replication.py) ----------------------------------------


def replicate(
    context: Context,
    source: tuple[StageRecord, StageSessionRecord, ParticipantRecord],
    destination: StageRecord,
    attributes: dict[str, str],
) -> ReplicationRecord:
    """Replicate a connected participant to another stage: its replica joins the destination
    (starting a session there if needed) and publishes while the source publishes; the source
    records REPLICATION_STARTED naming the destination. The caller has checked that the
    replica may join."""
    source_stage, source_session, participant = source
    recording = destination.auto_participant_recording_configuration
    fresh = ParticipantRecord(
        participant_id=participant.participant_id,
        user_id=participant.user_id,
        attributes={**(participant.attributes or {}), **attributes},
        can_publish=participant.can_publish,
        can_subscribe=False,
        token_digest="",  # no token: no stage client acts as a replica
        recorded=bool(recording.get("storageConfigurationArn"))
        and bool(recording.get("recordParticipantReplicas", True)),
        first_join_time=context.now,
        sequence=context.state.next_sequence(),
        replication_type=REPLICA,
        replication_state=ACTIVE,
        source_stage_arn=source_stage.arn,
        source_session_id=source_session.session_id,
    )
    session, replica = connect(context, destination, fresh)
    record = ReplicationRecord(
        source_stage_arn=source_stage.arn,
        participant_id=participant.participant_id,
        source_session_id=source_session.session_id,
        destination_stage_arn=destination.arn,
        destination_session_id=session.session_id,
        sequence=context.state.next_sequence(),
    )
    context.state.replications.append(record)
    participant.replication_type = SOURCE
    participant.replication_state = ACTIVE
    record_event(
        context,
        participant,
        "REPLICATION_STARTED",
        destination=(destination.arn, session.session_id),
    )
    if participant.publishing:
        start_publishing(context, replica)
    return record


def stop_replication(
    context: Context, record: ReplicationRecord, *, replica_leaves: bool = True
) -> None:
    """End an active replication: the source records REPLICATION_STOPPED (and its
    replicationState turns STOPPED when no other replication of it is active), then the replica
    leaves the destination stage (its replicationState STOPPED) unless it is leaving already
    (`replica_leaves` False)."""
    record.state = STOPPED
    source = _participant_at(context, record.source_stage_arn, record.source_session_id, record)
    if source is not None:
        participant = source[2]
        if not any(r.state == ACTIVE for r in _records_of_source(context, record)):
            participant.replication_state = STOPPED
        record_event(
            context,
            participant,
            "REPLICATION_STOPPED",
            destination=(record.destination_stage_arn, record.destination_session_id),
        )
    replica = _participant_at(
        context, record.destination_stage_arn, record.destination_session_id, record
    )
    if replica is not None:
        stage, session, participant = replica
        participant.replication_state = STOPPED
        if replica_leaves and participant.state == CONNECTED:
            leave(context, stage, session, participant)


def _is_replica(participant: ParticipantRecord) -> bool:
    return participant.replication_type == REPLICA


def _participant_at(
    context: Context, stage_arn: str, session_id: str, record: ReplicationRecord
) -> tuple[StageRecord, StageSessionRecord, ParticipantRecord] | None:
    """The stage, session and participant record one side of a replication names, if they
    still exist."""
    stage = context.state.stages.get(stage_arn)
    session = None if stage is None else stage.sessions.get(session_id)
    participant = None if session is None else session.participants.get(record.participant_id)
    if stage is None or session is None or participant is None:
        return None
    return stage, session, participant


def _records_of_source(context: Context, record: ReplicationRecord) -> list[ReplicationRecord]:
    """The replications of the same source participant in the same source session."""
    return [
        r
        for r in context.state.replications
        if (r.source_stage_arn, r.source_session_id, r.participant_id)
        == (record.source_stage_arn, record.source_session_id, record.participant_id)
    ]


def _replications_of(
    context: Context,
    stage: StageRecord,
    session: StageSessionRecord,
    participant: ParticipantRecord,
) -> list[ReplicationRecord]:
    """The active replications this participant takes part in, as source or as replica."""
    own = (stage.arn, session.session_id, participant.participant_id)
    return [
        r
        for r in context.state.replications
        if r.state == ACTIVE
        and own
        in (
            (r.source_stage_arn, r.source_session_id, r.participant_id),
            (r.destination_stage_arn, r.destination_session_id, r.participant_id),
        )
    ]


def _replicas_of(
    context: Context, participant: ParticipantRecord
) -> list[tuple[StageRecord, StageSessionRecord, ParticipantRecord]]:
    """The connected replicas of this (source) participant record."""
    if participant.replication_type != SOURCE:
        return []
    found = []
    for record in context.state.replications:
        if record.state != ACTIVE or record.participant_id != participant.participant_id:
            continue
        source = _participant_at(context, record.source_stage_arn, record.source_session_id, record)
        if source is None or source[2] is not participant:
            continue
        replica = _participant_at(
            context, record.destination_stage_arn, record.destination_session_id, record
        )
        if replica is not None and replica[2].state == CONNECTED:
            found.append(replica)
    return found


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
