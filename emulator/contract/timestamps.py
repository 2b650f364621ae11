"""The wire format of times: ISO 8601 in UTC with whole seconds, as the API writes them
(choice C10 in contract/README.md), and the one parser of the times a user gives."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date-time as aware UTC; one without a zone is taken as UTC.

    Raises ValueError with a message a user can act on.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except (TypeError, ValueError):
        raise ValueError(
            f"expected an ISO 8601 date-time such as 2026-01-02T03:04:05Z, got {text!r}"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    """ISO 8601 UTC with whole seconds, as the API writes times (choice C10)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
