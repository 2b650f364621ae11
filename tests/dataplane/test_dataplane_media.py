"""Publishing and subscribing with aiortc clients that do what AWS's public samples do.

Marker `media`: these need a network namespace whose only interface is loopback (`make
test-media`), and skip elsewhere. Each publisher sends a small video and silence; each
subscriber counts the frames it decodes.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator.testing import LiveServer
from tests.dataplane.clients import (
    EventsSocket,
    answer,
    claims,
    connected,
    eventually,
    offer,
    participant,
    post_offer,
    publisher,
    run,
    subscriber,
    without_candidates,
)
from tests.dataplane.stage_calls import events_of, issue, names
from tests.test_dashboard import Browser, browser_test

pytestmark = pytest.mark.media


def state_of(live_server: LiveServer) -> dict[str, Any]:
    with urllib.request.urlopen(f"{live_server.url}/_emulator/state") as response:
        return dict(json.loads(response.read()))


def published(ivs: Any, stage: dict[str, Any], participant_id: str) -> bool:
    sessions = ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"]
    found = ivs.get_participant(
        stageArn=stage["arn"], sessionId=sessions[0]["sessionId"], participantId=participant_id
    )["participant"]
    return bool(found["published"])


# -- publish --------------------------------------------------------------------------------------


def test_a_publisher_through_the_global_entry_reaches_published(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage, userId="alice")

    async def scenario() -> list[str]:
        async with aiohttp.ClientSession() as http:
            pc = await publisher()
            reply = await post_offer(http, plane.url, alice["token"], await offer(pc))
            await answer(pc, reply)
            await connected(pc)
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            await pc.close()
            return reply.redirects

    redirects = run(scenario())
    assert redirects == [f"{claims(alice['token'])['whip_url']}/publish/{alice['participantId']}"]
    assert names(events_of(ivs, stage["arn"], alice["participantId"]))[:2] == [
        "JOINED",
        "PUBLISH_STARTED",
    ]


def test_an_offer_without_candidates_connects_through_its_checks(
    ivs: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)
    url = f"{claims(alice['token'])['whip_url']}/publish/{alice['participantId']}"

    async def scenario() -> tuple[str, str]:
        async with aiohttp.ClientSession() as http:
            pc = await publisher()
            bare = without_candidates(await offer(pc))
            reply = await post_offer(http, url, alice["token"], bare)
            await answer(pc, reply)
            await connected(pc)
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            await pc.close()
            return bare, reply.text

    bare, answered = run(scenario())
    assert "a=candidate:" not in bare
    assert " 127.0.0.1 " in next(
        line for line in answered.splitlines() if line.startswith("a=candidate:")
    )


def test_a_socket_member_sees_the_publisher_publish_and_leave(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice, bob = issue(ivs, stage), issue(ivs, stage)

    async def scenario() -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            watcher = await EventsSocket.open(
                http,
                f"{claims(bob['token'])['events_url']}/{claims(bob['token'])['topic']}",
                bob["token"],
            )
            await watcher.next("STAGE_STATE")
            pc = await publisher()
            reply = await post_offer(http, plane.url, alice["token"], await offer(pc))
            await answer(pc, reply)
            await watcher.state_where(
                lambda p: bool((participant(p, alice["participantId"]) or {}).get("isPublishing"))
            )
            async with http.delete(reply.headers["Location"]) as deleted:
                assert deleted.status == 200
            await watcher.state_where(lambda p: participant(p, alice["participantId"]) is None)
            await pc.close()
            await watcher.close()
            return watcher.states()

    seen = [participant(s, alice["participantId"]) for s in run(scenario())]
    flags = [None if p is None else p["isPublishing"] for p in seen]
    assert flags[0] is None and True in flags and flags[-1] is None
    assert names(events_of(ivs, stage["arn"], alice["participantId"])) == [
        "JOINED",
        "PUBLISH_STARTED",
        "PUBLISH_STOPPED",
        "LEFT",
    ]


# -- subscribe ----------------------------------------------------------------------------------


def test_a_subscriber_receives_the_publishers_video(
    ivs: Any, plane: Any, live_server: LiveServer, stage: dict[str, Any]
) -> None:
    alice, bob = issue(ivs, stage), issue(ivs, stage, capabilities=["SUBSCRIBE"])
    subscribe_url = f"{claims(bob['token'])['whip_url']}/subscribe/{alice['participantId']}"

    async def scenario() -> tuple[dict[str, int], dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            pub = await publisher()
            await answer(pub, await post_offer(http, plane.url, alice["token"], await offer(pub)))
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            sub, received = await subscriber()
            await answer(sub, await post_offer(http, subscribe_url, bob["token"], await offer(sub)))
            await eventually(lambda: received.frames["video"] >= 10, what="10 video frames")
            report = state_of(live_server)["dataPlane"]
            await sub.close()
            await pub.close()
            return received.frames, report

    frames, report = run(scenario())
    assert frames["video"] >= 10
    assert "SUBSCRIBE_STARTED" in names(events_of(ivs, stage["arn"], bob["participantId"]))
    by_role = {pc["role"]: pc for pc in report["peerConnections"]}
    sent = {t["kind"]: t for t in by_role["subscribe"]["tracks"]}
    got = {t["kind"]: t for t in by_role["publish"]["tracks"]}
    assert sent["video"]["frames"] > 0 and sent["video"]["bytes"] > 0
    assert got["video"]["frames"] >= sent["video"]["frames"] and got["video"]["packets"] > 0


def test_an_h264_publisher_offering_like_the_web_sdk_is_relayed(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice, bob = issue(ivs, stage), issue(ivs, stage)
    subscribe_url = f"{claims(bob['token'])['whip_url']}/subscribe/{alice['participantId']}"

    async def scenario() -> tuple[str, int]:
        async with aiohttp.ClientSession() as http:
            pub = await publisher(video_codec="video/H264", audio_direction="sendonly")
            bare = without_candidates(await offer(pub))
            reply = await post_offer(http, plane.url, alice["token"], bare)
            await answer(pub, reply)
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            sub, received = await subscriber()
            await answer(sub, await post_offer(http, subscribe_url, bob["token"], await offer(sub)))
            await eventually(lambda: received.frames["video"] >= 5, what="5 video frames")
            await sub.close()
            await pub.close()
            return reply.text, received.frames["video"]

    answered, frames = run(scenario())
    video = answered.split("m=video", 1)[1]
    assert "H264/90000" in video and "VP8/90000" not in video
    assert "a=recvonly" in answered.split("m=video", 1)[0]  # audio sendonly -> recvonly
    assert frames >= 5


def test_the_subscription_ends_with_the_publisher(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice, bob = issue(ivs, stage), issue(ivs, stage)
    subscribe_url = f"{claims(bob['token'])['whip_url']}/subscribe/{alice['participantId']}"

    async def scenario() -> str:
        async with aiohttp.ClientSession() as http:
            pub = await publisher()
            reply = await post_offer(http, plane.url, alice["token"], await offer(pub))
            await answer(pub, reply)
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            sub, received = await subscriber()
            await answer(sub, await post_offer(http, subscribe_url, bob["token"], await offer(sub)))
            await eventually(lambda: received.frames["video"] > 0)
            async with http.delete(reply.headers["Location"]):
                pass
            await eventually(lambda: sub.connectionState in ("closed", "failed"), timeout=40)
            state = sub.connectionState
            await sub.close()
            await pub.close()
            return state

    assert run(scenario()) in ("closed", "failed")
    assert names(events_of(ivs, stage["arn"], bob["participantId"])) == [
        "JOINED",
        "SUBSCRIBE_STARTED",
        "SUBSCRIBE_STOPPED",
        "LEFT",
    ]


# -- the ends of a peer connection ----------------------------------------------------------------


def test_a_new_publish_with_the_same_token_replaces_the_old_one(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)

    async def scenario() -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            first = await publisher()
            await answer(
                first, await post_offer(http, plane.url, alice["token"], await offer(first))
            )
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            second = await publisher()
            await answer(
                second, await post_offer(http, plane.url, alice["token"], await offer(second))
            )
            await connected(second)
            await eventually(
                lambda: (
                    names(events_of(ivs, stage["arn"], alice["participantId"])).count(
                        "PUBLISH_STARTED"
                    )
                    == 2
                )
            )
            report = plane.report()
            await first.close()
            await second.close()
            return list(report["peerConnections"])

    live = run(scenario())
    assert [pc["role"] for pc in live] == ["publish"]
    assert names(events_of(ivs, stage["arn"], alice["participantId"]))[:4] == [
        "JOINED",
        "PUBLISH_STARTED",
        "PUBLISH_STOPPED",
        "PUBLISH_STARTED",
    ]


def test_closing_the_socket_leaves_and_ends_the_peer_connections(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)
    c = claims(alice["token"])

    async def scenario() -> str:
        async with aiohttp.ClientSession() as http:
            socket = await EventsSocket.open(
                http, f"{c['events_url']}/{c['topic']}", alice["token"]
            )
            await socket.next("STAGE_STATE")
            pc = await publisher()
            await answer(pc, await post_offer(http, plane.url, alice["token"], await offer(pc)))
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            await socket.close()
            await eventually(lambda: plane.report()["endedPeerConnections"], what="an end")
            assert not plane.report()["peerConnections"]
            await pc.close()
            return str(plane.report()["endedPeerConnections"][-1]["endReason"])

    assert run(scenario()) == "the participant left"
    assert names(events_of(ivs, stage["arn"], alice["participantId"]))[-2:] == [
        "PUBLISH_STOPPED",
        "LEFT",
    ]


def test_a_delete_after_the_socket_closed_is_200_as_the_web_sdks_leave_sends_it(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)
    c = claims(alice["token"])

    async def scenario() -> int:
        async with aiohttp.ClientSession() as http:
            socket = await EventsSocket.open(
                http, f"{c['events_url']}/{c['topic']}", alice["token"]
            )
            await socket.next("STAGE_STATE")
            pc = await publisher()
            reply = await post_offer(http, plane.url, alice["token"], await offer(pc))
            await answer(pc, reply)
            await socket.close()
            await eventually(lambda: plane.report()["endedPeerConnections"], what="an end")
            async with http.delete(reply.headers["Location"]) as deleted:
                status = deleted.status
            await pc.close()
            return status

    assert run(scenario()) == 200


def test_disconnect_participant_ends_the_peer_connections(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)

    async def scenario() -> str:
        async with aiohttp.ClientSession() as http:
            pc = await publisher()
            await answer(pc, await post_offer(http, plane.url, alice["token"], await offer(pc)))
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            ivs.disconnect_participant(
                stageArn=stage["arn"], participantId=alice["participantId"], reason="bye"
            )
            await eventually(lambda: plane.report()["endedPeerConnections"], what="an end")
            assert not plane.report()["peerConnections"]
            await pc.close()
            return str(plane.report()["endedPeerConnections"][-1]["endReason"])

    assert run(scenario()) == "bye"


def test_a_peer_that_never_connects_is_closed_after_the_timeout(
    ivs: Any, plane: Any, stage: dict[str, Any]
) -> None:
    plane.connect_timeout = 1.0
    alice = issue(ivs, stage)

    async def scenario() -> str:
        async with aiohttp.ClientSession() as http:
            pc = await publisher()
            reply = await post_offer(http, plane.url, alice["token"], await offer(pc))
            assert reply.status == 201  # the answer is never applied: no checks, no media
            await eventually(lambda: plane.report()["endedPeerConnections"], timeout=10)
            await pc.close()
            return str(plane.report()["endedPeerConnections"][-1]["endReason"])

    assert run(scenario()).startswith("media timeout")
    assert names(events_of(ivs, stage["arn"], alice["participantId"])) == ["JOINED", "LEFT"]


# -- the dashboard --------------------------------------------------------------------------------


@browser_test
def test_the_dashboard_shows_the_live_peer_connections(
    ivs: Any, plane: Any, live_server: LiveServer, stage: dict[str, Any], tmp_path: Path
) -> None:
    alice = issue(ivs, stage)

    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:
            pc = await publisher()
            await answer(pc, await post_offer(http, plane.url, alice["token"], await offer(pc)))
            await eventually(lambda: published(ivs, stage, alice["participantId"]))
            browser = Browser(
                f"{live_server.url}/_emulator/", tmp_path / "dashboard.png", "wait=video: "
            )
            try:
                seen = await asyncio.to_thread(browser.step)
            finally:
                browser.close()
            await pc.close()
            return seen

    seen = run(scenario(), timeout=120)
    assert "Data plane" in seen["text"] and "1 peer connection" in seen["text"]
    assert alice["participantId"] in seen["text"] and "connected" in seen["text"]
    assert re.search(r"video: [1-9]\d* frames", seen["text"]), seen["text"]
    assert seen["errors"] == []
