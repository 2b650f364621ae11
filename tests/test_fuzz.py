"""The fuzzer (fuzz/, docs/fuzzing.md): `make test` runs 2,000 of its cases against an
emulator started with the console script, and no case may fail. The judge is tested on its
own, so that a judge that lets everything pass cannot hide behind a green run.
"""

from __future__ import annotations

import json

import pytest

from fuzz.judge import judge
from fuzz.runner import Run, run
from fuzz.server import Emulator
from fuzz.transport import Answer, Case

API_ERROR = {"x-amzn-errortype": "ValidationException", "content-type": "application/json"}


def answer(status: int, body: object = None, **headers: str) -> Answer:
    data = b"" if body is None else json.dumps(body).encode()
    return Answer(status, {k.replace("_", "-"): v for k, v in headers.items()}, data, 0.01)


def test_two_thousand_cases_find_no_failure() -> None:
    emulator = Emulator(seed=1)
    try:
        report = run(emulator.url, seed=1, count=2000, progress=None)
        alive = emulator.alive()
    finally:
        log = emulator.stop()
    assert alive
    assert report.requests >= 2000
    assert report.ok, report.text()
    assert "Traceback" not in log, log[-3000:]


def test_a_seed_draws_the_same_cases_and_another_seed_others() -> None:
    def cases(seed: int) -> list[tuple[object, ...]]:
        fuzzer = Run("http://127.0.0.1:9", seed, 0)
        drawn = [fuzzer.draw() for _ in range(400)]
        return [(c.kind, c.method, c.path, c.headers, c.body, c.raw) for c in drawn]

    assert cases(7) == cases(7)
    assert cases(7) != cases(8)


API = Case("api-valid", "GetStage", "POST", "/GetStage")
CONTROL = Case("control", "faults", "POST", "/_emulator/faults")


@pytest.mark.parametrize(
    ("case", "got", "verdict"),
    [
        (
            API,
            answer(500, {"message": "boom"}, x_amzn_errortype="InternalServerException"),
            "server error 500",
        ),
        (API, answer(400, {"oops": 1}), "without the AWS error shape"),
        (API, answer(400, {"message": "m"}), "without the AWS error shape"),
        (API, Answer(None, {}, b"", 10.0, "timeout"), "hang"),
        (API, Answer(None, {}, b"", 0.1, "dropped (reset)"), "no answer"),
        (API, answer(200, [1]), "not a JSON object"),
        (
            CONTROL,
            answer(404, {"message": "m"}, x_amzn_errortype="UnknownOperationException"),
            "404 in the API's shape",
        ),
        (CONTROL, answer(400, "text"), "without a JSON message"),
        (CONTROL, answer(503, {"message": "m"}), "server error 503"),
    ],
)
def test_the_judge_fails_what_it_must(case: Case, got: Answer, verdict: str) -> None:
    reason = judge(case, got, injected=set())
    assert reason is not None and verdict in reason


@pytest.mark.parametrize(
    ("case", "got"),
    [
        (API, answer(400, {"message": "m"}, x_amzn_errortype="ValidationException")),
        (API, answer(200, {"stage": {}})),
        (CONTROL, answer(400, {"message": "m"})),
        (CONTROL, answer(404, {"message": "no fault"})),
        (Case("raw", "raw", raw=b"GARBAGE\r\n\r\n"), Answer(400, {}, b"", 0.01)),
        (Case("raw", "raw", raw=b"GARBAGE\r\n\r\n"), Answer(None, {}, b"", 0.01, "dropped")),
    ],
)
def test_the_judge_passes_what_is_right(case: Case, got: Answer) -> None:
    assert judge(case, got, injected=set()) is None


def test_a_foreign_host_on_an_api_path_must_be_refused_in_the_aws_shape() -> None:
    foreign = Case("http-odd", "GetStage", "POST", "/GetStage", [("Host", b"evil.example")])
    bare = answer(403, {"message": "Host 'evil.example' is not served here"})
    shaped = answer(403, {"message": "m"}, x_amzn_errortype="AccessDeniedException")
    assert judge(foreign, bare, injected=set()) is not None
    assert judge(foreign, shaped, injected=set()) is None


def test_a_500_that_an_installed_fault_injected_is_not_a_failure() -> None:
    got = answer(500, {"message": "injected"}, x_amzn_errortype="InternalServerException")
    assert judge(API, got, injected={"injected"}) is None
    assert judge(API, got, injected={"other"}) is not None
