"""GET /_emulator/state and POST /_emulator/token-check: what the emulator holds, read-only,
and whether a stage would admit a token, with the reason (choice C35). With the data plane
running, the state also shows its members and peer connections (`dataPlane`, choice C59)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from ...service.admission import AdmittedToken, admit
from ...service.context import Backend
from ...service.stage_actions import JOIN_CHECKS
from ...tokens import TokenError, unverified_claims
from ..snapshot import inspect_state
from .common import Refused, control_blueprint, json_response, read_json


def inspection_blueprint(
    backend: Backend, data_plane_report: Callable[[], dict[str, Any]] | None = None
) -> Blueprint:
    bp = control_blueprint("emulator_inspection")

    @bp.get("/state")
    def state() -> Response:
        account, region = request.args.get("account"), request.args.get("region")
        document = inspect_state(backend, account, region)
        if data_plane_report is not None:
            document["dataPlane"] = data_plane_report()
        return json_response(document)

    @bp.post("/token-check")
    def token_check() -> Response:
        token = read_json().get("token")
        if not isinstance(token, str) or not token:
            raise Refused('expected {"token": "<participant token>"}')
        verdict = admit(backend, token, JOIN_CHECKS)
        if isinstance(verdict, AdmittedToken):
            return json_response(
                {
                    "accepted": True,
                    "problem": None,
                    "reason": None,
                    "claims": dict(verdict.claims),
                    "selfSigned": verdict.self_signed,
                }
            )
        return json_response(
            {
                "accepted": False,
                "problem": verdict.problem.value,
                "reason": verdict.reason,
                "claims": _readable_claims(token),
                "selfSigned": None,
            }
        )

    return bp


def _readable_claims(token: str) -> dict[str, Any] | None:
    """A refused token's claims, unverified, when it has readable ones."""
    try:
        return unverified_claims(token)
    except TokenError:
        return None
