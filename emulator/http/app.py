"""The application factory: `create_app(config)` builds one complete, independent emulator."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from flask import Flask, Request, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.local import LocalProxy

from ..config import Config
from ..contract.errors import ServiceError
from ..contract.model import Contract
from ..controls.behaviours import Behaviours
from ..controls.clock import Clock, ControlledClock
from ..controls.ids import IdGenerator
from ..controls.journal import Journal
from ..controls.reset import Resets
from ..controls.views import register_controls
from ..events.system import EventSystem
from ..persistence import Persistence, StateDirectory
from ..persistence.hooks import keep_controls
from ..service.context import Backend
from ..service.dispatch import Service
from ..state.store import Store
from ..tokens import TokenSigner
from .cors import Preflight
from .credentials import accounts_of, credential_table
from .failures import ControlRoutes, api_error, is_control_path
from .guard import WebGuard
from .protocol import ApiHandler, error_response
from .signatures import SignatureVerifier, service_regions

if TYPE_CHECKING:
    from ..dataplane.listener import DataPlane

API_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
EXTENSION = "ivs_emulator"


@dataclass(frozen=True)
class Emulator:
    """What create_app built, kept on `app.extensions[EXTENSION]` for tests and admin views."""

    backend: Backend
    service: Service
    journal: Journal
    events: EventSystem
    persistence: Persistence | None = None
    """The state directory's keeper (--state-dir), if there is one."""
    data_plane: DataPlane | None = None
    """The data plane's listener when `--data-plane` is on (emulator/dataplane/); stop() it
    to stop serving it."""


def current_request() -> Request:
    """The request being served itself, not Flask's proxy to it: the request path reads it
    many times, and each read through the proxy costs a context look-up."""
    proxy = cast("LocalProxy[Request]", request)
    return proxy._get_current_object()


def emulator_of(app: Flask) -> Emulator:
    emulator = app.extensions[EXTENSION]
    assert isinstance(emulator, Emulator)
    return emulator


def close_app(app: Flask) -> None:
    """Release what the app holds outside memory: the data plane's members leave (their
    LEFT recorded), then the state directory gets a last snapshot."""
    emulator = emulator_of(app)
    if emulator.data_plane is not None:
        emulator.data_plane.stop()
    if emulator.persistence is not None:
        emulator.persistence.close()


def resets_of(
    backend: Backend,
    journal: Journal,
    events: EventSystem,
    persistence: Persistence | None = None,
) -> Resets:
    """What a reset does, in order (choice C35): forget the state, the faults, the journal and
    the events (C65), put denied and pending accounts and quotas back as configured, put the
    clock back as it started (C33), and restart the ids and fault draws from the current seed.
    Last, the state directory (if any) is brought to the reset state (C55)."""
    resets = Resets()
    resets.register(backend.store.reset)
    resets.register(backend.behaviours.faults.clear)
    resets.register(backend.behaviours.restore)
    resets.register(journal.clear)
    resets.register(events.reset)
    clock = backend.clock
    if isinstance(clock, ControlledClock):
        resets.register(clock.restart)

    def reseed() -> None:
        seed = backend.ids.seed
        backend.ids.reseed(seed)
        backend.behaviours.faults.reseed(seed)

    resets.register(reseed)
    if persistence is not None:
        resets.register(persistence.checkpoint)
    return resets


def create_app(
    config: Config | None = None,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    signer: TokenSigner | None = None,
    contract: Contract | None = None,
) -> Flask:
    """Build an emulator from `config`; tests may pass their own clock, ids and signer.

    Without a clock it runs on a ControlledClock set from `clock_start` and `clock_frozen`,
    which /_emulator/clock moves (choice C33); without ids, on IdGenerator(config.seed).
    """
    config = config or Config()
    table = credential_table(config)
    if table:  # a key with credentials acts in its credential's account (choice C48)
        config = config.replace(access_keys={**config.access_keys, **accounts_of(table)})
    contract = contract or Contract.load()
    directory = StateDirectory.open(config.state_dir) if config.state_dir else None
    kept_signer = directory.kept_signer() if directory else None
    if signer is None:
        signer = (
            TokenSigner.from_pem_file(config.signing_key_file)
            if config.signing_key_file
            else kept_signer or TokenSigner.generate()
        )
    ids = ids or IdGenerator(config.seed)
    data_plane = _data_plane(config)
    store = Store()
    behaviours = Behaviours.from_config(config, contract)
    backend = Backend(
        contract=contract,
        store=store,
        signer=signer,
        clock=clock or ControlledClock(config.clock_start, frozen=config.clock_frozen),
        ids=ids,
        behaviours=behaviours,
        lists_not_found=config.lists_not_found,
        data_plane_endpoints=None if data_plane is None else data_plane.urls.endpoints,
    )
    service = Service(backend)
    persistence = Persistence.start(directory, backend, kept_signer) if directory else None
    events = EventSystem(backend, config)
    journal = Journal(config.journal_size)
    signatures = (
        SignatureVerifier(table, backend.clock, service_regions(config.default_region))
        if config.verify_signatures
        else None
    )
    handler = ApiHandler(contract, config, behaviours, service, ids, journal, signatures)

    app = Flask("emulator")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.extensions[EXTENSION] = Emulator(
        backend, service, journal, events, persistence, data_plane
    )
    resets = resets_of(backend, journal, events, persistence)
    if data_plane is not None:
        resets.register(data_plane.reset)
    register_controls(
        app,
        backend,
        journal,
        resets,
        events,
        data_plane_url=None if data_plane is None else data_plane.url,
        data_plane_report=None if data_plane is None else data_plane.report,
    )
    if persistence is not None:
        keep_controls(app, persistence)

    preflight = Preflight(contract)
    guard = WebGuard(config)

    @app.before_request
    def refuse_what_a_web_page_must_not_do() -> Response | None:
        refusal = guard.check(current_request())
        if isinstance(refusal, ServiceError):
            return error_response(refusal, contract, ids.request_id())
        return refusal

    control_routes = ControlRoutes(app.url_map)

    def api(path: str = "") -> Response:
        current = current_request()
        if is_control_path(current.path):  # a control route, but not with this method
            return control_routes.miss(current.method, current.path)
        return preflight.answer(current) or handler(current)

    app.add_url_rule("/", "api_root", api, methods=API_METHODS)
    app.add_url_rule("/<path:path>", "api", api, methods=API_METHODS)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        # Errors no view answered: Werkzeug's (e.g. a body over the limit) and unexpected
        # exceptions (a 500 here; Flask has logged the traceback). See failures.py.
        if is_control_path(request.path):
            return control_routes.http_error(exc, request.method, request.path)
        error = api_error(exc, request.method, request.path, config.max_body_bytes)
        return error_response(error, contract, ids.request_id())

    logging.getLogger("emulator").setLevel(config.log_level.upper())
    if data_plane is not None:
        data_plane.start(backend)
    return app


def _data_plane(config: Config) -> DataPlane | None:
    """The data plane's listener, its port bound, when the config asks for it; the media
    libraries are imported only then (DataPlaneUnavailable without them)."""
    if not config.data_plane:
        return None
    from ..dataplane.availability import require_media

    require_media()
    from ..dataplane.listener import DataPlane

    return DataPlane(config)
