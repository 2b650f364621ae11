"""The clock the emulator reads time from; passed in, never read as a global.

`ControlledClock` is the one the emulator runs on: wall time by default, or moved to a given
instant, frozen there or running on from it, and advanced by a number of seconds, at start
(`--clock-start`, `--clock-frozen`) or at run time through `/_emulator/clock`
(emulator/controls/views/clock.py; choice C33 in contract/README.md). Everything that has
a time (token `iat`/`exp`, `expirationTime`, creation, session and event times, token
expiry) reads it through `Backend.clock`, so moving this clock moves all of them together.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ..contract.timestamps import EARLIEST, LATEST, check_instant, format_instant


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC, whole seconds."""
        ...


def wall_time() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    """Wall-clock time, truncated to whole seconds (tokens carry epoch seconds)."""

    def now(self) -> datetime:
        return wall_time().replace(microsecond=0)


class ControlledClock:
    """Wall time shifted by an offset, or frozen at an instant; both can be changed.

    Running, it reads `wall() + offset`; frozen, it reads the instant it stands at. Every
    reading is truncated to whole seconds. Thread-safe.
    """

    def __init__(
        self,
        start: datetime | None = None,
        *,
        frozen: bool = False,
        wall: Callable[[], datetime] = wall_time,
    ) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta(0)
        self._start = (start, frozen)
        self.set(now=start, frozen=frozen)

    def now(self) -> datetime:
        return self._exact().replace(microsecond=0)

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen_at is not None

    def set(self, now: datetime | None = None, frozen: bool | None = None) -> None:
        """Move to `now` (when given) and freeze or release the clock (when given).

        Released, the clock runs on from the instant it read (or from `now`).
        """
        if now is not None:
            check_instant(now.astimezone(UTC))
        with self._lock:
            wall = self._wall()
            if now is not None:
                current = now.astimezone(UTC)
            else:
                current = self._frozen_at if self._frozen_at is not None else wall + self._offset
            stop = (self._frozen_at is not None) if frozen is None else frozen
            if stop:
                self._frozen_at = current
            else:
                self._frozen_at = None
                self._offset = current - wall

    def restart(self) -> None:
        """Back to how the clock was made: its start instant (or wall time), frozen or not."""
        start, frozen = self._start
        with self._lock:
            self._frozen_at, self._offset = None, timedelta(0)
        self.set(now=start, frozen=frozen)

    def advance(self, seconds: float) -> None:
        """Move the clock on by `seconds` (frozen or running); ValueError, the clock unmoved,
        when that would leave its range (EARLIEST to LATEST)."""
        if isinstance(seconds, float) and not math.isfinite(seconds):
            raise ValueError("seconds must be a finite number")
        with self._lock:
            current = self._exact_locked()
            if not (
                (EARLIEST - current).total_seconds()
                <= seconds
                < (LATEST - current).total_seconds()
            ):
                raise ValueError(
                    f"advancing by {seconds} seconds would take the clock outside its range: "
                    "from 1970-01-01T00:00:00Z to before 9999-01-01T00:00:00Z"
                )
            step = timedelta(seconds=seconds)
            if self._frozen_at is not None:
                self._frozen_at += step
            else:
                self._offset += step

    def status(self) -> dict[str, object]:
        """What GET /_emulator/clock answers."""
        with self._lock:
            exact = self._exact_locked()
            frozen = self._frozen_at is not None
            offset = None if frozen else self._offset.total_seconds()
        return {"now": format_instant(exact), "frozen": frozen, "offsetSeconds": offset}

    def _exact(self) -> datetime:
        with self._lock:
            return self._exact_locked()

    def _exact_locked(self) -> datetime:
        if self._frozen_at is not None:
            return self._frozen_at
        return self._wall() + self._offset


class FixedClock(ControlledClock):
    """A clock that stands still at `start` until moved; for tests."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start, frozen=True)
