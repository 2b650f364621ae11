"""Controls that change state outside commits: an import replaces the store, and the clock,
seed, behaviours and faults live beside it. After such a control request succeeds, and before
its answer leaves, the state directory is brought up to date: a snapshot after an import, the
settings after the others. (A reset registers its own step: emulator/http/app.py `resets_of`.)
"""

from __future__ import annotations

from flask import Flask, Response, request

from .keeper import Persistence

CONTROLS = "/_emulator/"
IMPORT = "/_emulator/import"
CLIENT_ACTIONS = ("/_emulator/stage/", "/_emulator/ingest/")
"""A stage client's and an encoder's actions are writes: their commits are logged."""
READING = frozenset({"GET", "HEAD", "OPTIONS"})


def keep_controls(app: Flask, persistence: Persistence) -> None:
    """After every successful changing request under /_emulator/, update the directory."""

    @app.after_request
    def keep(response: Response) -> Response:
        path = request.path
        if (
            request.method in READING
            or response.status_code >= 400
            or not path.startswith(CONTROLS)
            or path.startswith(CLIENT_ACTIONS)
        ):
            return response
        if path == IMPORT:
            persistence.checkpoint()
        else:
            persistence.save_settings()
        return response
