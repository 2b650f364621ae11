"""The events WebSocket: joining with the token as subprotocol, STAGE_STATE, PING, SET_STATE,
and the DISCONNECT and JOIN_ERROR messages (choices C56 to C58 in contract/README.md).

No WebRTC here: these run on loopback TCP wherever the `media` extra is installed. The control
plane is driven with boto3, the stage client of /_emulator/stage/ with urllib.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.config import package_version
from emulator.controls.clock import FixedClock
from emulator.testing import LiveServer
from tests.conftest import START
from tests.dataplane.clients import EventsSocket, claims, participant, run
from tests.dataplane.stage_calls import events_of, issue, names
from tests.stage_player import StagePlayer, joined, public_pem, self_signed_token


def sample_url(token: str) -> str:
    """The URL form of AWS's aiortc samples: {events_url}/{topic}."""
    c = claims(token)
    return f"{c['events_url']}/{c['topic']}"


def sdk_url(token: str) -> str:
    """The URL form of the web SDK."""
    c = claims(token)
    return f"{c['events_url']}?error_over_ws=1&topic={c['topic']}/publishers&traceid=t1"


# -- tokens lead to the data plane --------------------------------------------------------------


def test_stages_and_tokens_name_the_data_plane(ivs: Any, plane: Any, stage: dict[str, Any]) -> None:
    token = issue(ivs, stage)["token"]
    host = f"127.0.0.1:{plane.urls.port}"
    assert stage["endpoints"]["events"] == f"ws://{host}/events"
    assert stage["endpoints"]["whip"] == f"http://{host}/whip"
    assert (claims(token)["events_url"], claims(token)["whip_url"]) == (
        f"ws://{host}/events",
        f"http://{host}/whip",
    )


def test_health_names_the_data_plane(live_server: LiveServer, plane: Any) -> None:
    with urllib.request.urlopen(f"{live_server.url}/_emulator/health") as response:
        health = json.loads(response.read())
    assert health == {"status": "ready", "version": package_version(), "dataPlaneUrl": plane.url}


# -- joining ------------------------------------------------------------------------------------


def test_the_socket_echoes_the_token_and_its_first_stage_state_completes_the_join(
    ivs: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage, userId="alice", attributes={"seat": "3"})

    async def scenario() -> tuple[str | None, dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            member = await EventsSocket.open(http, sample_url(alice["token"]), alice["token"])
            first = await member.next("STAGE_STATE")
            await member.close()
            return member.socket.protocol, first

    protocol, first = run(scenario())
    assert protocol == alice["token"]
    assert first["payload"] == {
        "sequenceNumber": 1,
        "participants": [
            {
                "id": alice["participantId"],
                "userId": "alice",
                "attributes": {"seat": "3"},
                "isPublishing": False,
                "audioMuted": False,
                "videoStopped": False,
            }
        ],
        "disconnected": [],
        "serverFeatures": [],
    }


def test_the_web_sdk_url_form_joins_too(ivs: Any, stage: dict[str, Any]) -> None:
    alice = issue(ivs, stage)

    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:
            member = await EventsSocket.open(http, sdk_url(alice["token"]), alice["token"])
            payload = await member.state_where(lambda p: True)
            await member.close()
            return payload

    assert [p["id"] for p in run(scenario())["participants"]] == [alice["participantId"]]


def test_a_socket_member_is_a_connected_participant_until_its_socket_closes(
    ivs: Any, stage: dict[str, Any]
) -> None:
    alice = issue(ivs, stage)

    async def scenario() -> str:
        async with aiohttp.ClientSession() as http:
            member = await EventsSocket.open(http, sample_url(alice["token"]), alice["token"])
            await member.next("STAGE_STATE")
            sessions = ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"]
            listed = ivs.list_participants(
                stageArn=stage["arn"], sessionId=sessions[0]["sessionId"]
            )["participants"]
            await member.close()
            return str(listed[0]["state"])

    assert run(scenario()) == "CONNECTED"
    assert names(events_of(ivs, stage["arn"], alice["participantId"])) == ["JOINED", "LEFT"]
    assert "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"]


def test_ping_is_answered_pong(ivs: Any, stage: dict[str, Any]) -> None:
    alice = issue(ivs, stage)

    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:
            member = await EventsSocket.open(http, sample_url(alice["token"]), alice["token"])
            await member.send({"type": "PING"})
            pong = await member.next("PONG")
            await member.close()
            return pong

    assert run(scenario()) == {"type": "PONG"}


# -- what members see of each other -------------------------------------------------------------


def test_members_see_joins_and_leaves_with_growing_sequence_numbers(
    ivs: Any, stage: dict[str, Any]
) -> None:
    alice, bob = issue(ivs, stage, userId="alice"), issue(ivs, stage, userId="bob")

    async def scenario() -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            a = await EventsSocket.open(http, sample_url(alice["token"]), alice["token"])
            await a.next("STAGE_STATE")
            b = await EventsSocket.open(http, sdk_url(bob["token"]), bob["token"])
            await a.state_where(lambda p: len(p["participants"]) == 2)
            await b.close()
            await a.state_where(lambda p: len(p["participants"]) == 1 and p["sequenceNumber"] > 2)
            await a.close()
            return a.states()

    states = run(scenario())
    numbers = [s["sequenceNumber"] for s in states]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1
    seen = [[p["userId"] for p in s["participants"]] for s in states]
    assert seen[0] == ["alice"] and ["alice", "bob"] in seen and seen[-1] == ["alice"]


def test_set_state_shows_the_mute_to_the_others(ivs: Any, stage: dict[str, Any]) -> None:
    alice, bob = issue(ivs, stage), issue(ivs, stage)

    async def scenario() -> dict[str, Any] | None:
        async with aiohttp.ClientSession() as http:
            a = await EventsSocket.open(http, sample_url(alice["token"]), alice["token"])
            b = await EventsSocket.open(http, sample_url(bob["token"]), bob["token"])
            await a.state_where(lambda p: len(p["participants"]) == 2)
            await b.send(
                {"type": "SET_STATE", "version": "0", "audioMuted": True, "videoStopped": False}
            )
            payload = await a.state_where(
                lambda p: bool((participant(p, bob["participantId"]) or {}).get("audioMuted"))
            )
            await a.close()
            await b.close()
            return participant(payload, bob["participantId"])

    seen = run(scenario())
    assert seen is not None and (seen["audioMuted"], seen["videoStopped"]) == (True, False)


def test_the_stage_client_and_a_socket_see_the_same_stage(
    ivs: Any, live_server: LiveServer, stage: dict[str, Any]
) -> None:
    alice, carol = issue(ivs, stage), issue(ivs, stage, userId="carol")
    player = StagePlayer(live_server.url)

    async def scenario() -> dict[str, Any] | None:
        async with aiohttp.ClientSession() as http:
            a = await EventsSocket.open(http, sample_url(alice["token"]), alice["token"])
            await a.next("STAGE_STATE")
            joined(player.join(carol["token"]))
            joined(player.publish(carol["token"]))
            payload = await a.state_where(
                lambda p: bool((participant(p, carol["participantId"]) or {}).get("isPublishing"))
            )
            await a.close()
            return participant(payload, carol["participantId"])

    seen = run(scenario())
    assert seen is not None and (seen["userId"], seen["isPublishing"]) == ("carol", True)


# -- the control plane disconnects ----------------------------------------------------------------


def disconnected_by(
    ivs: Any, stage: dict[str, Any], act: Any
) -> tuple[dict[str, Any], bool, list[dict[str, Any]]]:
    """Alice and Bob join by socket; `act(alice)` runs; Alice's DISCONNECT, whether her socket
    closed, and what Bob saw afterwards."""
    alice, bob = issue(ivs, stage), issue(ivs, stage)

    async def scenario() -> tuple[dict[str, Any], bool, list[dict[str, Any]]]:
        async with aiohttp.ClientSession() as http:
            a = await EventsSocket.open(http, sample_url(alice["token"]), alice["token"])
            b = await EventsSocket.open(http, sample_url(bob["token"]), bob["token"])
            await a.state_where(lambda p: len(p["participants"]) == 2)
            act(alice)
            message = await a.next("aws:ivs:DISCONNECT")
            await a.closed.wait()
            await b.close()
            return message, a.closed.is_set(), b.states()

    return run(scenario())


def test_disconnect_participant_sends_disconnect_and_the_others_see_the_kick(
    ivs: Any, stage: dict[str, Any]
) -> None:
    message, closed, bob_saw = disconnected_by(
        ivs,
        stage,
        lambda alice: ivs.disconnect_participant(
            stageArn=stage["arn"], participantId=alice["participantId"], reason="too loud"
        ),
    )
    assert message["payload"] == {"code": "PARTICIPANT_DISCONNECTED", "reason": "too loud"}
    assert closed
    last = bob_saw[-1]
    assert len(last["participants"]) == 1
    assert (
        last["disconnected"] == [{"id": d["id"], "status": "KICKED"} for d in last["disconnected"]]
        and len(last["disconnected"]) == 1
    )


def test_revoke_connection_token_disconnects(ivs: Any, stage: dict[str, Any]) -> None:
    message, closed, _ = disconnected_by(
        ivs, stage, lambda alice: ivs.revoke_connection_token(tokenId=alice["participantId"])
    )
    assert message["payload"]["code"] == "PARTICIPANT_DISCONNECTED" and closed


def test_delete_stage_sends_stage_deleted(ivs: Any, stage: dict[str, Any]) -> None:
    message, closed, _ = disconnected_by(
        ivs, stage, lambda alice: ivs.delete_stage(arn=stage["arn"])
    )
    assert message["payload"]["code"] == "STAGE_DELETED" and closed


def test_a_second_socket_with_the_same_token_takes_over(ivs: Any, stage: dict[str, Any]) -> None:
    alice = issue(ivs, stage)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            first = await EventsSocket.open(http, sample_url(alice["token"]), alice["token"])
            await first.next("STAGE_STATE")
            second = await EventsSocket.open(http, sdk_url(alice["token"]), alice["token"])
            kicked = await first.next("aws:ivs:DISCONNECT")
            state = await second.next("STAGE_STATE")
            await second.close()
            return kicked, state

    kicked, state = run(scenario())
    assert kicked["payload"]["code"] == "TOKEN_REUSED"
    assert [p["id"] for p in state["payload"]["participants"]] == [alice["participantId"]]
    assert names(events_of(ivs, stage["arn"], alice["participantId"])) == [
        "JOINED",
        "LEFT",
        "JOINED",
        "LEFT",
    ]


# -- refused joins ------------------------------------------------------------------------------


def refused_join(url: str, token: str) -> tuple[int | None, dict[str, Any]]:
    """Open the socket; (None, the JOIN_ERROR) when it opened, else (status, JSON body)."""

    async def scenario() -> tuple[int | None, dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            try:
                member = await EventsSocket.open(http, url, token)
            except aiohttp.WSServerHandshakeError as error:
                async with http.get(url, headers=_upgrade_headers(token)) as r:
                    return error.status, await r.json()
            await member.closed.wait()
            return None, member.messages[0]

    return run(scenario())


def _upgrade_headers(token: str) -> dict[str, str]:
    return {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Protocol": token,
    }


@pytest.mark.parametrize(
    ("spoil", "code", "status"),
    [
        ("expire", "TOKEN_EXPIRED", 401),
        ("tamper", "TOKEN_INVALID_SIGNATURE", 401),
        ("garble", "TOKEN_INVALID", 401),
        ("delete_stage", "STAGE_DELETED", 404),
        ("disconnect", "PARTICIPANT_DISCONNECTED", 403),
        ("revoke", "TOKEN_REVOKED", 403),
    ],
)
def test_a_refused_token_gets_join_error_over_the_socket_or_the_status_without_it(
    ivs: Any,
    stage: dict[str, Any],
    clock: FixedClock,
    live_server: LiveServer,
    spoil: str,
    code: str,
    status: int,
) -> None:
    alice = issue(ivs, stage, duration=1)
    token = alice["token"]
    url_sdk, url_sample = sdk_url(token), sample_url(token)
    if spoil == "expire":
        clock.advance(61)
    elif spoil == "tamper":
        head, body, signature = token.split(".")
        token = f"{head}.{body}.{signature[:-4]}AAAA"
    elif spoil == "garble":
        token = "not-a-token"
    elif spoil == "delete_stage":
        ivs.delete_stage(arn=stage["arn"])
    elif spoil == "disconnect":
        joined(StagePlayer(live_server.url).join(token))
        ivs.disconnect_participant(stageArn=stage["arn"], participantId=alice["participantId"])
    elif spoil == "revoke":
        ivs.revoke_connection_token(tokenId=alice["participantId"])

    over_socket = refused_join(url_sdk, token)
    assert over_socket[0] is None
    assert over_socket[1]["type"] == "aws:ivs:JOIN_ERROR"
    assert over_socket[1]["payload"]["code"] == code and over_socket[1]["payload"]["message"]
    answered, body = refused_join(url_sample, token)
    assert (answered, body["code"]) == (status, code) and body["message"]


def test_a_topic_that_is_not_the_tokens_stage_is_refused(ivs: Any, stage: dict[str, Any]) -> None:
    token = issue(ivs, stage)["token"]
    answered, body = refused_join(f"{claims(token)['events_url']}/someotherstage", token)
    assert (answered, body["code"]) == (401, "TOKEN_INVALID")


def test_a_socket_without_a_token_is_refused(plane: Any) -> None:
    async def scenario() -> int:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await http.ws_connect(plane.urls.events)
            return caught.value.status

    assert run(scenario()) == 401


def test_a_reset_of_the_emulator_disconnects_every_member(
    ivs: Any, live_server: LiveServer, stage: dict[str, Any]
) -> None:
    def reset(alice: dict[str, Any]) -> None:
        request = urllib.request.Request(f"{live_server.url}/_emulator/reset", method="POST")
        with urllib.request.urlopen(request):
            pass

    message, closed, _ = disconnected_by(ivs, stage, reset)
    assert message["payload"]["code"] == "STAGE_DELETED" and closed


def test_importing_a_state_without_the_stage_disconnects_its_members(
    ivs: Any, live_server: LiveServer, stage: dict[str, Any]
) -> None:
    with urllib.request.urlopen(f"{live_server.url}/_emulator/export") as response:
        before_the_stage = json.loads(response.read())
    before_the_stage["regions"] = [
        {**region, "stages": {}} for region in before_the_stage.get("regions", [])
    ]

    def restore(alice: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{live_server.url}/_emulator/import",
            data=json.dumps(before_the_stage).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request):
            pass

    message, closed, _ = disconnected_by(ivs, stage, restore)
    assert message["payload"]["code"] == "STAGE_DELETED" and closed


def test_a_token_signed_with_an_imported_key_joins_like_an_issued_one(
    ivs: Any, stage: dict[str, Any]
) -> None:
    user_key = ec.generate_private_key(ec.SECP384R1())
    key_arn = ivs.import_public_key(publicKeyMaterial=public_pem(user_key))["publicKey"]["arn"]
    token = self_signed_token(
        user_key, key_arn, stage, "selfsigned-1", int(START.timestamp()), user_id="carol"
    )

    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:
            member = await EventsSocket.open(http, sample_url(token), token)
            payload = await member.state_where(lambda p: True)
            await member.close()
            return payload

    assert [(p["id"], p["userId"]) for p in run(scenario())["participants"]] == [
        ("selfsigned-1", "carol")
    ]
