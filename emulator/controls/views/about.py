"""GET /_emulator/health and GET /_emulator/jwks.json: whether it serves, which version, and
where its data plane is when it runs (`dataPlaneUrl`), and the public key that verifies its
tokens."""

from __future__ import annotations

from flask import Blueprint, Response

from ...config import package_version
from ...tokens import TokenSigner
from .common import control_blueprint, json_response


def about_blueprint(signer: TokenSigner, data_plane_url: str | None = None) -> Blueprint:
    bp = control_blueprint("emulator_about")
    version = package_version()

    @bp.get("/health")
    def health() -> Response:
        about = {"status": "ready", "version": version}
        if data_plane_url is not None:
            about["dataPlaneUrl"] = data_plane_url
        return json_response(about)

    @bp.get("/jwks.json")
    def jwks() -> Response:
        return json_response(signer.jwks())

    return bp
