"""The wire format of times: ISO 8601 in UTC with whole seconds, as the API writes them
(choice C10 in contract/README.md), and the one parser of the times a user gives."""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
"""The emulator clock reads from EARLIEST up to, not including, LATEST (choice C68): tokens
carry their times as seconds since 1970, and the calendar's last year is left free for the
times the service adds to the clock (a token expires at most 14 days on)."""


def check_instant(value: datetime) -> datetime:
    """`value` when the clock may stand there, else ValueError saying the range."""
    if not EARLIEST <= value < LATEST:
        raise ValueError(
            f"{value.isoformat()} is outside the emulator clock's range: from "
            "1970-01-01T00:00:00Z to before 9999-01-01T00:00:00Z"
        )
    return value


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date-time as aware UTC within the clock's range (check_instant); one
    without a zone is taken as UTC.

    Raises ValueError with a message a user can act on.
    """
    try:
        value = datetime.fromisoformat(text.strip())
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"expected an ISO 8601 date-time such as 2026-01-02T03:04:05Z, got {text!r}"
        ) from None
    return check_instant(value)


def format_instant(value: datetime) -> str:
    """ISO 8601 UTC with whole seconds, as the API writes times (choice C10)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
