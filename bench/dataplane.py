"""`python -m bench.dataplane` (`make bench-media`): the data plane under media load.

Starts the console script with `--data-plane` (one worker process holds everything), then with
aiortc clients in this process, all on loopback inside a network namespace whose only
interface is loopback (the make target runs it under `unshare --net`):

1. join -> published: from a publisher's POST to the global WHIP entry until a watching
   member's STAGE_STATE shows it publishing; and subscribe -> first frame: from a subscriber's
   POST until its first decoded video frame (`--rounds` of each, median and worst);
2. CPU per relayed stream: the server's CPU with one 640x360 publisher alone, then with three
   subscribers, over `--window` seconds each: (with - alone) / 3, in cores;
3. memory: the server's resident memory (supervisor and worker, from /proc) every `--sample`
   seconds while the publisher and three subscribers run for `--soak` seconds (default 600).

Prints one line per figure and a JSON summary at the end. Bounded in time; stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from emulator.dataplane.ice import gathering_on

from .procs import cpu_seconds, free_port, memory, request, stop, wait_ready

SCRIPT = Path(sys.executable).parent / "ivs-realtime-emulator"
WIDTH, HEIGHT, FPS = 640, 360, 20


def loopback_only() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


class MovingPicture(MediaStreamTrack):
    """640x360 at 20 fps: a gradient that moves, so that the encoders have work to do."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._frames = [self._picture(i) for i in range(FPS)]
        self._count = 0
        self._start: float | None = None

    @staticmethod
    def _picture(shift: int) -> VideoFrame:
        frame = VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
        row = bytes((x + shift * 12) % 256 for x in range(WIDTH))
        sizes = [plane.buffer_size for plane in frame.planes]
        frame.planes[0].update((row * HEIGHT)[: sizes[0]])
        frame.planes[1].update(bytes([96]) * sizes[1])
        frame.planes[2].update(bytes([160]) * sizes[2])
        return frame

    async def recv(self) -> VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._count / FPS
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        frame = self._frames[self._count % FPS]
        frame.pts, frame.time_base = self._count * 90000 // FPS, Fraction(1, 90000)
        self._count += 1
        return frame


async def _offer(pc: RTCPeerConnection) -> str:
    with gathering_on(["127.0.0.1"]):
        await pc.setLocalDescription(await pc.createOffer())
    return str(pc.localDescription.sdp)


async def _post(http: aiohttp.ClientSession, url: str, token: str, sdp: str) -> str:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"}
    for _ in range(3):
        async with http.post(url, data=sdp, headers=headers, allow_redirects=False) as r:
            if r.status == 307:
                url = r.headers["Location"]
                continue
            if r.status != 201:
                raise RuntimeError(f"{url} answered {r.status}: {await r.text()}")
            return await r.text()
    raise RuntimeError("too many redirects")


async def publish(http: aiohttp.ClientSession, entry: str, token: str) -> RTCPeerConnection:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(AudioStreamTrack(), direction="sendrecv")
    pc.addTransceiver(MovingPicture(), direction="sendrecv")
    answer = await _post(http, entry, token, await _offer(pc))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc


class Subscriber:
    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        self.video_frames = 0
        self.first_frame = asyncio.Event()
        self.pc.on("track", self._track)

    def _track(self, track: MediaStreamTrack) -> None:
        asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                if track.kind == "video":
                    self.video_frames += 1
                    self.first_frame.set()
        except MediaStreamError:
            return

    async def start(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        answer = await _post(http, url, token, await _offer(self.pc))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))


class Emulator:
    """The console script with --data-plane, and the control plane over plain HTTP."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self._log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [
                    str(SCRIPT),
                    "--port",
                    str(self.port),
                    "--data-plane",
                    "--data-plane-port",
                    "0",
                    "--log-level",
                    "WARNING",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        wait_ready(self.process, self.port)
        status, health = request(self.port, "GET", "/_emulator/health")
        assert status == 200 and isinstance(health, dict), health
        self.entry = str(health["dataPlaneUrl"])

    def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = request(self.port, "POST", f"/{operation}", body)
        if status != 200 or not isinstance(answer, dict):
            raise RuntimeError(f"{operation} answered {status}: {answer!r}")
        return answer

    def token(self, stage_arn: str) -> dict[str, Any]:
        return dict(
            self.call("CreateParticipantToken", {"stageArn": stage_arn})["participantToken"]
        )

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def rss_mib(self) -> float:
        return memory(self.process.pid).rss_kib / 1024


async def _watch(
    http: aiohttp.ClientSession,
    token: str,
    topic: str,
    events: str,
    seen: Callable[[dict[str, Any]], None],
) -> aiohttp.ClientWebSocketResponse:
    socket_ = await http.ws_connect(f"{events}/{topic}", protocols=[token])

    async def read() -> None:
        async for message in socket_:
            if message.type == aiohttp.WSMsgType.TEXT:
                seen(json.loads(message.data))

    asyncio.ensure_future(read())
    return socket_


async def latencies(emulator: Emulator, rounds: int) -> dict[str, list[float]]:
    """join -> published and subscribe -> first frame, `rounds` times, in milliseconds."""
    published_ms: list[float] = []
    first_frame_ms: list[float] = []
    async with aiohttp.ClientSession() as http:
        for _ in range(rounds):
            stage = emulator.call("CreateStage", {"name": "bench-latency"})["stage"]
            watcher, alice, bob = (emulator.token(stage["arn"]) for _ in range(3))
            publishing = asyncio.Event()

            def seen(
                message: dict[str, Any],
                who: str = alice["participantId"],
                publishing: asyncio.Event = publishing,
            ) -> None:
                if message["type"] == "STAGE_STATE" and any(
                    p["id"] == who and p["isPublishing"] for p in message["payload"]["participants"]
                ):
                    publishing.set()

            topic = stage["arn"].rsplit("/", 1)[1]
            socket_ = await _watch(
                http, watcher["token"], topic, stage["endpoints"]["events"], seen
            )
            started = time.monotonic()
            pc = await publish(http, emulator.entry, alice["token"])
            await asyncio.wait_for(publishing.wait(), 20)
            published_ms.append((time.monotonic() - started) * 1000)
            subscriber = Subscriber()
            started = time.monotonic()
            await subscriber.start(
                http,
                f"{stage['endpoints']['whip']}/subscribe/{alice['participantId']}",
                bob["token"],
            )
            await asyncio.wait_for(subscriber.first_frame.wait(), 20)
            first_frame_ms.append((time.monotonic() - started) * 1000)
            await subscriber.pc.close()
            await pc.close()
            await socket_.close()
            emulator.call("DeleteStage", {"arn": stage["arn"]})
    return {"joinToPublishedMs": published_ms, "subscribeToFirstFrameMs": first_frame_ms}


async def load(
    emulator: Emulator, window: float, soak: float, sample: float, report: Callable[[str], None]
) -> dict[str, Any]:
    """CPU per relayed stream, then resident memory over the soak."""
    async with aiohttp.ClientSession() as http:
        stage = emulator.call("CreateStage", {"name": "bench-load"})["stage"]
        alice = emulator.token(stage["arn"])
        pc = await publish(http, emulator.entry, alice["token"])
        await asyncio.sleep(3)  # warm up: connected, published, encoders running
        before = emulator.cpu()
        await asyncio.sleep(window)
        alone = (emulator.cpu() - before) / window
        report(f"server CPU with the publisher alone: {alone:.3f} cores")
        subscribers = [Subscriber() for _ in range(3)]
        url = f"{stage['endpoints']['whip']}/subscribe/{alice['participantId']}"
        for subscriber in subscribers:
            await subscriber.start(http, url, emulator.token(stage["arn"])["token"])
        await asyncio.wait_for(asyncio.gather(*(s.first_frame.wait() for s in subscribers)), 20)
        await asyncio.sleep(3)
        before = emulator.cpu()
        await asyncio.sleep(window)
        with_three = (emulator.cpu() - before) / window
        report(f"server CPU with three subscribers: {with_three:.3f} cores")
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            samples.append((round(elapsed), round(emulator.rss_mib(), 1)))
            report(
                f"t={elapsed:5.0f} s  server RSS {samples[-1][1]:.1f} MiB  "
                f"frames per subscriber {[s.video_frames for s in subscribers]}"
            )
            if elapsed >= soak:
                break
            await asyncio.sleep(min(sample, soak - elapsed))
        frames = [s.video_frames for s in subscribers]
        for subscriber in subscribers:
            await subscriber.pc.close()
        await pc.close()
    return {
        "cpuPublisherAloneCores": round(alone, 3),
        "cpuWithThreeSubscribersCores": round(with_three, 3),
        "cpuPerRelayedStreamCores": round((with_three - alone) / 3, 3),
        "rssMiB": samples,
        "framesPerSubscriber": frames,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dataplane", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="latency measurements of each")
    parser.add_argument("--window", type=float, default=20.0, help="seconds per CPU window")
    parser.add_argument("--soak", type=float, default=600.0, help="seconds of the memory soak")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--log", type=Path, default=Path("/tmp/ivs-bench-dataplane.log"))
    args = parser.parse_args(argv)
    if not loopback_only():
        print(
            "run inside a network namespace whose only interface is loopback: "
            "make bench-media (unshare --net, as root)",
            file=sys.stderr,
        )
        return 2

    def report(line: str) -> None:
        print(line, flush=True)

    emulator = Emulator(args.log)
    try:
        timing = asyncio.run(latencies(emulator, args.rounds))
        for name, values in timing.items():
            report(
                f"{name}: median {statistics.median(values):.0f}, worst {max(values):.0f} "
                f"({', '.join(f'{v:.0f}' for v in values)})"
            )
        figures = asyncio.run(load(emulator, args.window, args.soak, args.sample, report))
    finally:
        stop(emulator.process)
    rss = [mib for _, mib in figures["rssMiB"]]
    report(
        f"CPU per relayed stream: {figures['cpuPerRelayedStreamCores']:.3f} cores; "
        f"RSS first {rss[0]:.1f} MiB, last {rss[-1]:.1f} MiB, max {max(rss):.1f} MiB"
    )
    print(json.dumps({**timing, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
