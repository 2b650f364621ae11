"""Log formats: one human-readable line per record (`--log-format text`, the default), or one
JSON object per line (`--log-format json`) for log collectors (choice C36 in
contract/README.md).

A request's line (emulator/http/protocol.py) carries its RequestRecord as `extra={"request": ...}`;
the JSON format spreads those fields into the object. Nothing here adds anything a record
does not already hold: no bodies, tokens, keys or headers ever reach a log line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (the wall clock's), level, logger, message, and a
    request's fields (its `time`, the emulator clock's, as `requestTime`)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = getattr(record, "request", None)
        if isinstance(request, dict):
            for key, value in request.items():  # the request's own `time` -> `requestTime`
                entry[key if key not in entry else "request" + key[:1].upper() + key[1:]] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter `--log-format` names."""
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def formatter_config(log_format: str) -> dict[str, Any]:
    """The same formatter for logging.config.dictConfig (Granian's own log lines)."""
    if log_format == "json":
        return {"()": f"{__name__}.JsonFormatter"}
    return {"()": "logging.Formatter", "fmt": TEXT_FORMAT}
