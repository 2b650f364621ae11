"""The clock the emulator reads time from; passed in, never read as a global."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC, whole seconds."""
        ...


class SystemClock:
    """Wall-clock time, truncated to whole seconds (tokens carry epoch seconds)."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


class FixedClock:
    """A clock that stands still until moved; for tests."""

    def __init__(self, start: datetime) -> None:
        self.current = start.astimezone(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.current = self.current + timedelta(seconds=seconds)
