"""The JS SDK v3 (@aws-sdk/client-ivs-realtime) as a client of a live emulator.

Needs Node.js and `npm ci` in tests/js (`.ci/run` does it); skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from emulator.testing import LiveServer

JS_DIR = Path(__file__).resolve().parent / "js"
SDK = JS_DIR / "node_modules" / "@aws-sdk" / "client-ivs-realtime"

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
    pytest.mark.skipif(
        not SDK.is_dir(), reason="JS SDK not installed: run `npm ci --prefix tests/js`"
    ),
]


@pytest.fixture
def flow(live_server: LiveServer) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(JS_DIR / "flow.mjs"), live_server.url],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_js_sdk_creates_a_stage_in_its_account_and_region(flow: dict[str, Any]) -> None:
    assert flow["stage"]["arn"].startswith("arn:aws:ivs:eu-central-1:333344445555:stage/")
    assert flow["stage"]["tags"] == {"sdk": "js"}


def test_js_sdk_reads_the_token_and_its_expiration_time(flow: dict[str, Any]) -> None:
    token = flow["participantToken"]
    assert (token["userId"], token["duration"]) == ("js", 30)
    assert token["expirationTime"].endswith("Z") and token["token"].count(".") == 2


def test_js_sdk_raises_the_modelled_not_found_with_its_message(flow: dict[str, Any]) -> None:
    assert flow["error"]["name"] == "ResourceNotFoundException"
    assert flow["error"]["status"] == 404
    assert "missing" in flow["error"]["exceptionMessage"]


def test_js_sdk_raises_validation_exception_with_aws_wording(flow: dict[str, Any]) -> None:
    assert flow["validation"]["name"] == "ValidationException"
    assert flow["validation"]["exceptionMessage"].startswith("1 validation error detected: ")
