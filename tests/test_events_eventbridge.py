"""Events sent to a real EventBridge: moto's (moto_server, on loopback) with a rule for the
pattern `{"source": ["aws.ivs"], "detail-type": ["IVS Stage Update"]}` and an SQS queue as its
target. The emulator runs as a user runs it, `ivs-realtime-emulator --eventbridge-endpoint URL`;
a participant joins and publishes through the stage client endpoints, and the event is read from
the queue as a user's code would read it (docs/events.md, choice C67 in contract/README.md)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from stage_player import StagePlayer, joined

from emulator.testing import boto3_client

BIN = Path(sys.executable).parent
START_TIMEOUT = 15.0
WAIT = 15.0
PATTERN = {"source": ["aws.ivs"], "detail-type": ["IVS Stage Update"]}
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args} exited with {process.returncode}"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1):
            return
        time.sleep(0.1)
    pytest.fail(f"no answer from {url} within {START_TIMEOUT} s")


@contextlib.contextmanager
def running(command: list[str], health: str) -> Iterator[None]:
    """Run `command` (its own process group) until the block ends."""
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, env={**os.environ, **CREDENTIALS},
    )
    try:
        wait_for(health, process)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    """moto's server: EventBridge and SQS on one loopback port."""
    script = BIN / "moto_server"
    assert script.exists(), f"{script} is missing: install the dev extra (make install)"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running([str(script), "-H", "127.0.0.1", "-p", str(port)], f"{url}/moto-api/"):
        yield url


def aws(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture
def queue(moto: str, request: pytest.FixtureRequest) -> str:
    """An SQS queue that a rule of the default bus feeds with IVS Stage Update events."""
    name = request.node.name[:60]
    sqs, events = aws("sqs", moto), aws("events", moto)
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    events.put_rule(Name=name, EventPattern=json.dumps(PATTERN), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn["Attributes"]["QueueArn"]}])
    return str(queue_url)


def emulator_with(endpoint: str) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "ivs-realtime-emulator"), "--port", str(port),
               "--eventbridge-endpoint", endpoint]
    with running(command, f"{url}/_emulator/health"):
        yield url


@pytest.fixture
def emulator(moto: str) -> Iterator[str]:
    yield from emulator_with(moto)


def received(moto: str, queue_url: str, count: int) -> list[dict[str, Any]]:
    sqs = aws("sqs", moto)
    bodies: list[dict[str, Any]] = []
    deadline = time.monotonic() + WAIT
    while len(bodies) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                     WaitTimeSeconds=1)
        bodies += [json.loads(m["Body"]) for m in answer.get("Messages", [])]
    return bodies


def publish(url: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    ivs = boto3_client(url)
    stage = ivs.create_stage(name="evented")["stage"]["arn"]
    alice = ivs.create_participant_token(stageArn=stage, userId="alice")["participantToken"]
    player = StagePlayer(url)
    session = joined(player.join(alice["token"]))["session"]
    joined(player.publish(alice["token"]))
    return stage, alice, session


def test_a_published_participant_reaches_an_sqs_queue_through_an_eventbridge_rule(
    moto: str, queue: str, emulator: str
) -> None:
    stage, alice, session = publish(emulator)
    (event,) = received(moto, queue, 1)
    sent = json.load(urllib.request.urlopen(f"{emulator}/_emulator/events"))["events"]
    assert (event["detail-type"], event["source"]) == ("IVS Stage Update", "aws.ivs")
    assert event["region"] == "us-east-1"  # moto's delivery to SQS leaves `account` out
    assert event["resources"] == [stage]
    assert event["time"] == sent[0]["time"]
    assert event["detail"] == {
        "session_id": session["sessionId"],
        "event_name": "Participant Published",
        "user_id": "alice",
        "participant_id": alice["participantId"],
        "event_time": sent[0]["time"],
    }
    assert event["detail"] == sent[0]["detail"]
    assert event["version"] == "0" and event["id"]  # the id is the bus's own


def test_the_rule_lets_only_stage_updates_through(
    moto: str, queue: str, emulator: str
) -> None:
    ivs = boto3_client(emulator)
    stage, alice, _ = publish(emulator)
    storage = ivs.create_storage_configuration(s3={"bucketName": "recordings"})["storageConfiguration"]
    encoder = ivs.create_encoder_configuration()["encoderConfiguration"]
    ivs.start_composition(stageArn=stage, destinations=[{"s3": {
        "storageConfigurationArn": storage["arn"], "encoderConfigurationArns": [encoder["arn"]]}}])
    joined(StagePlayer(emulator).unpublish(alice["token"]))
    time.sleep(1.5)  # the composition becomes ACTIVE: its events go to the bus, not the queue
    names = [e["detail"]["event_name"] for e in received(moto, queue, 2)]
    assert names == ["Participant Published", "Participant Unpublished"]
    sent = json.load(urllib.request.urlopen(f"{emulator}/_emulator/events/deliveries"))
    (stats,) = sent["deliveries"]
    assert stats["failed"] == 0 and stats["delivered"] >= 2


def test_an_unreachable_eventbridge_changes_no_api_answer() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    for url in emulator_with(nobody):
        started = time.monotonic()
        stage, alice, session = publish(url)
        assert time.monotonic() - started < 5
        assert session["sessionId"].startswith("st-")
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            stats = json.load(urllib.request.urlopen(f"{url}/_emulator/events/deliveries"))
            errors = stats["deliveries"][0]["lastErrors"]
            if errors:
                break
            time.sleep(0.1)
        assert errors and errors[0]["attempt"] == 1 and not errors[0]["gaveUp"]
