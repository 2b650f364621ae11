"""Controls for tests, under /_emulator/: faults, the clock, the seed, inspection, the token
check, the request journal, export and import.

This module only reads and writes JSON; the behaviour lives in emulator/faults.py,
emulator/clock.py, emulator/ids.py, emulator/journal.py, emulator/snapshot.py and
emulator/service/admission.py. A refused request is 400 `{"message": "<why>"}` (choices C32
to C37 in contract/README.md).
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from .clock import ControlledClock, format_instant, parse_instant
from .faults import FaultRefused
from .journal import Journal
from .service import Backend
from .service.admission import AdmittedToken, admit
from .service.client_actions import JOIN_CHECKS
from .snapshot import ImportRefused, export_state, import_state, inspect_state
from .tokens import TokenError, unverified_claims

IMPORT_MAX_BYTES = 256 * 1024 * 1024
"""How large an import may be, whatever --max-body-bytes says (exports can be large)."""


class Refused(Exception):
    """A control request that cannot be carried out: `status` and a readable message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def controls_blueprint(backend: Backend, journal: Journal) -> Blueprint:
    bp = Blueprint("emulator_controls", __name__, url_prefix="/_emulator")
    faults = backend.behaviours.faults

    @bp.errorhandler(Refused)
    def refused(error: Refused) -> Response:
        return _json({"message": error.message}, error.status)

    # -- faults (C32) ----------------------------------------------------------------------------

    @bp.get("/faults")
    def list_faults() -> Response:
        return _json({"faults": faults.views()})

    @bp.post("/faults")
    def add_fault() -> Response:
        try:
            fault = faults.add(_body())
        except FaultRefused as error:
            raise Refused(str(error)) from None
        return _json(fault.view(), 201)

    @bp.delete("/faults")
    def clear_faults() -> Response:
        return _json({"removed": faults.clear()})

    @bp.delete("/faults/<fault_id>")
    def remove_fault(fault_id: str) -> Response:
        if not faults.remove(fault_id):
            raise Refused(f"no fault {fault_id!r}; GET /_emulator/faults lists them", 404)
        return _json({"removed": 1})

    # -- the clock (C33) and the seed (C34) --------------------------------------------------

    @bp.get("/clock")
    def get_clock() -> Response:
        clock = backend.clock
        if isinstance(clock, ControlledClock):
            return _json(clock.status())
        return _json({"now": format_instant(clock.now()), "frozen": None, "offsetSeconds": None})

    @bp.post("/clock")
    def set_clock() -> Response:
        body = _body()
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
        return _json(clock.status())

    @bp.post("/clock/advance")
    def advance_clock() -> Response:
        seconds = _body().get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise Refused("'seconds' must be a number of seconds, 0 or more")
        clock = _controlled(backend)
        clock.advance(seconds)
        return _json(clock.status())

    @bp.get("/seed")
    def get_seed() -> Response:
        return _json({"seed": backend.ids.seed})

    @bp.post("/seed")
    def set_seed() -> Response:
        body = _body()
        seed = body.get("seed")
        if set(body) != {"seed"} or isinstance(seed, bool) or not isinstance(seed, int | None):
            raise Refused('expected {"seed": <whole number>} (or null for unpredictable ids)')
        backend.ids.reseed(seed)
        faults.reseed(seed)
        return _json({"seed": seed})

    # -- inspection (C35) ------------------------------------------------------------------------

    @bp.get("/state")
    def state() -> Response:
        account, region = request.args.get("account"), request.args.get("region")
        return _json(inspect_state(backend, account, region))

    @bp.post("/token-check")
    def token_check() -> Response:
        token = _body().get("token")
        if not isinstance(token, str) or not token:
            raise Refused('expected {"token": "<participant token>"}')
        verdict = admit(backend, token, JOIN_CHECKS)
        if isinstance(verdict, AdmittedToken):
            return _json(
                {
                    "accepted": True,
                    "problem": None,
                    "reason": None,
                    "claims": dict(verdict.claims),
                    "selfSigned": verdict.self_signed,
                }
            )
        return _json(
            {
                "accepted": False,
                "problem": verdict.problem.value,
                "reason": verdict.reason,
                "claims": _readable_claims(token),
                "selfSigned": None,
            }
        )

    @bp.get("/requests")
    def requests() -> Response:
        operation = request.args.get("operation") or None
        limit = request.args.get("limit")
        if limit is not None and not limit.isdigit():
            raise Refused("'limit' must be a whole number")
        views = journal.views(operation, int(limit) if limit is not None else None)
        return _json({"size": journal.size, "requests": views})

    @bp.delete("/requests")
    def clear_requests() -> Response:
        journal.clear()
        return _json({"cleared": True})

    # -- export and import (C37) -----------------------------------------------------------------

    @bp.get("/export")
    def export() -> Response:
        return _json(export_state(backend))

    @bp.post("/import")
    def import_() -> Response:
        request.max_content_length = IMPORT_MAX_BYTES
        try:
            regions = import_state(backend, _body(any_json=True))
        except ImportRefused as error:
            raise Refused(f"import refused, the state is unchanged: {error}") from None
        return _json({"imported": True, "regions": regions})

    return bp


def reset_controls(backend: Backend, journal: Journal) -> None:
    """What POST /_emulator/reset does besides forgetting the state, so that a test starts
    as on a fresh emulator (C35): no faults, an empty journal, the clock back at its start,
    the ids (and fault draws) restarted from the current seed. Denied and pending accounts and
    quotas stay as they are."""
    backend.behaviours.faults.clear()
    journal.clear()
    if isinstance(backend.clock, ControlledClock):
        backend.clock.restart()
    seed = backend.ids.seed
    backend.ids.reseed(seed)
    backend.behaviours.faults.reseed(seed)


def _body(any_json: bool = False) -> Any:
    """The request's JSON body: an object unless `any_json`; Refused when it is not JSON."""
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise Refused(f"the body is larger than {request.max_content_length} bytes", 413) from None
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError) as error:
        raise Refused(f"the body is not valid JSON: {error}") from None
    if not any_json and not isinstance(body, dict):
        raise Refused("the body must be a JSON object")
    return body


def _controlled(backend: Backend) -> ControlledClock:
    if not isinstance(backend.clock, ControlledClock):
        raise Refused(
            "this emulator's clock was passed to create_app by code and cannot be moved here",
            409,
        )
    return backend.clock


def _readable_claims(token: str) -> dict[str, Any] | None:
    """A refused token's claims, unverified, when it has readable ones."""
    try:
        return unverified_claims(token)
    except TokenError:
        return None


def _json(body: Any, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False) + "\n"
    return Response(text, status=status, content_type="application/json")
