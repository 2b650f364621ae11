"""`python -m fuzz --count N --seed S [--url URL]`: see fuzz/__init__.py and docs/fuzzing.md."""

from __future__ import annotations

import argparse
import re
import sys

from .runner import run
from .server import Emulator

TRACEBACK = re.compile(r"^Traceback \(most recent call last\):$", re.MULTILINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="cases to send")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generator")
    parser.add_argument(
        "--url",
        default="",
        help="a running emulator (its state is reset and overwritten); "
        "without it, one is started with the console script and stopped after",
    )
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="a flag for the emulator it starts, e.g. --server-arg=--verify-signatures",
    )
    args = parser.parse_args(argv)
    emulator = None if args.url else Emulator(args.seed, args.server_arg)
    url = args.url or (emulator.url if emulator else "")
    try:
        report = run(url, args.seed, args.count)
        if emulator is not None and not emulator.alive():
            report.checks.append("the emulator process exited during the run")
    finally:
        log = emulator.stop() if emulator is not None else ""
    tracebacks = TRACEBACK.findall(log)
    report.tracebacks = len(tracebacks)
    if tracebacks:
        start = log.index("Traceback (most recent call last):")
        report.first_traceback = log[max(0, start - 300) : start + 4000]
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
