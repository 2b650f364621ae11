"""HTTP load at N keep-alive connections: one fixed POST, bounded in time (and count).

`wrk` (Debian's package) drives it when it is on PATH: a C load generator that costs the
machine little, given the request by a small Lua script. Otherwise a multi-process Python
client with keep-alive (http.client) does; it takes CPU from the server under test, so its
rates are lower. Both send only to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from threading import Thread

from .procs import HOST

# POST args[1] with the JSON body args[2]; each wrk thread stops after args[3] responses
# (a safety bound: wrk then waits out --duration, so a run that reaches it gives no rate).
WRK_SCRIPT = r"""
local request_text = nil
local max_responses = 0
local responses = 0

function init(args)
  max_responses = tonumber(args[3])
  request_text = wrk.format("POST", args[1], {["Content-Type"] = "application/json"}, args[2])
end

function request()
  return request_text
end

function response(status, headers, body)
  responses = responses + 1
  if responses >= max_responses then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"errors":%d,"status_errors":%d,' ..
    '"p50_ms":%.3f,"p99_ms":%.3f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class Post:
    """The one request a load sends, again and again."""

    path: str
    body: bytes

    @classmethod
    def json(cls, path: str, body: object) -> Post:
        return cls(path, json.dumps(body, separators=(",", ":")).encode())


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int  # socket errors, time-outs and answers other than 2xx
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk_version() -> str:
    if not wrk_available():
        return "-"
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    words = (done.stdout + done.stderr).split()
    return words[1] if len(words) > 1 and words[0] == "wrk" else "?"


def run_wrk(
    port: int,
    post: Post,
    connections: int,
    seconds: float,
    max_requests: int,
    threads: int = 1,
) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(WRK_SCRIPT)
        per_thread = max(1, max_requests // threads)
        command = [
            "wrk",
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=5s",
            f"--script={script}",
            f"http://{HOST}:{port}{post.path}",
            "--",
            post.path,
            post.body.decode(),
            str(per_thread),
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    data = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    if int(data["requests"]) >= per_thread * threads:
        # A thread that stops at the cap leaves wrk waiting out the duration: no rate then.
        raise RuntimeError(f"{data['requests']} requests reached the cap: raise it")
    return LoadResult(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        errors=int(data["errors"]) + int(data["status_errors"]),
        p50_ms=float(data["p50_ms"]),
        p99_ms=float(data["p99_ms"]),
    )


def _client_connection(
    port: int, post: Post, deadline: float, limit: int, out: list[float], failures: list[int]
) -> None:
    headers = {"Content-Type": "application/json"}
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        while len(out) < limit and time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("POST", post.path, body=post.body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
            if ok:
                out.append(time.perf_counter() - started)
            else:
                failures.append(1)
    finally:
        connection.close()


def _client_process(
    port: int, post: Post, connections: int, seconds: float, limit: int
) -> tuple[list[float], int, float]:
    """One client process: `connections` keep-alive connections, one thread each."""
    started = time.monotonic()
    deadline = started + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures: list[int] = []
    per_connection = max(1, limit // connections)
    threads = [
        Thread(
            target=_client_connection,
            args=(port, post, deadline, per_connection, latencies[i], failures),
        )
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [x for each in latencies for x in each], len(failures), time.monotonic() - started


def percentile(sorted_values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values sorted in ascending order; 0 if none."""
    if not sorted_values:
        return 0.0
    rank = min(len(sorted_values) - 1, max(0, int(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def run_python(
    port: int,
    post: Post,
    connections: int,
    seconds: float,
    max_requests: int,
    processes: int,
) -> LoadResult:
    processes = max(1, min(processes, connections))
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(_client_process, port, post, share, seconds, max_requests // processes)
            for share in shares
        ]
        results = [future.result(timeout=seconds + 60) for future in futures]
    latencies = sorted(x for each in results for x in each[0])
    return LoadResult(
        requests=len(latencies),
        seconds=max(each[2] for each in results),
        errors=sum(each[1] for each in results),
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
    )


@dataclass(frozen=True)
class LoadGenerator:
    kind: str  # "wrk" or "python"
    connections: int
    python_processes: int = 2

    def run(
        self, port: int, post: Post, seconds: float, max_requests: int = 1_000_000
    ) -> LoadResult:
        if self.kind == "wrk":
            return run_wrk(port, post, self.connections, seconds, max_requests)
        return run_python(
            port, post, self.connections, seconds, max_requests, self.python_processes
        )

    def describe(self) -> str:
        if self.kind == "wrk":
            return f"wrk {wrk_version()} (1 thread, {self.connections} keep-alive connections)"
        return (
            f"Python http.client ({self.python_processes} processes, "
            f"{self.connections} keep-alive connections in all)"
        )


def choose(kind: str, connections: int) -> LoadGenerator:
    """`auto`: wrk when it is on PATH, else the Python client."""
    if kind == "auto":
        kind = "wrk" if wrk_available() else "python"
    return LoadGenerator(kind, connections)
