"""The request journal: what the API answered recently, for tests to look at.

ApiHandler (emulator/http/protocol.py) makes one RequestRecord per API request; that record is both
the request's log line and its journal entry. The journal keeps the last `--journal-size`
records in a ring buffer; GET /_emulator/requests lists them oldest first. A record holds no
body, token, key, signature or header: only what is below (choice C35 in contract/README.md).
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    """One API request as the journal and the log show it."""

    time: str
    """The emulator clock's time when the request arrived, ISO 8601 UTC (choice C10)."""
    method: str
    path: str
    """The URL path without its query string."""
    operation: str
    """The operation's name, or "-" when the method and path name none."""
    account: str
    region: str
    status: int
    error: str | None
    """The x-amzn-ErrorType of an error response, else None."""
    latency_ms: float
    request_id: str

    def view(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "operation": self.operation,
            "account": self.account,
            "region": self.region,
            "status": self.status,
            "error": self.error,
            "latencyMs": self.latency_ms,
            "requestId": self.request_id,
        }

    def line(self) -> str:
        """The human-readable log line; control characters in it are escaped (`\\x1b`), so
        that a path or a header cannot break the line or drive the terminal that shows it."""
        error = f" error={self.error}" if self.error else ""
        return _escaped(
            f"{self.method} {self.path} {self.operation} account={self.account} "
            f"region={self.region} status={self.status}{error} {self.latency_ms:.1f}ms "
            f"request={self.request_id}"
        )


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\\u2028\u2029\ud800-\udfff]")


def _escaped(text: str) -> str:
    """`text` with control characters (and the backslash that escapes them) as escapes."""
    return _CONTROL.sub(lambda found: found[0].encode("unicode_escape").decode("ascii"), text)


class Journal:
    """The last `size` RequestRecords, oldest first; thread-safe. Size 0 keeps none."""

    def __init__(self, size: int = 1000) -> None:
        if size < 0:
            raise ValueError("the journal size must be 0 or more")
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=size)
        self.size = size

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def __iter__(self) -> Iterator[RequestRecord]:
        with self._lock:
            return iter(list(self._records))

    def views(self, operation: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The records as JSON objects, oldest first: those of `operation`, the last `limit`."""
        chosen = [r for r in self if operation is None or r.operation == operation]
        if limit is not None:
            chosen = chosen[-limit:] if limit else []
        return [r.view() for r in chosen]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
