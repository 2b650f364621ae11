"""WHIP over HTTP: publish, subscribe, the global entry, the resources clients DELETE, CORS.

- `POST {whip}/publish/{jti}` and `POST {whip}/subscribe/{publisherId}`: `Authorization:
  Bearer <token>`, `Content-Type: application/sdp`, the SDP offer as the body; success is 201
  with the SDP answer and a `Location` that a DELETE ends (choice C59); a DELETE of one that
  ended already is 200 too, as the web SDK's leave() sends it after its socket closed (C69).
- `POST /` (the data plane's root, the global WHIP entry): 307 to the token's publish URL on
  this data plane, which clients follow by hand keeping the Authorization header.
- A refusal is `{"code", "message"}` with 401 (no or bad token), 403 (a capability the token
  lacks, a participant disconnected or a token revoked, a jti that is not the path's), 404 (an
  unknown stage; a publisher with no media here), 400 (an offer that cannot be answered),
  415 (not application/sdp) (choice C57).
- CORS: any origin; the request's headers are allowed (browsers add `X-Stages-*`), and
  `Location` and `Link` exposed.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..service import stage_actions
from ..service.admission import AdmittedToken
from ..service.stage_actions import ClientDenied, DenialKind
from ..tokens import TokenError, unverified_claims
from .media import (
    CONNECT_TIMEOUT_SECONDS,
    MediaSession,
    OfferRefused,
    PublisherMedia,
    SubscriberMedia,
    check_offer,
)
from .messages import Denial
from .rooms import Member, Rooms
from .urls import WHIP_PATH, DataPlaneUrls

log = logging.getLogger("emulator.dataplane.whip")

SDP = "application/sdp"
MAX_OFFER_BYTES = 256 * 1024
ALLOWED_HEADERS = (
    "Authorization, Content-Type, If-Match, X-Stages-Platform, X-Stages-SDK, "
    "X-Stages-Request-ID, X-Stages-Session-ID, X-Stages-Trace-ID, X-Stages-WHIP-Version, "
    "X-Stages-Options, X-Stages-Initial-Layer-Pref"
)
EXPOSED_HEADERS = "Location, Link, ETag, Content-Type"
ENDED_KEPT = 1000


class Refused(Exception):
    """A WHIP request answered with a Denial."""

    def __init__(self, denial: Denial) -> None:
        super().__init__(denial.message)
        self.denial = denial


def refusal(denial: Denial) -> web.Response:
    return web.json_response(denial.body(), status=denial.status)


@dataclass
class Whip:
    """The WHIP endpoints of one data plane."""

    rooms: Rooms
    urls: DataPlaneUrls
    ice_addresses: list[str]
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        self.resources: dict[str, tuple[Member, MediaSession]] = {}
        self.ended: OrderedDict[str, None] = OrderedDict()
        """The last ENDED_KEPT resources that ended, so that their DELETE is 200 (C69)."""

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/", self.global_entry),
            web.post(WHIP_PATH + "/publish/{participant_id}", _guarded(self.publish)),
            web.post(WHIP_PATH + "/subscribe/{publisher_id}", _guarded(self.subscribe)),
            web.delete(WHIP_PATH + "/resources/{resource_id}", self.delete),
            web.patch(WHIP_PATH + "/resources/{resource_id}", self.patch),
        ]

    # -- the global entry ------------------------------------------------------------------------

    async def global_entry(self, request: web.Request) -> web.StreamResponse:
        """307 to the publish URL of the token's participant, on this data plane."""
        token = bearer(request)
        jti = None
        if token is not None:
            try:
                jti = unverified_claims(token).get("jti")
            except TokenError:
                jti = None
        if not isinstance(jti, str) or not jti:
            return refusal(
                Denial("TOKEN_INVALID", "expected Authorization: Bearer <participant token>", 401)
            )
        location = f"{self.urls.whip}/publish/{jti}"
        return web.Response(status=307, headers={"Location": location})

    # -- publish and subscribe -------------------------------------------------------------------

    async def publish(self, request: web.Request) -> web.StreamResponse:
        token, admitted = self._admitted(request)
        if admitted.participant_id != request.match_info["participant_id"]:
            raise Refused(
                Denial(
                    "PARTICIPANT_MISMATCH",
                    f"the token is participant {admitted.participant_id}'s; publish at "
                    f"{self.urls.whip}/publish/{admitted.participant_id}",
                    403,
                )
            )
        if not admitted.can_publish:
            existing = self.rooms.member(admitted)
            if existing is not None:  # records PUBLISH_ERROR INSUFFICIENT_CAPABILITIES
                self._record_refusal(stage_actions.publish, token)
            raise Refused(
                Denial(
                    "INSUFFICIENT_CAPABILITIES",
                    f"participant {admitted.participant_id}'s token does not allow publishing",
                    403,
                )
            )
        offer = await self._offer(request)
        member = await self._join(token, admitted)
        session = PublisherMedia(
            member.participant_id,
            member.stage_arn,
            ice_addresses=self.ice_addresses,
            connect_timeout=self.connect_timeout,
            on_end=self._ended(member),
            on_flowing=lambda publisher: self.rooms.flowing(member, publisher),
        )
        previous, member.publisher = member.publisher, session
        if previous is not None:
            await previous.close("replaced by a new publish with the same token")
        return await self._answer(member, session, offer)

    async def subscribe(self, request: web.Request) -> web.StreamResponse:
        token, admitted = self._admitted(request)
        publisher_id = request.match_info["publisher_id"]
        if not admitted.can_subscribe:
            if self.rooms.member(admitted) is not None:  # records SUBSCRIBE_ERROR
                self._record_refusal(stage_actions.subscribe, token, publisher_id)
            raise Refused(
                Denial(
                    "INSUFFICIENT_CAPABILITIES",
                    f"participant {admitted.participant_id}'s token does not allow subscribing",
                    403,
                )
            )
        offer = await self._offer(request)
        member = await self._join(token, admitted)
        previous = member.subscriptions.pop(publisher_id, None)
        if previous is not None:
            await previous.close("replaced by a new subscribe with the same token")
        try:
            stage_actions.subscribe(self.rooms.backend, token, publisher_id)
        except ClientDenied as denied:
            await self.rooms.release_if_idle(member)
            raise Refused(_stage_denial(denied)) from None
        publisher = self.rooms.publisher_media(member.stage_arn, publisher_id)
        if publisher is None:
            _unsubscribe(self.rooms, token, publisher_id)
            await self.rooms.release_if_idle(member)
            raise Refused(
                Denial(
                    "PUBLISHER_NOT_FOUND",
                    f"participant {publisher_id} publishes no media on this data plane",
                    404,
                )
            )
        session = SubscriberMedia(
            member.participant_id,
            member.stage_arn,
            publisher,
            ice_addresses=self.ice_addresses,
            connect_timeout=self.connect_timeout,
            on_end=self._ended(member),
        )
        member.subscriptions[publisher_id] = session
        return await self._answer(member, session, offer)

    async def delete(self, request: web.Request) -> web.StreamResponse:
        """End a publish or subscribe (clients ignore a 404 here)."""
        resource_id = request.match_info["resource_id"]
        found = self.resources.get(resource_id)
        if found is None and resource_id in self.ended:  # ended already: nothing left to do
            return web.Response(status=200)
        if found is None:
            return refusal(Denial("NOT_FOUND", "no such WHIP resource (it may have ended)", 404))
        await found[1].close("ended by the client (DELETE)")
        return web.Response(status=200)

    async def patch(self, request: web.Request) -> web.StreamResponse:
        """Trickle ICE and ICE restarts are not offered: the answer holds every candidate."""
        return refusal(
            Denial("NOT_SUPPORTED", "trickle ICE is not supported; offer all candidates", 405)
        )

    # -- plumbing --------------------------------------------------------------------------------

    def _admitted(self, request: web.Request) -> tuple[str, AdmittedToken]:
        token = bearer(request)
        if token is None:
            raise Refused(
                Denial("TOKEN_MISSING", "expected Authorization: Bearer <participant token>", 401)
            )
        if request.content_type != SDP:
            raise Refused(
                Denial(
                    "UNSUPPORTED_MEDIA_TYPE",
                    f"the offer must be sent as Content-Type: {SDP}, not "
                    f"{request.content_type or 'none'}",
                    415,
                )
            )
        verdict = self.rooms.admit(token)
        if isinstance(verdict, Denial):
            raise Refused(verdict)
        return token, verdict

    async def _offer(self, request: web.Request) -> str:
        body = await request.content.read(MAX_OFFER_BYTES + 1)
        if len(body) > MAX_OFFER_BYTES:
            raise Refused(Denial("INVALID_SDP", "the SDP offer is too large", 400))
        try:
            return check_offer(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise Refused(Denial("INVALID_SDP", "the SDP offer is not UTF-8 text", 400)) from None
        except OfferRefused as refused:
            raise Refused(Denial(refused.code, refused.message, 400)) from None

    async def _join(self, token: str, admitted: AdmittedToken) -> Member:
        joined = await self.rooms.join(token, admitted, by_socket=False)
        if isinstance(joined, Denial):
            raise Refused(joined)
        return joined

    async def _answer(self, member: Member, session: MediaSession, offer: str) -> web.Response:
        left = Refused(Denial("PARTICIPANT_LEFT", "the participant left the stage", 409))
        try:
            answer = await session.negotiate(offer)
        except OfferRefused as refused:
            await session.close(f"offer refused: {refused.message}")
            raise Refused(Denial(refused.code, refused.message, 400)) from None
        except Exception:
            if session.closed:  # the member left while the answer was being made
                raise left from None
            await session.close("the answer could not be made")
            raise
        if session.closed:
            raise left
        self.resources[session.resource_id] = (member, session)
        location = f"{self.urls.whip}/resources/{session.resource_id}"
        return web.Response(
            status=201, text=answer, content_type=SDP, headers={"Location": location}
        )

    def _ended(self, member: Member) -> Callable[[MediaSession, str], Awaitable[None]]:
        async def ended(session: MediaSession, reason: str) -> None:
            self.resources.pop(session.resource_id, None)
            self.ended[session.resource_id] = None
            while len(self.ended) > ENDED_KEPT:
                self.ended.popitem(last=False)
            log.info("%s of %s ended: %s", session.role, session.participant_id, reason)
            await self.rooms.session_ended(member, session, reason)

        return ended

    def _record_refusal(self, action: Callable[..., Any], *args: str) -> None:
        with contextlib.suppress(ClientDenied):
            action(self.rooms.backend, *args)


def bearer(request: web.Request) -> str | None:
    """The token of `Authorization: Bearer <token>`, if any."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def _stage_denial(denied: ClientDenied) -> Denial:
    if denied.kind is DenialKind.NOT_FOUND:
        return Denial("PUBLISHER_NOT_FOUND", denied.reason, 404)
    if denied.kind is DenialKind.INVALID:
        return Denial("BAD_REQUEST", denied.reason, 400)
    if denied.error == "insufficient_capabilities":
        return Denial("INSUFFICIENT_CAPABILITIES", denied.reason, 403)
    return Denial(
        denied.error.upper(), denied.reason, 403 if denied.kind is DenialKind.REFUSED else 409
    )


def _unsubscribe(rooms: Rooms, token: str, publisher_id: str) -> None:
    with contextlib.suppress(ClientDenied):
        stage_actions.unsubscribe(rooms.backend, token, publisher_id)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _guarded(handler: Handler) -> Handler:
    """Turn Refused into its JSON answer."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refused as refused:
            return refusal(refused.denial)

    return guarded


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS for browser clients: preflights answered here, every answer marked; aiohttp's own
    errors (no such path, method) and anything unexpected answered as JSON too."""
    try:
        response = await _handle(request, handler)
    except web.HTTPException as error:
        response = refusal(
            Denial(_ERROR_CODES.get(error.status, "BAD_REQUEST"), error.reason, error.status)
        )
    except Exception:
        log.exception("the data plane failed on %s %s", request.method, request.path)
        response = refusal(Denial("INTERNAL_ERROR", "the data plane failed; see its log", 500))
    log.debug("%s %s -> %s", request.method, request.path, response.status)
    if not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.headers["Vary"] = "Origin"
    return response


_ERROR_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "TOO_LARGE"}


async def _handle(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == "OPTIONS":
        requested = request.headers.get("Access-Control-Request-Headers")
        response = web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": "GET, POST, DELETE, PATCH, OPTIONS",
                "Access-Control-Allow-Headers": requested or ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
            },
        )
        return response
    return await handler(request)
