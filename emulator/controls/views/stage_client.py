"""Acting as a stage client over HTTP: POST /_emulator/stage/<action>, and as an RTMP(S) encoder:
POST /_emulator/ingest/start and /_emulator/ingest/stop.

Actions: join, leave, publish, unpublish (take `{"token": ...}`), subscribe and unsubscribe
(also `"publisherId"`). Success is 200 with the participant's view
(emulator/service/stage_actions.py); a refusal is `{"error": <code>, "reason": <words>}` with
400 (a bad request body), 403 (a token the stage refuses, a capability the token lacks, another
token than the one that joined), 404 (a publisher that is not publishing) or 409 (not joined,
already joined, nothing to stop) (choice C31 in contract/README.md). Timestamps as the API
writes them (choice C10). The ingest actions take `{"streamKey": ...}` and answer the same view
with the ingest configuration's summary beside it (choice C43); refusals as above. The behaviour
lives in service/stage_actions.py and service/ingest_actions.py; this module only reads and
writes JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from ...service import ingest_actions, stage_actions
from ...service.context import Backend
from ...service.stage_actions import ClientDenied, DenialKind
from .common import PREFIX, json_response
from .json_body import ControlBodyRefused, parse_control_json

STATUS = {
    DenialKind.INVALID: 400,
    DenialKind.REFUSED: 403,
    DenialKind.NOT_FOUND: 404,
    DenialKind.CONFLICT: 409,
}

Body = dict[str, Any]


def stage_client_blueprint(backend: Backend) -> Blueprint:
    bp = Blueprint("emulator_stage_client", __name__, url_prefix=PREFIX)
    actions: dict[str, Callable[[Body], dict[str, Any]]] = {
        "join": lambda body: stage_actions.join(backend, _text(body, "token")),
        "leave": lambda body: stage_actions.leave(backend, _text(body, "token")),
        "publish": lambda body: stage_actions.publish(backend, _text(body, "token")),
        "unpublish": lambda body: stage_actions.unpublish(backend, _text(body, "token")),
        "subscribe": lambda body: stage_actions.subscribe(
            backend, _text(body, "token"), _text(body, "publisherId")
        ),
        "unsubscribe": lambda body: stage_actions.unsubscribe(
            backend, _text(body, "token"), _text(body, "publisherId")
        ),
    }
    for name, action in actions.items():
        bp.add_url_rule(f"/stage/{name}", name, _endpoint(action), methods=["POST"])
    ingest: dict[str, Callable[[Body], dict[str, Any]]] = {
        "start": lambda body: ingest_actions.start(backend, _text(body, "streamKey")),
        "stop": lambda body: ingest_actions.stop(backend, _text(body, "streamKey")),
    }
    for name, action in ingest.items():
        bp.add_url_rule(f"/ingest/{name}", f"ingest_{name}", _endpoint(action), methods=["POST"])
    return bp


def _endpoint(action: Callable[[Body], dict[str, Any]]) -> Callable[[], Response]:
    def serve() -> Response:
        try:
            try:
                raw = request.get_data(cache=False)
                body = parse_control_json(raw) if request.is_json else None
            except ControlBodyRefused as refused:
                raise ClientDenied(DenialKind.INVALID, "bad_request", str(refused)) from None
            if not isinstance(body, dict):
                raise ClientDenied(
                    DenialKind.INVALID, "bad_request", "the body must be a JSON object"
                )
            return json_response(action(body), 200)
        except ClientDenied as denied:
            refusal = {"error": denied.error, "reason": denied.reason}
            return json_response(refusal, STATUS[denied.kind])

    return serve


def _text(body: Body, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ClientDenied(
            DenialKind.INVALID, "bad_request", f"'{name}' must be a non-empty string"
        )
    return value
