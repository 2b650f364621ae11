"""An emulator that verifies signatures, and requests signed (or not) by botocore's signer,
for the signature tests (tests/test_signatures.py, tests/test_signatures_clients.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials

from emulator import Config, create_app
from emulator.config import Credential
from emulator.testing import LiveServer

KEY, SECRET, ACCOUNT = "AKIDSIGNED", "the-right-secret", "444455556666"
CREDENTIALS = {KEY: Credential(SECRET, ACCOUNT)}


@contextmanager
def verifying_server(**settings: Any) -> Iterator[LiveServer]:
    """A live emulator with --verify-signatures and one credential, on the wall clock."""
    config = Config(verify_signatures=True, credentials=CREDENTIALS, **settings)
    with LiveServer(create_app(config)) as server:
        yield server


def client(
    server: LiveServer, key: str = KEY, secret: str = SECRET, region: str = "us-east-1"
) -> Any:
    return boto3.client(
        "ivs-realtime",
        endpoint_url=server.url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=BotoConfig(retries={"total_max_attempts": 1}),
    )


@dataclass(frozen=True)
class Answer:
    status: int
    error_type: str | None
    body: dict[str, Any]


def send(server: LiveServer, path: str, body: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(server.url + path, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, None, json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers["x-amzn-ErrorType"], json.loads(error.read()))


def signed_headers(
    server: LiveServer,
    path: str,
    body: bytes,
    service: str = "ivs",
    region: str = "us-east-1",
    secret: str = SECRET,
) -> dict[str, str]:
    """The headers botocore's signer adds to a POST of `body` to `path`."""
    request = AWSRequest(
        method="POST",
        url=server.url + path,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(Credentials(KEY, secret), service, region).add_auth(request)
    return dict(request.headers.items())


def move_clock(server: LiveServer, seconds: int) -> None:
    """Set the emulator's clock `seconds` away from wall time (it runs on from there)."""
    now = datetime.now(UTC) + timedelta(seconds=seconds)
    answer = send(
        server,
        "/_emulator/clock",
        json.dumps({"now": now.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode(),
        {"Content-Type": "application/json"},
    )
    assert answer.status == 200, answer
