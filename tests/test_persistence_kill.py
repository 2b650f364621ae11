"""kill -9 under load: the console script, started as a user starts it with --state-dir, is
killed with SIGKILL at random moments while four threads write, and restarted each time.
Every write it answered 200 must be there after each restart, and start-up must never fail on
what a kill left (docs/persistence.md, choice C55).

Granian serves from a worker process that holds the state (emulator/http/server.py): the kill
reaches the worker first, then the supervisor, so that nothing of the emulator gets the chance
to stop cleanly (a SIGKILL of the supervisor alone would let the worker stop gracefully).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from emulator.persistence.database import DATABASE
from tests.test_console_script import SCRIPT, START_TIMEOUT, free_port

KILLS = 20
WRITERS = 4
SEED = 14


@dataclass
class Acknowledged:
    """What the emulator answered 200 to, by the writers (thread-safe through `lock`)."""

    stages: set[str] = field(default_factory=set)
    tags: dict[str, set[str]] = field(default_factory=dict)
    """Stage ARN -> tag keys."""
    tokens: set[str] = field(default_factory=set)
    """Participant ids of issued tokens."""
    joined: dict[str, str] = field(default_factory=dict)
    """Participant id -> stage ARN."""
    published: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        tags = sum(len(keys) for keys in self.tags.values())
        return len(self.stages) + tags + len(self.tokens) + len(self.joined) + len(self.published)


class Writer(threading.Thread):
    """Creates a stage, a token, a tag, joins and publishes, again and again, until the
    emulator stops answering; records each write answered 200."""

    def __init__(self, port: int, name: str, acknowledged: Acknowledged) -> None:
        super().__init__(daemon=True)
        self.port, self.label, self.acknowledged = port, name, acknowledged
        self.count = 0
        self.error: str | None = None
        """A write refused by the running emulator (a bug), not one cut short by the kill."""

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(
                "POST", path, json.dumps(body), {"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise AssertionError(f"{path} answered {response.status}: {payload!r}")
        result: dict[str, Any] = json.loads(payload)
        return result

    def run(self) -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            try:
                while True:
                    self.cycle()
            except AssertionError as error:
                self.error = str(error)

    def cycle(self) -> None:
        ack = self.acknowledged
        self.count += 1
        answer = self.post("/CreateStage", {"name": f"{self.label}-{self.count}"})
        assert answer is not None
        arn = answer["stage"]["arn"]
        with ack.lock:
            ack.stages.add(arn)
        issued = self.post("/CreateParticipantToken", {"stageArn": arn})
        assert issued is not None
        token, participant = issued["participantToken"]["token"], issued["participantToken"][
            "participantId"
        ]
        with ack.lock:
            ack.tokens.add(participant)
        self.post(f"/tags/{quote(arn, safe='')}", {"tags": {"writer": self.label}})
        with ack.lock:
            ack.tags.setdefault(arn, set()).add("writer")
        self.post("/_emulator/stage/join", {"token": token})
        with ack.lock:
            ack.joined[participant] = arn
        self.post("/_emulator/stage/publish", {"token": token})
        with ack.lock:
            ack.published.add(participant)


@dataclass
class Emulator:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def get(self, path: str) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            assert response.status == 200, response.read()
            return json.loads(response.read())
        finally:
            connection.close()

    def worker(self) -> int:
        """The Granian worker's pid: the supervisor's one child."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def kill(self) -> None:
        """SIGKILL the worker, then the supervisor; wait until both are gone."""
        worker = self.worker()
        os.kill(worker, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.01)


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie has exited: its files and locks are released)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def start(state_dir: Path, log: Path) -> Emulator:
    port = free_port()
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [
                str(SCRIPT),
                "--port",
                str(port),
                "--state-dir",
                str(state_dir),
                "--log-level",
                "WARNING",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
            env={**os.environ, "IVS_EMULATOR_STAGE_QUOTA": "off"},
        )
    emulator = Emulator(process, port, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"start-up failed ({process.returncode}):\n{log.read_text()}"
        with contextlib.suppress(OSError, http.client.HTTPException):
            emulator.get("/_emulator/health")
            return emulator
        time.sleep(0.02)
    emulator.kill()
    pytest.fail(f"no answer within {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture
def running() -> Iterator[list[Emulator]]:
    """The emulators a test started; any still running at its end is killed."""
    started: list[Emulator] = []
    yield started
    for emulator in started:
        if emulator.process.poll() is None:
            emulator.kill()


def missing(emulator: Emulator, acknowledged: Acknowledged) -> list[str]:
    """Each acknowledged write the emulator does not have."""
    stages: dict[str, Any] = {}
    for region in emulator.get("/_emulator/export")["regions"]:
        stages.update(region["stages"])
    tokens = {
        participant
        for region in emulator.get("/_emulator/state")["regions"]
        for participant in region["tokens"]
    }
    participants = {
        participant_id: (arn, participant)
        for arn, stage in stages.items()
        for session in stage["sessions"].values()
        for participant_id, participant in session["participants"].items()
    }
    lost = [f"stage {arn}" for arn in acknowledged.stages if arn not in stages]
    lost += [
        f"tag {key} of {arn}"
        for arn, keys in acknowledged.tags.items()
        for key in keys
        if key not in stages.get(arn, {}).get("tags", {})
    ]
    lost += [f"token {p}" for p in acknowledged.tokens if p not in tokens]
    lost += [
        f"join of {p}"
        for p, arn in acknowledged.joined.items()
        if participants.get(p, ("", {}))[0] != arn
    ]
    lost += [
        f"publish of {p}"
        for p in acknowledged.published
        if not participants.get(p, ("", {"publishing": False}))[1]["publishing"]
    ]
    return lost


def test_every_acknowledged_write_survives_twenty_kills(
    tmp_path: Path, running: list[Emulator]
) -> None:
    rng = random.Random(SEED)
    state_dir, log = tmp_path / "state", tmp_path / "stderr.txt"
    acknowledged = Acknowledged()
    for kill in range(KILLS):
        emulator = start(state_dir, log)
        running.append(emulator)
        assert missing(emulator, acknowledged) == [], f"after kill {kill}"
        writers = [Writer(emulator.port, f"k{kill}w{n}", acknowledged) for n in range(WRITERS)]
        for writer in writers:
            writer.start()
        time.sleep(rng.uniform(0.05, 0.4))
        emulator.kill()
        for writer in writers:
            writer.join(timeout=10)
            assert not writer.is_alive() and writer.error is None, writer.error
    emulator = start(state_dir, log)
    running.append(emulator)
    assert missing(emulator, acknowledged) == [], f"after kill {KILLS}"
    assert acknowledged.count > KILLS * WRITERS, "the writers should have been answered often"
    assert len(acknowledged.published) > 0


def test_a_second_emulator_on_the_same_directory_exits_with_a_clear_message(
    tmp_path: Path, running: list[Emulator]
) -> None:
    running.append(start(tmp_path / "state", tmp_path / "first.txt"))
    second = subprocess.run(
        [str(SCRIPT), "--port", str(free_port()), "--state-dir", str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert second.returncode != 0
    assert f"the state directory {tmp_path / 'state'} is in use by another emulator" in (
        second.stderr
    )


def test_sigterm_stops_with_a_last_snapshot_and_an_empty_log(
    tmp_path: Path, running: list[Emulator]
) -> None:
    emulator = start(tmp_path / "state", tmp_path / "stderr.txt")
    running.append(emulator)
    arn = Writer(emulator.port, "w", Acknowledged()).post("/CreateStage", {"name": "kept"})
    assert arn is not None
    emulator.process.send_signal(signal.SIGTERM)
    assert emulator.process.wait(timeout=10) == 0

    with sqlite3.connect(tmp_path / "state" / DATABASE) as connection:
        (logged,) = connection.execute("SELECT count(*) FROM log").fetchone()
        (document,) = connection.execute("SELECT document FROM snapshot").fetchone()
    assert logged == 0
    assert arn["stage"]["arn"] in json.loads(document)["regions"][0]["stages"]
