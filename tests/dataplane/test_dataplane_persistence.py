"""The data plane with --state-dir: what its members did is kept like any stage client's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from emulator import Config, create_app
from emulator.http.app import close_app, emulator_of
from emulator.testing import LiveServer, boto3_client
from tests.conftest import START
from tests.dataplane.clients import EventsSocket, claims, run
from tests.dataplane.stage_calls import events_of, names


def test_a_take_over_and_a_clean_stop_are_kept_across_a_restart(tmp_path: Path) -> None:
    settings: dict[str, Any] = {
        "state_dir": str(tmp_path / "state"),
        "clock_start": START,
        "clock_frozen": True,
    }
    app = create_app(Config(data_plane=True, data_plane_port=0, **settings))
    with LiveServer(app) as server:
        ivs = boto3_client(server.url)
        stage = ivs.create_stage(name="kept")["stage"]
        token = ivs.create_participant_token(stageArn=stage["arn"])["participantToken"]
        c = claims(token["token"])
        url = f"{c['events_url']}/{c['topic']}"

        async def scenario() -> list[str]:
            async with aiohttp.ClientSession() as http:
                first = await EventsSocket.open(http, url, token["token"])
                await first.next("STAGE_STATE")
                second = await EventsSocket.open(http, url, token["token"])
                await second.next("STAGE_STATE")
                await first.next("aws:ivs:DISCONNECT")
                # The emulator stops while the second socket is open: its member leaves, then
                # the state directory gets its last snapshot.
                await asyncio.to_thread(close_app, app)
                return names(events_of(ivs, stage["arn"], token["participantId"]))

        assert run(scenario()) == ["JOINED", "LEFT", "JOINED", "LEFT"]

    again = create_app(Config(**settings))
    with LiveServer(again) as server:
        seen = names(events_of(boto3_client(server.url), stage["arn"], token["participantId"]))
    assert seen == ["JOINED", "LEFT", "JOINED", "LEFT"]
    emulator_of(again).persistence.close()  # type: ignore[union-attr]


def test_a_take_over_is_replayed_after_a_crash(tmp_path: Path) -> None:
    settings: dict[str, Any] = {
        "state_dir": str(tmp_path / "state"),
        "clock_start": START,
        "clock_frozen": True,
    }
    app = create_app(Config(data_plane=True, data_plane_port=0, **settings))
    plane, persistence = emulator_of(app).data_plane, emulator_of(app).persistence
    assert plane is not None and persistence is not None
    with LiveServer(app) as server:
        ivs = boto3_client(server.url)
        stage = ivs.create_stage(name="kept")["stage"]
        token = ivs.create_participant_token(stageArn=stage["arn"])["participantToken"]
        c = claims(token["token"])
        url = f"{c['events_url']}/{c['topic']}"

        async def scenario() -> None:
            async with aiohttp.ClientSession() as http:
                first = await EventsSocket.open(http, url, token["token"])
                await first.next("STAGE_STATE")
                second = await EventsSocket.open(http, url, token["token"])
                await second.next("STAGE_STATE")
                await first.next("aws:ivs:DISCONNECT")
                persistence.directory.close()  # a crash: nothing more reaches the directory
                await asyncio.to_thread(plane.stop)

        run(scenario())

    again = create_app(Config(**settings))
    with LiveServer(again) as server:
        seen = names(events_of(boto3_client(server.url), stage["arn"], token["participantId"]))
    assert seen == ["JOINED", "LEFT", "JOINED"]
    emulator_of(again).persistence.close()  # type: ignore[union-attr]
