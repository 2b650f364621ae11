"""The dashboard: GET /_emulator/ serves one self-contained HTML page for a person debugging a test
against the emulator.

The page (dashboard.html beside this module: inline CSS and script, nothing fetched from
elsewhere) reads the existing JSON endpoints every 2 seconds: /_emulator/state,
/_emulator/behaviours (faults included), /_emulator/requests (the journal) and /_emulator/events
with /_emulator/events/deliveries (the EventBridge events and their delivery). It picks the
fields it shows one by one, so what the state view holds but a person must not see (ingest
configurations' stream keys, token digests, key material) never reaches the page; every value is
put in as text, never as markup.

The one endpoint of this module, GET /_emulator/dashboard/compositions, adds what the state view
cannot say: each composition's state, which follows from the clock
(service/composition_lifecycle.py). It is read-only.

The page is answered with a Content-Security-Policy that allows its own inline script and style
(by their hashes) and requests to this origin, and nothing else: were some value ever to slip
through as markup, it could still not run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources
from typing import Any

from flask import Blueprint, Response, redirect
from werkzeug.wrappers import Response as BaseResponse

from ...service.composition_lifecycle import timeline
from ...service.context import Backend
from .common import json_response

PAGE = "dashboard.html"
"""The page, a file of the emulator package beside this module."""


def dashboard_blueprint(backend: Backend) -> Blueprint:
    bp = Blueprint("emulator_dashboard", __name__)
    page = resources.files(__package__ or "emulator").joinpath(PAGE).read_text("utf-8")
    headers = {
        "Content-Security-Policy": content_security_policy(page),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    @bp.get("/_emulator/")
    def dashboard() -> Response:
        return Response(page, content_type="text/html; charset=utf-8", headers=headers)

    @bp.get("/_emulator")
    def dashboard_without_slash() -> BaseResponse:
        # The page's relative links assume the slash: send the browser there.
        return redirect("/_emulator/", code=308)

    @bp.get("/_emulator/dashboard/compositions")
    def composition_states() -> Response:
        return json_response(
            {"compositions": composition_views(backend)}, headers={"Cache-Control": "no-store"}
        )

    return bp


def composition_views(backend: Backend) -> dict[str, dict[str, Any]]:
    """Each stored composition's state now, by ARN: `{"state", "deleted"}` (a composition
    still stored but past its retention is `deleted`: the API no longer finds it)."""
    now = backend.clock.now()
    views: dict[str, dict[str, Any]] = {}
    for state in backend.store.regions():
        with state.lock:
            for arn, record in state.compositions.items():
                seen = timeline(state, record, now)
                views[arn] = {"state": seen.state, "deleted": seen.deleted}
    return views


def content_security_policy(page: str) -> str:
    """A policy that lets the page run only its own inline script and style."""
    scripts = " ".join(_hashes(page, "script"))
    styles = " ".join(_hashes(page, "style"))
    return (
        "default-src 'none'; "
        f"script-src {scripts}; style-src {styles}; "
        "connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _hashes(page: str, tag: str) -> list[str]:
    """CSP source expressions for the contents of every `<tag>` element of the page."""
    bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
    if not bodies:
        return ["'none'"]
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in bodies
    ]
