"""The console script, started as a user starts it: `ivs-realtime-emulator --port N`.

It serves over real HTTP (Granian, a supervisor and one worker process), issues tokens that
verify against the JWKS it serves, and stops cleanly on SIGTERM and Ctrl-C. The other tests run the app
in-process; these are the ones that see the command a user runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

from emulator.config import SETTINGS
from emulator.testing import boto3_client

SCRIPT = Path(sys.executable).parent / "ivs-realtime-emulator"
START_TIMEOUT = 8.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str


def wait_healthy(running: Running) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert running.process.poll() is None, (
            f"exited with {running.process.returncode}: {running.process.communicate()[1]}"
        )
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(running.url + "/_emulator/health", timeout=1) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.05)
    pytest.fail(f"no answer from {running.url}/_emulator/health within {START_TIMEOUT} s")


@pytest.fixture
def emulator() -> Iterator[Running]:
    assert SCRIPT.exists(), f"{SCRIPT} is missing: install the project (make install)"
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so nothing of it can outlive the test
    )
    running = Running(process, f"http://127.0.0.1:{port}")
    try:
        wait_healthy(running)
        yield running
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def test_serves_verifiable_tokens_and_stops_on_sigterm(emulator: Running) -> None:
    ivs = boto3_client(emulator.url)
    stage = ivs.create_stage(name="console-script")["stage"]
    token = ivs.create_participant_token(stageArn=stage["arn"], userId="alice")["participantToken"]

    # The key that verifies is the one the serving process publishes.
    jwks = jwt.PyJWKClient(emulator.url + "/_emulator/jwks.json")
    signing_key = jwks.get_signing_key_from_jwt(token["token"])
    claims = jwt.decode(token["token"], signing_key.key, algorithms=["ES384"])
    assert jwt.get_unverified_header(token["token"])["kid"] == signing_key.key_id
    assert claims["resource"] == stage["arn"]
    assert claims["jti"] == token["participantId"]
    assert claims["user_id"] == "alice"

    started = time.monotonic()
    emulator.process.send_signal(signal.SIGTERM)
    _, stderr = emulator.process.communicate(timeout=STOP_TIMEOUT)
    assert emulator.process.returncode == 0, stderr
    assert time.monotonic() - started < STOP_TIMEOUT
    port = emulator.url.rsplit(":", 1)[1]
    listening = [line for line in stderr.splitlines() if "listening on" in line]
    assert listening == [f"ivs-realtime-emulator listening on http://127.0.0.1:{port}"]


def test_ctrl_c_stops_it(emulator: Running) -> None:
    # A terminal's Ctrl-C signals the whole foreground process group.
    os.killpg(emulator.process.pid, signal.SIGINT)
    _, stderr = emulator.process.communicate(timeout=STOP_TIMEOUT)
    assert emulator.process.returncode == 0, stderr


def test_port_zero_listens_on_a_free_port_it_prints(tmp_path: Path) -> None:
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [str(SCRIPT), "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        match = None
        while match is None and time.monotonic() < deadline and process.poll() is None:
            match = re.search(r"listening on (http://127\.0\.0\.1:(\d+))\n", log.read_text())
            time.sleep(0.05)
        assert match is not None, log.read_text()
        assert int(match[2]) > 0
        with urllib.request.urlopen(match[1] + "/_emulator/health", timeout=2) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_help_lists_every_environment_variable() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    missing = [setting.env for setting in SETTINGS if setting.env not in done.stdout]
    assert missing == []
    assert all(setting.flag in done.stdout for setting in SETTINGS)
