"""The events of one emulator put together: the derivation, as an observer of the backend's
commits, the ticker, the in-memory log and a delivery per target (docs/events.md)."""

from __future__ import annotations

import logging
from typing import Any

from ..config import Config
from ..service.context import Backend
from ..service.transactions import Commit
from .delivery import Delivery
from .derivation import Deriver
from .log import EventFilter, EventLog
from .targets import targets_of
from .ticker import Ticker

log = logging.getLogger("emulator.events")


class EventSystem:
    """Built by `create_app`; hooks itself to `backend.observers`."""

    def __init__(self, backend: Backend, config: Config) -> None:
        self.log = EventLog(config.events_size)
        self.deliveries = [Delivery(target) for target in targets_of(config)]
        self.deriver = Deriver(backend, self._emit)
        self._ticker = Ticker(self.deriver)
        backend.observers.append(self.observe)

    def observe(self, commit: Commit) -> None:
        """The backend's observer: derive the commit's events, then let the ticker watch the
        time if something now waits on it. Only queues: delivery happens elsewhere. It never
        raises, so the events can never change a write's answer (C66)."""
        try:
            self.deriver.observe(commit)
            self._ticker.wake()
        except Exception:
            log.exception("deriving the events of %s failed; the write stands", commit.action)

    def events(self, where: EventFilter | None = None) -> list[dict[str, Any]]:
        """The events sent so far (those the passing of time has caused included), oldest
        first."""
        self.deriver.catch_up()
        return self.log.events(where)

    def delivery_stats(self) -> list[dict[str, Any]]:
        return [delivery.stats() for delivery in self.deliveries]

    def clear(self) -> None:
        """Empty the in-memory list (DELETE /_emulator/events)."""
        self.log.clear()

    def reset(self) -> None:
        """A reset of the emulator: nothing is watched any more and the list is empty. Events
        already queued for a target are still delivered."""
        self.deriver.reset()
        self.log.clear()

    def close(self) -> None:
        """Stop the senders (tests that build many emulators)."""
        for delivery in self.deliveries:
            delivery.close()

    def _emit(self, event: dict[str, Any]) -> None:
        self.log.append(event)
        for delivery in self.deliveries:
            delivery.offer(event)
