"""Serve the emulator under one candidate server: `python -m bench.serve NAME --port P`.

The benchmark runs each candidate in its own process, started by this module, so that every
server gets a fresh interpreter, a fresh app and its own memory figures. Every candidate
serves the same app, built by `build_app` in the process that serves it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from flask import Flask

from emulator import Config, create_app


def build_app() -> Flask:
    """The real emulator with its defaults; per-request INFO logs off, as for every candidate."""
    return create_app(Config(log_level="WARNING"))


def _stop_on_sigterm() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def serve_werkzeug(host: str, port: int, threads: int) -> None:
    from werkzeug.serving import make_server

    server = make_server(host, port, build_app(), threaded=True)
    _stop_on_sigterm()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_granian(host: str, port: int, threads: int) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    Server(
        "bench.serve:build_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        websockets=False,
        factory=True,
        log_level=LogLevels.warning,
    ).serve()


def serve_gunicorn(host: str, port: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {
                "bind": f"{host}:{port}",
                "workers": 1,
                "worker_class": "gthread",
                "threads": threads,
                "loglevel": "warning",
                "accesslog": None,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return build_app()

    Application().run()


def serve_cheroot(host: str, port: int, threads: int) -> None:
    from cheroot.wsgi import Server

    server = Server((host, port), build_app(), numthreads=threads)
    _stop_on_sigterm()
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()


def serve_waitress(host: str, port: int, threads: int) -> None:
    from waitress import create_server  # type: ignore[import-untyped]

    server: Any = create_server(build_app(), host=host, port=port, threads=threads)
    _stop_on_sigterm()
    try:
        server.run()
    except KeyboardInterrupt:
        server.close()


SERVERS: dict[str, Callable[[str, int, int], None]] = {
    "werkzeug": serve_werkzeug,
    "granian": serve_granian,
    "gunicorn": serve_gunicorn,
    "cheroot": serve_cheroot,
    "waitress": serve_waitress,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("server", choices=sorted(SERVERS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    SERVERS[args.server](args.host, args.port, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
