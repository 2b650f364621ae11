"""The cost of an operation does not grow with records it neither returns nor changes: these
tests count the records an operation visits, never the time it takes."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from emulator import Config, create_app
from emulator.http.app import emulator_of
from emulator.state.store import IssuedToken, StageRecord

ACCOUNT, REGION = "123456789012", "us-east-1"


class CountingIssuedToken(IssuedToken):
    """An issued token that counts how often any code reads its stage ARN."""

    reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "stage_arn":
            type(self).reads += 1
        return object.__getattribute__(self, name)


class CountingStage(StageRecord):
    """A stage that counts how often any code reads its sequence (the key pages sort by)."""

    reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "sequence":
            type(self).reads += 1
        return object.__getattribute__(self, name)


@pytest.fixture
def app() -> Any:
    return create_app(Config(stage_quota=None, seed=7))


def call(client: Any, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/{operation}", json=body)
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def fill_with_unrelated_tokens(app: Any, stage_arn: str, count: int) -> None:
    """`count` tokens of another stage, made as counting records."""
    state = emulator_of(app).backend.store.region(ACCOUNT, REGION)
    now = emulator_of(app).backend.clock.now()
    for index in range(count):
        state.add_token(
            CountingIssuedToken(
                participant_id=f"other{index:07d}",
                stage_arn=stage_arn,
                user_id=None,
                attributes=None,
                capabilities=["PUBLISH", "SUBSCRIBE"],
                duration=720,
                issued_at=now,
                expires_at=now,
            )
        )


@pytest.fixture
def mine_beside_a_crowded_stage(app: Any) -> str:
    """A stage of one's own, beside another stage with 2,000 counting tokens (not yet read)."""
    client = app.test_client()
    mine: str = call(client, "CreateStage", {"name": "mine"})["stage"]["arn"]
    other = call(client, "CreateStage", {"name": "other"})["stage"]["arn"]
    fill_with_unrelated_tokens(app, other, 2000)
    CountingIssuedToken.reads = 0
    return mine


def test_create_participant_token_does_not_visit_other_stages_tokens(
    app: Any, mine_beside_a_crowded_stage: str
) -> None:
    call(app.test_client(), "CreateParticipantToken", {"stageArn": mine_beside_a_crowded_stage})
    assert CountingIssuedToken.reads == 0


def test_delete_stage_visits_only_its_own_tokens(
    app: Any, mine_beside_a_crowded_stage: str
) -> None:
    call(app.test_client(), "DeleteStage", {"arn": mine_beside_a_crowded_stage})
    assert CountingIssuedToken.reads == 0


def test_a_list_stages_page_visits_about_a_page_of_stages(app: Any) -> None:
    client = app.test_client()
    state = emulator_of(app).backend.store.region(ACCOUNT, REGION)
    call(client, "CreateStage", {"name": "first"})
    template = next(iter(state.stages.values()))
    for index in range(3000):
        arn = f"{template.arn[:-12]}{index:012d}"
        state.stages[arn] = CountingStage(
            arn=arn,
            stage_id=arn[-12:],
            name="",
            tags={},
            auto_participant_recording_configuration=template.auto_participant_recording_configuration,
            endpoints=template.endpoints,
            created_at=template.created_at,
            sequence=state.next_sequence(),
        )
    first = call(client, "ListStages", {"maxResults": 10})
    CountingStage.reads = 0
    second = call(client, "ListStages", {"maxResults": 10, "nextToken": first["nextToken"]})
    assert len(second["stages"]) == 10
    assert CountingStage.reads <= 3 * 10 + 20


def region_tokens(app: Any) -> dict[str, Any]:
    return emulator_of(app).backend.store.region(ACCOUNT, REGION).tokens


def test_tokens_expired_longer_than_the_grace_are_forgotten_when_another_is_issued(
    app: Any,
) -> None:
    client = app.test_client()
    stage = call(client, "CreateStage", {"name": "s"})["stage"]["arn"]
    old = call(client, "CreateParticipantToken", {"stageArn": stage, "duration": 1})
    client.post("/_emulator/clock/advance", json={"seconds": 60 + 10 * 60 + 1})
    call(client, "CreateParticipantToken", {"stageArn": stage})
    assert old["participantToken"]["participantId"] not in region_tokens(app)


def test_an_expired_token_is_remembered_during_the_grace(app: Any) -> None:
    client = app.test_client()
    stage = call(client, "CreateStage", {"name": "s"})["stage"]["arn"]
    old = call(client, "CreateParticipantToken", {"stageArn": stage, "duration": 1})
    client.post("/_emulator/clock/advance", json={"seconds": 60 + 10 * 60 - 1})
    call(client, "CreateParticipantToken", {"stageArn": stage})
    assert old["participantToken"]["participantId"] in region_tokens(app)


class FreedToken(CountingIssuedToken):
    """A token that notes the thread that frees it."""

    freed_by: list[str] = []

    def __del__(self) -> None:
        FreedToken.freed_by.append(threading.current_thread().name)


def test_reset_answers_without_freeing_the_old_records_itself(app: Any) -> None:
    client = app.test_client()
    state = emulator_of(app).backend.store.region(ACCOUNT, REGION)
    now = emulator_of(app).backend.clock.now()
    FreedToken.freed_by = []
    for index in range(500):
        state.add_token(FreedToken(f"p{index:011d}", "arn", None, None, [], 720, now, now))
    del state
    assert client.post("/_emulator/reset").status_code == 200
    for _ in range(500):
        if len(FreedToken.freed_by) == 500:
            break
        time.sleep(0.01)
    assert set(FreedToken.freed_by) == {"store-reset"}
    assert call(client, "ListStages", {})["stages"] == []
