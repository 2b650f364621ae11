"""Processes under test: free ports, readiness, memory from /proc, and a clean stop."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = "ivs-realtime-emulator"


def console_script() -> list[str]:
    """The installed console script beside this interpreter, else `python -m emulator`."""
    script = Path(sys.executable).parent / CONSOLE_SCRIPT
    return [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]


def start(command: list[str]) -> subprocess.Popen[bytes]:
    """A server process in a session (and so a process group) of its own, output discarded."""
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def free_port(host: str = HOST) -> int:
    """A port the kernel hands out as free (bound and released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def request(
    port: int, method: str, path: str, body: object = None, timeout: float = 5.0
) -> tuple[int, object]:
    """One HTTP request to 127.0.0.1:port; returns (status, decoded JSON body or None)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = {} if payload is None else {"Content-Type": "application/json"}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        try:
            decoded: object = json.loads(data) if data else None
        except ValueError:
            decoded = None
        return response.status, decoded
    finally:
        connection.close()


def create_stage(port: int) -> str:
    status, body = request(port, "POST", "/CreateStage", {"name": "bench"})
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"CreateStage answered {status}: {body!r}")
    return str(body["stage"]["arn"])


def wait_ready(process: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> None:
    """Poll GET /_emulator/health until it answers 200 (bounded by `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before it was ready")
        with contextlib.suppress(OSError):
            if request(port, "GET", "/_emulator/health", timeout=1.0)[0] == 200:
                return
        time.sleep(0.02)
    raise RuntimeError(f"server not ready on port {port} after {timeout:.0f} s")


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the ppid follows it.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _kib(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True)
class Memory:
    processes: int
    rss_kib: int  # sum of VmRSS: counts pages shared between the processes more than once
    pss_kib: int  # sum of Pss: shared pages divided among their sharers


def memory(pid: int) -> Memory:
    """Resident memory of `pid` and its descendants."""
    rss = pss = count = 0
    for each in descendants(pid):
        with contextlib.suppress(OSError):
            rss += _kib(Path(f"/proc/{each}/status"), "VmRSS")
            count += 1
            with contextlib.suppress(OSError):
                pss += _kib(Path(f"/proc/{each}/smaps_rollup"), "Pss")
    return Memory(count, rss, pss)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time used so far by `pid` and its descendants (all threads)."""
    ticks = 0
    for each in descendants(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14, 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> float:
    """SIGTERM the process; returns the seconds it took to exit. Kills its group if it hangs.

    Processes are started with start_new_session=True, so the group id is the process id.
    """
    started = time.monotonic()
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Anything of it left in its group goes too (the emulator's worker has a group of its
    # own, and gets SIGTERM from the kernel when the supervisor dies).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    return time.monotonic() - started
