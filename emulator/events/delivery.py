"""Delivery to one target, never in the way of an API call (choice C66 in contract/README.md).

`offer` only puts the event in a bounded queue (a full queue drops it and counts it); a
background sender takes the events in order and hands each to its target, retrying a failed
attempt after a growing pause, and keeps counts and the last errors for
GET /_emulator/events/deliveries. The sender thread starts with the first event and ends after
a while with nothing to send, so an idle emulator holds no thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any, Protocol

from ..contract.timestamps import format_instant

log = logging.getLogger("emulator.events")

QUEUE_SIZE = 10_000
"""Events waiting for one target at most; more are dropped (and counted)."""
ATTEMPTS = 5
"""Attempts per event before it counts as failed."""
FIRST_PAUSE = 0.25
"""Seconds before the second attempt; each pause after it doubles, up to LONGEST_PAUSE."""
LONGEST_PAUSE = 4.0
IDLE_EXIT = 5.0
"""Seconds without an event after which the sender thread ends (the next event starts one)."""
ERRORS_KEPT = 20


class Target(Protocol):
    """Where events go: a webhook or an EventBridge bus (emulator/events/targets.py)."""

    @property
    def name(self) -> str: ...

    def deliver(self, event: dict[str, Any]) -> None:
        """Deliver one event, or raise an exception that says why it was not delivered."""


class Delivery:
    """One target's queue, sender thread and record."""

    def __init__(
        self,
        target: Target,
        *,
        attempts: int = ATTEMPTS,
        first_pause: float = FIRST_PAUSE,
        capacity: int = QUEUE_SIZE,
    ) -> None:
        self.target = target
        self._attempts = attempts
        self._first_pause = first_pause
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(capacity)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._busy = False
        self._counts = {"delivered": 0, "failed": 0, "retries": 0, "dropped": 0}
        self._errors: deque[dict[str, Any]] = deque(maxlen=ERRORS_KEPT)

    def offer(self, event: dict[str, Any]) -> None:
        """Queue the event for delivery; never blocks and never raises."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._lock:
                self._counts["dropped"] += 1
                self._note(event, 0, "dropped: the delivery queue is full", gave_up=True)
            return
        with self._lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(
                    target=self._run, name=f"events to {self.target.name}", daemon=True
                )
                self._thread.start()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "target": self.target.name,
                **self._counts,
                "queued": self._queue.qsize() + (1 if self._busy else 0),
                "lastErrors": list(self._errors),
            }

    def idle(self) -> bool:
        """Nothing queued or being sent."""
        with self._lock:
            return self._queue.empty() and not self._busy

    def close(self) -> None:
        """Stop sending (what is queued is not sent)."""
        self._closed.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=2 * LONGEST_PAUSE)

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                event = self._queue.get(timeout=IDLE_EXIT)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            with self._lock:
                self._busy = True
            try:
                self._send(event)
            finally:
                with self._lock:
                    self._busy = False

    def _send(self, event: dict[str, Any]) -> None:
        pause = self._first_pause
        for attempt in range(1, self._attempts + 1):
            try:
                self.target.deliver(event)
            except Exception as error:  # any failure of the target: note it, try again
                last = attempt == self._attempts
                with self._lock:
                    self._counts["failed" if last else "retries"] += 1
                    self._note(event, attempt, _describe(error), gave_up=last)
                if last:
                    log.warning(
                        "event %s not delivered to %s after %d attempts: %s",
                        event.get("id"), self.target.name, attempt, _describe(error),
                    )
                    return
                if self._closed.wait(pause):
                    return
                pause = min(pause * 2, LONGEST_PAUSE)
            else:
                with self._lock:
                    self._counts["delivered"] += 1
                return

    def _note(self, event: dict[str, Any], attempt: int, error: str, *, gave_up: bool) -> None:
        self._errors.append(
            {
                "time": format_instant(datetime.now(UTC)),
                "eventId": event.get("id"),
                "attempt": attempt,
                "error": error,
                "gaveUp": gave_up,
            }
        )


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 500 else text[:497] + "..."
