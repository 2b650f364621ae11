"""The real IVS Web Broadcast SDK (`amazon-ivs-web-broadcast`, from npm at test time) joins a
stage on the emulator's data plane, in headless Chromium, with nothing outside the machine.

Two pages load the SDK (tests/web_sdk/page/): alice (PUBLISH and SUBSCRIBE) publishes the fake
camera and microphone, bob (SUBSCRIBE) subscribes. One run, recorded once per module, does it
all in two sessions: in the first alice publishes, bob subscribes and renders her video, alice
mutes and unmutes, then both call leave(); in the second both join again and the control plane's
DisconnectParticipant removes alice. Each test checks one thing the run saw.

Marker `web_sdk`: `make test-web-sdk` installs the packages into a scratch folder outside the
repository and runs this in a network namespace whose only interface is loopback; elsewhere it
skips, in one line, saying why (browser.py `missing`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from emulator import Config, create_app
from emulator.http.app import emulator_of
from emulator.testing import LiveServer, boto3_client
from tests.stage_player import public_pem, self_signed_token
from tests.web_sdk.browser import (
    CHROMIUM,
    EXAMPLE_DIR,
    Driver,
    PageServer,
    missing,
    scratch_dir,
    sdk_version,
)

if (reason := missing()) is not None:  # one line in the summary, whichever is missing
    pytest.skip(reason, allow_module_level=True)

PUBLISHED, SUBSCRIBED = "published", "subscribed"
SERVICE_ENDPOINTS = {
    "events": "wss://global.events.live-video.net",
    "whip": "https://global.whip.live-video.net",
}
"""What a token names when the app's backend keeps the service's endpoints (docs/web-apps.md)."""
OVERRIDDEN_ID = "carolOverrid"
PARTICIPANT_DISCONNECTED_CODE = 10
"""StageErrorCode.PARTICIPANT_DISCONNECTED in the SDK's public type declarations."""


@dataclass
class Run:
    """What the pages and the control plane showed, step by step."""

    sdk: str = ""
    browser: str = ""
    stage_arn: str = ""
    alice_id: str = ""
    bob_id: str = ""
    first_session: str = ""
    alice_join_ms: int = 0
    alice: dict[str, Any] = field(default_factory=dict)
    bob: dict[str, Any] = field(default_factory=dict)
    participants: list[dict[str, Any]] = field(default_factory=list)
    alice_record: dict[str, Any] = field(default_factory=dict)
    alice_events: list[str] = field(default_factory=list)
    bob_events: list[str] = field(default_factory=list)
    muted_seen: dict[str, Any] = field(default_factory=dict)
    unmuted_seen: dict[str, Any] = field(default_factory=dict)
    video_stopped_seen: dict[str, Any] = field(default_factory=dict)
    after_leave_alice: dict[str, Any] = field(default_factory=dict)
    after_leave_bob: dict[str, Any] = field(default_factory=dict)
    after_leave_participants: list[dict[str, Any]] = field(default_factory=list)
    first_session_record: dict[str, Any] = field(default_factory=dict)
    kicked_alice: dict[str, Any] = field(default_factory=dict)
    kicked_bob: dict[str, Any] = field(default_factory=dict)
    kicked_record: dict[str, Any] = field(default_factory=dict)
    rejoin: dict[str, Any] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    overridden: dict[str, Any] = field(default_factory=dict)
    overridden_record: dict[str, Any] = field(default_factory=dict)
    data_plane_url: str = ""
    page_url: str = ""


def published(seen: dict[str, Any], participant_id: str) -> bool:
    return any(
        e["participant"]["id"] == participant_id and e["state"] == PUBLISHED
        for e in seen["publish"]
    )


def subscribed(seen: dict[str, Any], participant_id: str) -> bool:
    return any(
        e["participant"]["id"] == participant_id and e["state"] == SUBSCRIBED
        for e in seen["subscribe"]
    )


def info_of(seen: dict[str, Any], participant_id: str) -> dict[str, Any] | None:
    for participant in seen["participants"]:
        if participant["id"] == participant_id:
            return dict(participant)
    return None


def rendering(seen: dict[str, Any], participant_id: str) -> dict[str, Any] | None:
    for video in seen["videos"]:
        if video["id"] == f"video-{participant_id}" and video["videoWidth"] > 0:
            return dict(video)
    return None


def event_names(ivs: Any, stage_arn: str, session_id: str, participant_id: str) -> list[str]:
    """The participant's events, oldest first (the API lists the newest first)."""
    listed = ivs.list_participant_events(
        stageArn=stage_arn, sessionId=session_id, participantId=participant_id
    )["events"]
    return [event["name"] for event in reversed(listed)]


def token(ivs: Any, stage_arn: str, user_id: str, capabilities: list[str]) -> dict[str, Any]:
    return dict(
        ivs.create_participant_token(stageArn=stage_arn, userId=user_id, capabilities=capabilities)[
            "participantToken"
        ]
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("web-sdk")
    _log_data_plane(folder / "data-plane.log")
    app = create_app(Config(data_plane=True, data_plane_port=0))
    plane = emulator_of(app).data_plane
    assert plane is not None
    pages = PageServer()
    driver = Driver(folder / "browser.log")
    record = Run(sdk=sdk_version(), data_plane_url=plane.url, page_url=pages.url)
    try:
        with LiveServer(app) as server:
            try:
                _play(record, boto3_client(server.url), driver, pages.url, folder)
            finally:
                (folder / "run.json").write_text(json.dumps(asdict(record), indent=1, default=str))
        yield record
    finally:
        driver.close()
        pages.close()
        plane.stop()


def _play(record: Run, ivs: Any, driver: Driver, url: str, folder: Path) -> None:
    record.browser = driver.launch(folder / "profile")
    stage_arn = record.stage_arn = ivs.create_stage(name="web-sdk")["stage"]["arn"]

    # -- first session: publish, subscribe, mute, leave -------------------------------------
    alice_token = token(ivs, stage_arn, "alice", ["PUBLISH", "SUBSCRIBE"])
    bob_token = token(ivs, stage_arn, "bob", ["SUBSCRIBE"])
    alice_id = record.alice_id = alice_token["participantId"]
    bob_id = record.bob_id = bob_token["participantId"]
    alice, bob = driver.open("alice", url), driver.open("bob", url)

    record.alice_join_ms = alice.call("join", alice_token["token"], True)
    alice.wait_for("herself published", lambda seen: published(seen, alice_id))
    bob.call("join", bob_token["token"], False)
    bob.wait_for("alice subscribed", lambda seen: subscribed(seen, alice_id))
    bob.wait_for("alice's video rendered", lambda seen: rendering(seen, alice_id))
    record.alice, record.bob = alice.seen(), bob.seen()

    session_id = record.first_session = ivs.list_stage_sessions(stageArn=stage_arn)[
        "stageSessions"
    ][0]["sessionId"]
    record.participants = ivs.list_participants(stageArn=stage_arn, sessionId=session_id)[
        "participants"
    ]
    record.alice_record = ivs.get_participant(
        stageArn=stage_arn, sessionId=session_id, participantId=alice_id
    )["participant"]
    record.alice_events = event_names(ivs, stage_arn, session_id, alice_id)
    record.bob_events = event_names(ivs, stage_arn, session_id, bob_id)

    alice.call("setMuted", "audio", True)
    record.muted_seen = bob.wait_for(
        "alice's audio muted",
        lambda seen: (info_of(seen, alice_id) or {}).get("audioMuted") and info_of(seen, alice_id),
    )
    alice.call("setMuted", "audio", False)
    record.unmuted_seen = bob.wait_for(
        "alice's audio unmuted",
        lambda seen: (
            (info := info_of(seen, alice_id)) is not None and info["audioMuted"] is False and info
        ),
    )
    alice.call("setMuted", "video", True)
    record.video_stopped_seen = bob.wait_for(
        "alice's video stopped",
        lambda seen: (
            (info_of(seen, alice_id) or {}).get("videoStopped") and info_of(seen, alice_id)
        ),
    )

    alice.call("leave")
    bob.call("leave")
    record.after_leave_alice = alice.wait_for(
        "her stage left", lambda seen: seen["stageLeft"] and seen
    )
    record.after_leave_bob = bob.wait_for("his stage left", lambda seen: seen["stageLeft"] and seen)
    _wait_until_ended(ivs, stage_arn, session_id)
    record.after_leave_participants = ivs.list_participants(
        stageArn=stage_arn, sessionId=session_id
    )["participants"]
    record.first_session_record = ivs.get_stage_session(stageArn=stage_arn, sessionId=session_id)[
        "stageSession"
    ]
    alice.close()
    bob.close()

    # -- second session: DisconnectParticipant -----------------------------------------------
    alice_token = token(ivs, stage_arn, "alice", ["PUBLISH", "SUBSCRIBE"])
    bob_token = token(ivs, stage_arn, "bob", ["SUBSCRIBE"])
    alice, bob = driver.open("alice-2", url), driver.open("bob-2", url)
    alice.call("join", alice_token["token"], True)
    bob.call("join", bob_token["token"], False)
    kicked_id = alice_token["participantId"]
    bob.wait_for("alice subscribed", lambda seen: subscribed(seen, kicked_id))
    ivs.disconnect_participant(stageArn=stage_arn, participantId=kicked_id, reason="harness")
    record.kicked_alice = alice.wait_for("her stage left", lambda seen: seen["stageLeft"] and seen)
    record.kicked_bob = bob.wait_for(
        "alice leave",
        lambda seen: any(e["participant"]["id"] == kicked_id for e in seen["left"]) and seen,
    )
    second = ivs.list_stage_sessions(stageArn=stage_arn)["stageSessions"][0]["sessionId"]
    record.kicked_record = ivs.get_participant(
        stageArn=stage_arn, sessionId=second, participantId=kicked_id
    )["participant"]
    record.rejoin = alice.call("tryJoin", alice_token["token"], True)
    bob.call("leave")
    alice.close()
    bob.close()

    # -- a service-style token, its endpoints overridden on the page --------------------------
    key = ec.generate_private_key(ec.SECP384R1())
    key_arn = ivs.import_public_key(publicKeyMaterial=public_pem(key))["publicKey"]["arn"]
    stage = ivs.get_stage(arn=stage_arn)["stage"]
    service_style = self_signed_token(
        key,
        key_arn,
        {**stage, "endpoints": SERVICE_ENDPOINTS},
        jti=OVERRIDDEN_ID,
        iat=int(time.time()),
        user_id="carol",
    )
    carol = driver.open("carol", url)
    carol.call("override", stage["endpoints"]["events"], stage["endpoints"]["whip"])
    carol.call("join", service_style, True)
    record.overridden = carol.wait_for(
        "herself published", lambda s: published(s, OVERRIDDEN_ID) and s
    )
    third = ivs.list_stage_sessions(stageArn=stage_arn)["stageSessions"][0]["sessionId"]
    record.overridden_record = ivs.get_participant(
        stageArn=stage_arn, sessionId=third, participantId=OVERRIDDEN_ID
    )["participant"]
    carol.call("leave")

    seen = driver.request("requests")
    record.requests, record.failures = seen["requests"], seen["failures"]
    record.errors = seen["errors"]


def _wait_until_ended(ivs: Any, stage_arn: str, session_id: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session = ivs.get_stage_session(stageArn=stage_arn, sessionId=session_id)["stageSession"]
        if session.get("endTime"):
            return
        time.sleep(0.2)


def _log_data_plane(path: Path) -> None:
    """The data plane's log (what the SDK sent it) beside the browser's, for a failing run."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("emulator.dataplane")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)


# -- the tests ---------------------------------------------------------------------------------


def test_alices_join_resolves_and_her_publish_state_reaches_published(run: Run) -> None:
    assert run.alice["joinMs"] is not None
    assert [e["state"] for e in run.alice["publish"]] == ["attempting_publish", PUBLISHED]


def test_bob_sees_alice_join(run: Run) -> None:
    joined = [e["participant"] for e in run.bob["joined"] if not e["participant"]["isLocal"]]
    assert [(p["id"], p["userId"]) for p in joined] == [(run.alice_id, "alice")]


def test_bobs_subscribe_state_reaches_subscribed(run: Run) -> None:
    states = [e["state"] for e in run.bob["subscribe"] if e["participant"]["id"] == run.alice_id]
    assert states == ["attempting_subscribe", SUBSCRIBED]


def test_bob_gets_alices_audio_and_video_streams(run: Run) -> None:
    added = [e for e in run.bob["streamsAdded"] if e["participant"]["id"] == run.alice_id]
    assert [sorted(e["types"]) for e in added] == [["audio", "video"]]


def test_bobs_video_element_shows_alices_frames(run: Run) -> None:
    video = rendering(run.bob, run.alice_id)
    assert video is not None
    assert (video["videoWidth"], video["videoHeight"]) == (640, 360)


def test_neither_page_sees_an_error_while_publishing_and_subscribing(run: Run) -> None:
    assert (run.alice["errors"], run.bob["errors"]) == ([], [])


def test_list_participants_shows_both_connected(run: Run) -> None:
    listed = {(p["userId"], p["state"]) for p in run.participants}
    assert listed == {("alice", "CONNECTED"), ("bob", "CONNECTED")}


def test_get_participant_shows_alice_published(run: Run) -> None:
    assert (run.alice_record["state"], run.alice_record["published"]) == ("CONNECTED", True)


def test_alices_events_are_joined_then_publish_started(run: Run) -> None:
    assert run.alice_events == ["JOINED", "PUBLISH_STARTED"]


def test_bobs_events_are_joined_then_subscribe_started(run: Run) -> None:
    assert run.bob_events == ["JOINED", "SUBSCRIBE_STARTED"]


def test_alice_muting_her_audio_shows_in_bobs_participant_info(run: Run) -> None:
    assert (run.muted_seen["audioMuted"], run.muted_seen["videoStopped"]) == (True, False)


def test_alice_unmuting_her_audio_shows_in_bobs_participant_info(run: Run) -> None:
    assert (run.unmuted_seen["audioMuted"], run.unmuted_seen["videoStopped"]) == (False, False)


def test_alice_stopping_her_video_shows_in_bobs_participant_info(run: Run) -> None:
    assert (run.video_stopped_seen["audioMuted"], run.video_stopped_seen["videoStopped"]) == (
        False,
        True,
    )


def test_bob_is_told_of_each_mute_change_of_alices_streams(run: Run) -> None:
    changes = [
        (e["type"], e["isMuted"])
        for e in run.after_leave_bob["muteChanged"]
        if e["participant"]["id"] == run.alice_id
    ]
    assert changes == [("audio", True), ("audio", False), ("video", True)]


def test_leave_ends_both_pages_as_user_initiated(run: Run) -> None:
    reasons = [e["reason"] for e in run.after_leave_alice["stageLeft"]] + [
        e["reason"] for e in run.after_leave_bob["stageLeft"]
    ]
    assert reasons == ["user-initiated", "user-initiated"]


def test_leave_disconnects_both_pages(run: Run) -> None:
    last = [run.after_leave_alice["connection"][-1], run.after_leave_bob["connection"][-1]]
    assert [e["state"] for e in last] == ["disconnected", "disconnected"]


def test_after_leave_both_participants_are_disconnected(run: Run) -> None:
    assert {p["state"] for p in run.after_leave_participants} == {"DISCONNECTED"}


def test_after_leave_the_session_ends(run: Run) -> None:
    assert run.first_session_record.get("endTime") is not None


def test_disconnect_participant_ends_alices_stage_as_participant_disconnected(run: Run) -> None:
    assert [e["reason"] for e in run.kicked_alice["stageLeft"]] == ["participant-disconnected"]


def test_disconnect_participant_shows_in_bobs_page_as_alice_leaving(run: Run) -> None:
    left = [e["participant"]["id"] for e in run.kicked_bob["left"]]
    assert left == [run.kicked_record["participantId"]]


def test_disconnect_participant_leaves_alice_disconnected_in_the_control_plane(run: Run) -> None:
    assert run.kicked_record["state"] == "DISCONNECTED"


def test_joining_again_with_the_disconnected_token_rejects_as_participant_disconnected(
    run: Run,
) -> None:
    error = run.rejoin["error"]
    assert (error["category"], error["code"]) == ("JOIN_ERROR", PARTICIPANT_DISCONNECTED_CODE)


def test_every_request_of_the_pages_stays_on_loopback_or_is_refused_by_name(run: Run) -> None:
    outside = {
        r["url"]
        for r in run.requests
        if urlsplit(r["url"]).scheme != "data" and urlsplit(r["url"]).hostname != "127.0.0.1"
    }
    refused = {f["url"] for f in run.failures if f["error"] == "net::ERR_NAME_NOT_RESOLVED"}
    assert outside <= refused


def test_the_data_plane_answers_no_request_of_the_pages_with_an_error(run: Run) -> None:
    assert run.errors == []


def test_a_service_style_token_publishes_through_the_ivs_client_overrides_hook(run: Run) -> None:
    assert published(run.overridden, OVERRIDDEN_ID)


def test_the_overridden_participant_is_the_tokens_in_the_control_plane(run: Run) -> None:
    record = run.overridden_record
    assert (record["userId"], record["published"]) == ("carol", True)


# -- the example a team copies (examples/web-sdk/) -----------------------------------------------


def test_the_example_end_to_end_test_passes_against_the_emulator(
    tmp_path: Path,
) -> None:
    example = tmp_path / "example"
    shutil.copytree(EXAMPLE_DIR, example, ignore=shutil.ignore_patterns("node_modules"))
    (example / "node_modules").symlink_to(scratch_dir() / "node_modules")
    app = create_app(Config(data_plane=True, data_plane_port=0))
    plane = emulator_of(app).data_plane
    assert plane is not None
    try:
        with LiveServer(app) as server:
            done = subprocess.run(
                ["node", "e2e.mjs"],
                cwd=example,
                env={**os.environ, "EMULATOR_URL": server.url, "CHROMIUM": CHROMIUM},
                capture_output=True,
                text=True,
                timeout=120,
            )
    finally:
        plane.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok: the host published, the viewer renders 640 px wide video")
