"""Which commits the log keeps, and a Commit as a row of it (emulator/persistence/database.py).

A commit is logged when replaying it can change the state: every write, failed ones included
when they recorded participant events (a refused publish records PUBLISH_ERROR, and a replay
records it again). Reads (Get*, List*) and failures that recorded nothing are left out, unless
they drew ids (choice C55 in contract/README.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..service.transactions import Commit
from .database import LogRow

READ_PREFIXES = ("Get", "List")


def worth_logging(commit: Commit) -> bool:
    if commit.participant_events or commit.drawn:
        return True
    if commit.failed:
        return False
    return not commit.action.startswith(READ_PREFIXES)


def row_of(commit: Commit) -> LogRow:
    """The commit as a log row; its arguments must be JSON (a validated request or an
    action's strings are)."""
    return LogRow(
        seq=0,
        account=commit.account,
        region=commit.region,
        action=commit.action,
        arguments=json.dumps(commit.arguments, allow_nan=False),
        now=commit.now.astimezone(UTC).isoformat(),
        drawn=json.dumps(list(commit.drawn)),
        failed=commit.failed,
    )


@dataclass(frozen=True)
class Logged:
    """A log row read back: what a replay needs."""

    seq: int
    account: str
    region: str
    action: str
    arguments: dict[str, Any]
    now: datetime
    drawn: tuple[str, ...]
    failed: bool


def read_row(row: LogRow) -> Logged:
    """The row as values; ValueError when it is not one this module wrote."""
    arguments = json.loads(row.arguments)
    drawn = json.loads(row.drawn)
    if not isinstance(arguments, dict) or not isinstance(drawn, list):
        raise ValueError(f"log row {row.seq}: arguments or drawn ids are not as written")
    now = datetime.fromisoformat(row.now)
    if now.tzinfo is None:
        raise ValueError(f"log row {row.seq}: its time has no zone")
    return Logged(
        row.seq,
        row.account,
        row.region,
        row.action,
        arguments,
        now.astimezone(UTC),
        tuple(str(item) for item in drawn),
        row.failed,
    )
