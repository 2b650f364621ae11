"""The ceiling of a boto3 client: `python -m bench.canned --port P` answers canned bytes.

An asyncio server with almost nothing to do: it reads an HTTP/1.1 request (head and
Content-Length body), and answers POST /CreateParticipantToken and POST /GetStage with the
emulator's own recorded answers (bench/bodies.py), whatever the request says. What a boto3
client achieves against it is what it can achieve against any server; the emulator's
sequential rate over this one's, measured side by side, is how close it comes. Keep-alive,
127.0.0.1 only; GET /_emulator/health answers 200 so readiness checks work as for the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from .bodies import Recorded, record
from .procs import HOST


def response(status: str, body: bytes, content_type: str, request_id: str = "") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
    if request_id:
        head.append(f"x-amzn-RequestId: {request_id}")
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


NOT_FOUND = response("404 Not Found", b'{"message":"not canned"}', "application/json")
HEALTH = response("200 OK", b'{"status":"ready"}', "application/json")


def answers(recorded: dict[str, Recorded]) -> dict[tuple[str, str], bytes]:
    table = {
        ("POST", path): response("200 OK", each.body, each.content_type, each.request_id)
        for path, each in recorded.items()
    }
    table[("GET", "/_emulator/health")] = HEALTH
    return table


class Canned(asyncio.Protocol):
    """One connection: requests in, canned answers out, in order."""

    def __init__(self, table: dict[tuple[str, str], bytes]) -> None:
        self.table = table
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            method, target = (lines[0].split(" ") + ["", ""])[:2]
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip() or 0)
                elif name == "connection":
                    close = value.strip().lower() == "close"
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            path = target.split("?", 1)[0]
            self.transport.write(self.table.get((method, path), NOT_FOUND))
            if close:
                self.transport.close()
                self.transport = None


async def serve(host: str, port: int, table: dict[tuple[str, str], bytes]) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Canned(table), host, port)
    stopped = asyncio.Event()
    for each in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(each, stopped.set)
    async with server:
        await stopped.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.canned", description=__doc__)
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    table = answers(record().answers)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
