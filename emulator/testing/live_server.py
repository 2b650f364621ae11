"""An in-process live server and a boto3 client pointed at it (re-exported by emulator.testing)."""

from __future__ import annotations

import threading
from functools import partial
from types import TracebackType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

POLL_INTERVAL = 0.02  # seconds


class LiveServer:
    """Serves one app over real HTTP on 127.0.0.1 and an ephemeral port, in a thread."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        # serve_forever notices shutdown() only between polls: its default 0.5 s poll made
        # every stop() take half a second.
        self._thread = threading.Thread(
            target=partial(self._server.serve_forever, poll_interval=POLL_INTERVAL), daemon=True
        )
        self.url = f"http://{host}:{self._server.server_port}"

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def boto3_client(
    endpoint_url: str,
    region: str = "us-east-1",
    access_key: str = "test",
    validate: bool = True,
    **config: Any,
) -> Any:
    """A boto3 `ivs-realtime` client pointed at the emulator (boto3 must be installed).

    With validate=False, botocore sends values it would otherwise stop on the client
    (over a maximum, a bad enum or pattern), so the emulator's own validation answers.
    Other keyword arguments go to botocore's Config; `retries` replaces the default
    (`max_attempts` 1: one retry of a throttled or 5xx call; `total_max_attempts` 1: none).
    """
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "ivs-realtime",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
        config=BotoConfig(
            parameter_validation=validate,
            **{"retries": {"max_attempts": 1, "mode": "standard"}, **config},
        ),
    )
