"""How a composition's state follows from what is stored and the clock (choice C39 in
contract/README.md).

No timer runs and nothing changes a composition behind the caller's back: its state at a moment
is computed from its start time, the moment StopComposition (or DeleteStage of its stage)
stopped it, the publishing recorded in its stage's sessions, and the time asked about.

- STARTING from the start, ACTIVE from STARTING_FOR later (when its destinations start);
- it stops at the first of: StopComposition or DeleteStage of its stage; IDLE_TIMEOUT without
  anyone publishing on its stage (counted from the start, or from the moment the last publisher
  stopped); MAX_DURATION after the start;
- STOPPING from the stop, STOPPED (composition and destinations with `endTime`) from
  STOPPING_FOR later; deleted (not found, not listed) RETAINED_FOR after the stop.

A composition uses its encoder and storage configurations, and counts towards the quota of
concurrent compositions, until it is STOPPED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..state.store import CompositionRecord, RegionState, StageRecord

STARTING_FOR = timedelta(seconds=1)
"""How long a composition is STARTING; its destinations start (`startTime`) when it ends."""
STOPPING_FOR = timedelta(seconds=1)
"""How long a stopped composition is STOPPING before it is STOPPED."""
RETAINED_FOR = timedelta(minutes=5)
"""How long after its stop a composition can still be read (the user guide: "automatically
deleted after a few minutes in the STOPPED state")."""
IDLE_TIMEOUT = timedelta(seconds=60)
"""The documented auto-shutdown: "after 60 seconds of inactivity from publisher participants"."""
MAX_DURATION = timedelta(hours=24)
"""The documented quota "Composition max duration" (not adjustable)."""


@dataclass(frozen=True)
class Timeline:
    """A composition seen at one moment: when it started, became active and stopped."""

    start: datetime
    stop: datetime | None
    """When it stopped, if it has by `now`."""
    now: datetime

    @property
    def active_from(self) -> datetime | None:
        """When it became ACTIVE (its destinations' `startTime`), if it has by `now`."""
        active = self.start + STARTING_FOR
        if active > self.now or (self.stop is not None and active > self.stop):
            return None
        return active

    @property
    def state(self) -> str:
        """The CompositionState: STARTING, ACTIVE, STOPPING or STOPPED (never FAILED)."""
        if self.stop is None:
            return "STARTING" if self.now < self.start + STARTING_FOR else "ACTIVE"
        return "STOPPING" if self.now < self.stop + STOPPING_FOR else "STOPPED"

    @property
    def end(self) -> datetime | None:
        """The `endTime` shown once STOPPED: the moment it stopped."""
        return self.stop if self.state == "STOPPED" else None

    @property
    def running(self) -> bool:
        """Whether it still uses its configurations and counts towards the quota."""
        return self.state != "STOPPED"

    @property
    def deleted(self) -> bool:
        """Whether it is gone: not found and not listed any more."""
        return self.stop is not None and self.now >= self.stop + RETAINED_FOR


def timeline(state: RegionState, record: CompositionRecord, now: datetime) -> Timeline:
    """The composition `record` of region `state` as it is at `now`."""
    candidates = [record.stopped_at, record.start_time + MAX_DURATION]
    candidates.append(_idle_stop(record.start_time, state.stages.get(record.stage_arn), now))
    stops = [moment for moment in candidates if moment is not None and moment <= now]
    return Timeline(record.start_time, min(stops) if stops else None, now)


def forget_deleted(state: RegionState, now: datetime) -> None:
    """Drop the compositions that are deleted by `now` (their idempotency tokens with them)."""
    for arn in [arn for arn, r in state.compositions.items() if timeline(state, r, now).deleted]:
        del state.compositions[arn]


def encoder_configurations_of(record: CompositionRecord) -> list[str]:
    """The ARNs of the encoder configurations the composition's destinations name."""
    arns: list[str] = []
    for destination in record.destinations:
        channel = destination.configuration.get("channel", {})
        s3 = destination.configuration.get("s3", {})
        if "encoderConfigurationArn" in channel:
            arns.append(channel["encoderConfigurationArn"])
        arns += s3.get("encoderConfigurationArns", [])
    return arns


def configurations_of(record: CompositionRecord) -> list[str]:
    """The ARNs of every encoder and storage configuration the composition names."""
    storage = [
        destination.configuration["s3"]["storageConfigurationArn"]
        for destination in record.destinations
        if "s3" in destination.configuration
    ]
    return encoder_configurations_of(record) + storage


def _idle_stop(start: datetime, stage: StageRecord | None, now: datetime) -> datetime | None:
    """When the composition shut down for lack of publishers, or None if it has not by `now`.

    The first stretch of IDLE_TIMEOUT from `start` on during which nobody published ends it.
    A stage that no longer exists counts as one where nobody publishes (DeleteStage stops its
    compositions anyway).
    """
    idle_since = start
    for began, ended in _publishing_periods(stage, now):
        if ended <= idle_since:
            continue
        if began - idle_since >= IDLE_TIMEOUT:
            break
        idle_since = max(idle_since, ended)
    stop = idle_since + IDLE_TIMEOUT
    return stop if stop <= now else None


def _publishing_periods(
    stage: StageRecord | None, now: datetime
) -> list[tuple[datetime, datetime]]:
    """Every period during which some participant of the stage published, from the
    PUBLISH_STARTED and PUBLISH_STOPPED events of its sessions; one still going ends at
    `now`. Sorted by their beginning."""
    periods: list[tuple[datetime, datetime]] = []
    sessions = stage.sessions.values() if stage is not None else ()
    for session in sessions:
        for participant in session.participants.values():
            began: datetime | None = None
            for event in participant.events:
                if event.name == "PUBLISH_STARTED" and began is None:
                    began = event.event_time
                elif event.name == "PUBLISH_STOPPED" and began is not None:
                    periods.append((began, event.event_time))
                    began = None
            if began is not None:
                periods.append((began, now))
    return sorted(periods)
