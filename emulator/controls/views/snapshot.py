"""GET /_emulator/export and POST /_emulator/import: the whole state as JSON (choice C37)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ...service.context import Backend
from ..snapshot import ImportRefused, export_state, import_state
from .common import Refused, control_blueprint, json_response, read_json

IMPORT_MAX_BYTES = 256 * 1024 * 1024
"""How large an import may be, whatever --max-body-bytes says (exports can be large)."""


def snapshot_blueprint(backend: Backend) -> Blueprint:
    bp = control_blueprint("emulator_snapshot")

    @bp.get("/export")
    def export() -> Response:
        return json_response(export_state(backend))

    @bp.post("/import")
    def import_() -> Response:
        request.max_content_length = IMPORT_MAX_BYTES
        try:
            regions = import_state(backend, read_json(any_json=True))
        except ImportRefused as error:
            raise Refused(f"import refused, the state is unchanged: {error}") from None
        return json_response({"imported": True, "regions": regions})

    return bp
