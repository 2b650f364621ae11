"""GET and DELETE /_emulator/requests: the journal of recent API requests (choice C35)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..journal import Journal
from .common import Refused, control_blueprint, json_response


def journal_blueprint(journal: Journal) -> Blueprint:
    bp = control_blueprint("emulator_journal")

    @bp.get("/requests")
    def requests() -> Response:
        operation = request.args.get("operation") or None
        limit = request.args.get("limit")
        if limit is not None and not (limit.isascii() and limit.isdigit() and len(limit) <= 18):
            raise Refused("'limit' must be a whole number (0 to 18 digits)")
        views = journal.views(operation, int(limit) if limit is not None else None)
        return json_response({"size": journal.size, "requests": views})

    @bp.delete("/requests")
    def clear_requests() -> Response:
        journal.clear()
        return json_response({"cleared": True})

    return bp
