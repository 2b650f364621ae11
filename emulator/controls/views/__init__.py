"""The endpoints under /_emulator/: one small module per control family, one JSON style
(common), registered on the app by `register_controls`."""

from __future__ import annotations

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
    app: Flask, backend: Backend, journal: Journal, resets: Resets, events: EventSystem
) -> None:
    for blueprint in (
        about_blueprint(backend.signer),
        reset_blueprint(resets),
        behaviours_blueprint(backend.behaviours),
        faults_blueprint(backend.behaviours.faults),
        clock_blueprint(backend),
        inspection_blueprint(backend),
        journal_blueprint(journal),
        snapshot_blueprint(backend),
        stage_client_blueprint(backend),
        events_blueprint(events),
        dashboard_blueprint(backend),
    ):
        app.register_blueprint(blueprint)
