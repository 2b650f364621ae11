"""The emulator's own endpoints under /_emulator/: health, JWKS, reset, behaviours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .behaviours import Behaviours
from .store import Store
from .tokens import TokenSigner


def admin_blueprint(
    store: Store,
    signer: TokenSigner,
    behaviours: Behaviours,
    also_reset: Callable[[], None] = lambda: None,
) -> Blueprint:
    """`also_reset` runs after the store is reset: the test controls' own reset (C35)."""
    bp = Blueprint("emulator_admin", __name__, url_prefix="/_emulator")

    @bp.get("/health")
    def health() -> Response:
        return jsonify({"status": "ready"})

    @bp.get("/jwks.json")
    def jwks() -> Response:
        return jsonify(signer.jwks())

    @bp.post("/reset")
    def reset() -> Response:
        store.reset()
        also_reset()
        return jsonify({"reset": True})

    @bp.get("/behaviours")
    def get_behaviours() -> Response:
        return jsonify(behaviours.snapshot())

    @bp.post("/behaviours")
    def set_behaviours() -> tuple[Response, int] | Response:
        body: Any = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify({"message": "expected a JSON object"}), 400
        try:
            behaviours.update(
                denied=_string_list(body, "denied"),
                pending_verification=_string_list(body, "pendingVerification"),
                quotas=_quotas(body.get("quotas")),
            )
        except ValueError as exc:
            return jsonify({"message": str(exc)}), 400
        return jsonify(behaviours.snapshot())

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
