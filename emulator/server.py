"""Serving the app over HTTP: one process, many threads, all state in that process."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from werkzeug.serving import make_server

from .app import create_app
from .config import Config

log = logging.getLogger("emulator.server")


def serve(config: Config) -> int:
    app = create_app(config)
    server = make_server(config.host, config.port, app, threaded=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(
        f"ivs-realtime-emulator listening on http://{config.host}:{server.server_port}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
