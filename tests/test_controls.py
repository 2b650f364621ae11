"""Controls for tests under /_emulator/: faults, clock, seed, inspection, token check, the
request journal, export and import (choices C32 to C37 in contract/README.md).

The first test of each section is the example docs/controls.md shows under "Controls for
tests", written as a user writes it: boto3 for the API, urllib for the controls; the page's own
examples run as written too (at the end). The rest are focused tests, among them one for each
refusal.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient

from emulator import Config, create_app
from emulator.contract.model import Contract
from emulator.controls.clock import ControlledClock, SystemClock
from emulator.http.app import emulator_of
from emulator.testing import LiveServer, boto3_client
from emulator.tokens import TokenSigner
from tests.doc_examples import DOCUMENTED_URL, code_blocks
from tests.helpers import client_error, error_code, error_message, status

CONTRACT = Contract.load()


def control(emulator: str, method: str, path: str, body: Any = None) -> Any:
    """Call one of the emulator's /_emulator/ endpoints; the decoded JSON answer (as the docs)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{emulator}/_emulator/{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


@pytest.fixture
def emulator(live_server: LiveServer) -> str:
    return live_server.url


def refused(client: FlaskClient, method: str, path: str, body: Any = None) -> tuple[int, str]:
    """Status and message of a control request that must be refused."""
    response = client.open(f"/_emulator/{path}", method=method, json=body)
    assert response.status_code >= 400, response.get_json()
    return response.status_code, str(response.get_json()["message"])


# -- faults (C32) ----------------------------------------------------------------------------


def test_example_fault_makes_the_next_call_fail(emulator: str) -> None:
    ivs = boto3_client(emulator, retries={"total_max_attempts": 1})  # no retries
    stage = ivs.create_stage(name="demo")["stage"]
    control(
        emulator,
        "POST",
        "faults",
        {"operation": "CreateParticipantToken", "error": "ThrottlingException", "count": 1},
    )
    error = client_error(ivs.create_participant_token, stageArn=stage["arn"])
    assert error.response["Error"]["Code"] == "ThrottlingException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    ivs.create_participant_token(stageArn=stage["arn"])  # the next call succeeds
    assert control(emulator, "GET", "faults")["faults"][0]["fired"] == 1


def test_a_throttled_call_is_retried_by_the_sdk(emulator: str) -> None:
    ivs = boto3_client(emulator, retries={"total_max_attempts": 2, "mode": "standard"})
    control(emulator, "POST", "faults", {"operation": "ListStages", "error": "ThrottlingException"})
    assert ivs.list_stages()["stages"] == []
    answers = control(emulator, "GET", "requests?operation=ListStages")["requests"]
    assert [(a["status"], a["error"]) for a in answers] == [(429, "ThrottlingException"), (200, None)]


def test_a_fault_carries_its_message_and_the_modelled_status(emulator: str, ivs: Any) -> None:
    control(
        emulator,
        "POST",
        "faults",
        {"operation": "CreateStage", "error": "ServiceQuotaExceededException", "message": "full"},
    )
    error = client_error(ivs.create_stage)
    assert (error_code(error), status(error), error_message(error)) == (
        "ServiceQuotaExceededException",
        402,
        "full",
    )


def _request_path(uri: str) -> str:
    arn = quote("arn:aws:ivs:us-east-1:123456789012:stage/abcdefABCDEF", safe="")
    return uri.replace("{resourceArn}", arn).split("?")[0]


def test_every_modelled_error_of_every_operation_is_reachable(client: FlaskClient) -> None:
    reached = []
    for operation in CONTRACT.operations.values():
        for error in (*operation.errors, "ThrottlingException"):
            added = client.post(
                "/_emulator/faults", json={"operation": operation.name, "error": error}
            )
            assert added.status_code == 201, added.get_json()
            response = client.open(
                _request_path(operation.uri), method=operation.method, json={}
            )
            expected = CONTRACT.error_status(error) or 429
            assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (
                expected,
                error,
            ), operation.name
            assert response.get_json()["message"] == response.get_json()["exceptionMessage"]
            reached.append((operation.name, error))
    assert len(reached) == sum(len(op.errors) + 1 for op in CONTRACT.operations.values())


def test_faults_come_after_access_denied_and_pending_verification(
    client: FlaskClient, make_ivs: Callable[..., Any]
) -> None:
    client.post("/_emulator/behaviours", json={"denied": ["111111111111"]})
    client.post("/_emulator/behaviours", json={"pendingVerification": ["222222222222"]})
    fault = {"operation": "CreateStage", "error": "ServiceQuotaExceededException"}
    assert client.post("/_emulator/faults", json=fault).status_code == 201
    for key, expected in (
        ("111111111111", "AccessDeniedException"),
        ("222222222222", "PendingVerification"),
        ("333333333333", "ServiceQuotaExceededException"),
    ):
        assert error_code(client_error(make_ivs(access_key=key).create_stage)) == expected
    # The refused calls did not use the fault up: only the third one fired it.
    (fault,) = client.get("/_emulator/faults").get_json()["faults"]
    assert fault["fired"] == 1


def test_faults_come_before_validation(client: FlaskClient, ivs_unchecked: Any) -> None:
    client.post(
        "/_emulator/faults",
        json={"operation": "CreateParticipantToken", "error": "ResourceNotFoundException"},
    )
    error = client_error(ivs_unchecked.create_participant_token, stageArn="not an arn")
    assert error_code(error) == "ResourceNotFoundException"


def test_a_fault_can_be_narrowed_to_an_account_and_a_region(
    client: FlaskClient, make_ivs: Callable[..., Any]
) -> None:
    client.post(
        "/_emulator/faults",
        json={
            "operation": "ListStages",
            "error": "InternalServerException",
            "count": 5,
            "account": "111111111111",
            "region": "eu-west-1",
        },
    )
    assert make_ivs(access_key="111111111111").list_stages()["stages"] == []
    assert make_ivs(access_key="222222222222", region="eu-west-1").list_stages()["stages"] == []
    target = make_ivs(access_key="111111111111", region="eu-west-1")
    assert status(client_error(target.list_stages)) == 500


def _outcomes(seed: int) -> list[int]:
    app = create_app(Config(seed=seed))
    client = app.test_client()
    client.post(
        "/_emulator/faults",
        json={"operation": "ListStages", "error": "InternalServerException", "probability": 0.5},
    )
    return [client.post("/ListStages", json={}).status_code for _ in range(40)]


def test_probability_draws_repeat_with_the_seed() -> None:
    first = _outcomes(seed=11)
    assert first == _outcomes(seed=11)
    assert set(first) == {200, 500}


@pytest.mark.parametrize(("probability", "expected"), [(0, {200}), (1, {500})])
def test_probability_zero_never_fires_and_one_always_does(
    client: FlaskClient, probability: float, expected: set[int]
) -> None:
    client.post(
        "/_emulator/faults",
        json={"operation": "ListStages", "error": "InternalServerException", "probability": probability},
    )
    assert {client.post("/ListStages", json={}).status_code for _ in range(20)} == expected


def test_faults_are_listed_deleted_one_by_one_and_all_at_once(client: FlaskClient) -> None:
    ids = [
        client.post("/_emulator/faults", json={"operation": op, "error": "ValidationException"})
        .get_json()["id"]
        for op in ("CreateStage", "GetStage", "ListStages")
    ]
    listed = client.get("/_emulator/faults").get_json()["faults"]
    assert [f["id"] for f in listed] == ids
    assert client.delete(f"/_emulator/faults/{ids[1]}").get_json() == {"removed": 1}
    assert [f["id"] for f in client.get("/_emulator/faults").get_json()["faults"]] == [
        ids[0],
        ids[2],
    ]
    assert client.delete("/_emulator/faults").get_json() == {"removed": 2}
    assert client.get("/_emulator/faults").get_json()["faults"] == []
    assert client.post("/ListStages", json={}).status_code == 200


def test_behaviours_list_the_faults_too(client: FlaskClient) -> None:
    client.post("/_emulator/faults", json={"operation": "GetStage", "error": "ValidationException"})
    (fault,) = client.get("/_emulator/behaviours").get_json()["faults"]
    assert fault["operation"] == "GetStage"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"operation": "CreateChannel", "error": "ValidationException"}, "unknown operation"),
        ({"operation": "GetStage", "error": "ConflictException"}, "GetStage does not model"),
        ({"operation": "GetStage", "error": "PendingVerification"}, "does not model"),
        ({"operation": "GetStage", "error": "NoSuchError"}, "does not model"),
        ({"error": "ValidationException"}, "'operation' must be"),
        ({"operation": "GetStage"}, "'error' must be"),
        ({"operation": "GetStage", "error": "ValidationException", "count": 0}, "'count'"),
        ({"operation": "GetStage", "error": "ValidationException", "count": 1.5}, "'count'"),
        ({"operation": "GetStage", "error": "ValidationException", "count": True}, "'count'"),
        ({"operation": "GetStage", "error": "ValidationException", "probability": 1.5}, "0 to 1"),
        ({"operation": "GetStage", "error": "ValidationException", "probability": "1"}, "0 to 1"),
        (
            {"operation": "GetStage", "error": "ValidationException", "count": 1, "probability": 1},
            "not both",
        ),
        ({"operation": "GetStage", "error": "ValidationException", "account": 1}, "'account'"),
        ({"operation": "GetStage", "error": "ValidationException", "regoin": "x"}, "regoin"),
        (["GetStage"], "JSON object"),
    ],
)
def test_a_fault_that_cannot_be_is_refused(client: FlaskClient, body: Any, words: str) -> None:
    code, message = refused(client, "POST", "faults", body)
    assert code == 400
    assert words in message
    assert client.get("/_emulator/faults").get_json()["faults"] == []


def test_a_fault_body_that_is_not_json_is_refused(client: FlaskClient) -> None:
    response = client.post("/_emulator/faults", data="{", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["message"]


def test_deleting_an_unknown_fault_is_404(client: FlaskClient) -> None:
    assert refused(client, "DELETE", "faults/fault-9")[0] == 404


# -- the clock (C33) -------------------------------------------------------------------------


def test_example_clock_moves_token_times_and_expiry(emulator: str, ivs: Any) -> None:
    control(emulator, "POST", "clock", {"now": "2030-01-01T00:00:00Z", "frozen": True})
    stage = ivs.create_stage(name="demo")["stage"]
    token = ivs.create_participant_token(stageArn=stage["arn"], duration=60)["participantToken"]
    claims = jwt.decode(token["token"], options={"verify_signature": False})
    assert claims["iat"] == datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    assert token["expirationTime"] == datetime(2030, 1, 1, 1, 0, tzinfo=UTC)

    control(emulator, "POST", "clock/advance", {"seconds": 3600})
    check = control(emulator, "POST", "token-check", {"token": token["token"]})
    assert (check["accepted"], check["problem"]) == (False, "expired")
    assert control(emulator, "GET", "clock")["now"] == "2030-01-01T01:00:00Z"


def test_the_clock_can_start_frozen_from_the_configuration() -> None:
    client = create_app(
        Config.from_env(
            {"IVS_EMULATOR_CLOCK_START": "2031-05-06T07:08:09Z", "IVS_EMULATOR_CLOCK_FROZEN": "1"}
        )
    ).test_client()
    assert client.get("/_emulator/clock").get_json() == {
        "now": "2031-05-06T07:08:09Z",
        "frozen": True,
        "offsetSeconds": None,
    }
    created = client.post("/CreateStage", json={}).get_json()
    arn = created["stage"]["arn"]
    session = client.get("/_emulator/state").get_json()["regions"][0]["stages"][arn]
    assert session["created_at"] == "2031-05-06T07:08:09Z"


def test_a_running_clock_keeps_its_offset_from_wall_time() -> None:
    wall = [datetime(2026, 1, 1, tzinfo=UTC)]
    clock = ControlledClock(datetime(2020, 1, 1, tzinfo=UTC), wall=lambda: wall[0])
    wall[0] = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
    assert clock.now() == datetime(2020, 1, 1, 0, 0, 30, tzinfo=UTC)
    clock.set(frozen=True)
    wall[0] = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert clock.now() == datetime(2020, 1, 1, 0, 0, 30, tzinfo=UTC)
    clock.set(frozen=False)
    clock.advance(10)
    wall[0] = datetime(2026, 1, 1, 0, 5, 1, tzinfo=UTC)
    assert clock.now() == datetime(2020, 1, 1, 0, 0, 41, tzinfo=UTC)


def test_releasing_the_clock_lets_it_run_on(client: FlaskClient) -> None:
    answer = client.post("/_emulator/clock", json={"frozen": False}).get_json()
    assert answer["frozen"] is False
    assert answer["now"] == "2026-01-02T03:04:05Z"  # the fixture's instant, now running


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("clock", {}, "either or both"),
        ("clock", {"now": "yesterday"}, "ISO 8601"),
        ("clock", {"now": 5}, "ISO 8601"),
        ("clock", {"frozen": "yes"}, "true or false"),
        ("clock", {"now": "2030-01-01T00:00:00Z", "speed": 2}, "either or both"),
        ("clock/advance", {"seconds": -1}, "0 or more"),
        ("clock/advance", {"seconds": "60"}, "number of seconds"),
        ("clock/advance", {}, "number of seconds"),
        ("clock/advance", {"seconds": 99999999999999999999}, "outside its range"),
        ("clock/advance", {"seconds": 3e11}, "outside its range"),
        ("clock/advance", {"seconds": 10**400}, "outside its range"),
        ("clock", {"now": "9999-12-31T23:00:00Z"}, "outside the emulator clock's range"),
        ("clock", {"now": "1969-12-31T23:59:59Z"}, "outside the emulator clock's range"),
        ("clock", {"now": "0001-01-01T00:00:00+14:00"}, "ISO 8601"),
    ],
)
def test_a_clock_change_that_cannot_be_is_refused(
    client: FlaskClient, path: str, body: Any, words: str
) -> None:
    code, message = refused(client, "POST", path, body)
    assert (code, words in message) == (400, True)
    assert client.get("/_emulator/clock").get_json()["now"] == "2026-01-02T03:04:05Z"


def test_a_token_is_issued_after_a_move_to_the_end_of_the_calendar_was_refused(
    client: FlaskClient,
) -> None:
    moved = client.post("/_emulator/clock", json={"now": "9999-12-31T23:00:00Z"})
    assert moved.status_code == 400
    arn = client.post("/CreateStage", json={}).get_json()["stage"]["arn"]
    response = client.post("/CreateParticipantToken", json={"stageArn": arn, "duration": 20160})
    assert response.status_code == 200


def test_the_last_instant_of_the_range_still_issues_the_longest_token(
    client: FlaskClient,
) -> None:
    client.post("/_emulator/clock", json={"now": "9998-12-31T23:59:59Z"})
    arn = client.post("/CreateStage", json={}).get_json()["stage"]["arn"]
    response = client.post("/CreateParticipantToken", json={"stageArn": arn, "duration": 20160})
    expires = response.get_json()["participantToken"]["expirationTime"]
    assert expires == "9999-01-14T23:59:59Z"


@pytest.mark.parametrize(
    "start", [datetime(9999, 12, 31, 23, tzinfo=UTC), datetime(1969, 12, 31, tzinfo=UTC)]
)
def test_a_clock_start_outside_the_range_is_refused_when_set(start: datetime) -> None:
    with pytest.raises(ValueError, match="outside the emulator clock's range"):
        ControlledClock(start, frozen=True)
    with pytest.raises(ValueError, match="outside the emulator clock's range"):
        Config.from_env({"IVS_EMULATOR_CLOCK_START": start.isoformat()})


def test_a_clock_passed_in_by_code_cannot_be_moved() -> None:
    client = create_app(Config(), clock=SystemClock()).test_client()
    assert client.get("/_emulator/clock").get_json()["frozen"] is None
    assert refused(client, "POST", "clock/advance", {"seconds": 1})[0] == 409


# -- the seed (C34) --------------------------------------------------------------------------


def _run(url: str) -> tuple[list[str], list[str]]:
    ivs = boto3_client(url)
    arns = [ivs.create_stage(name=f"s{i}")["stage"]["arn"] for i in range(3)]
    ids = [ivs.create_participant_token(stageArn=arns[0])["participantToken"]["participantId"]]
    return arns, ids


def test_example_same_seed_same_ids(emulator: str, ivs: Any) -> None:
    control(emulator, "POST", "seed", {"seed": 42})
    first = ivs.create_stage(name="a")["stage"]["arn"]
    control(emulator, "POST", "reset")
    control(emulator, "POST", "seed", {"seed": 42})
    assert ivs.create_stage(name="a")["stage"]["arn"] == first


def test_two_emulators_with_the_same_seed_give_the_same_ids() -> None:
    runs = []
    for _ in range(2):
        with LiveServer(create_app(Config(seed=42))) as server:
            runs.append(_run(server.url))
    assert runs[0] == runs[1]


def test_reseeding_repeats_the_ids_of_a_fresh_start(emulator: str) -> None:
    with LiveServer(create_app(Config(seed=7))) as fresh:
        expected = _run(fresh.url)
    assert control(emulator, "POST", "seed", {"seed": 7}) == {"seed": 7}
    assert _run(emulator) == expected
    assert control(emulator, "GET", "seed") == {"seed": 7}


def test_seeded_request_ids_and_paging_tokens_repeat() -> None:
    answers = []
    for _ in range(2):
        client = create_app(Config(seed=3)).test_client()
        for _ in range(3):
            client.post("/CreateStage", json={})
        page = client.post("/ListStages", json={"maxResults": 1})
        answers.append((page.headers["x-amzn-RequestId"], page.get_json()["nextToken"]))
    assert answers[0] == answers[1]


@pytest.mark.parametrize("body", [{"seed": "7"}, {"seed": True}, {"seed": 1.5}, {}, {"s": 1}])
def test_a_seed_that_is_not_a_whole_number_is_refused(client: FlaskClient, body: Any) -> None:
    assert refused(client, "POST", "seed", body)[0] == 400


# -- inspection (C35) ------------------------------------------------------------------------


def test_example_state_shows_stages_and_token_claims_never_tokens(emulator: str, ivs: Any) -> None:
    stage = ivs.create_stage(name="demo")["stage"]
    token = ivs.create_participant_token(stageArn=stage["arn"], userId="alice")["participantToken"]
    state = control(emulator, "GET", "state?account=123456789012&region=us-east-1")
    (region,) = state["regions"]
    assert region["stages"][stage["arn"]]["name"] == "demo"
    issued = region["tokens"][token["participantId"]]
    assert issued["claims"]["user_id"] == "alice"
    assert issued["claims"]["resource"] == stage["arn"]
    assert token["token"] not in json.dumps(state)


def test_state_is_filtered_by_account_and_region(client: FlaskClient, make_ivs: Any) -> None:
    make_ivs(access_key="111111111111").create_stage()
    make_ivs(access_key="222222222222", region="eu-west-1").create_stage()
    every = client.get("/_emulator/state").get_json()["regions"]
    assert [(r["account"], r["region"]) for r in every] == [
        ("111111111111", "us-east-1"),
        ("222222222222", "eu-west-1"),
    ]
    only = client.get("/_emulator/state?region=eu-west-1").get_json()["regions"]
    assert [r["account"] for r in only] == ["222222222222"]


def test_state_shows_every_collection_of_the_store(client: FlaskClient) -> None:
    from dataclasses import fields

    from emulator.state.store import RegionState

    client.post("/CreateStage", json={})
    (region,) = client.get("/_emulator/state").get_json()["regions"]
    expected = {f.name for f in fields(RegionState) if f.compare} | {"next_sequence"}
    assert set(region) == expected


def test_example_token_check_says_why_not(emulator: str, ivs: Any) -> None:
    stage = ivs.create_stage(name="demo")["stage"]
    token = ivs.create_participant_token(stageArn=stage["arn"])["participantToken"]["token"]
    assert control(emulator, "POST", "token-check", {"token": token})["accepted"] is True
    ivs.delete_stage(arn=stage["arn"])
    check = control(emulator, "POST", "token-check", {"token": token})
    assert (check["accepted"], check["problem"]) == (False, "stage_not_found")
    assert stage["arn"] in check["reason"]
    assert check["claims"]["resource"] == stage["arn"]


def test_token_check_judges_as_a_join_does(client: FlaskClient, ivs: Any, stage_arn: str) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn)["participantToken"]
    ivs.revoke_connection_token(tokenId=token["participantId"])
    answer = client.post("/_emulator/token-check", json={"token": token["token"]}).get_json()
    assert (answer["accepted"], answer["problem"]) == (False, "token_revoked")


def test_token_check_of_something_else_than_a_token(client: FlaskClient) -> None:
    answer = client.post("/_emulator/token-check", json={"token": "not.a.token"}).get_json()
    assert (answer["accepted"], answer["problem"], answer["claims"]) == (False, "malformed", None)


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": 5}, ["x"]])
def test_token_check_without_a_token_is_refused(client: FlaskClient, body: Any) -> None:
    assert refused(client, "POST", "token-check", body)[0] == 400


def test_example_journal_lists_recent_requests(emulator: str, ivs: Any) -> None:
    ivs.create_stage(name="demo")
    client_error(ivs.get_stage, arn="arn:aws:ivs:us-east-1:123456789012:stage/missing00000")
    requests = control(emulator, "GET", "requests")["requests"]
    assert [(r["operation"], r["status"], r["error"]) for r in requests] == [
        ("CreateStage", 200, None),
        ("GetStage", 404, "ResourceNotFoundException"),
    ]
    assert set(requests[0]) == {
        "time",
        "method",
        "path",
        "operation",
        "account",
        "region",
        "status",
        "error",
        "latencyMs",
        "requestId",
    }


def test_the_journal_keeps_the_last_n_requests_and_can_be_cleared(clock: Any) -> None:
    client = create_app(Config(journal_size=3), clock=clock).test_client()
    for operation in ("CreateStage", "ListStages", "ListStages", "ListPublicKeys"):
        client.post(f"/{operation}", json={})
    kept = client.get("/_emulator/requests").get_json()
    assert kept["size"] == 3
    assert [r["operation"] for r in kept["requests"]] == ["ListStages", "ListStages", "ListPublicKeys"]
    assert len(client.get("/_emulator/requests?limit=1").get_json()["requests"]) == 1
    assert refused(client, "GET", "requests?limit=x")[0] == 400
    client.delete("/_emulator/requests")
    assert client.get("/_emulator/requests").get_json()["requests"] == []


@pytest.mark.parametrize("path", ["requests", "events"])
@pytest.mark.parametrize("limit", ["%C2%B2", "-1", "1e3", "%20", "9" * 30])
def test_a_listing_limit_that_is_not_ascii_digits_is_refused(
    client: FlaskClient, path: str, limit: str
) -> None:
    response = client.get(f"/_emulator/{path}?limit={limit}")
    assert response.status_code == 400
    assert "whole number" in response.get_json()["message"]


def test_the_journal_holds_no_token_or_credentials(emulator: str, ivs: Any) -> None:
    stage = ivs.create_stage(name="demo")["stage"]
    token = ivs.create_participant_token(stageArn=stage["arn"])["participantToken"]["token"]
    text = json.dumps(control(emulator, "GET", "requests"))
    assert token not in text
    assert "test" not in text.replace("latest", "")  # the access key id and secret are "test"


# -- export and import (C37) -----------------------------------------------------------------


def test_example_export_and_import(emulator: str, ivs: Any) -> None:
    stage = ivs.create_stage(name="demo", tags={"team": "a"})["stage"]
    token = ivs.create_participant_token(stageArn=stage["arn"])["participantToken"]["token"]
    saved = control(emulator, "GET", "export")
    control(emulator, "POST", "reset")
    control(emulator, "POST", "import", saved)
    assert ivs.get_stage(arn=stage["arn"])["stage"]["tags"] == {"team": "a"}
    assert control(emulator, "POST", "token-check", {"token": token})["accepted"]


def test_an_export_carries_the_state_to_another_emulator_with_the_same_key() -> None:
    signer = TokenSigner.generate()  # users pass the same --signing-key-file instead
    with LiveServer(create_app(Config(), signer=signer)) as first:
        ivs = boto3_client(first.url)
        stage = ivs.create_stage(name="demo", tags={"team": "a"})["stage"]
        token = ivs.create_participant_token(stageArn=stage["arn"])["participantToken"]["token"]
        exported = control(first.url, "GET", "export")
    with LiveServer(create_app(Config(), signer=signer)) as second:
        assert control(second.url, "POST", "import", exported)["imported"] is True
        ivs = boto3_client(second.url)
        assert ivs.get_stage(arn=stage["arn"])["stage"]["tags"] == {"team": "a"}
        assert control(second.url, "POST", "token-check", {"token": token})["accepted"] is True


def _lively_state(client: FlaskClient) -> None:
    """Something in every collection the stage client and the API can fill."""
    stage = client.post("/CreateStage", json={"name": "a", "tags": {"k": "v"}}).get_json()
    arn = stage["stage"]["arn"]
    tokens = [
        client.post("/CreateParticipantToken", json={"stageArn": arn, "userId": u}).get_json()
        for u in ("alice", "bob")
    ]
    alice, bob = (t["participantToken"] for t in tokens)
    client.post("/_emulator/stage/join", json={"token": alice["token"]})
    client.post("/_emulator/stage/publish", json={"token": alice["token"]})
    client.post("/_emulator/stage/join", json={"token": bob["token"]})
    client.post(
        "/_emulator/stage/subscribe",
        json={"token": bob["token"], "publisherId": alice["participantId"]},
    )
    carol = client.post("/CreateParticipantToken", json={"stageArn": arn}).get_json()
    client.post("/_emulator/stage/join", json={"token": carol["participantToken"]["token"]})
    carol_id = carol["participantToken"]["participantId"]
    client.post("/DisconnectParticipant", json={"stageArn": arn, "participantId": carol_id})
    client.post("/RevokeConnectionToken", json={"tokenId": "revoked-id"})
    for name in ("kept", "deleted"):
        key = ec.generate_private_key(ec.SECP384R1()).public_key()
        pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        imported = client.post("/ImportPublicKey", json={"publicKeyMaterial": pem, "name": name})
        if name == "deleted":
            client.post("/DeletePublicKey", json={"arn": imported.get_json()["publicKey"]["arn"]})
    client.post("/CreateEncoderConfiguration", json={"name": "enc"})
    client.post("/CreateStorageConfiguration", json={"s3": {"bucketName": "bucket"}})
    gone = client.post("/CreateStage", json={"name": "gone"}).get_json()["stage"]["arn"]
    client.post("/DeleteStage", json={"arn": gone})


def test_export_import_round_trips_every_record(app: Flask, client: FlaskClient, clock: Any) -> None:
    _lively_state(client)
    exported = client.get("/_emulator/export").get_json()
    other = create_app(Config(), clock=clock).test_client()
    assert other.post("/_emulator/import", json=exported).status_code == 200
    assert other.get("/_emulator/export").get_json() == exported
    stages = exported["regions"][0]["stages"]
    (live,) = [s for s in stages.values() if s["active_session_id"]]
    (session,) = live["sessions"].values()
    assert len(session["participants"]) == 3
    assert list(live["disconnected_participants"]) == [
        p for p, v in session["participants"].items() if v["state"] == "DISCONNECTED"
    ]
    region = exported["regions"][0]
    assert len(region["public_keys"]) == len(region["deleted_public_keys"]) == 1
    assert region["revoked_tokens"] == ["revoked-id"]


def test_sequence_numbers_go_on_after_an_import(client: FlaskClient, clock: Any) -> None:
    _lively_state(client)
    exported = client.get("/_emulator/export").get_json()
    used = exported["regions"][0]["next_sequence"]
    other = create_app(Config(), clock=clock).test_client()
    other.post("/_emulator/import", json=exported)
    created = other.post("/CreateStage", json={}).get_json()["stage"]["arn"]
    (region,) = other.get("/_emulator/state").get_json()["regions"]
    assert region["stages"][created]["sequence"] == used


def test_an_import_with_a_low_next_sequence_still_never_repeats_one(client: FlaskClient) -> None:
    _lively_state(client)
    exported = client.get("/_emulator/export").get_json()
    exported["regions"][0]["next_sequence"] = 1
    client.post("/_emulator/import", json=exported)
    created = client.post("/CreateStage", json={}).get_json()["stage"]["arn"]
    (region,) = client.get("/_emulator/state").get_json()["regions"]
    sequences = [s["sequence"] for s in region["stages"].values()]
    assert region["stages"][created]["sequence"] == max(sequences)
    assert len(set(sequences)) == len(sequences)


def test_an_import_replaces_every_region(client: FlaskClient, make_ivs: Any) -> None:
    make_ivs(access_key="111111111111").create_stage()
    client.post("/_emulator/import", json={"regions": []})
    assert client.get("/_emulator/state").get_json()["regions"] == []


def test_the_export_holds_no_private_key_or_token(client: FlaskClient) -> None:
    _lively_state(client)
    text = client.get("/_emulator/export").get_data(as_text=True)
    assert "PRIVATE KEY" not in text
    assert '"d"' not in text
    assert "eyJ" not in text  # no JWS: the base64url of '{"' starts every token


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ([], "JSON object"),
        ({"format": "other"}, "not an export"),
        ({"version": 2, "regions": []}, "not an export"),
        ({"regions": {}}, "'regions' must be a list"),
        ({"regions": [], "extra": 1}, "unknown member"),
        ({"regions": [5]}, "regions[0]: expected an object"),
        ({"regions": [{"account": "1"}]}, "needs the field 'region'"),
        ({"regions": [{"account": "1", "region": "r", "bogus": []}]}, "no field(s) bogus"),
        ({"regions": [{"account": "1", "region": "r", "next_sequence": 0}]}, "next_sequence"),
        (
            {"regions": [{"account": "1", "region": "r", "stages": {"a": {"arn": 5}}}]},
            "regions[0].stages['a']",
        ),
        (
            {"regions": [{"account": "1", "region": "r", "revoked_tokens": "abc"}]},
            "revoked_tokens: expected a list",
        ),
        (
            {"regions": [{"account": "1", "region": "r"}, {"account": "1", "region": "r"}]},
            "appear twice",
        ),
    ],
)
def test_a_malformed_import_is_refused_and_changes_nothing(
    client: FlaskClient, document: Any, words: str
) -> None:
    _lively_state(client)
    before = client.get("/_emulator/export").get_json()
    code, message = refused(client, "POST", "import", document)
    assert code == 400
    assert words in message and "unchanged" in message
    assert client.get("/_emulator/export").get_json() == before


def test_an_import_with_a_bad_date_names_the_field(client: FlaskClient) -> None:
    _lively_state(client)
    exported = client.get("/_emulator/export").get_json()
    stage = next(iter(exported["regions"][0]["stages"].values()))
    stage["created_at"] = "2026-01-02 03:04:05"  # no zone
    code, message = refused(client, "POST", "import", exported)
    assert code == 400
    assert ".created_at: expected an ISO 8601 date-time with a zone" in message


def _first_stage(document: dict[str, Any]) -> dict[str, Any]:
    stages = document["regions"][0]["stages"]
    return next(s for s in stages.values() if s["active_session_id"])


def _endpoint_missing(document: dict[str, Any]) -> None:
    del _first_stage(document)["endpoints"]["events"]


def _active_session_unknown(document: dict[str, Any]) -> None:
    _first_stage(document)["active_session_id"] = "st-0000000000000"


def _year_one(document: dict[str, Any]) -> None:
    _first_stage(document)["created_at"] = "0001-01-01T00:00:00Z"


def _listed_under_another_arn(document: dict[str, Any]) -> None:
    stages = document["regions"][0]["stages"]
    arn = next(iter(stages))
    stages[arn + "x"] = stages.pop(arn)


def _token_of_another_account(document: dict[str, Any]) -> None:
    token = next(iter(document["regions"][0]["tokens"].values()))
    token["stage_arn"] = token["stage_arn"].replace("123456789012", "999999999999")


def _connected_in_an_ended_session(document: dict[str, Any]) -> None:
    stage = _first_stage(document)
    session = stage["sessions"][stage["active_session_id"]]
    session["end_time"] = session["start_time"]
    stage["active_session_id"] = None


def _sequence_too_high(document: dict[str, Any]) -> None:
    _first_stage(document)["sequence"] = 2**63


def _public_key_der_of_another_key(document: dict[str, Any]) -> None:
    key = next(iter(document["regions"][0]["public_keys"].values()))
    key["spki_der"] = "AAAA"


def _token_duration_too_long(document: dict[str, Any]) -> None:
    next(iter(document["regions"][0]["tokens"].values()))["duration"] = 2**63


def _name_the_service_refuses(document: dict[str, Any]) -> None:
    _first_stage(document)["name"] = "not a valid name!"


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (_endpoint_missing, "exactly the endpoints"),
        (_active_session_unknown, "none of the stage's sessions"),
        (_year_one, "outside the times the service records"),
        (_listed_under_another_arn, "is listed under another arn than its own"),
        (_token_of_another_account, "not a stage ARN of account 123456789012"),
        (_connected_in_an_ended_session, "CONNECTED in a session that is not the active one"),
        (_sequence_too_high, "a sequence runs from 1 to"),
        (_name_the_service_refuses, "could not be answered as the service answers it"),
        (_public_key_der_of_another_key, "are not those of public_key_material"),
        (_token_duration_too_long, "duration and expiry are not as CreateParticipantToken"),
    ],
)
def test_an_inconsistent_import_is_refused_and_changes_nothing(
    client: FlaskClient, mutate: Callable[[dict[str, Any]], None], words: str
) -> None:
    _lively_state(client)
    before = client.get("/_emulator/export").get_json()
    document = json.loads(json.dumps(before))
    mutate(document)
    code, message = refused(client, "POST", "import", document)
    assert (code, "unchanged" in message) == (400, True)
    assert words in message
    assert client.get("/_emulator/export").get_json() == before


def test_an_imported_state_serves_the_operations_that_once_failed_on_it(
    client: FlaskClient,
) -> None:
    _lively_state(client)
    exported = client.get("/_emulator/export").get_json()
    assert client.post("/_emulator/import", json=exported).status_code == 200
    arn = _first_stage(exported)["arn"]
    for operation, body in [
        ("GetStage", {"arn": arn}),
        ("CreateParticipantToken", {"stageArn": arn}),
        ("DeleteStage", {"arn": arn}),
    ]:
        assert client.post(f"/{operation}", json=body).status_code == 200, operation


def test_an_import_denser_than_an_export_is_refused_before_it_is_read(
    client: FlaskClient,
) -> None:
    body = b'{"regions":[' + b"{}," * 200_000 + b"{}]}"
    response = client.post("/_emulator/import", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "refused before it is read" in response.get_json()["message"]


def test_an_import_over_its_own_limit_is_413(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("emulator.controls.views.snapshot.IMPORT_MAX_BYTES", 1000)
    response = client.post(
        "/_emulator/import", data=b" " * 2000 + b"{}", content_type="application/json"
    )
    assert response.status_code == 413


def test_an_import_body_that_is_not_json_is_refused(client: FlaskClient) -> None:
    response = client.post("/_emulator/import", data=b"\xff{", content_type="application/json")
    assert response.status_code == 400


def test_an_import_may_be_larger_than_the_api_body_limit(clock: Any) -> None:
    small = create_app(Config(max_body_bytes=1024), clock=clock)
    client = small.test_client()
    _lively_state(client)
    exported = client.get("/_emulator/export").get_data()
    assert len(exported) > 1024
    response = client.post("/_emulator/import", data=exported, content_type="application/json")
    assert response.status_code == 200, response.get_json()
    assert emulator_of(small).backend.store.regions()


def test_an_export_sees_the_controlled_clock(client: FlaskClient) -> None:
    assert client.get("/_emulator/export").get_json()["exportedAt"] == "2026-01-02T03:04:05Z"


# -- reset (C35) -------------------------------------------------------------------------------


def test_reset_also_restores_the_controls(client: FlaskClient) -> None:
    client.post("/_emulator/seed", json={"seed": 5})
    first = client.post("/CreateStage", json={}).get_json()["stage"]["arn"]
    client.post("/_emulator/faults", json={"operation": "GetStage", "error": "ValidationException"})
    client.post("/_emulator/clock/advance", json={"seconds": 600})
    client.post("/_emulator/reset")
    assert client.get("/_emulator/faults").get_json()["faults"] == []
    assert client.get("/_emulator/requests").get_json()["requests"] == []
    assert client.get("/_emulator/clock").get_json()["now"] == "2026-01-02T03:04:05Z"
    assert client.get("/_emulator/seed").get_json() == {"seed": 5}
    assert client.post("/CreateStage", json={}).get_json()["stage"]["arn"] == first


class TestResetRestoresBehaviours:
    @pytest.fixture
    def config(self) -> Config:
        return Config(denied=frozenset({"111111111111"}), stage_quota=3, composition_quota=None)

    def test_reset_puts_denied_pending_and_quotas_back_as_configured(
        self, client: FlaskClient
    ) -> None:
        configured = client.get("/_emulator/behaviours").get_json()
        changes = {
            "denied": ["999999999999"],
            "pendingVerification": ["123456789012"],
            "quotas": {"stages": 0, "compositions": 1, "public_keys": 7},
        }
        assert client.post("/_emulator/behaviours", json=changes).status_code == 200
        client.post("/_emulator/reset")
        assert client.get("/_emulator/behaviours").get_json() == configured
        assert configured["denied"] == ["111111111111"]
        assert configured["quotas"]["stages"] == 3

    def test_after_a_reset_the_configured_quota_applies_again(self, client: FlaskClient) -> None:
        client.post("/_emulator/behaviours", json={"quotas": {"stages": 0}})
        assert client.post("/CreateStage", json={}).status_code == 402
        client.post("/_emulator/reset")
        statuses = [client.post("/CreateStage", json={}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 402]


def test_reset_of_a_wall_clock_returns_to_wall_time() -> None:
    wall = [datetime(2026, 1, 1, tzinfo=UTC)]
    clock = ControlledClock(wall=lambda: wall[0])
    clock.set(now=datetime(2040, 1, 1, tzinfo=UTC), frozen=True)
    clock.restart()
    assert (clock.now(), clock.frozen) == (wall[0], False)


# -- the documented examples ---------------------------------------------------------------


def test_documented_examples_run_as_written(emulator: str) -> None:
    preamble, *examples = code_blocks("docs/controls.md", "Controls for tests", "python")
    assert len(examples) == 7
    for example in examples:
        names: dict[str, Any] = {}
        exec(preamble.replace(DOCUMENTED_URL, emulator), names)
        names["control"]("POST", "reset")
        exec(example, names)


def test_the_checks_of_an_import_reach_no_observer(app: Flask, client: FlaskClient) -> None:
    _lively_state(client)
    exported = client.get("/_emulator/export").get_json()
    seen: list[Any] = []
    emulator_of(app).backend.observers.append(seen.append)
    assert client.post("/_emulator/import", json=exported).status_code == 200
    assert seen == []
