"""`python -m bench.persistence` (`make bench-persistence`): what --state-dir costs.

Two console scripts as users start them, one with `--state-dir` (a fresh temporary directory
on the same disk as the system's temp dir) and one without, measured side by side: writes per
second (each thread creates a stage, issues a token for it and tags it, again and again) and
reads per second (GetStage) from `--threads` keep-alive connections for `--seconds`, in
`--rounds` rounds, the two sides in alternating order, each round from a reset emulator. The
figures are the medians over the rounds and the ratio within each round (docs/persistence.md,
"Cost"). Standalone for now: not yet part of `make bench`'s report.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .procs import HOST, console_script, free_port, request, start, stop, wait_ready


@dataclass(frozen=True)
class Emulator:
    name: str
    port: int


class Client:
    """One keep-alive connection that posts JSON and expects 200."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)

    def post(self, path: str, body: object) -> dict[str, object]:
        self.connection.request(
            "POST", path, json.dumps(body), {"Content-Type": "application/json"}
        )
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {data[:200]!r}")
        answer: dict[str, object] = json.loads(data)
        return answer


def writes(client: Client, count: list[int]) -> None:
    """A stage, a token for it and a tag on it: three writes."""
    stage = client.post("/CreateStage", {"name": "bench"})["stage"]
    assert isinstance(stage, dict)
    arn = str(stage["arn"])
    client.post("/CreateParticipantToken", {"stageArn": arn})
    client.post(f"/tags/{quote(arn, safe='')}", {"tags": {"bench": "yes"}})
    count[0] += 3


def reads(arn: str) -> Step:
    def read(client: Client, count: list[int]) -> None:
        client.post("/GetStage", {"arn": arn})
        count[0] += 1

    return read


Step = Callable[[Client, list[int]], None]


def rate(port: int, step: Step, threads: int, seconds: float) -> float:
    """Calls per second of `step` from `threads` connections for `seconds`."""
    counts = [[0] for _ in range(threads)]
    deadline = time.monotonic() + seconds
    errors: list[BaseException] = []

    def run(count: list[int]) -> None:
        client = Client(port)
        try:
            while time.monotonic() < deadline:
                step(client, count)
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=run, args=(count,)) for count in counts]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return sum(count[0] for count in counts) / (time.monotonic() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.persistence", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    os.environ["IVS_EMULATOR_STAGE_QUOTA"] = "off"
    os.environ["IVS_EMULATOR_LOG_LEVEL"] = "WARNING"
    results: dict[str, dict[str, list[float]]] = {}
    with ExitStack() as stack:
        state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "state"
        emulators = []
        for name, extra in (("in memory", []), ("--state-dir", ["--state-dir", str(state_dir)])):
            port = free_port()
            process = start([*console_script(), "--port", str(port), *extra])
            stack.callback(stop, process)
            wait_ready(process, port)
            emulators.append(Emulator(name, port))
        for number in range(args.rounds):
            order = emulators if number % 2 == 0 else emulators[::-1]
            for emulator in order:
                request(emulator.port, "POST", "/_emulator/reset", {})
                measured = results.setdefault(emulator.name, {"writes": [], "reads": []})
                measured["writes"].append(rate(emulator.port, writes, args.threads, args.seconds))
                arn = Client(emulator.port).post("/CreateStage", {"name": "read"})["stage"]
                assert isinstance(arn, dict)
                read = reads(str(arn["arn"]))
                measured["reads"].append(rate(emulator.port, read, args.threads, args.seconds))
            print(
                f"round {number + 1}/{args.rounds}: "
                + ", ".join(
                    f"{name} {m['writes'][-1]:.0f} writes/s {m['reads'][-1]:.0f} reads/s"
                    for name, m in results.items()
                ),
                file=sys.stderr,
            )
    plain, kept = results["in memory"], results["--state-dir"]
    for kind in ("writes", "reads"):
        ratios = [k / p for k, p in zip(kept[kind], plain[kind], strict=True)]
        print(
            f"{kind}/s, {args.threads} threads: in memory {statistics.median(plain[kind]):.0f}, "
            f"with --state-dir {statistics.median(kept[kind]):.0f} "
            f"(ratio {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
