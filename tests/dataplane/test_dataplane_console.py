"""`ivs-realtime-emulator --data-plane` as a user starts it: the data plane's URL is printed and
shown by /_emulator/health, a member joins over its events WebSocket, and SIGTERM stops both."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import aiohttp

from emulator.testing import boto3_client
from tests.dataplane.clients import EventsSocket, claims, run
from tests.test_console_script import SCRIPT, START_TIMEOUT, STOP_TIMEOUT, free_port


def test_the_console_script_serves_the_data_plane_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [str(SCRIPT), "--port", str(port), "--data-plane", "--data-plane-port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        match = None
        while match is None and time.monotonic() < deadline and process.poll() is None:
            match = re.search(
                r"data plane \(events, WHIP\) on (http://127\.0\.0\.1:\d+)\n", log.read_text()
            )
            time.sleep(0.05)
        assert match is not None, log.read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health") as response:
            assert json.loads(response.read())["dataPlaneUrl"] == match[1]

        ivs = boto3_client(f"http://127.0.0.1:{port}")
        stage = ivs.create_stage(name="console")["stage"]
        token = ivs.create_participant_token(stageArn=stage["arn"])["participantToken"]["token"]

        async def join() -> int:
            async with aiohttp.ClientSession() as http:
                url = f"{claims(token)['events_url']}/{claims(token)['topic']}"
                member = await EventsSocket.open(http, url, token)
                state = await member.next("STAGE_STATE")
                await member.close()
                return int(state["payload"]["sequenceNumber"])

        assert run(join(), timeout=20) == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_TIMEOUT) == 0, log.read_text()
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
