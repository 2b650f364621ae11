"""Clients of the data plane, as AWS's public aiortc samples and the web SDK use it.

- `EventsSocket`: the events WebSocket with the token as the subprotocol; keeps every message.
- `post_offer`: POST an SDP offer with `Authorization: Bearer`, following a 307 by hand and
  keeping the header (as the samples do with the global WHIP entry).
- `publisher` / `subscriber`: aiortc peer connections shaped like the samples' (audio and video
  sendrecv to publish, recvonly to subscribe), gathering on 127.0.0.1 (emulator.dataplane.ice),
  with a small video track so that encoding costs little.
- `without_candidates`: an offer as the web SDK sends it, with no ICE candidate.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import jwt
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from emulator.dataplane.ice import gathering_on

T = TypeVar("T")

LOOPBACK = ["127.0.0.1"]


def run(scenario: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """Run an async test scenario to its end, failing it after `timeout` seconds."""
    return asyncio.run(asyncio.wait_for(scenario, timeout))


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


async def eventually(check: Callable[[], Any], timeout: float = 20, what: str = "") -> Any:
    """Wait until `check()` is truthy and return it; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


# -- the events WebSocket ------------------------------------------------------------------------


@dataclass
class EventsSocket:
    """A member's events WebSocket; `messages` holds every message received, in order."""

    socket: aiohttp.ClientWebSocketResponse
    messages: list[dict[str, Any]] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None
    _cursor: int = 0

    @classmethod
    async def open(cls, session: aiohttp.ClientSession, url: str, token: str) -> EventsSocket:
        socket = await session.ws_connect(url, protocols=[token])
        member = cls(socket)
        member._reader = asyncio.ensure_future(member._read())
        return member

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(message.data))
        self.closed.set()

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send_str(json.dumps(message))

    async def next(
        self,
        kind: str,
        where: Callable[[dict[str, Any]], bool] = lambda m: True,
        timeout: float = 20,
    ) -> dict[str, Any]:
        """The first message of type `kind`, after the one `next` last returned, for which
        `where` holds (waiting for it up to `timeout` seconds)."""

        def found() -> int | None:
            return next(
                (
                    i + 1
                    for i, m in enumerate(self.messages[self._cursor :], start=self._cursor)
                    if m["type"] == kind and where(m)
                ),
                None,
            )

        self._cursor = await eventually(found, timeout, f"a {kind} message")
        return dict(self.messages[self._cursor - 1])

    async def state_where(
        self, check: Callable[[dict[str, Any]], bool], timeout: float = 20
    ) -> dict[str, Any]:
        """The payload of the first STAGE_STATE whose payload satisfies `check`."""
        message = await self.next("STAGE_STATE", lambda m: check(m["payload"]), timeout)
        return dict(message["payload"])

    def states(self) -> list[dict[str, Any]]:
        return [m["payload"] for m in self.messages if m["type"] == "STAGE_STATE"]

    async def close(self) -> None:
        await self.socket.close()
        if self._reader is not None:
            await self._reader


def participant(payload: dict[str, Any], participant_id: str) -> dict[str, Any] | None:
    """The entry of `participant_id` in a STAGE_STATE payload, if there."""
    return next((p for p in payload["participants"] if p["id"] == participant_id), None)


# -- WHIP ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    headers: dict[str, str]
    redirects: list[str]

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.text))


async def post_offer(
    session: aiohttp.ClientSession,
    url: str,
    token: str | None,
    sdp: str,
    *,
    content_type: str = "application/sdp",
    extra_headers: dict[str, str] | None = None,
) -> Reply:
    """POST an offer; a 307 is followed by hand, keeping the Authorization header."""
    headers = {"Content-Type": content_type, **(extra_headers or {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    redirects: list[str] = []
    for _ in range(5):
        async with session.post(url, data=sdp, headers=headers, allow_redirects=False) as r:
            if r.status == 307:
                url = r.headers["Location"]
                redirects.append(url)
                continue
            return Reply(r.status, await r.text(), dict(r.headers), redirects)
    raise AssertionError(f"too many redirects: {redirects}")


class SmallVideo(VideoStreamTrack):
    """A 160x120 grey picture at 30 frames a second: cheap to encode."""

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=160, height=120)
        for plane in frame.planes:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


def new_peer_connection() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def offer(pc: RTCPeerConnection) -> str:
    """The peer connection's offer, its candidates gathered on loopback."""
    with gathering_on(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    return str(pc.localDescription.sdp)


async def publisher(
    video_only: bool = False, video_codec: str | None = None, audio_direction: str = "sendrecv"
) -> RTCPeerConnection:
    """A publishing peer connection shaped like the samples' (audio and video sendrecv); the
    web SDK's offers audio sendonly, and H.264 (`video_codec="video/H264"`)."""
    pc = new_peer_connection()
    if not video_only:
        pc.addTransceiver(AudioStreamTrack(), direction=audio_direction)
    video = pc.addTransceiver(SmallVideo(), direction="sendrecv")
    if video_codec is not None:
        capabilities = RTCRtpSender.getCapabilities("video")
        video.setCodecPreferences([c for c in capabilities.codecs if c.mimeType == video_codec])
    return pc


@dataclass
class Received:
    """What a subscribing peer connection received, per kind."""

    frames: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})
    first_video_at: float | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def subscriber() -> tuple[RTCPeerConnection, Received]:
    """A subscribing peer connection (audio and video recvonly) that counts what it gets."""
    pc = new_peer_connection()
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    received = Received()

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        received.tasks.append(asyncio.ensure_future(_count(track, received)))

    return pc, received


async def _count(track: MediaStreamTrack, received: Received) -> None:
    try:
        while True:
            await track.recv()
            received.frames[track.kind] += 1
            if track.kind == "video" and received.first_video_at is None:
                received.first_video_at = time.monotonic()
    except MediaStreamError:
        return


async def answer(pc: RTCPeerConnection, reply: Reply) -> None:
    assert reply.status == 201, f"expected 201, got {reply.status}: {reply.text}"
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply.text, type="answer"))


async def connected(pc: RTCPeerConnection, timeout: float = 20) -> None:
    await eventually(lambda: pc.connectionState == "connected", timeout, "a connection")


def without_candidates(sdp: str) -> str:
    """The offer as the web SDK sends it: no ICE candidate, no end-of-candidates."""
    return "".join(
        line
        for line in sdp.splitlines(keepends=True)
        if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    )


async def close_all(*things: RTCPeerConnection | EventsSocket | Awaitable[Any]) -> None:
    for thing in things:
        if isinstance(thing, RTCPeerConnection | EventsSocket):
            await thing.close()
        else:
            await thing
