"""Helpers for tests that run an emulator: an in-process live server and a boto3 client.

The project's own tests use these through tests/conftest.py; a pytest plugin can reuse them.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


class LiveServer:
    """Serves one app over real HTTP on 127.0.0.1 and an ephemeral port, in a thread."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
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
            retries={"max_attempts": 1, "mode": "standard"},
            **config,
        ),
    )
