"""Serving the app over HTTP: Granian, with one worker process that holds all state.

Granian (an HTTP server written in Rust, with a WSGI interface) runs as two processes: this
one, a supervisor that binds the socket and handles signals, and one worker that it starts.
The worker builds the app from the same Config (`worker_app`), so the signing key is made, or
loaded from --signing-key-file, in the process that signs tokens and serves the JWKS, and all
state lives there. Rust parses HTTP off the GIL; the app runs on a few Python threads.
bench/ chose this server by measurement (docs/serving.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from ..config import Config
from .logformat import formatter, formatter_config

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger("emulator.server")

# Python threads that run the app. Two measured as fast as four (bench/), with fewer
# threads contending for the GIL.
BLOCKING_THREADS = 2
# How long the worker may take to finish its requests after SIGTERM before it is killed.
WORKER_STOP_TIMEOUT = 5


def configure_logging(config: Config) -> None:
    """The emulator's logs (one line per request at INFO) go to stderr, as readable text or
    as JSON objects (`--log-format`, emulator/http/logformat.py)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(config.log_format))
    logging.basicConfig(level=config.log_level.upper(), handlers=[handler], force=True)


def url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def claim_port(host: str, port: int) -> int:
    """Check that host:port can be bound, with a free port picked for port 0.

    The supervisor binds it next; a port taken in between still fails there.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        return int(sock.getsockname()[1])


def _follow_supervisor(supervisor: int) -> None:
    """Run in the worker: it stops when, and only when, the supervisor tells it to.

    The worker leaves the terminal's process group, so Ctrl-C reaches the supervisor alone,
    which then stops the worker with SIGTERM. (With both signalled at once, Granian's worker
    now and then missed its shutdown and was killed only after WORKER_STOP_TIMEOUT.) Writing
    logs to the terminal from outside its foreground group must not stop it, so SIGTTOU is
    ignored. On Linux it also gets SIGTERM if the supervisor dies, even by SIGKILL, rather
    than go on serving the port alone.
    """
    if not hasattr(os, "setpgid"):
        return
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def worker_app(config: Config, supervisor: int) -> Flask:
    """Granian calls this in its worker process: build the one app that holds all state."""
    _follow_supervisor(supervisor)
    configure_logging(config)
    from multiprocessing.util import Finalize

    from ..dataplane.availability import DataPlaneUnavailable
    from .app import close_app, create_app, emulator_of

    try:
        app = create_app(config)
    except (OSError, ValueError, DataPlaneUnavailable) as exc:  # e.g. an invalid
        # --signing-key-file, a busy --state-dir or data-plane port, no media extra
        log.error("cannot start: %s", exc)
        raise SystemExit(1) from None
    # Granian's worker is a multiprocessing process: its finalizers run when it stops serving.
    Finalize(None, close_app, args=(app,), exitpriority=10)
    # The supervisor listens already: connections wait in the backlog until the worker,
    # which starts serving right after this returns, accepts them.
    line = f"ivs-realtime-emulator listening on {url(config.host, config.port)}"
    print(line, file=sys.stderr, flush=True)
    data_plane = emulator_of(app).data_plane
    if data_plane is not None:
        print(f"data plane (events, WHIP) on {data_plane.url}", file=sys.stderr, flush=True)
    return app


def _granian_logging(config: Config) -> dict[str, Any]:
    """Granian's own log lines: to stderr, in the emulator's format."""
    return {
        "formatters": {"generic": formatter_config(config.log_format)},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "generic",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {"_granian": {"handlers": ["console"], "propagate": False}},
    }


def serve(config: Config) -> int:
    """Serve until SIGTERM, SIGINT (Ctrl-C) or SIGHUP; returns the exit code."""
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import MPServer

    class Server(MPServer):
        def signal_handler_reload(self, *args: Any, **kwargs: Any) -> None:
            # Granian would respawn the worker on SIGHUP: a new key and no state. Stop instead.
            self.signal_handler_interrupt()  # type: ignore[no-untyped-call]

    if config.data_plane:
        from ..dataplane.availability import DataPlaneUnavailable, require_media

        try:
            require_media()
        except DataPlaneUnavailable as exc:
            log.error("cannot start: %s", exc)
            return 1
    try:
        config = config.replace(port=claim_port(config.host, config.port))
    except OSError as exc:  # e.g. the port is taken
        log.error("cannot listen on %s: %s", url(config.host, config.port), exc)
        return 1
    # Granian's start-up lines only at DEBUG: by default the one line printed is ours.
    quiet = config.log_level.upper() != "DEBUG"
    server = Server(
        "emulator.server:worker_app",  # a name for Granian's logs; the loader below runs
        address=config.host,
        port=config.port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=BLOCKING_THREADS,
        websockets=False,
        log_level=LogLevels.warning if quiet else LogLevels.info,
        log_dictconfig=_granian_logging(config),
        workers_kill_timeout=WORKER_STOP_TIMEOUT,
    )
    try:
        server.serve(target_loader=partial(worker_app, config, os.getpid()), wrap_loader=False)
    except RuntimeError as exc:  # Granian's own bind errors, with a Rust backtrace after them
        log.error("cannot serve on %s: %s", url(config.host, config.port), str(exc).split("\n")[0])
        return 1
    return 0
