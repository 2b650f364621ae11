"""What every view under /_emulator/ shares: one JSON style and one way to refuse.

A refused control request answers `{"message": "<why>"}` with its status (400 unless said
otherwise; choices C32 to C37 in contract/README.md). Bodies are JSON objects; times are
written as the API writes them (choice C10).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...contract.timestamps import format_instant
from .json_body import ControlBodyRefused, check_sparse, parse_control_json

PREFIX = "/_emulator"


class Refused(Exception):
    """A control request that cannot be carried out: `status` and a readable message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def control_blueprint(name: str) -> Blueprint:
    """A blueprint under /_emulator/ whose views may raise Refused."""
    bp = Blueprint(name, __name__, url_prefix=PREFIX)
    bp.register_error_handler(Refused, refusal)
    return bp


def refusal(error: Refused) -> Response:
    return json_response({"message": error.message}, error.status)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, default=_timestamp, ensure_ascii=False) + "\n"  # a newline for curl
    if not text.isascii() and not _encodable(text):
        # A lone surrogate (e.g. in a refused token's claims) cannot be UTF-8: escape it.
        text = json.dumps(body, default=_timestamp) + "\n"
    return Response(text, status=status, content_type="application/json", headers=headers)


def read_json(any_json: bool = False, sparse: tuple[int, int] | None = None) -> Any:
    """The request's JSON body: an object unless `any_json`; Refused when it is not JSON as
    json_body.py reads it (or, with `sparse`, when it is denser than json_body.check_sparse
    lets through)."""
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise Refused(f"the body is larger than {request.max_content_length} bytes", 413) from None
    try:
        if sparse is not None:
            check_sparse(raw, *sparse)
        body = parse_control_json(raw)
    except ControlBodyRefused as error:
        raise Refused(str(error)) from None
    if not any_json and not isinstance(body, dict):
        raise Refused("the body must be a JSON object")
    return body


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        return format_instant(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
