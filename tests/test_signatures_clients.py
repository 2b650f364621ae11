"""--verify-signatures seen from the AWS CLI and the JS SDK v3: the right secret passes; a
wrong secret, a region the service is not in, and a clock 10 minutes off fail with the error
AWS gives (choice C48).

The JS tests need Node.js and `npm ci --prefix tests/js`; they are skipped, with the reason,
without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.testing import LiveServer
from tests.signing import KEY, SECRET, move_clock, verifying_server

JS_DIR = Path(__file__).resolve().parent / "js"
SDK = JS_DIR / "node_modules" / "@aws-sdk" / "client-ivs-realtime"


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with verifying_server() as live:
        yield live


def aws_cli(
    server: LiveServer, secret: str = SECRET, region: str = "us-east-1"
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [str(Path(sys.executable).with_name("aws")), "ivs-realtime", "list-stages",
         "--endpoint-url", server.url, "--output", "json"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


def js_sdk(server: LiveServer, secret: str = SECRET, region: str = "us-east-1") -> Any:
    done = subprocess.run(
        ["node", str(JS_DIR / "signatures.mjs"), server.url, KEY, secret, region],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_aws_cli_with_the_right_secret_passes(server: LiveServer) -> None:
    done = aws_cli(server)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stages"] == []


def test_aws_cli_with_a_wrong_secret_fails_with_invalid_signature(server: LiveServer) -> None:
    done = aws_cli(server, secret="wrong")
    assert done.returncode != 0
    assert "(InvalidSignatureException)" in done.stderr
    assert "does not match the signature you provided" in done.stderr


def test_aws_cli_in_a_region_without_the_service_fails(server: LiveServer) -> None:
    done = aws_cli(server, region="sa-east-1")
    assert "(InvalidSignatureException)" in done.stderr
    assert "Credential should be scoped to a valid region, not 'sa-east-1'." in done.stderr


def test_aws_cli_against_a_skewed_emulator_clock_fails(server: LiveServer) -> None:
    move_clock(server, 600)
    done = aws_cli(server)
    assert "(InvalidSignatureException)" in done.stderr
    assert "Signature expired: " in done.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.skipif(not SDK.is_dir(), reason="JS SDK not installed: run `npm ci --prefix tests/js`")
class TestJsSdk:
    def test_the_right_secret_passes(self, server: LiveServer) -> None:
        assert js_sdk(server) == {"ok": True, "stages": 0}

    def test_a_wrong_secret_fails_with_invalid_signature(self, server: LiveServer) -> None:
        seen = js_sdk(server, secret="wrong")
        assert (seen["name"], seen["status"]) == ("InvalidSignatureException", 403)
        assert "does not match the signature you provided" in seen["message"]

    def test_a_region_without_the_service_fails(self, server: LiveServer) -> None:
        seen = js_sdk(server, region="sa-east-1")
        assert (seen["name"], seen["status"]) == ("InvalidSignatureException", 403)
        assert seen["message"] == "Credential should be scoped to a valid region, not 'sa-east-1'. "

    def test_a_skewed_emulator_clock_fails(self, server: LiveServer) -> None:
        move_clock(server, 600)
        seen = js_sdk(server)
        assert (seen["name"], seen["status"]) == ("InvalidSignatureException", 403)
        assert seen["message"].startswith("Signature expired: ")
