"""The scaling table: the cost of one call as the state grows, in process, side by side.

Issue 13 asks that no request do work for records it does not return or change. Here two
emulators are built with `emulator.create_app` in one process and called through their WSGI
interface (bench/wsgi.py; no socket, no server, so the figure is the app's own work):

- the *grown* one holds the state of a column: `N tokens` issued on the probe stage, or
  `N stages` in the region;
- the *reference* one holds only the baseline state, rebuilt before each column.

The baseline (both emulators, at every column): BASE_STAGES stages in the region, the first of
them the probe stage, with a session of BASE_PARTICIPANTS joined participants. The operations
measured: CreateParticipantToken and GetStage on the probe stage, the first page of ListStages
and of ListParticipants (the probe stage's session), PAGE items a page, so every page is full
at every size. Per column, calls alternate between the two emulators and rotate over the
operations; each call is timed alone, in CPU time of the calling thread (so the time the
process spends waiting for a core on a busy machine does not count), and a cell is the median
over the samples. `relative` is
the grown emulator's median over the reference's, measured in the same moments, so machine
noise falls on both alike; as the reference holds the smallest state, an operation's scaling
ratio is its largest `relative` (the issue's target: at most 1.3). Reset is timed
once on the grown emulator at the last column of each kind (a reset empties it), beside
several resets of the reference.

Growing a column is bounded by a time budget: a column that could not be reached in time is
measured at the size reached and says so.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .wsgi import WsgiApp, call, post

OPERATIONS = ("CreateParticipantToken", "GetStage", "ListStages", "ListParticipants")
BASE_STAGES = 11  # one more than PAGE: ListStages' first page is full and has a next page
BASE_PARTICIPANTS = 3
PAGE = 10
RESET_SAMPLES = 5


def short(number: int) -> str:
    """10000 -> '10k'; 1500 -> '1.5k'; 999 -> '999'."""
    if number >= 1000:
        text = f"{number / 1000:.1f}".removesuffix(".0")
        return f"{text}k"
    return str(number)


@dataclass(frozen=True)
class Column:
    kind: str  # "tokens" (issued on the probe stage) or "stages" (in the region, in all)
    size: int

    @property
    def label(self) -> str:
        return f"{short(self.size)} {self.kind}"


def columns(tokens: Sequence[int], stages: Sequence[int]) -> list[Column]:
    """Token columns first (the first one is the smallest state), then stage columns."""
    return [Column("tokens", n) for n in tokens] + [Column("stages", n) for n in stages]


class Emulator:
    """One emulator app and the baseline state in it; counts what it holds."""

    def __init__(self, max_stages: int) -> None:
        from emulator import Config, create_app

        self.app: WsgiApp = create_app(
            Config(stage_quota=max_stages + BASE_STAGES + 10, log_level="WARNING")
        )
        self.tokens = 0  # issued on the probe stage
        self.stages = 0
        self.requests: dict[str, tuple[str, bytes]] = {}
        self.prepare()

    def prepare(self) -> None:
        """The baseline state (on an empty emulator)."""
        arns = [self._create_stage(f"base-{i}") for i in range(BASE_STAGES)]
        probe = arns[0]
        for i in range(BASE_PARTICIPANTS):
            token = self.issue(probe, f"user-{i}")
            post(self.app, "/_emulator/stage/join", {"token": token})
        session = post(self.app, "/GetStage", {"arn": probe}).json()["stage"]["activeSessionId"]
        bodies: dict[str, object] = {
            "CreateParticipantToken": {"stageArn": probe},
            "GetStage": {"arn": probe},
            "ListStages": {"maxResults": PAGE},
            "ListParticipants": {"stageArn": probe, "sessionId": session, "maxResults": PAGE},
        }
        self.probe = probe
        self.requests = {
            op: (f"/{op}", json.dumps(body, separators=(",", ":")).encode())
            for op, body in bodies.items()
        }

    def _create_stage(self, name: str) -> str:
        arn = str(post(self.app, "/CreateStage", {"name": name}).json()["stage"]["arn"])
        self.stages += 1
        return arn

    def issue(self, stage_arn: str, user_id: str = "bench") -> str:
        body = {"stageArn": stage_arn, "userId": user_id}
        answer = post(self.app, "/CreateParticipantToken", body)
        self.tokens += 1
        return str(answer.json()["participantToken"]["token"])

    def grow(self, column: Column, deadline: float) -> None:
        """Issue tokens or create stages until the column's size, or the deadline."""
        while time.monotonic() < deadline:
            if column.kind == "tokens" and self.tokens < column.size:
                path, body = self.requests["CreateParticipantToken"]
                for _ in range(min(500, column.size - self.tokens)):
                    self._ok(call(self.app, "POST", path, body).status, path)
                    self.tokens += 1
            elif column.kind == "stages" and self.stages < column.size:
                for _ in range(min(500, column.size - self.stages)):
                    self._create_stage(f"stage-{self.stages}")
            else:
                return

    def timed(self, operation: str) -> float:
        """CPU seconds one call of `operation` takes (this thread's), answer read in full."""
        path, body = self.requests[operation]
        started = time.thread_time()
        answer = call(self.app, "POST", path, body)
        elapsed = time.thread_time() - started
        self._ok(answer.status, path)
        if operation == "CreateParticipantToken":
            self.tokens += 1
        return elapsed

    def reset(self) -> float:
        """CPU seconds POST /_emulator/reset takes; the emulator is empty afterwards."""
        started = time.thread_time()
        answer = call(self.app, "POST", "/_emulator/reset")
        elapsed = time.thread_time() - started
        self._ok(answer.status, "/_emulator/reset")
        self.tokens = self.stages = 0
        return elapsed

    @staticmethod
    def _ok(status: int, path: str) -> None:
        if status != 200:
            raise RuntimeError(f"POST {path} answered {status}")


@dataclass
class Cell:
    ms: float  # the grown emulator's median, milliseconds
    reference_ms: float  # the reference's median, in the same moments
    relative: float  # ms / reference_ms


@dataclass
class ColumnResult:
    label: str
    kind: str
    size: int
    tokens: int  # what the grown emulator held when measured
    stages: int
    build_seconds: float
    reached: bool  # False: the time budget ran out first


@dataclass
class Scaling:
    samples: int
    columns: list[ColumnResult] = field(default_factory=list)
    operations: dict[str, list[Cell]] = field(default_factory=dict)
    reset: list[Cell | None] = field(default_factory=list)

    def ratio(self, cells: Sequence[Cell | None]) -> dict[str, float] | None:
        """Largest state over smallest, two ways.

        side_by_side: the largest `relative`. The reference holds the smallest state (the
        baseline), so a `relative` is already the cost at that column's state over the cost at
        the smallest, timed in the same moments; the first column, where both emulators hold
        the baseline, shows the noise floor (about 1). absolute: the largest median over the
        first column's, timed minutes apart.
        """
        present = [cell for cell in cells if cell is not None]
        first = cells[0] if cells else None
        if first is None or len(present) < 2:
            return None
        return {
            "side_by_side": max(c.relative for c in present),
            "absolute": max(c.ms for c in present) / first.ms,
        }

    def ratios(self) -> dict[str, dict[str, float] | None]:
        table = {op: self.ratio(cells) for op, cells in self.operations.items()}
        table["reset"] = self.ratio(self.reset)
        return table

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratios"] = self.ratios()
        data["operations_measured"] = list(OPERATIONS)
        data["baseline"] = {
            "stages": BASE_STAGES,
            "participants": BASE_PARTICIPANTS,
            "page": PAGE,
        }
        return data


def _median_cell(grown: list[float], reference: list[float]) -> Cell:
    ms, reference_ms = statistics.median(grown) * 1000, statistics.median(reference) * 1000
    return Cell(ms, reference_ms, ms / reference_ms if reference_ms else float("nan"))


def sample(grown: Emulator, reference: Emulator, samples: int, warmup: int) -> dict[str, Cell]:
    """Each operation `samples` times on each emulator, alternating and rotating."""
    times: dict[str, tuple[list[float], list[float]]] = {op: ([], []) for op in OPERATIONS}
    for i in range(warmup + samples):
        shift = i % len(OPERATIONS)
        for op in OPERATIONS[shift:] + OPERATIONS[:shift]:
            first, second = (grown, reference) if i % 2 == 0 else (reference, grown)
            a, b = first.timed(op), second.timed(op)
            if i >= warmup:
                mine, theirs = (a, b) if first is grown else (b, a)
                times[op][0].append(mine)
                times[op][1].append(theirs)
    return {op: _median_cell(*pair) for op, pair in times.items()}


def reference_resets(reference: Emulator, count: int) -> list[float]:
    found = []
    for _ in range(count):
        found.append(reference.reset())
        reference.prepare()
    return found


def measure(
    tokens: Sequence[int],
    stages: Sequence[int],
    samples: int,
    warmup: int = 5,
    budget: float = 600.0,
    progress: Callable[[str], None] = lambda text: None,
) -> Scaling:
    """The whole table. `budget`: seconds each column may take to grow."""
    wanted = columns(tokens, stages)
    result = Scaling(samples, operations={op: [] for op in OPERATIONS})
    grown = Emulator(max(stages, default=0))
    reference = Emulator(0)
    for index, column in enumerate(wanted):
        previous = wanted[index - 1] if index else None
        if previous is not None and previous.kind != column.kind:
            _time_reset(grown, reference, result, index - 1)
            grown.prepare()
        began = time.monotonic()
        grown.grow(column, began + budget)
        built = time.monotonic() - began
        held = grown.tokens if column.kind == "tokens" else grown.stages
        result.columns.append(
            ColumnResult(
                column.label, column.kind, column.size, grown.tokens, grown.stages, built,
                held >= column.size,
            )
        )  # fmt: skip
        reference.reset()
        reference.prepare()
        cells = sample(grown, reference, samples, warmup)
        for op, cell in cells.items():
            result.operations[op].append(cell)
        result.reset.append(None)
        if index == 0:
            mine, theirs = [], []
            for _ in range(RESET_SAMPLES):
                mine.append(grown.reset())
                grown.prepare()
                theirs.append(reference.reset())
                reference.prepare()
            result.reset[0] = _median_cell(mine, theirs)
        progress(
            f"scaling: {column.label} ({grown.tokens} tokens, {grown.stages} stages, built in "
            f"{built:.1f} s): "
            + ", ".join(f"{op} {c.ms:.3f} ms ({c.relative:.2f}x)" for op, c in cells.items())
        )
    if wanted:
        _time_reset(grown, reference, result, len(wanted) - 1)
    return result


def _time_reset(grown: Emulator, reference: Emulator, result: Scaling, index: int) -> None:
    """Empties the grown emulator; its reset is recorded unless the column is the first
    (which has its own, repeated, figure)."""
    theirs = reference_resets(reference, RESET_SAMPLES)
    mine = grown.reset()
    if index > 0:
        result.reset[index] = _median_cell([mine], theirs)


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    parser.add_argument("--tokens", type=_sizes, default=[0, 10_000, 100_000])
    parser.add_argument("--stages", type=_sizes, default=[1_000, 10_000])
    parser.add_argument("--samples", type=int, default=200, help="timed calls per cell")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds to grow a column")
    parser.add_argument("--out", type=Path, help="write the JSON here (else stdout)")
    args = parser.parse_args(argv)

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    result = measure(
        args.tokens, args.stages, args.samples, budget=args.budget, progress=progress
    ).to_json()
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
