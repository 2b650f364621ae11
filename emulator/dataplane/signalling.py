"""The events WebSocket: a member's socket to its stage (choice C57).

`GET {events_url}?error_over_ws=1&topic={stageId}/publishers&...` (the web SDK) or
`GET {events_url}/{topic}` (AWS's aiortc samples), with the participant token as the WebSocket
subprotocol, which the answer echoes (a browser fails the handshake otherwise). The token is
judged by the one admission check; the socket's member joins (rooms.py) and its first
STAGE_STATE completes the join. Then, as JSON text messages: the client's `PING` is answered
`PONG`; `SET_STATE {audioMuted, videoStopped}` changes what the others see; anything else is
ignored. Closing the socket is the member's leave.

A refused token: with `error_over_ws=1` the socket opens, gets `aws:ivs:JOIN_ERROR` and closes;
without it, the upgrade is answered with the refusal's HTTP status and `{"code", "message"}`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from .messages import PONG, Denial, encode, join_error
from .rooms import Member, Rooms
from .urls import EVENTS_PATH

log = logging.getLogger("emulator.dataplane.events")

HEARTBEAT_SECONDS = 30.0
"""WebSocket pings from the server, so that a vanished client is noticed (and leaves)."""
MAX_MESSAGE_BYTES = 64 * 1024


class Events:
    """The events WebSocket of one data plane."""

    def __init__(self, rooms: Rooms) -> None:
        self.rooms = rooms

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(EVENTS_PATH, self.events),
            web.get(EVENTS_PATH + "/{topic:.*}", self.events),
        ]

    async def events(self, request: web.Request) -> web.StreamResponse:
        offered = [
            p.strip()
            for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
            if p.strip()
        ]
        over_ws = request.query.get("error_over_ws") == "1"
        log.debug("events socket at %s, query %s", request.path, sorted(request.query))
        token = offered[0] if offered else None
        socket = web.WebSocketResponse(
            protocols=[token] if token else (),
            heartbeat=HEARTBEAT_SECONDS,
            max_msg_size=MAX_MESSAGE_BYTES,
        )
        if not socket.can_prepare(request).ok:
            return _refusal(Denial("BAD_REQUEST", "expected a WebSocket upgrade", 400))
        member_or_denial = await self._join(request, token)
        if isinstance(member_or_denial, Denial):
            if not over_ws:
                return _refusal(member_or_denial)
            await socket.prepare(request)
            await socket.send_str(encode(join_error(member_or_denial)))
            await socket.close()
            return socket
        member = member_or_denial
        try:
            await socket.prepare(request)
            if member.ended:  # taken over or removed while the socket opened
                await socket.close()
                return socket
            member.socket = socket
            self.rooms.touch((member.account, member.region))
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    await self._message(member, socket, message.data)
        finally:
            await self.rooms.socket_closed(member, socket)
        return socket

    async def _join(self, request: web.Request, token: str | None) -> Member | Denial:
        if token is None:
            return Denial(
                "TOKEN_INVALID",
                "the participant token must be sent as the WebSocket subprotocol",
                401,
            )
        verdict = self.rooms.admit(token)
        if isinstance(verdict, Denial):
            return verdict
        topic = request.match_info.get("topic") or request.query.get("topic") or ""
        stage_id = verdict.stage.stage_id
        if topic and topic != stage_id and not topic.startswith(stage_id + "/"):
            return Denial(
                "TOKEN_INVALID",
                f"the topic {topic!r} is not the token's stage {stage_id}",
                401,
            )
        return await self.rooms.join(token, verdict, by_socket=True)

    async def _message(self, member: Member, socket: web.WebSocketResponse, text: str) -> None:
        try:
            message: Any = json.loads(text)
        except ValueError:
            log.debug("ignored a message that is not JSON from %s", member.participant_id)
            return
        kind = message.get("type") if isinstance(message, dict) else None
        log.debug("%s sent %r", member.participant_id, kind)
        if kind == "PING":
            await socket.send_str(encode(PONG))
        elif kind == "SET_STATE":
            audio, video = message.get("audioMuted"), message.get("videoStopped")
            self.rooms.set_state(
                member,
                audio if isinstance(audio, bool) else member.audio_muted,
                video if isinstance(video, bool) else member.video_stopped,
            )
        else:
            log.debug("ignored a %r message from %s", kind, member.participant_id)


def _refusal(denial: Denial) -> web.Response:
    return web.json_response(denial.body(), status=denial.status)
