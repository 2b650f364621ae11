"""GET and POST /_emulator/behaviours: denied and pending-verification callers and quotas
(choice C13); the faults they hold are shown here and changed under /_emulator/faults."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..behaviours import Behaviours
from .common import Refused, control_blueprint, json_response, read_json


def behaviours_blueprint(behaviours: Behaviours) -> Blueprint:
    bp = control_blueprint("emulator_behaviours")

    @bp.get("/behaviours")
    def get_behaviours() -> Response:
        return json_response(behaviours.snapshot())

    @bp.post("/behaviours")
    def set_behaviours() -> Response:
        body = read_json()
        try:
            behaviours.update(
                denied=_string_list(body, "denied"),
                pending_verification=_string_list(body, "pendingVerification"),
                quotas=_quotas(body.get("quotas")),
            )
        except ValueError as exc:
            raise Refused(str(exc)) from None
        return json_response(behaviours.snapshot())

    return bp


def _string_list(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings")
    return value


def _quotas(value: Any) -> dict[str, int | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
        for v in value.values()
    ):
        raise ValueError("'quotas' must map quota names to non-negative integers or null")
    return value
