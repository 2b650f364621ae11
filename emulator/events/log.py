"""The events the emulator sent, kept in memory for GET /_emulator/events (choice C65 in
contract/README.md): the newest `size`, oldest first, with the filters that view offers."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..contract.timestamps import parse_instant


@dataclass(frozen=True)
class EventFilter:
    """What GET /_emulator/events may ask for; None matches anything."""

    detail_type: str | None = None
    event_name: str | None = None
    resource: str | None = None
    """An ARN among the event's `resources`, or its `detail.stage_arn` (a composition's)."""
    since: datetime | None = None
    """Events whose `time` is this moment or later."""

    def matches(self, event: dict[str, Any]) -> bool:
        detail = event.get("detail", {})
        if self.detail_type is not None and event["detail-type"] != self.detail_type:
            return False
        if self.event_name is not None and detail.get("event_name") != self.event_name:
            return False
        if self.resource is not None and self.resource not in (
            *event["resources"],
            detail.get("stage_arn"),
        ):
            return False
        return self.since is None or parse_instant(event["time"]) >= self.since


class EventLog:
    """The newest `size` events, in the order they were sent (0 keeps none)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._events: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._total = 0

    def append(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._total += 1
            if self.size:
                self._events.append(event)

    def events(self, where: EventFilter | None = None) -> list[dict[str, Any]]:
        with self._lock:
            events: Iterable[dict[str, Any]] = list(self._events)
        return [e for e in events if where is None or where.matches(e)]

    @property
    def total(self) -> int:
        """How many events were sent since the last clear, those no longer kept included."""
        with self._lock:
            return self._total

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._total = 0
