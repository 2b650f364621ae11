"""The AWS CLI, pointed at a live emulator with --endpoint-url, as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from emulator.testing import LiveServer


def aws(server: LiveServer, *args: str) -> Any:
    aws_cli = Path(sys.executable).with_name("aws")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run(
        [str(aws_cli), "ivs-realtime", *args, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return done


def test_create_stage_and_participant_token_with_the_aws_cli(live_server: LiveServer) -> None:
    created = aws(live_server, "create-stage", "--name", "cli-stage")
    assert created.returncode == 0, created.stderr
    arn = json.loads(created.stdout)["stage"]["arn"]
    issued = aws(live_server, "create-participant-token", "--stage-arn", arn, "--user-id", "cli")
    assert issued.returncode == 0, issued.stderr
    assert json.loads(issued.stdout)["participantToken"]["userId"] == "cli"


def test_aws_cli_shows_the_error_code_and_message(live_server: LiveServer) -> None:
    done = aws(
        live_server, "get-stage", "--arn", "arn:aws:ivs:us-east-1:123456789012:stage/missing"
    )
    assert done.returncode != 0
    assert "ResourceNotFoundException" in done.stderr and "Stage not found" in done.stderr
