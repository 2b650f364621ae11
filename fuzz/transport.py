"""Sending a case over HTTP: one keep-alive connection (http.client) with a time limit, and a
fresh socket for the few raw requests that http.client cannot write (broken request lines).
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TIMEOUT = 10.0
"""Seconds an answer may take; a slower one is a hang."""
READ_LIMIT = 64 * 1024 * 1024
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass
class Case:
    """One request the fuzzer sends. `raw`, when set, is written to a fresh socket as is."""

    kind: str
    label: str
    method: str = "GET"
    path: str = "/"
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    body: bytes = b""
    raw: bytes | None = None
    must_succeed: bool = False
    """A request the emulator must answer with 2xx (e.g. importing an unchanged export)."""

    @property
    def malformed(self) -> bool:
        """Raw bytes, or a header value with a control character (other than tab): not HTTP
        that an HTTP server must pass to the app; it may refuse it in any 4xx or close."""
        return self.raw is not None or any(CONTROL_BYTES.search(value) for _, value in self.headers)

    def summary(self, limit: int = 240) -> str:
        if self.raw is not None:
            return f"[{self.kind}] raw {self.raw[:limit]!r}"
        shown = self.body[:limit]
        more = f" ... ({len(self.body)} bytes)" if len(self.body) > limit else ""
        path = self.path if len(self.path) <= limit else self.path[:limit] + "..."
        return f"[{self.kind}] {self.method} {path} {shown!r}{more}"


@dataclass
class Answer:
    status: int | None
    """None when no answer came: `problem` says why."""
    headers: dict[str, str]
    body: bytes
    seconds: float
    problem: str | None = None
    """"timeout" (a hang) or "dropped" (the connection closed without an answer)."""


class Transport:
    """Sends cases to one emulator, reusing one connection while the server keeps it open."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"expected an http:// URL of the emulator, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def send(self, case: Case) -> Answer:
        if case.raw is not None:
            return self._send_raw(case.raw)
        started = time.monotonic()
        for attempt in range(2):
            fresh = self._connection is None
            connection = self._connect()
            try:
                connection.putrequest(
                    case.method, case.path, skip_host=True, skip_accept_encoding=True
                )
                names = {name.lower() for name, _ in case.headers}
                if "host" not in names:
                    connection.putheader("Host", f"{self.host}:{self.port}")
                for name, value in case.headers:
                    connection.putheader(name, value)
                if "content-length" not in names:
                    connection.putheader("Content-Length", str(len(case.body)))
                # The server may answer (413, 431) and close before it has read everything:
                # its answer may still be there to read.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    connection.endheaders(case.body or None)
                response = connection.getresponse()
                body = response.read(READ_LIMIT) if case.method != "HEAD" else b""
                headers = {name.lower(): value for name, value in response.getheaders()}
                if response.will_close:
                    self.close()
                return Answer(response.status, headers, body, time.monotonic() - started)
            except TimeoutError:
                self.close()
                return Answer(None, {}, b"", time.monotonic() - started, "timeout")
            except (http.client.HTTPException, ConnectionError, OSError) as error:
                self.close()
                # A kept-alive connection the server had closed: try once on a new one.
                if attempt == 0 and not fresh:
                    continue
                problem = f"dropped ({type(error).__name__}: {error})"
                return Answer(None, {}, b"", time.monotonic() - started, problem)
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
            self._connection.connect()
            self._connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._connection

    def _send_raw(self, data: bytes) -> Answer:
        """Write `data`, close the writing side, read until the server closes."""
        started = time.monotonic()
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
                chunks = []
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
        except TimeoutError:
            return Answer(None, {}, b"", time.monotonic() - started, "timeout")
        except OSError:
            # Reset: the server may close a connection it will not serve.
            chunks = []
        received = b"".join(chunks)
        status = None
        if received.startswith(b"HTTP/"):
            parts = received.split(b"\r\n", 1)[0].split(b" ")
            if len(parts) > 1 and parts[1].isdigit():
                status = int(parts[1])
        return Answer(status, {}, received, time.monotonic() - started)
