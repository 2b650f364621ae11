"""Running logged writes again, as they ran the first time.

Each write goes through the code that ran it (an operation through the Service, a stage
client's action through service/stage_actions.py, an encoder's through
service/ingest_actions.py) on a backend of its own that shares the store and the signer: its
clock stands at the write's time, its ids are exactly the ones the write drew, in order, its
behaviours refuse nothing (the write was accepted once; quotas and faults may have changed
since) and it has no observers. A write that failed the first time may fail again (it is
replayed for the events it recorded); one that succeeded and fails now is logged as a warning
and start-up goes on.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ..controls.behaviours import Behaviours
from ..controls.ids import IdGenerator
from ..service import ingest_actions, stage_actions
from ..service.context import Backend
from ..service.dispatch import Service
from ..tokens import TokenSigner
from .log import Logged

log = logging.getLogger("emulator.persistence")

Action = Callable[[Backend, dict[str, Any]], object]

ACTIONS: dict[str, Action] = {
    "stage.join": lambda backend, a: stage_actions.join(
        backend, a["token"], take_over=a.get("takeOver") == "true"
    ),
    "stage.leave": lambda backend, a: stage_actions.leave(backend, a["token"]),
    "stage.publish": lambda backend, a: stage_actions.publish(backend, a["token"]),
    "stage.unpublish": lambda backend, a: stage_actions.unpublish(backend, a["token"]),
    "stage.subscribe": lambda backend, a: stage_actions.subscribe(
        backend, a["token"], a["publisherId"]
    ),
    "stage.unsubscribe": lambda backend, a: stage_actions.unsubscribe(
        backend, a["token"], a["publisherId"]
    ),
    "ingest.start": lambda backend, a: ingest_actions.start(backend, a["streamKey"]),
    "ingest.stop": lambda backend, a: ingest_actions.stop(backend, a["streamKey"]),
}
"""The stage client's and the encoder's actions, by the name their commits carry."""


class StandingClock:
    """A clock that reads the time it was last set to."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class ReplayedIds(IdGenerator):
    """Hands out the ids it is given, in order; unpredictable ones if a replay asks for more
    (which only a replay that went another way than the write can)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.queue: deque[str] = deque()

    def alnum(self, length: int) -> str:
        if self.queue:
            return self.queue.popleft()
        return super().alnum(length)


class Replayer:
    """Replays logged writes into `live`'s store, signing with `signer` (the key the writes
    were made with; `live`'s by default)."""

    def __init__(self, live: Backend, signer: TokenSigner | None = None) -> None:
        self.clock = StandingClock(live.clock.now())
        self.ids = ReplayedIds()
        self.backend = Backend(
            contract=live.contract,
            store=live.store,
            signer=signer or live.signer,
            clock=self.clock,
            ids=self.ids,
            behaviours=Behaviours(),
        )
        self.service = Service(self.backend)
        self.diverged = 0

    def replay(self, writes: Iterable[Logged]) -> int:
        """Replay `writes` in order; returns how many ran."""
        count = 0
        for write in writes:
            self.run(write)
            count += 1
        return count

    def run(self, write: Logged) -> None:
        self.clock.at = write.now
        self.ids.queue = deque(write.drawn)
        try:
            action = ACTIONS.get(write.action)
            if action is not None:
                action(self.backend, write.arguments)
            else:
                self.service.call(write.action, write.account, write.region, write.arguments)
        except Exception as error:
            if not write.failed:
                self.diverged += 1
                log.warning(
                    "replaying logged write %d (%s) failed, where it succeeded before: %s",
                    write.seq,
                    write.action,
                    error,
                )
