"""The endpoints under /_emulator/: one small module per control family, one JSON style
(common), registered on the app by `register_controls`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from ...events.system import EventSystem
from ...service.context import Backend
from ..journal import Journal
from ..reset import Resets
from .about import about_blueprint
from .behaviours import behaviours_blueprint
from .clock import clock_blueprint
from .dashboard import dashboard_blueprint
from .events import events_blueprint
from .faults import faults_blueprint
from .inspection import inspection_blueprint
from .journal import journal_blueprint
from .reset import reset_blueprint
from .snapshot import snapshot_blueprint
from .stage_client import stage_client_blueprint


def register_controls(
    app: Flask,
    backend: Backend,
    journal: Journal,
    resets: Resets,
    events: EventSystem,
    *,
    data_plane_url: str | None = None,
    data_plane_report: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """`data_plane_url` and `data_plane_report`: the data plane's root URL (health) and its
    members and peer connections (state), when it runs (emulator/dataplane/)."""
    for blueprint in (
        about_blueprint(backend.signer, data_plane_url),
        reset_blueprint(resets),
        behaviours_blueprint(backend.behaviours),
        faults_blueprint(backend.behaviours.faults),
        clock_blueprint(backend),
        inspection_blueprint(backend, data_plane_report),
        journal_blueprint(journal),
        snapshot_blueprint(backend),
        stage_client_blueprint(backend),
        events_blueprint(events),
        dashboard_blueprint(backend),
    ):
        app.register_blueprint(blueprint)
