"""WHIP over HTTP without media: every refusal with its status and JSON body, the global
entry's 307, CORS for browsers, and the resources a client DELETEs (choices C57 and C59).

The offers here are refused before any peer connection could connect, so no ICE packet is
sent: these run wherever the `media` extra is installed.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from emulator.controls.clock import FixedClock
from emulator.testing import LiveServer
from tests.dataplane.clients import EventsSocket, Reply, claims, post_offer, run
from tests.dataplane.stage_calls import events_of, issue
from tests.stage_player import StagePlayer, joined

FINGERPRINT = ":".join(["AB"] * 32)


def offer_sdp(codec: str = "VP8/90000", kind: str = "video") -> str:
    """A well-formed single-section offer with one codec and no candidate."""
    return "\r\n".join(
        [
            "v=0",
            "o=- 1 1 IN IP4 0.0.0.0",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE 0",
            f"m={kind} 9 UDP/TLS/RTP/SAVPF 96",
            "c=IN IP4 0.0.0.0",
            "a=mid:0",
            "a=sendrecv",
            "a=rtcp-mux",
            f"a=rtpmap:96 {codec}",
            "a=ice-ufrag:abcd",
            "a=ice-pwd:abcdefghijklmnopqrstuvwx",
            f"a=fingerprint:sha-256 {FINGERPRINT}",
            "a=setup:actpass",
            "",
        ]
    )


def publish_url(token: dict[str, Any]) -> str:
    return f"{claims(token['token'])['whip_url']}/publish/{token['participantId']}"


def post(url: str, token: str | None, body: str = "", **options: Any) -> Reply:
    async def scenario() -> Reply:
        async with aiohttp.ClientSession() as http:
            return await post_offer(http, url, token, body or offer_sdp(), **options)

    return run(scenario())


def refused(reply: Reply, status: int, code: str) -> None:
    assert (reply.status, reply.headers.get("Content-Type", "").split(";")[0]) == (
        status,
        "application/json",
    ), reply.text
    body = reply.json()
    assert body["code"] == code and body["message"], body


def connected_ids(ivs: Any, stage: dict[str, Any]) -> list[str]:
    sessions = ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"]
    if not sessions:
        return []
    listed = ivs.list_participants(stageArn=stage["arn"], sessionId=sessions[0]["sessionId"])
    return [p["participantId"] for p in listed["participants"] if p["state"] == "CONNECTED"]


# -- the global entry ---------------------------------------------------------------------------


def test_the_global_entry_redirects_to_the_tokens_publish_url(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)

    async def scenario() -> tuple[int, str | None]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                plane.url + "/",
                data=offer_sdp(),
                headers={
                    "Authorization": f"Bearer {alice['token']}",
                    "Content-Type": "application/sdp",
                },
                allow_redirects=False,
            ) as r,
        ):
            return r.status, r.headers.get("Location")

    assert run(scenario()) == (307, publish_url(alice))


def test_the_global_entry_without_a_token_is_401(plane: Any) -> None:
    refused(post(plane.url, None), 401, "TOKEN_INVALID")


# -- refusals ------------------------------------------------------------------------------------


def test_no_token_is_401(ivs: Any, stage: dict[str, Any]) -> None:
    refused(post(publish_url(issue(ivs, stage)), None), 401, "TOKEN_MISSING")


def test_a_token_that_is_not_one_is_401(ivs: Any, stage: dict[str, Any]) -> None:
    refused(post(publish_url(issue(ivs, stage)), "not-a-token"), 401, "TOKEN_INVALID")


def test_an_expired_token_is_401(ivs: Any, stage: dict[str, Any], clock: FixedClock) -> None:
    alice = issue(ivs, stage, duration=1)
    clock.advance(61)
    refused(post(publish_url(alice), alice["token"]), 401, "TOKEN_EXPIRED")


def test_an_offer_that_is_not_application_sdp_is_415(ivs: Any, stage: dict[str, Any]) -> None:
    alice = issue(ivs, stage)
    reply = post(publish_url(alice), alice["token"], content_type="application/json")
    refused(reply, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_publishing_without_the_publish_capability_is_403(ivs: Any, stage: dict[str, Any]) -> None:
    bob = issue(ivs, stage, capabilities=["SUBSCRIBE"])
    refused(post(publish_url(bob), bob["token"]), 403, "INSUFFICIENT_CAPABILITIES")
    assert connected_ids(ivs, stage) == []


def test_subscribing_without_the_subscribe_capability_is_403(
    ivs: Any, stage: dict[str, Any]
) -> None:
    alice, carol = issue(ivs, stage), issue(ivs, stage, capabilities=["PUBLISH"])
    url = f"{claims(carol['token'])['whip_url']}/subscribe/{alice['participantId']}"
    refused(post(url, carol["token"]), 403, "INSUFFICIENT_CAPABILITIES")


def test_publishing_at_another_participants_url_is_403(ivs: Any, stage: dict[str, Any]) -> None:
    alice, bob = issue(ivs, stage), issue(ivs, stage)
    refused(post(publish_url(alice), bob["token"]), 403, "PARTICIPANT_MISMATCH")


def test_a_disconnected_participant_is_403(
    ivs: Any, live_server: LiveServer, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)
    joined(StagePlayer(live_server.url).join(alice["token"]))
    ivs.disconnect_participant(stageArn=stage["arn"], participantId=alice["participantId"])
    refused(post(publish_url(alice), alice["token"]), 403, "PARTICIPANT_DISCONNECTED")


def test_a_revoked_token_is_403(ivs: Any, stage: dict[str, Any]) -> None:
    alice = issue(ivs, stage)
    ivs.revoke_connection_token(tokenId=alice["participantId"])
    refused(post(publish_url(alice), alice["token"]), 403, "TOKEN_REVOKED")


def test_a_deleted_stage_is_404(ivs: Any, stage: dict[str, Any]) -> None:
    alice = issue(ivs, stage)
    ivs.delete_stage(arn=stage["arn"])
    refused(post(publish_url(alice), alice["token"]), 404, "STAGE_DELETED")


def test_subscribing_to_someone_not_publishing_is_404_and_recorded(
    ivs: Any, stage: dict[str, Any]
) -> None:
    alice, bob = issue(ivs, stage), issue(ivs, stage)
    url = f"{claims(bob['token'])['whip_url']}/subscribe/{alice['participantId']}"
    refused(post(url, bob["token"]), 404, "PUBLISHER_NOT_FOUND")
    events = events_of(ivs, stage["arn"], bob["participantId"])
    assert [(e["name"], e.get("errorCode")) for e in events] == [
        ("JOINED", None),
        ("SUBSCRIBE_ERROR", "PUBLISHER_NOT_FOUND"),
        ("LEFT", None),
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("hello", "INVALID_SDP"),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "INVALID_SDP"),
        (offer_sdp(codec="H265/90000"), "NO_USABLE_CODEC"),
    ],
    ids=["not-sdp", "no-media", "no-usable-codec"],
)
def test_an_offer_that_cannot_be_answered_is_400_and_leaves_nobody_joined(
    ivs: Any, stage: dict[str, Any], body: str, code: str
) -> None:
    alice = issue(ivs, stage)
    refused(post(publish_url(alice), alice["token"], body), 400, code)
    assert connected_ids(ivs, stage) == []


# -- browsers and resources ----------------------------------------------------------------------


def test_cors_lets_browsers_send_stages_headers_and_read_location(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)
    origin = "http://127.0.0.1:8080"

    async def scenario() -> tuple[int, dict[str, str], dict[str, str]]:
        async with aiohttp.ClientSession() as http:
            async with http.options(
                publish_url(alice),
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type,x-stages-sdk",
                },
            ) as preflight:
                allowed = dict(preflight.headers)
                status = preflight.status
            reply = await post_offer(
                http, publish_url(alice), None, offer_sdp(), extra_headers={"Origin": origin}
            )
            return status, allowed, reply.headers

    status, allowed, answered = run(scenario())
    assert status == 204
    assert "x-stages-sdk" in allowed["Access-Control-Allow-Headers"].lower()
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert answered["Access-Control-Allow-Origin"] == origin
    exposed = [h.strip().lower() for h in answered["Access-Control-Expose-Headers"].split(",")]
    assert {"location", "link"} <= set(exposed)


def test_deleting_an_unknown_resource_is_404(plane: Any) -> None:
    async def scenario() -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.delete(f"{plane.urls.whip}/resources/nothing-here") as r,
        ):
            return r.status, await r.json()

    status, body = run(scenario())
    assert status == 404 and body["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "NOT_FOUND"),
        ("GET", "/whip/publish/abc", 405, "METHOD_NOT_ALLOWED"),
        ("PATCH", "/whip/resources/abc", 405, "NOT_SUPPORTED"),
    ],
)
def test_other_requests_get_a_json_answer(
    plane: Any, method: str, path: str, status: int, code: str
) -> None:
    async def scenario() -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, plane.url + path) as r,
        ):
            return r.status, await r.json()

    answered, body = run(scenario())
    assert (answered, body["code"]) == (status, code) and body["message"]


def test_a_joined_member_publishing_without_the_capability_records_publish_error(
    ivs: Any, stage: dict[str, Any]
) -> None:
    bob = issue(ivs, stage, capabilities=["SUBSCRIBE"])
    c = claims(bob["token"])

    async def scenario() -> Reply:
        async with aiohttp.ClientSession() as http:
            member = await EventsSocket.open(http, f"{c['events_url']}/{c['topic']}", bob["token"])
            await member.next("STAGE_STATE")
            reply = await post_offer(http, publish_url(bob), bob["token"], offer_sdp())
            await member.close()
            return reply

    refused(run(scenario()), 403, "INSUFFICIENT_CAPABILITIES")
    events = events_of(ivs, stage["arn"], bob["participantId"])
    assert [(e["name"], e.get("errorCode")) for e in events] == [
        ("JOINED", None),
        ("PUBLISH_ERROR", "INSUFFICIENT_CAPABILITIES"),
        ("LEFT", None),
    ]
