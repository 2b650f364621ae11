"""The members of each stage on the data plane, what they tell each other, and their end.

A member is a participant connected through the data plane: by the events WebSocket, by a WHIP
publish or subscribe, or both, with one token. It joins, publishes, subscribes and leaves
through the same service functions as the `/_emulator/stage/*` client
(service/stage_actions.py), so sessions, participant events and the control plane see it
like any other participant (choice C58):

- the first of its socket, publish or subscribe joins it; a second join with the same
  participant id by a socket, or by another token, takes over: the old member gets
  aws:ivs:DISCONNECT TOKEN_REUSED;
- its socket closing is its leave, and ends its peer connections; a member without a socket
  leaves when its last peer connection ends;
- it publishes (PUBLISH_STARTED) when its first frame arrives, unpublishes when its publishing
  peer connection ends; it subscribes when its subscribing peer connection is set up.

Rooms observes the backend's commits (service/transactions.py), and looks at every member
every SWEEP_SECONDS besides: after any write in a region it checks that each member there is
still connected as it joined, and tells one that is not why
(aws:ivs:DISCONNECT: DisconnectParticipant, RevokeConnectionToken, DeleteStage, another join);
then every stage whose view changed sends STAGE_STATE, with the next sequence number, to each
of its members. All of this runs on the data plane's event loop, one change at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..contract import arns
from ..service import live_sessions as live
from ..service import stage_actions
from ..service.admission import AdmittedToken, Problem, Refusal, admit
from ..service.context import Backend
from ..service.stage_actions import JOIN_CHECKS, ClientDenied, DenialKind
from ..service.transactions import Commit
from . import messages
from .media import MediaSession, PublisherMedia, SubscriberMedia
from .messages import Denial, DisconnectCode

log = logging.getLogger("emulator.dataplane")

ENDED_KEPT = 200
"""How many ended peer connections /_emulator/state remembers, with their reasons."""
SWEEP_SECONDS = 2.0
"""How often every member is looked at even when no commit came (an import replaces the
state without one)."""


class Socket(Protocol):
    """What Rooms needs of a member's WebSocket (aiohttp's WebSocketResponse)."""

    async def send_str(self, data: str) -> None: ...

    async def close(self) -> bool: ...


@dataclass(eq=False)
class Member:
    """A participant connected through the data plane (see the module docstring)."""

    account: str
    region: str
    stage_arn: str
    participant_id: str
    token: str
    token_digest: str
    """The digest the store keeps of the token it joined with (ParticipantRecord)."""
    socket: Socket | None = None
    publisher: PublisherMedia | None = None
    subscriptions: dict[str, SubscriberMedia] = field(default_factory=dict)
    audio_muted: bool = False
    video_stopped: bool = False
    delivered: int = 0
    """The sequence number of the last STAGE_STATE sent to its socket (0: none yet)."""
    ended: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.stage_arn, self.participant_id

    @property
    def sessions(self) -> list[MediaSession]:
        found: list[MediaSession] = [] if self.publisher is None else [self.publisher]
        return found + list(self.subscriptions.values())


@dataclass
class _Room:
    sequence: int = 0
    view: Any = None


class Rooms:
    """Every member of every stage on this data plane (see the module docstring)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.members: dict[tuple[str, str], Member] = {}
        self.ended_sessions: deque[dict[str, Any]] = deque(maxlen=ENDED_KEPT)
        self._rooms: dict[str, _Room] = {}
        self._dirty: set[tuple[str, str] | None] = set()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: asyncio.Task[None] | None = None

    # -- observing the store -----------------------------------------------------------------

    def start(self) -> None:
        """Start observing the backend's commits; called on the data plane's event loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._worker = asyncio.ensure_future(self._work())
        self.backend.observers.append(self._observed)

    async def stop(self) -> None:
        """Stop observing; every member leaves, its socket and peer connections closed."""
        with contextlib.suppress(ValueError):
            self.backend.observers.remove(self._observed)
        for member in list(self.members.values()):
            await self.end(member, leave=True)
        if self._worker is not None:
            self._worker.cancel()

    async def reset(self) -> None:
        """The emulator was reset: its stages are gone, so every member is told so and ends."""
        for member in list(self.members.values()):
            await self.end(
                member,
                disconnect=(DisconnectCode.STAGE_DELETED, "the emulator was reset"),
                leave=False,
            )

    def _observed(self, commit: Commit) -> None:
        """A write's commit, in whichever thread made it and under its region's lock: only
        hand over to the event loop (service/transactions.py)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed in between
            loop.call_soon_threadsafe(self.touch, (commit.account, commit.region))

    def touch(self, region: tuple[str, str] | None) -> None:
        """Look again at the members of `region` (None: of every region) soon."""
        self._dirty.add(region)
        if self._wake is not None:
            self._wake.set()

    async def _work(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)
            except TimeoutError:  # what no commit tells (an imported state): look at all
                self._dirty.add(None)
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            try:
                await self._reconcile(dirty)
            except Exception:
                log.exception("the data plane could not bring its members up to date")

    async def _reconcile(self, dirty: set[tuple[str, str] | None]) -> None:
        def concerned(member: Member) -> bool:
            return None in dirty or (member.account, member.region) in dirty

        for member in [m for m in self.members.values() if concerned(m)]:
            verdict = self._standing(member)
            if verdict is not None:
                await self.end(member, disconnect=verdict, leave=False)
        stages = {m.stage_arn: m for m in self.members.values() if concerned(m)}
        for member in stages.values():
            await self._broadcast(member)
        for arn in [arn for arn in self._rooms if not any(k[0] == arn for k in self.members)]:
            del self._rooms[arn]

    def _standing(self, member: Member) -> tuple[DisconnectCode, str] | None:
        """None while the member is connected as it joined; else why it is not (C57)."""
        state = self.backend.store.region(member.account, member.region)
        with state.lock:
            stage = state.stages.get(member.stage_arn)
            if stage is None:
                return DisconnectCode.STAGE_DELETED, f"stage {member.stage_arn} was deleted"
            found = live.connected_participant(stage, member.participant_id)
            if found is not None and found[1].token_digest == member.token_digest:
                return None
            if found is not None:
                return (
                    DisconnectCode.TOKEN_REUSED,
                    f"participant {member.participant_id} joined again elsewhere",
                )
            removed = stage.disconnected_participants.get(member.participant_id)
            if removed is not None:
                return (
                    DisconnectCode.PARTICIPANT_DISCONNECTED,
                    removed or "disconnected by DisconnectParticipant",
                )
            if member.participant_id in state.revoked_tokens:
                return (
                    DisconnectCode.PARTICIPANT_DISCONNECTED,
                    "the token was revoked by RevokeConnectionToken",
                )
            return DisconnectCode.PARTICIPANT_DISCONNECTED, "the participant left the stage"

    # -- STAGE_STATE -----------------------------------------------------------------------------

    def _view(self, member: Member) -> tuple[list[dict[str, Any]], list[str]] | None:
        """Who is on the member's stage now (participants, and ids removed for good)."""
        state = self.backend.store.region(member.account, member.region)
        with state.lock:
            stage = state.stages.get(member.stage_arn)
            session = None if stage is None else live.active_session(stage)
            if stage is None or session is None:
                return None
            connected = sorted(
                (p for p in session.participants.values() if p.state == live.CONNECTED),
                key=lambda p: p.sequence,
            )
            participants = []
            for p in connected:
                mine = self.members.get((stage.arn, p.participant_id))
                participants.append(
                    {
                        "id": p.participant_id,
                        "userId": p.user_id or "",
                        "attributes": dict(p.attributes or {}),
                        "isPublishing": p.publishing,
                        "audioMuted": mine.audio_muted if mine else False,
                        "videoStopped": mine.video_stopped if mine else False,
                    }
                )
            kicked = [pid for pid in session.participants if pid in stage.disconnected_participants]
            return participants, kicked

    async def _broadcast(self, member: Member) -> None:
        """STAGE_STATE to the stage's members: to all when the view changed (next sequence
        number), else to those that have not had one yet."""
        view = self._view(member)
        if view is None:
            return
        room = self._rooms.setdefault(member.stage_arn, _Room())
        changed = view != room.view
        if changed:
            room.sequence += 1
            room.view = view
        message = messages.encode(messages.stage_state(room.sequence, *view))
        for other in [m for m in self.members.values() if m.stage_arn == member.stage_arn]:
            if other.socket is None or (not changed and other.delivered == room.sequence):
                continue
            other.delivered = room.sequence
            await _send(other.socket, message)

    # -- joining and leaving -------------------------------------------------------------------

    def admit(self, token: str) -> AdmittedToken | Denial:
        """The one admission check, with the checks a join adds (C29, C30)."""
        verdict = admit(self.backend, token, JOIN_CHECKS)
        if isinstance(verdict, Refusal):
            return messages.token_denial(verdict.problem.value, verdict.reason)
        return verdict

    def member(self, admitted: AdmittedToken) -> Member | None:
        return self.members.get((admitted.stage.arn, admitted.participant_id))

    async def join(
        self, token: str, admitted: AdmittedToken, *, by_socket: bool
    ) -> Member | Denial:
        """The member for this token, joining it (or taking over from another) if needed."""
        existing = self.member(admitted)
        attaches = existing is not None and existing.token == token
        if attaches and existing is not None and (not by_socket or existing.socket is None):
            return existing
        if existing is not None:
            await self.end(
                existing,
                disconnect=(
                    DisconnectCode.TOKEN_REUSED,
                    f"participant {admitted.participant_id} joined again from another connection",
                ),
                leave=False,
            )
        try:
            stage_actions.join(self.backend, token, take_over=True)
        except ClientDenied as denied:
            return _denial(denied)
        state = self.backend.store.region(*_scope(admitted))
        with state.lock:
            stage = state.stages.get(admitted.stage.arn)
            found = (
                None
                if stage is None
                else live.connected_participant(stage, admitted.participant_id)
            )
            digest = "" if found is None else found[1].token_digest
        member = Member(
            *_scope(admitted),
            stage_arn=admitted.stage.arn,
            participant_id=admitted.participant_id,
            token=token,
            token_digest=digest,
        )
        self.members[member.key] = member
        return member

    async def end(
        self,
        member: Member,
        *,
        disconnect: tuple[DisconnectCode, str] | None = None,
        leave: bool = True,
    ) -> None:
        """The member is gone: its peer connections close, it leaves the stage (unless the
        store has it gone already), and its socket hears why before closing."""
        if member.ended:
            return
        member.ended = True
        if self.members.get(member.key) is member:
            del self.members[member.key]
        reason = "the participant left" if disconnect is None else disconnect[1]
        for session in member.sessions:
            await session.close(reason)
        if leave:
            _quietly(stage_actions.leave, self.backend, member.token)
        socket, member.socket = member.socket, None
        if socket is not None:
            if disconnect is not None:
                await _send(socket, messages.encode(messages.disconnect(*disconnect)))
            await socket.close()
        self.touch((member.account, member.region))

    async def socket_closed(self, member: Member, socket: Socket) -> None:
        """The member's socket closed: that is its leave (C58)."""
        if member.socket is socket and not member.ended:
            member.socket = None
            await self.end(member, leave=True)

    async def release_if_idle(self, member: Member) -> None:
        """A member without a socket leaves once it has no peer connection left."""
        if not member.ended and member.socket is None and not member.sessions:
            await self.end(member, leave=True)

    def set_state(self, member: Member, audio_muted: bool, video_stopped: bool) -> None:
        """SET_STATE: the member's mute flags, shown to the others in STAGE_STATE."""
        member.audio_muted, member.video_stopped = audio_muted, video_stopped
        self.touch((member.account, member.region))

    # -- media ---------------------------------------------------------------------------------

    def publisher_media(self, stage_arn: str, participant_id: str) -> PublisherMedia | None:
        """The media a participant publishes on this data plane, once it flows."""
        member = self.members.get((stage_arn, participant_id))
        publisher = None if member is None else member.publisher
        if publisher is None or publisher.closed or not publisher.flowing:
            return None
        return publisher

    def flowing(self, member: Member, session: PublisherMedia) -> None:
        """The publisher's first frame arrived: it publishes (PUBLISH_STARTED)."""
        if member.ended or member.publisher is not session:
            return
        _quietly(stage_actions.publish, self.backend, member.token)

    async def session_ended(self, member: Member, session: MediaSession, reason: str) -> None:
        """A peer connection ended: unpublish or unsubscribe, and close the subscriptions to
        an ended publisher; a member without a socket may leave now."""
        self.ended_sessions.append({**await session.report(), "endReason": reason})
        if isinstance(session, PublisherMedia):
            if member.publisher is session:
                member.publisher = None
            successor = member.publisher
            if (
                not member.ended
                and session.flowing
                and (successor is None or not successor.flowing)
            ):
                _quietly(stage_actions.unpublish, self.backend, member.token)
            for other in list(self.members.values()):
                subscription = other.subscriptions.get(member.participant_id)
                if subscription is not None and subscription.publisher is session:
                    await subscription.close(f"publisher {member.participant_id} stopped")
        elif (
            isinstance(session, SubscriberMedia)
            and member.subscriptions.get(session.publisher_id) is session
        ):
            del member.subscriptions[session.publisher_id]
            if not member.ended:
                _quietly(
                    stage_actions.unsubscribe,
                    self.backend,
                    member.token,
                    session.publisher_id,
                )
        await self.release_if_idle(member)

    async def report(self) -> dict[str, Any]:
        """Every live peer connection and the last ended ones, for /_emulator/state."""
        live_sessions = [
            await session.report() for m in self.members.values() for session in m.sessions
        ]
        return {
            "members": [
                {
                    "stageArn": m.stage_arn,
                    "participantId": m.participant_id,
                    "socket": m.socket is not None,
                    "audioMuted": m.audio_muted,
                    "videoStopped": m.video_stopped,
                }
                for m in self.members.values()
            ],
            "peerConnections": live_sessions,
            "endedPeerConnections": list(self.ended_sessions),
        }


def _scope(admitted: AdmittedToken) -> tuple[str, str]:
    """The (account, region) of the admitted token's stage."""
    parsed = arns.parse(admitted.stage.arn)
    assert parsed is not None  # a stored stage's ARN
    return parsed.account, parsed.region


def _denial(denied: ClientDenied) -> Denial:
    """A stage action's refusal as the data plane tells it."""
    if denied.kind is DenialKind.REFUSED and denied.error in {p.value for p in Problem}:
        return messages.token_denial(denied.error, denied.reason)
    status = {
        DenialKind.INVALID: 400,
        DenialKind.REFUSED: 403,
        DenialKind.NOT_FOUND: 404,
        DenialKind.CONFLICT: 409,
    }[denied.kind]
    return Denial(denied.error.upper(), denied.reason, status)


def _quietly(action: Any, *args: Any) -> None:
    """A stage action whose refusal only means there is nothing to do (already left, ...);
    any other failure (a write that could not be saved) is logged, and the data plane goes on."""
    try:
        action(*args)
    except ClientDenied as denied:
        log.debug("%s: %s", getattr(action, "__name__", action), denied.reason)
    except Exception:
        log.exception("the data plane's %s failed", getattr(action, "__name__", action))


async def _send(socket: Socket, text: str) -> None:
    try:
        await socket.send_str(text)
    except (ConnectionError, RuntimeError) as error:  # closing or closed under our feet
        log.debug("could not send to a member's socket: %s", error)
