"""The benchmark harness (bench/) works, checked cheaply: tiny states, made-up results.

No figure is judged here (the benchmark reports its targets, it does not assert them); these
tests only make sure that `make bench` would measure what it says and write what it measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import report, scaling
from bench.bodies import GET_STAGE, Recorded
from bench.canned import Canned, answers
from bench.flask_ceiling import MARKER, trivial_app
from bench.load import percentile


def test_scaling_measures_every_operation_at_every_state_size() -> None:
    table = scaling.measure(tokens=[0, 20], stages=[15, 25], samples=3, warmup=1)

    assert [c.label for c in table.columns] == ["0 tokens", "20 tokens", "15 stages", "25 stages"]
    assert [c.tokens >= c.size for c in table.columns[:2]] == [True, True]
    assert [c.stages >= c.size for c in table.columns[2:]] == [True, True]
    assert all(c.reached for c in table.columns)
    assert {op: len(cells) for op, cells in table.operations.items()} == {
        op: 4 for op in scaling.OPERATIONS
    }
    # Reset empties the emulator: timed at the first column and at the last of each kind.
    assert [cell is not None for cell in table.reset] == [True, True, False, True]
    ratios = table.ratios()
    assert all(ratios[op] is not None and ratios[op]["side_by_side"] > 0 for op in ratios)


def _results(cpt_ratio: float, cpt_p99: float) -> dict[str, Any]:
    """Made-up results of one round, in the shape bench/run.py writes."""

    def rate(value: float, **more: float) -> dict[str, float]:
        return {"value": value, **more}

    return {
        "meta": {"mode": "test", "date": "2026-01-01 00:00 UTC", "packages": {"moto": "5.2.5"}},
        "pairs": {
            "c16_cpt": {
                "reference": "PyJWT",
                "rounds": [
                    {
                        "emulator": rate(1000 * cpt_ratio, p50_ms=5.0, p99_ms=cpt_p99),
                        "reference": rate(1000),
                    }
                ],
            },
            "launch": {
                "reference": "moto_server",
                "rounds": [
                    {
                        "emulator": rate(0.2, rss_kib=40 * 1024, processes=2),
                        "reference": rate(0.8, rss_kib=50 * 1024, processes=1),
                    }
                ],
            },
        },
        "growth": {
            "issued": 10_000,
            "idle": {"rss_kib": 80 * 1024, "processes": 2},
            "after": {"rss_kib": 90 * 1024, "processes": 2},
        },
    }


def test_targets_are_judged_from_the_ratios_measured_side_by_side() -> None:
    verdicts = {t.name: t.verdict for t in report.targets(_results(0.35, 20.0))}

    assert verdicts["CreateParticipantToken at 16 connections / PyJWT ES384 on 2 threads"] == "pass"
    assert verdicts["CreateParticipantToken at 16 connections, p99"] == "FAIL"
    assert verdicts["launch → first token / moto_server's launch → first call"] == "pass"
    assert verdicts["idle RSS of all processes / moto_server's"] == "pass"
    # 10 MiB for 10k tokens is 100 MiB for 100k: over the 50 MiB allowed.
    assert verdicts["RSS growth after 100k tokens on one stage"] == "FAIL"
    assert verdicts["GetStage at 16 connections / trivial Flask app"] == "n/a"


def test_results_are_written_as_json_and_a_markdown_table(tmp_path: Path) -> None:
    results = report.with_targets(_results(0.2, 9.0))

    written = report.write(results, tmp_path)

    assert sorted(p.name for p in written) == ["latest.json", "latest.md", "test.json", "test.md"]
    assert json.loads((tmp_path / "latest.json").read_text()) == results
    table = (tmp_path / "latest.md").read_text()
    assert (
        "| CreateParticipantToken at 16 connections / PyJWT ES384 on 2 threads | 0.2 | ≥ 0.3 | FAIL |"
        in table
    )
    assert "| launch → first token | 0.20 s | moto_server: 0.80 s | 0.25 |" in table


class _Transport:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        pass


def test_canned_server_answers_each_request_of_a_keep_alive_stream_in_order() -> None:
    body = b'{"stage":{}}'
    protocol = Canned(answers({GET_STAGE: Recorded(body, "application/json", "rid")}))
    transport = _Transport()
    protocol.transport = transport  # type: ignore[assignment]
    request = b"POST /GetStage HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
    stream = request + b"GET /missing HTTP/1.1\r\n\r\n" + request

    for start in range(0, len(stream), 7):  # as it may arrive: in pieces
        protocol.data_received(stream[start : start + 7])

    assert [answer.split(b"\r\n", 1)[0] for answer in transport.written] == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 404 Not Found",
        b"HTTP/1.1 200 OK",
    ]
    assert transport.written[0].endswith(b"\r\n\r\n" + body)


def test_flask_ceiling_runs_the_console_scripts_loader_then_serves_the_trivial_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from granian.server.common import AbstractServer

    from bench import flask_ceiling

    seen: dict[str, Any] = {}

    def serve(self: Any, spawn_target: Any, target_loader: Any, wrap_loader: bool) -> None:
        seen["loader"], seen["wrap"] = target_loader, wrap_loader

    monkeypatch.setattr(AbstractServer, "serve", serve)
    flask_ceiling._wrap_granian()
    calls: list[str] = []
    AbstractServer.serve(object(), None, lambda: calls.append("emulator's loader"), False)

    app = seen["loader"]()  # what Granian's worker would call

    assert calls == ["emulator's loader"] and seen["wrap"] is False
    answer = app.test_client().post("/GetStage", json={"arn": "x"})
    assert answer.headers[MARKER] == "flask"
    assert "stage" in answer.get_json()


def test_trivial_app_answers_its_fixed_body_to_any_post() -> None:
    app = trivial_app(b'{"fixed":true}', "application/json")

    answer = app.test_client().post("/AnythingAtAll", data=b"ignored")

    assert (answer.status_code, answer.data) == (200, b'{"fixed":true}')


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]

    assert (percentile(values, 50), percentile(values, 99), percentile([], 99)) == (50.0, 99.0, 0.0)
