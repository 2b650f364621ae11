"""GET /_emulator/health and GET /_emulator/jwks.json: whether it serves (and where its data
plane is, when it runs: `dataPlaneUrl`), and the public key that verifies its tokens."""

from __future__ import annotations

from flask import Blueprint, Response

from ...tokens import TokenSigner
from .common import control_blueprint, json_response


def about_blueprint(signer: TokenSigner, data_plane_url: str | None = None) -> Blueprint:
    bp = control_blueprint("emulator_about")

    @bp.get("/health")
    def health() -> Response:
        if data_plane_url is None:
            return json_response({"status": "ready"})
        return json_response({"status": "ready", "dataPlaneUrl": data_plane_url})

    @bp.get("/jwks.json")
    def jwks() -> Response:
        return json_response(signer.jwks())

    return bp
