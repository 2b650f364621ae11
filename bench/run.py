"""`python -m bench [--quick]`: the emulator and its references, side by side, in one run.

Contenders, all on 127.0.0.1 and free ports:
- the emulator as users start it: the `ivs-realtime-emulator` console script, default flags;
- `moto_server` (the `bench` extra), the peer a user would pick for other AWS services: it
  has no IVS Real-Time, so its launch is timed to the first successful `ivs` CreateChannel
  (the low-latency IVS API it does serve: a call that creates a resource and hands back a
  credential, its stream key);
- a canned-response server (bench/canned.py), the ceiling of a boto3 client;
- a trivial Flask app served exactly as the console script serves (bench/flask_ceiling.py),
  the framework's ceiling;
- PyJWT ES384 signing on 2 threads (bench/jwt_ceiling.py), the ceiling of token issuing.

Every round measures each pair (emulator, reference) back to back: launch → first call with
the idle RSS of all the server's processes after it (emulator vs moto_server), sequential
boto3 CreateParticipantToken and GetStage (vs the canned server), CreateParticipantToken at 16
connections (vs PyJWT) and GetStage at 16 connections (vs the trivial Flask app). Pairs come in
a rotated order each round and the two sides of a pair in alternating order, so the machine's
drift falls on both sides alike; a ratio is taken within a round, then the median over rounds.
Each round starts with the emulator reset to one new stage, so the rounds measure the request
path at the same small state (growth is the scaling table's business).
After the rounds: the memory run (a fresh emulator's RSS before and after N tokens on one
stage, then after the clock passes their expiry and N/10 more are issued) and the scaling table
(bench/scaling.py, in a process of its own). The report (bench/report.py) is printed and
written to bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import report
from .contenders import Pair, contenders, emulator_command, start_server, version
from .load import LoadGenerator, Post, choose
from .procs import (
    ROOT,
    create_stage,
    memory,
    request,
    stop,
)
from .settings import FULL, QUICK, Settings

PACKAGES = (
    "ivs-realtime-emulator", "flask", "werkzeug", "granian", "pyjwt", "cryptography",
    "boto3", "botocore", "moto",
)  # fmt: skip
EXPIRY_ADVANCE_DAYS = 30  # past the longest token duration (14 days) and any grace period


STARTED = time.monotonic()


def log(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:5.0f} s] {text}", file=sys.stderr, flush=True)


def rounds(
    pairs: Sequence[Pair],
    count: int,
    seconds: float,
    warm: float,
    fresh_state: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """`count` rounds of every pair, side by side; a warm-up of each side first (discarded).

    Every round starts from `fresh_state` (the emulator reset, one new stage), so the tokens
    of earlier rounds do not weigh on later ones: growth is what the scaling table measures.
    """
    log(f"warm-up: every contender once ({warm:g} s a measurement)")
    for pair in pairs:
        for side in (pair.emulator, pair.reference):
            if side is not None:
                with contextlib.suppress(Exception):
                    side(warm)
    found: dict[str, Any] = {
        pair.key: {"reference": pair.reference_name, "error": pair.error, "rounds": []}
        for pair in pairs
    }
    for number in range(count):
        fresh_state()
        shift = number % len(pairs)
        for pair in [*pairs[shift:], *pairs[:shift]]:
            sides = [("emulator", pair.emulator), ("reference", pair.reference)]
            if number % 2:
                sides.reverse()
            measured: dict[str, Any] = {}
            for who, side in sides:
                if side is None:
                    continue
                try:
                    measured[who] = side(seconds)
                except Exception as exc:  # one failed measurement must not end the run
                    measured[who] = None
                    found[pair.key]["error"] = f"{type(exc).__name__}: {exc}"
            found[pair.key]["rounds"].append(measured)
            log(f"round {number + 1}/{count} {pair.key}: " + _brief(measured))
    return found


def _brief(measured: dict[str, Any]) -> str:
    parts = []
    for who in ("emulator", "reference"):
        each = measured.get(who)
        if each:
            parts.append(f"{who} {each['value']:.3g}")
    if measured.get("emulator") and measured.get("reference"):
        parts.append(f"ratio {measured['emulator']['value'] / measured['reference']['value']:.3f}")
    return ", ".join(parts) or "not measured"


# -- after the rounds ------------------------------------------------------------------------


def issue_tokens(
    generator: LoadGenerator, port: int, post: Post, count: int, deadline: float
) -> tuple[int, int]:
    """Issue about `count` tokens from the 16-connection load; (issued, errors)."""
    issued = errors = 0
    rate = 0.0  # unknown until the first burst, which lasts a second
    while issued < count and time.monotonic() < deadline:
        remaining = count - issued
        wanted = remaining / rate if rate else 1.0
        seconds = min(10.0, max(1.0, wanted), max(1.0, deadline - time.monotonic()))
        # The Python client stops at a count; wrk runs out its (whole) seconds, so a cap
        # there would only make it wait: it gets none, and overshoots by under a second.
        cap = remaining if generator.kind == "python" else 10_000_000
        result = generator.run(port, post, seconds, max_requests=cap)
        issued += max(0, result.requests - result.errors)
        errors += result.errors
        rate = max(result.rate, 1.0)
    return issued, errors


def growth(settings: Settings, generator: LoadGenerator) -> dict[str, Any]:
    """A fresh emulator: idle RSS, RSS after N tokens, RSS after expiry and N/10 more."""
    server = start_server("emulator", emulator_command)
    try:
        stage_arn = create_stage(server.port)
        post = Post.json("/CreateParticipantToken", {"stageArn": stage_arn})
        status, _ = request(server.port, "POST", post.path, json.loads(post.body))
        if status != 200:
            raise RuntimeError(f"CreateParticipantToken answered {status}")
        time.sleep(settings.settle)
        idle = memory(server.process.pid)
        deadline = time.monotonic() + settings.growth_budget
        issued, errors = issue_tokens(
            generator, server.port, post, settings.growth_tokens, deadline
        )
        time.sleep(settings.settle)
        after = memory(server.process.pid)
        log(f"memory: {issued} tokens, RSS {idle.rss_kib // 1024} -> {after.rss_kib // 1024} MiB")
        found: dict[str, Any] = {
            "tokens_wanted": settings.growth_tokens,
            "issued": issued,
            "errors": errors,
            "idle": asdict(idle),
            "after": asdict(after),
        }
        advance = {"seconds": EXPIRY_ADVANCE_DAYS * 86400}
        status, _ = request(server.port, "POST", "/_emulator/clock/advance", advance)
        if status == 200:
            more = max(1, settings.growth_tokens // 10)
            deadline = time.monotonic() + settings.growth_budget / 10 + 5
            issued_later, errors_later = issue_tokens(generator, server.port, post, more, deadline)
            time.sleep(settings.settle)
            found |= {
                "advance_days": EXPIRY_ADVANCE_DAYS,
                "issued_after_expiry": issued_later,
                "errors": errors + errors_later,
                "after_expiry": asdict(memory(server.process.pid)),
            }
        return found
    finally:
        stop(server.process)


def scaling(settings: Settings) -> dict[str, Any]:
    """bench/scaling.py in a process of its own (its state must not weigh on the harness)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scaling.json"
        command = [
            sys.executable, "-m", "bench.scaling",
            "--tokens", ",".join(map(str, settings.scaling_tokens)),
            "--stages", ",".join(map(str, settings.scaling_stages)),
            "--samples", str(settings.scaling_samples),
            "--budget", str(settings.scaling_budget),
            "--out", str(out),
        ]  # fmt: skip
        columns = len(settings.scaling_tokens) + len(settings.scaling_stages)
        done = subprocess.run(
            command, cwd=ROOT, timeout=columns * (settings.scaling_budget + 300), check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"bench.scaling exited with code {done.returncode}")
        found: dict[str, Any] = json.loads(out.read_text())
        return found


# -- the run ---------------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "emulator", "bench")
    return head + (" + uncommitted changes" if dirty else "")


def meta(settings: Settings, generator: LoadGenerator) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": settings.mode,
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": {name: version(name) for name in PACKAGES},
        "commit": commit(),
        "loadgen": generator.describe(),
        "settings": asdict(settings),
        "load_average": [os.getloadavg()[0]],
    }


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a minute or two: fewer rounds, "
                        "smaller states, the same table")  # fmt: skip
    parser.add_argument("--rounds", type=int, help="rounds of side-by-side pairs")
    parser.add_argument("--burst", type=float, help="seconds of each measurement")
    parser.add_argument("--growth-tokens", type=int, help="tokens of the memory run")
    parser.add_argument(
        "--loadgen", choices=("auto", "wrk", "python"), default="auto",
        help="16-connection load: wrk if on PATH (auto), else a Python client",
    )  # fmt: skip
    parser.add_argument(
        "--skip", action="append", default=[], choices=("rounds", "growth", "scaling"),
        help="leave a part out",
    )  # fmt: skip
    parser.add_argument("--results", type=Path, default=report.RESULTS,
                        help="directory for latest.json/.md and <mode>.json/.md")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    settings = QUICK if args.quick else FULL
    overrides = {
        "rounds": args.rounds, "burst": args.burst, "growth_tokens": args.growth_tokens,
    }  # fmt: skip
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    generator = choose(args.loadgen, settings.connections)
    if generator.kind == "python":
        log("wrk not found (apt-get install wrk): the 16-connection load comes from Python")
    began = time.monotonic()
    results: dict[str, Any] = {"meta": meta(settings, generator), "pairs": {}, "notes": []}
    failed = False
    if "rounds" not in args.skip:
        try:
            with contenders(settings, generator) as running:
                results["pairs"] = rounds(
                    running.pairs, settings.rounds, settings.burst, 0.3, running.fresh_state
                )
        except Exception as exc:
            failed = True
            results["notes"].append(f"the rounds did not run: {type(exc).__name__}: {exc}")
            log(results["notes"][-1])
    parts: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
        ("growth", "a fresh emulator, RSS before and after tokens",
         lambda: growth(settings, generator)),
        ("scaling", "in process, bench/scaling.py", lambda: scaling(settings)),
    ]  # fmt: skip
    for part, what, run in parts:
        if part in args.skip:
            results[part] = {"error": "skipped (--skip)"}
            continue
        log(f"{part}: {what}")
        try:
            results[part] = run()
        except Exception as exc:
            failed = True
            results[part] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"{part} failed: {results[part]['error']}")
    results["meta"]["seconds"] = time.monotonic() - began
    results["meta"]["load_average"].append(os.getloadavg()[0])
    results = report.with_targets(results)
    paths = report.write(results, args.results)
    print(report.markdown(results))
    log("written: " + ", ".join(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT)
                                else str(path) for path in paths))  # fmt: skip
    return 1 if failed else 0
