"""A fuzzing run: COUNT cases drawn from one seeded generator, sent one after another over a
keep-alive connection, each answer judged (judge.py); then a check that the emulator still
serves (reset, create a stage, issue a token, read the stage back, check the token).

Between cases the run does some housekeeping of its own, also judged: every 250 cases it
puts the behaviours and faults back as they were, every 200 it reads an export (for the import
mutations), every 1000 it resets the emulator so that the state stays small.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from .api import ApiCases
from .controls import ControlCases, export_size_ok
from .judge import decoded, judge
from .model import Model
from .transport import TIMEOUT, Answer, Case, Transport
from .values import Pool, Values

MIX = {
    "api-valid": 26,
    "api-broken": 22,
    "api-body": 7,
    "deep": 1,
    "http-odd": 6,
    "auth": 6,
    "control": 31,
    "raw": 1,
}
RESTORE_EVERY = 250
EXPORT_EVERY = 200
RESET_EVERY = 1000
KEPT_FAILURES = 50
BOOST = 12
CHECK_AUTH = (
    b"AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/ivs/aws4_request, "
    b"SignedHeaders=host, Signature=00"
)


@dataclass
class Failure:
    index: int
    reason: str
    case: str
    status: int | None
    answer: str

    def text(self) -> str:
        return f"#{self.index} {self.reason}: {self.case} -> {self.status} {self.answer}"


@dataclass
class Report:
    url: str
    seed: int
    count: int
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    hangs: int = 0
    server_errors: int = 0
    injected: int = 0
    slowest: float = 0.0
    checks: list[str] = field(default_factory=list)
    """Problems of the check after the run (empty: the emulator still serves)."""
    tracebacks: int = 0
    first_traceback: str = ""

    @property
    def ok(self) -> bool:
        return self.failure_count == 0 and not self.checks and self.tracebacks == 0

    def text(self) -> str:
        rate = self.requests / self.seconds * 60 if self.seconds else 0.0
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(self.kinds.items()))
        lines = [
            f"fuzz: seed {self.seed}, {self.count} cases, {self.requests} requests to {self.url}",
            f"  time: {self.seconds:.1f} s ({rate:,.0f} requests/min), slowest answer "
            f"{self.slowest:.2f} s",
            f"  statuses: {statuses}",
            f"  kinds: {kinds}",
            f"  5xx: {self.server_errors} (besides {self.injected} injected by faults), "
            f"hangs: {self.hangs}, failures: {self.failure_count}",
        ]
        for reason, count in self.reasons.most_common():
            lines.append(f"    {count} x {reason}")
        lines += [f"  {failure.text()}" for failure in self.failures[:20]]
        lines.append("  after the run: " + ("the emulator serves" if not self.checks else "BROKEN"))
        lines += [f"    {problem}" for problem in self.checks]
        if self.tracebacks:
            lines.append(f"  the emulator logged {self.tracebacks} traceback(s); the first:")
            lines += ["    " + line for line in self.first_traceback.splitlines()[-25:]]
        lines.append("fuzz: " + ("PASSED" if self.ok else "FAILED"))
        return "\n".join(lines)


class Run:
    def __init__(
        self,
        url: str,
        seed: int,
        count: int,
        timeout: float = TIMEOUT,
        progress: TextIO | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.model = Model()
        self.pool = Pool()
        self.values = Values(self.model, self.rng, self.pool)
        self.api = ApiCases(self.model, self.values)
        self.controls = ControlCases(self.model, self.values, self.pool)
        self.transport = Transport(url, timeout)
        self.report = Report(url=url, seed=seed, count=count)
        self.progress = progress
        self.injected_messages: set[str] = set()
        self.baseline: dict[str, Any] = {}
        self.boost = 0
        self.drawn = 0
        """Cases left that are drawn as valid calls, after an import was accepted."""
        self.makers = {
            "api-valid": self.api.valid,
            "api-broken": self.api.broken,
            "api-body": self.api.odd_body,
            "deep": self.api.deep_body,
            "http-odd": self.api.odd_http,
            "auth": self.api.odd_auth,
            "control": self.controls.any,
            "raw": self.api.raw,
        }

    def run(self) -> Report:
        report = self.report
        started = time.monotonic()
        behaviours = self.send(Case("housekeeping", "behaviours", "GET", "/_emulator/behaviours"))
        body = decoded(behaviours)
        if isinstance(body, dict):
            self.baseline = {k: v for k, v in body.items() if k != "faults"}
        try:
            for index in range(report.count):
                self.housekeeping(index)
                self.send(self.draw())
                if self.progress is not None and (index + 1) % max(1, report.count // 10) == 0:
                    elapsed = time.monotonic() - started
                    print(
                        f"fuzz: {index + 1}/{report.count} cases, {report.requests} requests, "
                        f"{elapsed:.0f} s, {report.failure_count} failures",
                        file=self.progress,
                        flush=True,
                    )
            report.seconds = time.monotonic() - started
            self.check_still_serves()
        finally:
            self.transport.close()
        return report

    def draw(self) -> Case:
        """The next case: of a kind drawn by MIX (valid calls for a while after an import).

        Each case draws from the generator seeded anew with the run's seed and the case's
        number, so case N of a seed is the same case whatever the answers before it were
        (only the names it takes from the pool of learnt names may differ)."""
        self.rng.seed(f"fuzz seed {self.report.seed} case {self.drawn}")
        self.drawn += 1
        kind = self.rng.choices(list(MIX), list(MIX.values()))[0]
        if self.boost:
            self.boost -= 1
            kind = self.rng.choice(["api-valid", "api-valid", "control"])
        return self.makers[kind]()

    def housekeeping(self, index: int) -> None:
        if index and index % RESET_EVERY == 0:
            self.send(Case("housekeeping", "reset", "POST", "/_emulator/reset"))
        if index and index % RESTORE_EVERY == 0:
            self.restore()
        if index % EXPORT_EVERY == EXPORT_EVERY // 2:
            self.send(Case("housekeeping", "export", "GET", "/_emulator/export"))

    def restore(self) -> None:
        self.send(Case("housekeeping", "faults", "DELETE", "/_emulator/faults"))
        if self.baseline:
            body = json.dumps(self.baseline).encode()
            headers = [("Content-Type", b"application/json")]
            self.send(
                Case("housekeeping", "behaviours", "POST", "/_emulator/behaviours", headers, body)
            )

    def send(self, case: Case) -> Answer:
        report = self.report
        answer = self.transport.send(case)
        report.requests += 1
        report.kinds[case.kind] += 1
        report.statuses[str(answer.status) if answer.status else answer.problem or "none"] += 1
        report.slowest = max(report.slowest, answer.seconds)
        if answer.problem == "timeout":
            report.hangs += 1
        reason = judge(case, answer, self.injected_messages)
        if answer.status is not None and answer.status >= 500:
            if reason is None:
                report.injected += 1
            else:
                report.server_errors += 1
        if reason is not None:
            report.failure_count += 1
            report.reasons[reason] += 1
            if len(report.failures) < KEPT_FAILURES:
                report.failures.append(
                    Failure(
                        report.requests,
                        reason,
                        case.summary(),
                        answer.status,
                        answer.body[:300].decode("utf-8", "replace"),
                    )
                )
        self.learn(case, answer)
        return answer

    def learn(self, case: Case, answer: Answer) -> None:
        if answer.status is None or not 200 <= answer.status < 300 or len(answer.body) > 4 << 20:
            return
        body = decoded(answer)
        if body is None:
            return
        if case.path == "/_emulator/export":
            self.pool.export = body if export_size_ok(answer.body) else None
        if case.label == "import" and answer.status == 200:
            # Exercise what was imported: its names, and valid calls for a while.
            self.pool.learn(decoded_body(case.body))
            self.boost = BOOST
        if case.label == "faults" and case.method == "POST" and isinstance(body, dict):
            message = body.get("message")
            if isinstance(message, str):
                self.injected_messages.add(message)
        self.pool.learn(body)

    # -- after the run ----------------------------------------------------------------------

    def check_still_serves(self) -> None:
        problems = self.report.checks
        if self.send(Case("check", "reset", "POST", "/_emulator/reset")).status != 200:
            problems.append("POST /_emulator/reset did not answer 200")
        if self.baseline:
            self.restore()
        stage = self._api("CreateStage", {"name": "fuzz-check"})
        arn = stage.get("stage", {}).get("arn") if isinstance(stage, dict) else None
        if not isinstance(arn, str):
            problems.append(f"CreateStage failed: {stage!r}")
            return
        token = self._api("CreateParticipantToken", {"stageArn": arn})
        text = token.get("participantToken", {}).get("token") if isinstance(token, dict) else None
        if not isinstance(text, str):
            problems.append(f"CreateParticipantToken failed: {token!r}")
            return
        got = self._api("GetStage", {"arn": arn})
        if not isinstance(got, dict) or got.get("stage", {}).get("arn") != arn:
            problems.append(f"GetStage did not find the stage it created: {got!r}")
        headers = [("Content-Type", b"application/json")]
        body = json.dumps({"token": text}).encode()
        check = decoded(
            self.send(Case("check", "token-check", "POST", "/_emulator/token-check", headers, body))
        )
        if not isinstance(check, dict) or check.get("accepted") is not True:
            problems.append(f"the token just issued is not accepted: {check!r}")

    def _api(self, operation: str, params: dict[str, Any]) -> Any:
        headers = [("Content-Type", b"application/json"), ("Authorization", CHECK_AUTH)]
        case = Case(
            "check", operation, "POST", f"/{operation}", headers, json.dumps(params).encode()
        )
        answer = self.send(case)
        body = decoded(answer)
        return body if answer.status == 200 else (answer.status, body)


def decoded_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def run(url: str, seed: int, count: int, progress: TextIO | None = sys.stderr) -> Report:
    return Run(url, seed, count, progress=progress).run()
