"""GET and DELETE /_emulator/events: the EventBridge events the emulator sent, and GET
/_emulator/events/deliveries: how delivery to each webhook and EventBridge bus goes (choices
C65 and C66 in contract/README.md, docs/events.md).

GET /_emulator/events answers `{"size", "total", "events": [...]}`: the kept events, oldest
first, each exactly as delivered; filters `detailType`, `eventName` (`detail.event_name`),
`resource` (an ARN among `resources`, or a composition's `detail.stage_arn`) and `since` (an
ISO 8601 time: events at or after it); `limit` keeps the newest that many of them. DELETE
empties the list (a reset does too).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ...contract.timestamps import parse_instant
from ...events.log import EventFilter
from ...events.system import EventSystem
from .common import Refused, control_blueprint, json_response

FILTERS = ("detailType", "eventName", "resource", "since", "limit")


def events_blueprint(events: EventSystem) -> Blueprint:
    bp = control_blueprint("emulator_events")

    @bp.get("/events")
    def list_events() -> Response:
        unknown = sorted(set(request.args) - set(FILTERS))
        if unknown:
            raise Refused(
                f"unknown filter {', '.join(unknown)}: expected one of {', '.join(FILTERS)}"
            )
        since = request.args.get("since")
        try:
            moment = parse_instant(since) if since is not None else None
        except ValueError as error:
            raise Refused(f"'since': {error}") from None
        where = EventFilter(
            detail_type=request.args.get("detailType"),
            event_name=request.args.get("eventName"),
            resource=request.args.get("resource"),
            since=moment,
        )
        limit = request.args.get("limit")
        if limit is not None and not (limit.isascii() and limit.isdigit() and len(limit) <= 18):
            raise Refused("'limit' must be a whole number (0 to 18 digits)")
        listed = events.events(where)
        if limit is not None:
            listed = listed[len(listed) - int(limit):] if int(limit) else []
        body = {"size": events.log.size, "total": events.log.total, "events": listed}
        return json_response(body, headers={"Cache-Control": "no-store"})

    @bp.delete("/events")
    def clear_events() -> Response:
        events.clear()
        return json_response({"cleared": True})

    @bp.get("/events/deliveries")
    def deliveries() -> Response:
        return json_response(
            {"deliveries": events.delivery_stats()}, headers={"Cache-Control": "no-store"}
        )

    return bp
