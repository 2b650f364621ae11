"""`python -m bench.servers` (`make bench-servers`): which WSGI server should serve the emulator.

Throughput: each candidate serves the real emulator app (emulator.create_app) in its own
process on 127.0.0.1 and a free port; all of them are up at once, idle but the one under load.
Each gets /_emulator/health, one CreateStage and a warm-up; then, cycle after cycle, each in
turn gets a short burst of CreateParticipantToken requests at 16 concurrent keep-alive
connections, bounded in count and time (the order rotates every cycle). A candidate's rate in
a cycle divided by Werkzeug's rate in the same cycle is its ratio; the report gives the median
ratio over the cycles. On a shared, noisy machine those ratios are the figures to quote, not
the absolute rates.

This is the experiment that chose Granian (docs/serving.md). The emulator's own figures,
side by side with its references (moto_server, the framework and signing ceilings), are
`python -m bench` (bench/run.py).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .load import LoadGenerator, LoadResult, Post, choose
from .procs import (
    CONSOLE_SCRIPT,
    HOST,
    Memory,
    console_script,
    cpu_seconds,
    create_stage,
    free_port,
    memory,
    start,
    stop,
    wait_ready,
)

BASELINE = "werkzeug"


@dataclass(frozen=True)
class Candidate:
    name: str
    server: str  # a bench.serve server, or CONSOLE_SCRIPT
    threads: int
    note: str
    module: str = ""  # what must be importable for it to run (default: the server's name)
    distribution: str = ""  # its package on PyPI (default: the server's name)

    def command(self, port: int) -> list[str]:
        if self.server == CONSOLE_SCRIPT:
            return [*console_script(), "--port", str(port), "--log-level", "WARNING"]
        return [
            sys.executable, "-m", "bench.serve", self.server,
            "--host", HOST, "--port", str(port), "--threads", str(self.threads),
        ]  # fmt: skip

    def available(self) -> bool:
        return importlib.util.find_spec(self.module or self.server) is not None

    def version(self) -> str:
        try:
            return importlib.metadata.version(self.distribution or self.server)
        except importlib.metadata.PackageNotFoundError:
            return "-"


CANDIDATES = (
    Candidate(BASELINE, "werkzeug", 0, "threaded dev server (baseline)"),
    Candidate("granian bt2", "granian", 2, "1 worker, WSGI, 2 blocking threads"),
    Candidate("granian bt4", "granian", 4, "1 worker, WSGI, 4 blocking threads"),
    Candidate("gunicorn gthread", "gunicorn", 4, "1 worker, 4 threads"),
    Candidate("cheroot", "cheroot", 4, "4 threads"),
    Candidate("waitress", "waitress", 4, "4 threads"),
    Candidate(
        CONSOLE_SCRIPT,
        CONSOLE_SCRIPT,
        0,
        "the console script (emulator/http/server.py)",
        module="emulator",
        distribution="ivs-realtime-emulator",
    ),
)


@dataclass
class Sample:
    cycle: int
    load: LoadResult
    cpu_seconds: float  # used by the server's processes during the burst

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.load.requests if self.load.requests else 0.0


@dataclass
class Row:
    candidate: Candidate
    samples: list[Sample] = field(default_factory=list)
    memory: Memory | None = None
    failure: str | None = None

    @property
    def rate(self) -> float:
        seconds = sum(sample.load.seconds for sample in self.samples)
        return sum(sample.load.requests for sample in self.samples) / seconds if seconds else 0.0


@dataclass
class Running:
    row: Row
    process: subprocess.Popen[bytes]
    port: int
    stage_arn: str = ""


def token_post(stage_arn: str) -> Post:
    return Post.json("/CreateParticipantToken", {"stageArn": stage_arn})


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def throughput(
    candidates: Sequence[Candidate],
    generator: LoadGenerator,
    cycles: int,
    warmup: float,
    burst: float,
    limit: int,
) -> list[Row]:
    """All candidates up at once, idle but one: short bursts of load, in rotation.

    On a shared machine the background load drifts; bursts a few seconds long, taken in turn
    and again, put every candidate under the same drift as the baseline beside it.
    """
    rows = [Row(candidate) for candidate in candidates]
    running: list[Running] = []
    try:
        for row in rows:
            port = free_port()
            each = Running(row, start(row.candidate.command(port)), port)
            running.append(each)
            try:
                wait_ready(each.process, port)
                each.stage_arn = create_stage(port)
                if warmup > 0:
                    generator.run(port, token_post(each.stage_arn), warmup, limit)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                row.failure = str(exc)
                log(f"{row.candidate.name}: FAILED {exc}")
        live = [each for each in running if not each.row.failure]
        for cycle in range(cycles):
            shift = cycle % max(1, len(live))
            for each in live[shift:] + live[:shift]:  # rotated: no one always goes first
                cpu_before = cpu_seconds(each.process.pid)
                result = generator.run(each.port, token_post(each.stage_arn), burst, limit)
                cpu = cpu_seconds(each.process.pid) - cpu_before
                each.row.samples.append(Sample(cycle, result, cpu))
                log(
                    f"cycle {cycle + 1}/{cycles} {each.row.candidate.name:<22} "
                    f"{result.rate:6.0f} req/s, {result.errors} errors, "
                    f"{each.row.samples[-1].cpu_ms_per_request:.2f} CPU ms/request"
                )
        for each in live:
            each.row.memory = memory(each.process.pid)
    finally:
        for each in running:
            stop(each.process)
    return rows


def ratios(rows: Sequence[Row]) -> dict[str, list[float]]:
    """Each candidate's rate over the baseline's rate in the same cycle."""
    baseline = next((row for row in rows if row.candidate.name == BASELINE), None)
    if baseline is None:
        return {}
    base = {sample.cycle: sample.load.rate for sample in baseline.samples}
    return {
        row.candidate.name: [
            sample.load.rate / base[sample.cycle]
            for sample in row.samples
            if base.get(sample.cycle)
        ]
        for row in rows
    }


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f}"


def report(rows: Sequence[Row], generator: LoadGenerator, args: Namespace) -> str:
    lines = [
        "ivs-realtime-emulator serving benchmark",
        f"python {platform.python_version()} on {os.cpu_count()} CPUs, "
        f"load average at the end {os.getloadavg()[0]:.2f}",
    ]
    if rows:
        lines += [
            f"load: CreateStage once, then POST /CreateParticipantToken by {generator.describe()};"
            f" {args.warmup:g} s warm-up, then {args.cycles} cycles of a {args.burst:g} s burst"
            f" per server (at most {args.max_requests} requests a burst), order rotated per cycle",
            "",
            f"{'server':<22} {'version':<8} {'req/s':>6} {'x werkzeug':>10} {'range':>9} "
            f"{'p50 ms':>6} {'p99 ms':>6} {'CPU ms':>6} {'errors':>6} {'RSS MiB':>7} "
            f"{'PSS MiB':>7}  notes",
        ]
    per_candidate = ratios(rows)
    for row in rows:
        name, version = row.candidate.name, row.candidate.version()
        if not row.samples:
            lines.append(f"{name:<22} {version:<8} FAILED: {row.failure or 'no samples'}")
            continue
        loads = [sample.load for sample in row.samples]
        ratio = per_candidate.get(name) or [float("nan")]
        used = row.memory or Memory(0, 0, 0)
        lines.append(
            f"{name:<22} {version:<8} {row.rate:>6.0f} {statistics.median(ratio):>10.2f} "
            f"{min(ratio):>4.2f}-{max(ratio):<4.2f} "
            f"{statistics.median(x.p50_ms for x in loads):>6.1f} "
            f"{statistics.median(x.p99_ms for x in loads):>6.1f} "
            f"{statistics.median(x.cpu_ms_per_request for x in row.samples):>6.2f} "
            f"{sum(x.errors for x in loads):>6} {mib(used.rss_kib):>7} {mib(used.pss_kib):>7}  "
            f"{row.candidate.note}; {used.processes} process(es)"
        )
    if rows:
        lines.append(
            "req/s: all bursts together; x werkzeug: median over the cycles of the rate over "
            "Werkzeug's in the same cycle (range: lowest-highest); p50/p99 latency and CPU ms (the "
            "server's CPU time per request, all its processes): median over the bursts; memory: "
            "every process of the server, after all its bursts"
        )
    return "\n".join(lines)


Namespace = argparse.Namespace


def parse(argv: Sequence[str] | None) -> Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.servers", description=__doc__.split("\n")[0]
    )
    names = [candidate.name for candidate in CANDIDATES]
    parser.add_argument("--cycles", type=int, default=10, help="bursts per server")
    parser.add_argument("--burst", type=float, default=2.0, help="seconds of load per burst")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per server")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="cap on requests per burst"
    )
    parser.add_argument(
        "--only", action="append", choices=names, help=f"candidates to run (always with {BASELINE})"
    )
    parser.add_argument(
        "--loadgen", choices=("auto", "wrk", "python"), default="auto",
        help="load generator: wrk if on PATH (auto), else Python",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    generator = choose(args.loadgen, args.connections)
    if generator.kind == "python":
        log("wrk not found (apt-get install wrk): using the Python client")
    wanted = set(args.only or [c.name for c in CANDIDATES]) | {BASELINE}
    candidates = []
    for candidate in CANDIDATES:
        if candidate.name not in wanted:
            continue
        if candidate.available():
            candidates.append(candidate)
        else:
            package = candidate.distribution or candidate.server
            log(f"skipping {candidate.name}: pip install {package}")
    rows = throughput(
        candidates, generator, args.cycles, args.warmup, args.burst, args.max_requests
    )
    print(report(rows, generator, args))
    if args.json:
        data = {
            "loadgen": generator.describe(),
            "rows": [asdict(row) for row in rows],
            "ratios": ratios(rows),
        }
        with contextlib.suppress(OSError):
            args.json.write_text(json.dumps(data, indent=2, default=str))
    return 0 if all(row.samples for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
