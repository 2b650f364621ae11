"""The ceiling of token issuing: PyJWT ES384 signing on N threads, as a long-lived worker.

`python -m bench.jwt_ceiling --threads 2` signs the claims of a token the emulator issued
(bench/bodies.py) with a fresh P-384 key, on N threads at once. It reads one line per run
from stdin, the seconds to sign for, and answers one JSON line: `{"signatures", "seconds"}`.
It starts once, like a server, so each run measures signing only, not start-up. EOF stops it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from .bodies import record, token_parts


def sign_for(seconds: float, threads: int, key: Any, claims: dict[str, Any], kid: str) -> int:
    import jwt

    counts = [0] * threads
    start = threading.Barrier(threads + 1)
    deadline = [0.0]

    def work(index: int) -> None:
        start.wait()
        count = 0
        while time.perf_counter() < deadline[0]:
            jwt.encode(claims, key, algorithm="ES384", headers={"kid": kid})
            count += 1
        counts[index] = count

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    deadline[0] = time.perf_counter() + seconds
    start.wait()
    for worker in workers:
        worker.join()
    return sum(counts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.jwt_ceiling", description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    from cryptography.hazmat.primitives.asymmetric import ec

    header, claims = token_parts(record().token)
    key = ec.generate_private_key(ec.SECP384R1())
    kid = str(header.get("kid", "bench"))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        seconds = float(line)
        began = time.perf_counter()
        signatures = sign_for(seconds, args.threads, key, claims, kid)
        elapsed = time.perf_counter() - began
        print(json.dumps({"signatures": signatures, "seconds": elapsed}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
