"""Every write ends in a Commit that the backend's observers receive: what ran, when, the ids it
drew and the participant events it recorded (emulator/service/transactions.py)."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Config, create_app
from emulator.http.app import emulator_of
from emulator.service.transactions import Commit


@pytest.fixture
def app() -> Any:
    return create_app(Config(seed=3))


@pytest.fixture
def commits(app: Any) -> list[Commit]:
    seen: list[Commit] = []
    emulator_of(app).backend.observers.append(seen.append)
    return seen


def call(app: Any, operation: str, body: dict[str, Any]) -> Any:
    return app.test_client().post(f"/{operation}", json=body)


def stage_with_token(app: Any, capabilities: list[str] | None = None) -> tuple[str, str]:
    arn = call(app, "CreateStage", {"name": "s"}).get_json()["stage"]["arn"]
    request: dict[str, Any] = {"stageArn": arn}
    if capabilities is not None:
        request["capabilities"] = capabilities
    token = call(app, "CreateParticipantToken", request).get_json()["participantToken"]["token"]
    return arn, token


def test_an_operation_commits_its_request_and_the_ids_it_drew(
    app: Any, commits: list[Commit]
) -> None:
    stage = call(app, "CreateStage", {"name": "s"}).get_json()["stage"]
    (commit,) = commits
    assert (commit.action, dict(commit.arguments), commit.failed) == (
        "CreateStage",
        {"name": "s"},
        False,
    )
    assert stage["arn"].endswith("/" + commit.drawn[0])


def test_a_join_commits_its_joined_event_with_the_stage_and_session(
    app: Any, commits: list[Commit]
) -> None:
    arn, token = stage_with_token(app)
    app.test_client().post("/_emulator/stage/join", json={"token": token})
    commit = commits[-1]
    ((participant, event),) = commit.participant_events
    assert (commit.action, event.name, participant.stage_arn) == ("stage.join", "JOINED", arn)
    assert participant.session_id.startswith("st-")


def test_a_refused_action_commits_the_error_event_it_recorded(
    app: Any, commits: list[Commit]
) -> None:
    _, token = stage_with_token(app, ["SUBSCRIBE"])
    client = app.test_client()
    client.post("/_emulator/stage/join", json={"token": token})
    assert client.post("/_emulator/stage/publish", json={"token": token}).status_code == 403
    commit = commits[-1]
    assert commit.failed
    assert [event.name for _, event in commit.participant_events] == ["PUBLISH_ERROR"]


def test_a_failing_observer_does_not_change_the_answer(app: Any) -> None:
    def broken(commit: Commit) -> None:
        raise RuntimeError("observer bug")

    emulator_of(app).backend.observers.append(broken)
    assert call(app, "CreateStage", {"name": "s"}).status_code == 200
