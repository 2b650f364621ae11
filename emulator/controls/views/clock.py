"""/_emulator/clock and /_emulator/seed: the emulator's time (choice C33) and the seed of its
ids, request ids, nextTokens and fault draws (choice C34)."""

from __future__ import annotations

import math

from flask import Blueprint, Response

from ...contract.timestamps import format_instant, parse_instant
from ...service.context import Backend
from ..clock import ControlledClock
from .common import Refused, control_blueprint, json_response, read_json


def clock_blueprint(backend: Backend) -> Blueprint:
    bp = control_blueprint("emulator_clock")

    @bp.get("/clock")
    def get_clock() -> Response:
        clock = backend.clock
        if isinstance(clock, ControlledClock):
            return json_response(clock.status())
        return json_response(
            {"now": format_instant(clock.now()), "frozen": None, "offsetSeconds": None}
        )

    @bp.post("/clock")
    def set_clock() -> Response:
        body = read_json()
        unknown = sorted(set(body) - {"now", "frozen"})
        if unknown or not body:
            raise Refused('expected {"now": "<ISO 8601>", "frozen": true|false}, either or both')
        now, frozen = body.get("now"), body.get("frozen")
        if now is not None and not isinstance(now, str):
            raise Refused("'now' must be an ISO 8601 date-time, e.g. 2026-01-02T03:04:05Z")
        if frozen is not None and not isinstance(frozen, bool):
            raise Refused("'frozen' must be true or false")
        try:
            instant = parse_instant(now) if now is not None else None
        except ValueError as error:
            raise Refused(f"'now': {error}") from None
        clock = _controlled(backend)
        clock.set(now=instant, frozen=frozen)
        return json_response(clock.status())

    @bp.post("/clock/advance")
    def advance_clock() -> Response:
        seconds = read_json().get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or (isinstance(seconds, float) and not math.isfinite(seconds))
            or seconds < 0
        ):
            raise Refused("'seconds' must be a number of seconds, 0 or more")
        clock = _controlled(backend)
        try:
            clock.advance(seconds)
        except ValueError as error:
            raise Refused(str(error)) from None
        return json_response(clock.status())

    @bp.get("/seed")
    def get_seed() -> Response:
        return json_response({"seed": backend.ids.seed})

    @bp.post("/seed")
    def set_seed() -> Response:
        body = read_json()
        seed = body.get("seed")
        if set(body) != {"seed"} or isinstance(seed, bool) or not isinstance(seed, int | None):
            raise Refused('expected {"seed": <whole number>} (or null for unpredictable ids)')
        backend.ids.reseed(seed)
        backend.behaviours.faults.reseed(seed)
        return json_response({"seed": seed})

    return bp


def _controlled(backend: Backend) -> ControlledClock:
    if not isinstance(backend.clock, ControlledClock):
        raise Refused(
            "this emulator's clock was passed to create_app by code and cannot be moved here",
            409,
        )
    return backend.clock
