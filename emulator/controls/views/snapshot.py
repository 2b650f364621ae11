"""GET /_emulator/export and POST /_emulator/import: the whole state as JSON (choice C37)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ...service.context import Backend
from ..snapshot import ImportRefused, export_state, import_state
from .common import Refused, control_blueprint, json_response, read_json

IMPORT_MAX_BYTES = 64 * 1024 * 1024
"""How large an import may be, whatever --max-body-bytes says (exports can be large)."""
IMPORT_BYTES_PER_CONTAINER = 32
IMPORT_BYTES_PER_ITEM = 16
"""An import may hold at most one object or array per 32 bytes and one item per 16 (an export
holds about one per 80 and one per 30), so that reading it takes a few times its size in
memory, not twenty (json_body.check_sparse)."""


def snapshot_blueprint(backend: Backend) -> Blueprint:
    bp = control_blueprint("emulator_snapshot")

    @bp.get("/export")
    def export() -> Response:
        return json_response(export_state(backend))

    @bp.post("/import")
    def import_() -> Response:
        request.max_content_length = IMPORT_MAX_BYTES
        try:
            document = read_json(
                any_json=True, sparse=(IMPORT_BYTES_PER_CONTAINER, IMPORT_BYTES_PER_ITEM)
            )
            regions = import_state(backend, document)
        except ImportRefused as error:
            raise Refused(f"import refused, the state is unchanged: {error}") from None
        return json_response({"imported": True, "regions": regions})

    return bp
