"""Writes as transactions: one account and region, under its lock, ended by a Commit that every
observer of the backend receives.

A Commit says what ran (an operation and its validated request, or a stage client's or an
encoder's action and its arguments), at which time, which ids it drew (so that a replay draws the
same), the participant events it recorded, and whether it failed. Observers (persistence, the
event bus, the data plane) run under the region's lock, in commit order; they must be quick and
must not call back into the service. An observer's error does not change the write's answer,
unless it is a ServiceError (persistence could not keep the write: the answer is that error).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..contract.errors import ServiceError
from ..state.store import ParticipantEventRecord, ParticipantRecord
from .context import Backend, Context

log = logging.getLogger("emulator.transactions")


@dataclass(frozen=True)
class Commit:
    account: str
    region: str
    action: str
    """An operation's name ("CreateStage"), or a client's action ("stage.join", "ingest.start")."""
    arguments: Mapping[str, Any]
    now: datetime
    drawn: tuple[str, ...]
    """The ids the write drew from the id generator, in order."""
    participant_events: tuple[tuple[ParticipantRecord, ParticipantEventRecord], ...]
    """Each participant event the write recorded, with its participant (stage and session)."""
    failed: bool
    """The write ended in an error (it may still have recorded events, e.g. PUBLISH_ERROR)."""


@contextmanager
def transaction(
    backend: Backend, account: str, region: str, action: str, arguments: Mapping[str, Any]
) -> Iterator[Context]:
    """Run the block as one write of `account` and `region`, then hand its Commit to the
    observers."""
    state = backend.store.region(account, region)
    with state.lock:
        context = Context(backend, account, region, state, backend.clock.now())
        if not backend.observers:  # nobody listens: no commit to make
            yield context
            state.new_events.clear()
            return
        state.new_events.clear()
        failed = True
        with backend.ids.drawing() as drawn:
            try:
                yield context
                failed = False
            finally:
                commit = Commit(
                    account=account,
                    region=region,
                    action=action,
                    arguments=arguments,
                    now=context.now,
                    drawn=tuple(drawn),
                    participant_events=tuple(state.new_events),
                    failed=failed,
                )
                state.new_events.clear()
                _notify(backend, commit)


def _notify(backend: Backend, commit: Commit) -> None:
    """Hand `commit` to every observer. An observer that must not fail silently (persistence)
    raises a ServiceError, which becomes the write's answer; any other error is logged and the
    write stands."""
    refusal: ServiceError | None = None
    for observer in backend.observers:
        try:
            observer(commit)
        except ServiceError as error:
            refusal = refusal or error
        except Exception:
            log.exception("an observer failed on %s; the write stands", commit.action)
    if refusal is not None and not commit.failed:
        raise refusal
