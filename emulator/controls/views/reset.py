"""POST /_emulator/reset: everything back as on a fresh emulator (choice C35)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..reset import Resets
from .common import control_blueprint, json_response


def reset_blueprint(resets: Resets) -> Blueprint:
    bp = control_blueprint("emulator_reset")

    @bp.post("/reset")
    def reset() -> Response:
        resets.reset()
        return json_response({"reset": True})

    return bp
