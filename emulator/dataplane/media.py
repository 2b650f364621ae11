"""Peer connections with aiortc: one per publish, one per subscription; media relayed, counted.

A PublisherMedia receives a participant's tracks. Each track goes through a counter into a
MediaRelay, and a drain (a consumer that only counts, as a MediaBlackhole would) reads from the
relay at once, so the tracks are consumed even with no subscriber: unread, aiortc's receive
queues grow without end. A SubscriberMedia sends a publisher's relayed tracks to one client.
Media is never stored.

Both answer an SDP offer (`negotiate`) with every ICE candidate in the answer, gathered on the
data plane's addresses (ice.py), no STUN or TURN server (`iceServers=[]`). A client whose offer
carries no candidates is learnt from its connectivity checks (a peer-reflexive candidate): an
`a=end-of-candidates` with no candidate before it is dropped, so that aioice waits for them.
A peer connection that has not connected within `connect_timeout` seconds, or that fails or
closes, ends; the owner hears of every end, with its reason, through `on_end`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamError

from .ice import gathering_on

log = logging.getLogger("emulator.dataplane.media")

CONNECT_TIMEOUT_SECONDS = 15.0
"""How long a peer connection may take to connect before it is closed (C59)."""

MEDIA_KINDS = ("audio", "video")


class OfferRefused(Exception):
    """An SDP offer the data plane cannot answer: `code` for the JSON body (status 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_offer(sdp: str) -> str:
    """The offer to hand to aiortc, or OfferRefused: it must be an SDP session with at least
    one audio or video section. A candidate-less offer loses its end-of-candidates (module)."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "v=0":
        raise OfferRefused("INVALID_SDP", "the body is not an SDP offer (it must start with v=0)")
    if not any(line.startswith(("m=audio ", "m=video ")) for line in lines):
        raise OfferRefused("INVALID_SDP", "the SDP offer has no audio or video section")
    if not any(line.startswith("a=candidate:") for line in lines):
        lines = [line for line in lines if line.strip() != "a=end-of-candidates"]
    return "\r\n".join(line for line in lines if line) + "\r\n"


@dataclass
class TrackCounts:
    """What went through one track: frames counted here, packets and bytes from aiortc."""

    kind: str
    frames: int = 0
    packets: int = 0
    bytes: int | None = None
    first_frame_at: float | None = None

    def view(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "frames": self.frames,
            "packets": self.packets,
            "bytes": self.bytes,
        }


class CountingTrack(MediaStreamTrack):
    """A track that passes its source's frames on and counts them."""

    def __init__(
        self,
        source: MediaStreamTrack,
        counts: TrackCounts,
        on_first: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source
        self._counts = counts
        self._on_first = on_first

    async def recv(self) -> Any:
        frame = await self._source.recv()
        self._counts.frames += 1
        if self._counts.first_frame_at is None:
            self._counts.first_frame_at = time.monotonic()
            if self._on_first is not None:
                self._on_first()
        return frame

    def stop(self) -> None:
        super().stop()
        self._source.stop()


EndCallback = Callable[["MediaSession", str], Awaitable[None]]


class MediaSession:
    """One peer connection of one participant (see the module docstring)."""

    role = "media"

    def __init__(
        self,
        participant_id: str,
        stage_arn: str,
        *,
        ice_addresses: Sequence[str],
        connect_timeout: float,
        on_end: EndCallback,
    ) -> None:
        self.participant_id = participant_id
        self.stage_arn = stage_arn
        self.resource_id = secrets.token_urlsafe(18)
        self.tracks: dict[str, TrackCounts] = {}
        self.created_at = time.monotonic()
        self.connected_at: float | None = None
        self.end_reason: str | None = None
        self._ice_addresses = ice_addresses
        self._connect_timeout = connect_timeout
        self._on_end = on_end
        self._timeout: asyncio.Task[None] | None = None
        self._closing = False
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.on("connectionstatechange", self._state_changed)

    @property
    def closed(self) -> bool:
        return self._closing

    async def negotiate(self, offer: str) -> str:
        """Answer the offer (already passed through check_offer); OfferRefused when aiortc
        cannot use it."""
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        except OperationError as error:
            raise OfferRefused(
                "NO_USABLE_CODEC", f"no usable codec in the offer: {error}"
            ) from None
        except (
            ValueError,
            KeyError,
            IndexError,
            TypeError,
            InvalidStateError,
            InvalidAccessError,
        ) as error:
            raise OfferRefused("INVALID_SDP", f"the SDP offer cannot be used: {error}") from None
        self.prepare_answer()
        answer = await self.pc.createAnswer()
        with gathering_on(self._ice_addresses):
            await self.pc.setLocalDescription(answer)
        self._timeout = asyncio.ensure_future(self._expire())
        return str(self.pc.localDescription.sdp)

    def prepare_answer(self) -> None:
        """Called between the offer and the answer: add what this session sends."""

    async def close(self, reason: str) -> None:
        """End the peer connection (once); the owner hears of it with `reason`."""
        if self._closing:
            return
        self._closing = True
        self.end_reason = reason
        if self._timeout is not None and self._timeout is not asyncio.current_task():
            self._timeout.cancel()
        self.release()
        try:
            await self.pc.close()
        except Exception:  # a peer connection that fails to close is closed for us anyway
            log.exception("closing a peer connection of %s failed", self.participant_id)
        await self._on_end(self, reason)

    def release(self) -> None:
        """Stop what this session reads from (its relay proxies)."""

    async def report(self) -> dict[str, Any]:
        """What went through this peer connection, for /_emulator/state."""
        await self.update_counts()
        return {
            "role": self.role,
            "participantId": self.participant_id,
            "stageArn": self.stage_arn,
            "resourceId": self.resource_id,
            "connectionState": self.pc.connectionState,
            "connectedAfterMs": (
                None
                if self.connected_at is None
                else round((self.connected_at - self.created_at) * 1000)
            ),
            "tracks": [counts.view() for counts in self.tracks.values()],
        }

    async def update_counts(self) -> None:
        """Refresh the packets and bytes of each track from aiortc's statistics."""

    def _state_changed(self) -> None:
        state = self.pc.connectionState
        if state == "connected" and self.connected_at is None:
            self.connected_at = time.monotonic()
        elif state in ("failed", "closed") and not self._closing:
            asyncio.ensure_future(self.close(f"the peer connection {state}"))

    async def _expire(self) -> None:
        await asyncio.sleep(self._connect_timeout)
        if self.pc.connectionState != "connected" and not self._closing:
            await self.close(
                f"media timeout: the peer connection did not connect within "
                f"{self._connect_timeout:g} s"
            )


class PublisherMedia(MediaSession):
    """Receives a participant's audio and video and relays them (see the module docstring).

    `on_flowing` is called once, when the first frame of any track has arrived.
    """

    role = "publish"

    def __init__(
        self,
        participant_id: str,
        stage_arn: str,
        *,
        ice_addresses: Sequence[str],
        connect_timeout: float,
        on_end: EndCallback,
        on_flowing: Callable[[PublisherMedia], None],
    ) -> None:
        super().__init__(
            participant_id,
            stage_arn,
            ice_addresses=ice_addresses,
            connect_timeout=connect_timeout,
            on_end=on_end,
        )
        self.relay = MediaRelay()
        self.sources: dict[str, MediaStreamTrack] = {}
        """Per kind, the counted track the relay reads; subscribers subscribe to it."""
        self.flowing = False
        self._on_flowing = on_flowing
        self._receivers: dict[str, Any] = {}
        self._drains: list[asyncio.Task[None]] = []
        self._proxies: list[MediaStreamTrack] = []
        self.pc.on("track", self._track)

    def _track(self, track: MediaStreamTrack) -> None:
        if track.kind not in MEDIA_KINDS or track.kind in self.sources:
            return
        counts = self.tracks[track.kind] = TrackCounts(track.kind)
        source = CountingTrack(track, counts, self._first_frame)
        self.sources[track.kind] = source
        for transceiver in self.pc.getTransceivers():
            if transceiver.receiver.track is track:
                self._receivers[track.kind] = transceiver.receiver
        drain = self.relay.subscribe(source, buffered=False)
        self._proxies.append(drain)
        self._drains.append(asyncio.ensure_future(_drain(drain)))

    def subscribe(self, kind: str) -> MediaStreamTrack:
        """A new consumer's proxy of this publisher's `kind` track."""
        proxy = self.relay.subscribe(self.sources[kind], buffered=False)
        self._proxies.append(proxy)
        return proxy

    def _first_frame(self) -> None:
        if not self.flowing and not self._closing:
            self.flowing = True
            self._on_flowing(self)

    def release(self) -> None:
        for task in self._drains:
            task.cancel()
        for proxy in self._proxies:
            proxy.stop()

    async def update_counts(self) -> None:
        for kind, receiver in self._receivers.items():
            try:
                stats = await receiver.getStats()
            except Exception:  # a receiver being torn down has none
                continue
            for entry in stats.values():
                if getattr(entry, "type", None) == "inbound-rtp":
                    self.tracks[kind].packets = int(entry.packetsReceived)
                elif getattr(entry, "type", None) == "transport":
                    # aiortc counts bytes per transport, not per track: the one bundled
                    # transport's bytes are shown on each of its tracks (choice C59).
                    self.tracks[kind].bytes = int(entry.bytesReceived)


class SubscriberMedia(MediaSession):
    """Sends one publisher's relayed tracks to a subscribing participant."""

    role = "subscribe"

    def __init__(
        self,
        participant_id: str,
        stage_arn: str,
        publisher: PublisherMedia,
        *,
        ice_addresses: Sequence[str],
        connect_timeout: float,
        on_end: EndCallback,
    ) -> None:
        super().__init__(
            participant_id,
            stage_arn,
            ice_addresses=ice_addresses,
            connect_timeout=connect_timeout,
            on_end=on_end,
        )
        self.publisher = publisher
        self._senders: dict[str, Any] = {}
        self._tracks: list[MediaStreamTrack] = []

    @property
    def publisher_id(self) -> str:
        return self.publisher.participant_id

    def prepare_answer(self) -> None:
        for kind in MEDIA_KINDS:
            if kind not in self.publisher.sources:
                continue
            counts = self.tracks[kind] = TrackCounts(kind)
            track = CountingTrack(self.publisher.subscribe(kind), counts)
            self._tracks.append(track)
            self._senders[kind] = self.pc.addTrack(track)

    def release(self) -> None:
        for track in self._tracks:
            track.stop()

    async def update_counts(self) -> None:
        for kind, sender in self._senders.items():
            try:
                stats = await sender.getStats()
            except Exception:
                continue
            for entry in stats.values():
                if getattr(entry, "type", None) == "outbound-rtp":
                    self.tracks[kind].packets = int(entry.packetsSent)
                    self.tracks[kind].bytes = int(entry.bytesSent)

    async def report(self) -> dict[str, Any]:
        return {**await super().report(), "publisherId": self.publisher_id}


async def _drain(track: MediaStreamTrack) -> None:
    """Read a relayed track until it ends, as a MediaBlackhole does."""
    try:
        while True:
            await track.recv()
    except MediaStreamError:
        return
