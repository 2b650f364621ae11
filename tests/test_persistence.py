"""--state-dir: what an emulator acknowledged is there again after a restart on the same
directory, whether it stopped cleanly (a last snapshot) or died (the log replayed), and two
emulators never share one directory (emulator/persistence/, docs/persistence.md, choice C55).

The emulators here run in-process; tests/test_persistence_kill.py kills the console script.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from emulator import Config, create_app
from emulator.contract.timestamps import parse_instant
from emulator.http.app import close_app, emulator_of
from emulator.persistence import StateDirBusy
from emulator.persistence.database import DATABASE
from tests.mixed_workload import MixedWorkload

START = parse_instant("2030-01-01T00:00:00Z")


def config(state_dir: Path, **settings: Any) -> Config:
    return Config(state_dir=str(state_dir), clock_start=START, clock_frozen=True, **settings)


def crash(app: Flask) -> None:
    """Leave `app` as a kill would: no last snapshot, the directory released as the kernel
    releases a dead process's lock (what SQLite committed stays; nothing else is written)."""
    persistence = emulator_of(app).persistence
    assert persistence is not None
    persistence.directory.close()


def clean_stop(app: Flask) -> None:
    close_app(app)


STOPS: dict[str, Callable[[Flask], None]] = {"clean stop": clean_stop, "crash": crash}


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[list[Flask]]:
    """Every app a test made, closed at its end."""
    made: list[Flask] = []
    yield made
    for app in made:
        persistence = emulator_of(app).persistence
        if persistence is not None:
            persistence.directory.close()


@pytest.fixture
def start(tmp_path: Path, apps: list[Flask]) -> Callable[..., Flask]:
    def start(**settings: Any) -> Flask:
        app = create_app(config(tmp_path / "state", **settings))
        apps.append(app)
        return app

    return start


def call(app: Flask, operation: str, body: dict[str, Any]) -> Any:
    response = app.test_client().post(f"/{operation}", json=body)
    assert response.status_code == 200, (operation, response.get_data(as_text=True))
    return response.get_json()


def control(app: Flask, method: str, path: str, body: Any = None) -> Any:
    response = app.test_client().open(f"/_emulator/{path}", method=method, json=body)
    assert response.status_code in (200, 201), (path, response.get_data(as_text=True))
    return response.get_json()


def exported(app: Flask) -> dict[str, Any]:
    document: dict[str, Any] = control(app, "GET", "export")
    document.pop("exportedAt")
    return document


# -- the state -------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", STOPS)
def test_a_random_mixed_workload_is_exported_the_same_after_a_restart(
    stop: str, start: Callable[..., Flask]
) -> None:
    app = start()
    emulator_of(app).persistence.compact_every = 150  # type: ignore[union-attr]
    workload = MixedWorkload(app.test_client(), random.Random(14))
    workload.run(600)
    assert workload.answers[200] > 300 and sum(workload.answers.values()) > 500
    before = exported(app)
    STOPS[stop](app)

    after = exported(start())

    assert after == before


@pytest.mark.parametrize("stop", STOPS)
def test_stages_sessions_participants_and_their_events_come_back(
    stop: str, start: Callable[..., Flask]
) -> None:
    app = start()
    stage = call(app, "CreateStage", {"name": "kept", "tags": {"team": "a"}})["stage"]
    token = call(app, "CreateParticipantToken", {"stageArn": stage["arn"], "userId": "alice"})[
        "participantToken"
    ]
    client = app.test_client()
    joined = client.post("/_emulator/stage/join", json={"token": token["token"]}).get_json()
    assert client.post("/_emulator/stage/publish", json={"token": token["token"]}).status_code == 200
    session_id = joined["session"]["sessionId"]
    events_before = call(
        app,
        "ListParticipantEvents",
        {"stageArn": stage["arn"], "sessionId": session_id, "participantId": token["participantId"]},
    )
    STOPS[stop](app)

    again = start()
    assert call(again, "GetStage", {"arn": stage["arn"]})["stage"]["tags"] == {"team": "a"}
    participant = call(
        again,
        "GetParticipant",
        {"stageArn": stage["arn"], "sessionId": session_id, "participantId": token["participantId"]},
    )["participant"]
    assert (participant["userId"], participant["state"], participant["published"]) == (
        "alice",
        "CONNECTED",
        True,
    )
    events_after = call(
        again,
        "ListParticipantEvents",
        {"stageArn": stage["arn"], "sessionId": session_id, "participantId": token["participantId"]},
    )
    assert sorted(e["name"] for e in events_after["events"]) == ["JOINED", "PUBLISH_STARTED"]
    assert events_after == events_before


def test_a_token_issued_before_a_restart_joins_after_it(start: Callable[..., Flask]) -> None:
    app = start()
    stage = call(app, "CreateStage", {"name": "s"})["stage"]
    token = call(app, "CreateParticipantToken", {"stageArn": stage["arn"]})["participantToken"]
    jwks = control(app, "GET", "jwks.json")
    close_app(app)

    again = start()
    assert control(again, "GET", "jwks.json") == jwks
    answer = again.test_client().post("/_emulator/stage/join", json={"token": token["token"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_a_revoked_token_stays_revoked(start: Callable[..., Flask]) -> None:
    app = start()
    stage = call(app, "CreateStage", {"name": "s"})["stage"]
    token = call(app, "CreateParticipantToken", {"stageArn": stage["arn"]})["participantToken"]
    call(app, "RevokeConnectionToken", {"tokenId": token["participantId"]})
    crash(app)

    answer = start().test_client().post("/_emulator/stage/join", json={"token": token["token"]})
    assert (answer.status_code, answer.get_json()["error"]) == (403, "token_revoked")


def test_a_refused_publish_keeps_the_error_event_it_recorded(start: Callable[..., Flask]) -> None:
    app = start()
    stage = call(app, "CreateStage", {"name": "s"})["stage"]
    token = call(app, "CreateParticipantToken", {"stageArn": stage["arn"], "capabilities": []})[
        "participantToken"
    ]
    client = app.test_client()
    session = client.post("/_emulator/stage/join", json={"token": token["token"]}).get_json()
    assert client.post("/_emulator/stage/publish", json={"token": token["token"]}).status_code == 403
    crash(app)

    events = call(
        start(),
        "ListParticipantEvents",
        {
            "stageArn": stage["arn"],
            "sessionId": session["session"]["sessionId"],
            "participantId": token["participantId"],
        },
    )["events"]
    assert sorted((e["name"], e.get("errorCode", "")) for e in events) == [
        ("JOINED", ""),
        ("PUBLISH_ERROR", "INSUFFICIENT_CAPABILITIES"),
    ]


# -- beside the state ------------------------------------------------------------------------


def test_the_clock_seed_and_behaviours_come_back(start: Callable[..., Flask]) -> None:
    app = start(seed=7)
    control(app, "POST", "clock/advance", {"seconds": 3600})
    control(app, "POST", "seed", {"seed": 99})
    control(app, "POST", "behaviours", {"denied": ["333333333333"], "quotas": {"stages": 3}})
    fault = control(app, "POST", "faults", {"operation": "GetStage", "error": "ThrottlingException", "count": 2})
    clock = control(app, "GET", "clock")
    behaviours = control(app, "GET", "behaviours")
    crash(app)

    again = start(seed=7)
    assert control(again, "GET", "clock") == clock == {
        "now": "2030-01-01T01:00:00Z",
        "frozen": True,
        "offsetSeconds": None,
    }
    assert control(again, "GET", "seed") == {"seed": 99}
    assert control(again, "GET", "behaviours") == behaviours
    assert [f["id"] for f in control(again, "GET", "faults")["faults"]] == [fault["id"]]


def test_a_running_clock_keeps_its_offset(tmp_path: Path, apps: list[Flask]) -> None:
    state = str(tmp_path / "state")
    app = create_app(Config(state_dir=state))
    apps.append(app)
    control(app, "POST", "clock/advance", {"seconds": 86400})
    close_app(app)

    again = create_app(Config(state_dir=state))
    apps.append(again)
    status = control(again, "GET", "clock")
    assert (status["frozen"], round(status["offsetSeconds"])) == (False, 86400)


def test_a_reset_is_kept(start: Callable[..., Flask]) -> None:
    app = start()
    call(app, "CreateStage", {"name": "forgotten"})
    control(app, "POST", "reset")
    crash(app)

    assert exported(start())["regions"] == []


def test_an_import_is_kept(start: Callable[..., Flask], tmp_path: Path, apps: list[Flask]) -> None:
    elsewhere = create_app(Config(clock_start=START, clock_frozen=True))
    call(elsewhere, "CreateStage", {"name": "imported"})
    document = exported(elsewhere)

    app = start()
    call(app, "CreateStage", {"name": "replaced"})
    control(app, "POST", "import", document)
    crash(app)

    assert exported(start()) == document


def test_writes_after_an_import_are_kept_on_top_of_it(start: Callable[..., Flask]) -> None:
    elsewhere = create_app(Config(clock_start=START, clock_frozen=True))
    arn = call(elsewhere, "CreateStage", {"name": "imported"})["stage"]["arn"]
    app = start()
    control(app, "POST", "import", exported(elsewhere))
    tagged = app.test_client().post(f"/tags/{quote(arn, safe='')}", json={"tags": {"after": "it"}})
    assert tagged.status_code == 200
    crash(app)

    assert call(start(), "GetStage", {"arn": arn})["stage"]["tags"] == {"after": "it"}


# -- the directory ---------------------------------------------------------------------------


def test_a_second_emulator_on_the_same_directory_is_refused(start: Callable[..., Flask]) -> None:
    start()
    with pytest.raises(StateDirBusy, match="in use by another emulator"):
        start()


def test_the_log_is_compacted_into_a_snapshot(start: Callable[..., Flask], tmp_path: Path) -> None:
    app = start()
    persistence = emulator_of(app).persistence
    assert persistence is not None
    for n in range(30):
        call(app, "CreateStage", {"name": f"s{n}"})
    assert persistence.directory.log_length() == 30
    persistence.checkpoint()
    assert persistence.directory.log_length() == 0
    close_app(app)
    assert len(exported(start())["regions"][0]["stages"]) == 30


def test_reads_are_not_logged(start: Callable[..., Flask]) -> None:
    app = start()
    persistence = emulator_of(app).persistence
    assert persistence is not None
    arn = call(app, "CreateStage", {"name": "s"})["stage"]["arn"]
    call(app, "GetStage", {"arn": arn})
    call(app, "ListStages", {})
    assert [row.action for row in persistence.directory.log()] == ["CreateStage"]


def test_a_log_torn_at_any_byte_starts_with_a_prefix_of_the_writes(
    start: Callable[..., Flask], tmp_path: Path, apps: list[Flask]
) -> None:
    """What a kill in the middle of a write leaves: the WAL cut anywhere. SQLite keeps the
    committed prefix; start-up never fails on it."""
    app = start()
    names = [f"stage-{n:02d}" for n in range(12)]
    for name in names:
        call(app, "CreateStage", {"name": name})
    state = tmp_path / "state"
    wal = (state / (DATABASE + "-wal")).read_bytes()
    database = (state / DATABASE).read_bytes()
    assert len(wal) > 4096, "the writes should still be in the WAL"
    seen = set()
    for cut in sorted({*range(0, len(wal), 997), len(wal) - 1, len(wal)}):
        torn = tmp_path / f"torn-{cut}"
        torn.mkdir()
        (torn / DATABASE).write_bytes(database)
        (torn / (DATABASE + "-wal")).write_bytes(wal[:cut])
        again = create_app(config(torn))
        apps.append(again)
        regions = exported(again)["regions"]
        kept = [stage["name"] for stage in regions[0]["stages"].values()] if regions else []
        assert kept == names[: len(kept)]
        seen.add(len(kept))
        close_app(again)
        shutil.rmtree(torn)
    assert {0, len(names)} <= seen


def test_the_database_is_sqlite_in_wal_mode(start: Callable[..., Flask], tmp_path: Path) -> None:
    app = start()
    call(app, "CreateStage", {"name": "s"})
    with sqlite3.connect(tmp_path / "state" / DATABASE) as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
        rows = connection.execute("SELECT action, arguments FROM log").fetchall()
    assert mode == "wal"
    assert [(action, json.loads(arguments)) for action, arguments in rows] == [
        ("CreateStage", {"name": "s"})
    ]


def test_a_write_that_cannot_be_saved_is_not_acknowledged(
    start: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start()
    keeper = emulator_of(app).persistence
    assert keeper is not None

    def disk_full(row: Any) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(keeper.directory, "append", disk_full)
    answer = app.test_client().post("/CreateStage", json={"name": "lost"})
    assert answer.status_code == 500
    assert answer.headers["x-amzn-ErrorType"] == "InternalServerException"
