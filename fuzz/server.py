"""An emulator for the run when no URL is given: the console script on a free loopback port,
seeded and with a frozen clock so that a seed repeats, its log kept to count tracebacks."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
CLOCK_START = "2026-01-01T00:00:00Z"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def command() -> list[str]:
    script = Path(sys.executable).with_name("ivs-realtime-emulator")
    if script.exists():
        return [str(script)]
    found = shutil.which("ivs-realtime-emulator")
    return [found] if found else [sys.executable, "-m", "emulator"]


class Emulator:
    """A started emulator; `stop()` ends it and returns its log."""

    def __init__(self, seed: int, extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._log = tempfile.NamedTemporaryFile(prefix="fuzz-emulator-", suffix=".log")  # noqa: SIM115 (closed in stop)
        arguments = [
            *command(),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--seed",
            str(seed),
            "--clock-start",
            CLOCK_START,
            "--clock-frozen",
            "--log-level",
            "WARNING",
            *(extra or []),
        ]
        self.process = subprocess.Popen(
            arguments,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited at start:\n{self.log()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection(HOST, self.port, timeout=1)
                connection.request("GET", "/_emulator/health")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
                connection.close()
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the emulator did not answer on {self.url} within {timeout:.0f} s")

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text("utf-8", errors="replace")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        text = self.log()
        self._log.close()
        return text
