"""Every event, derived in one place from the store's changes (choices C60 to C64 in
contract/README.md).

Two things feed the one derivation: each write's Commit (the backend's observer, under the
region's lock: emulator/service/transactions.py), and the passing of time (`catch_up`, called
by a background ticker and before GET /_emulator/events answers), because a composition's state
follows from its stored times and the clock (emulator/service/composition_lifecycle.py) and
changes without any write, as does the end of a participant recording after its reconnect
window.

- `IVS Stage Update`: the PUBLISH_STARTED, PUBLISH_STOPPED, PUBLISH_ERROR, REPLICATION_STARTED
  and REPLICATION_STOPPED events a commit recorded (C61);
- `IVS Composition State Change`: Session Start and Destination Start when a composition becomes
  ACTIVE, Destination End when it stops, Session End when it is STOPPED (C62);
- `IVS Participant Recording State Change`: Recording Start when a recorded participant (its
  stage had a storage configuration when it joined) starts publishing, Recording End when it
  stopped and did not publish again within the stage's `recordingReconnectWindowSeconds` (C63).

Events due before a commit's time are sent before the commit's own, so the list stays in the
order things happened within a region. Each event's `time` is the moment it happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from ..contract.timestamps import format_instant
from ..service.composition_lifecycle import STOPPING_FOR, timeline
from ..service.context import Backend
from ..service.transactions import Commit
from ..state.store import (
    CompositionRecord,
    ParticipantEventRecord,
    ParticipantRecord,
    RegionState,
)
from .envelope import (
    COMPOSITION_STATE_CHANGE,
    DESTINATION_END,
    DESTINATION_START,
    PARTICIPANT_RECORDING_STATE_CHANGE,
    RECORDING_END,
    RECORDING_START,
    SESSION_END,
    SESSION_START,
    STAGE_UPDATE,
    STAGE_UPDATE_NAMES,
    make_event,
)

Emit = Callable[[dict[str, Any]], None]

COMPOSITION_ACTIONS = frozenset({"StartComposition", "StopComposition", "DeleteStage"})
"""The operations that start or stop compositions (C39)."""

PREFIX_TIME = "%Y-%m-%dT%H-%M-%SZ"
"""The time at the end of a recording's S3 key prefix (C63)."""


@dataclass(frozen=True)
class _Due:
    """An event that happens at `moment`, with what it says."""

    moment: datetime
    detail_type: str
    resources: list[str]
    detail: dict[str, Any]
    key: tuple[str, str] = ("", "")
    """What a composition's event is, so that it is sent once: (event name, destination id)."""
    sent: Callable[[], object] | None = field(default=None, compare=False)
    """What to note once it is sent."""


@dataclass
class _Composition:
    record: CompositionRecord
    sent: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class _Recording:
    """A participant's recording under way: started, and perhaps stopped publishing."""

    stage_arn: str
    session_id: str
    participant_id: str
    bucket: str
    prefix: str
    window: timedelta
    ends_at: datetime | None = None
    """When it ends unless the participant publishes again first (None: publishing)."""


@dataclass
class _Region:
    """What the derivation watches in one account and region."""

    state: RegionState
    compositions: dict[str, _Composition] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)
    """Compositions whose every event was sent, while the store still holds them."""
    recordings: dict[tuple[str, str], _Recording] = field(default_factory=dict)
    """Recordings under way by (stage ARN, participant id)."""

    @property
    def waiting(self) -> bool:
        """Whether time alone can still cause an event here."""
        return bool(self.compositions) or any(
            r.ends_at is not None for r in self.recordings.values()
        )


class Deriver:
    """Turns commits and the passing of time into events, handed to `emit` in order."""

    def __init__(self, backend: Backend, emit: Emit) -> None:
        self._backend = backend
        self._emit = emit
        self._lock = threading.RLock()
        self._regions: dict[tuple[str, str], _Region] = {}

    # -- what feeds it -------------------------------------------------------------------

    def observe(self, commit: Commit) -> None:
        """The backend's observer: the events of one write (under its region's lock). A
        commit that recorded no participant event and cannot change a composition (a read,
        most writes) has no event of its own: what time made due meanwhile waits for the
        ticker, so such commits cost next to nothing."""
        if not commit.participant_events and commit.action not in COMPOSITION_ACTIONS:
            return
        state = self._backend.store.region(commit.account, commit.region)
        now = commit.now
        with self._lock:
            region = self._region(state)
            due = self._due(region, now)
            self._send(region, [d for d in due if d.moment < now])
            for participant, event in commit.participant_events:
                self._participant_event(region, participant, event)
            self._discover(region, fresh=commit.action == "StartComposition" and not commit.failed,
                           now=now)
            self._send(region, self._due(region, now))

    def catch_up(self) -> None:
        """Send what the passing of time has made due in every region (the ticker, and GET
        /_emulator/events before it answers)."""
        current = {id(state) for state in self._backend.store.regions()}
        with self._lock:
            for key in [k for k, r in self._regions.items() if id(r.state) not in current]:
                del self._regions[key]  # the store was reset or replaced (an import)
            regions = [r for r in self._regions.values() if r.waiting]
        for region in regions:
            with region.state.lock, self._lock:
                if self._regions.get(self._key(region.state)) is not region:
                    continue  # reset meanwhile
                self._send(region, self._due(region, self._backend.clock.now()))

    @property
    def waiting(self) -> bool:
        """Whether time alone can still cause an event (the ticker runs while it can)."""
        with self._lock:
            return any(region.waiting for region in self._regions.values())

    def reset(self) -> None:
        """Forget what was watched (a reset of the emulator)."""
        with self._lock:
            self._regions = {}

    # -- participant events --------------------------------------------------------------

    def _participant_event(
        self, region: _Region, participant: ParticipantRecord, event: ParticipantEventRecord
    ) -> None:
        name = STAGE_UPDATE_NAMES.get(event.name)
        if name is None:
            return
        detail: dict[str, Any] = {
            "session_id": participant.session_id,
            "event_name": name,
            "user_id": participant.user_id or "",
            "participant_id": event.participant_id,
            "event_time": event.event_time,
        }
        if event.error_code is not None:
            detail["error_code"] = event.error_code
        if event.destination_stage_arn is not None:
            detail["destination_stage_arn"] = event.destination_stage_arn
            detail["destination_session_id"] = event.destination_session_id
        stage = [participant.stage_arn]
        self._send(region, [_Due(event.event_time, STAGE_UPDATE, stage, detail)])
        if participant.recorded and event.name == "PUBLISH_STARTED":
            self._recording_starts(region, participant, event.event_time)
        elif participant.recorded and event.name == "PUBLISH_STOPPED":
            self._recording_stops(region, participant, event.event_time)

    def _recording_starts(
        self, region: _Region, participant: ParticipantRecord, now: datetime
    ) -> None:
        key = (participant.stage_arn, participant.participant_id)
        recording = region.recordings.get(key)
        if recording is not None and recording.session_id == participant.session_id and (
            recording.ends_at is not None and now <= recording.ends_at
        ):
            recording.ends_at = None  # back within the reconnect window: the same recording
            return
        stage = region.state.stages.get(participant.stage_arn)
        configuration = stage.auto_participant_recording_configuration if stage else {}
        storage = region.state.storage_configurations.get(
            configuration.get("storageConfigurationArn", "")
        )
        stage_id = participant.stage_arn.rsplit("/", 1)[-1]
        recording = region.recordings[key] = _Recording(
            stage_arn=participant.stage_arn,
            session_id=participant.session_id,
            participant_id=participant.participant_id,
            bucket=storage.s3.get("bucketName", "") if storage is not None else "",
            prefix=f"{stage_id}/{participant.session_id}/{participant.participant_id}/"
            + now.strftime(PREFIX_TIME),
            window=timedelta(seconds=int(configuration.get("recordingReconnectWindowSeconds", 0))),
        )
        self._send(region, [_recording_event(recording, RECORDING_START, now)])

    def _recording_stops(
        self, region: _Region, participant: ParticipantRecord, now: datetime
    ) -> None:
        recording = region.recordings.get((participant.stage_arn, participant.participant_id))
        if recording is not None and recording.ends_at is None:
            recording.ends_at = now + recording.window

    # -- compositions --------------------------------------------------------------------

    def _discover(self, region: _Region, *, fresh: bool, now: datetime) -> None:
        """Watch the region's compositions not watched yet. A composition a StartComposition
        commit just started is watched from its start; one found otherwise (an import) from
        now on: what was due before is not sent."""
        stored = region.state.compositions
        region.finished &= set(stored)
        for arn, record in stored.items():
            if arn in region.compositions or arn in region.finished:
                continue
            watch = _Composition(record)
            if not (fresh and record.start_time == now):
                watch.sent.update(d.key for d in _composition_events(region.state, record, now))
            if (SESSION_END, "") in watch.sent:
                region.finished.add(arn)
            else:
                region.compositions[arn] = watch

    def _due(self, region: _Region, now: datetime) -> list[_Due]:
        """What time has made due by `now` and is not sent yet, in the order it happened."""
        due: list[_Due] = []
        for arn, watch in region.compositions.items():
            events = _composition_events(region.state, watch.record, now)
            due += [replace(d, sent=partial(self._composition_sent, region, arn, d.key))
                    for d in events if d.key not in watch.sent]
        for key, recording in region.recordings.items():
            if recording.ends_at is not None and recording.ends_at <= now:
                event = _recording_event(recording, RECORDING_END, recording.ends_at)
                due.append(replace(event, sent=partial(region.recordings.pop, key, None)))
        return sorted(due, key=lambda d: d.moment)

    @staticmethod
    def _composition_sent(region: _Region, arn: str, key: tuple[str, str]) -> None:
        watch = region.compositions.get(arn)
        if watch is None:
            return
        watch.sent.add(key)
        if key == (SESSION_END, ""):  # its last event
            del region.compositions[arn]
            region.finished.add(arn)

    # -- sending -------------------------------------------------------------------------

    def _send(self, region: _Region, due: list[_Due]) -> None:
        state = region.state
        for item in due:
            if item.sent is not None:
                item.sent()
            detail = {
                k: format_instant(v) if isinstance(v, datetime) else v
                for k, v in item.detail.items()
            }
            event = make_event(
                self._backend.ids.event_id(),
                item.detail_type,
                state.account,
                state.region,
                item.moment,
                item.resources,
                detail,
            )
            self._emit(event)

    def _region(self, state: RegionState) -> _Region:
        key = self._key(state)
        region = self._regions.get(key)
        if region is None or region.state is not state:
            region = self._regions[key] = _Region(state)
        return region

    @staticmethod
    def _key(state: RegionState) -> tuple[str, str]:
        return (state.account, state.region)


def _composition_events(
    state: RegionState, record: CompositionRecord, now: datetime
) -> list[_Due]:
    """Every event of the composition that has happened by `now` (C62)."""
    seen = timeline(state, record, now)
    events: list[_Due] = []

    def add(moment: datetime, name: str, destination: str = "") -> None:
        detail: dict[str, Any] = {"event_name": name, "stage_arn": record.stage_arn}
        if destination:
            detail["id"] = destination
        events.append(
            _Due(moment, COMPOSITION_STATE_CHANGE, [record.arn], detail, (name, destination))
        )

    active = seen.active_from
    if active is not None:
        add(active, SESSION_START)
        for destination in record.destinations:
            add(active, DESTINATION_START, destination.destination_id)
    if seen.stop is not None:
        if active is not None:
            for destination in record.destinations:
                add(seen.stop, DESTINATION_END, destination.destination_id)
        if now >= seen.stop + STOPPING_FOR:
            add(seen.stop + STOPPING_FOR, SESSION_END)
    return events


def _recording_event(recording: _Recording, name: str, moment: datetime) -> _Due:
    detail = {
        "session_id": recording.session_id,
        "event_name": name,
        "participant_id": recording.participant_id,
        "recording_s3_bucket_name": recording.bucket,
        "recording_s3_key_prefix": recording.prefix,
    }
    return _Due(moment, PARTICIPANT_RECORDING_STATE_CHANGE, [recording.stage_arn], detail)
