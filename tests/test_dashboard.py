"""The dashboard at /_emulator/: what a person debugging a test sees, in a real browser.

The page is checked twice over: through the Flask test client (it is served, with a policy that
lets only its own script run; the composition states it reads), and in headless Chromium driven
by playwright-core (tests/js/dashboard.mjs), which loads it against a live emulator holding
stages, sessions, participants and their events, a fault and a journal, and reports the page's
visible text, its HTML and a screenshot. The browser tests need Node.js, `npm ci --prefix
tests/js` and Chromium (`apt-get install chromium`; `.ci/run` does both); without them they
are skipped with the reason.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient
from stage_player import StagePlayer, joined, public_pem

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from emulator.testing import LiveServer, boto3_client

JS_DIR = Path(__file__).resolve().parent / "js"
PLAYWRIGHT = JS_DIR / "node_modules" / "playwright-core"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BROWSER_TIMEOUT = 90  # seconds for one run of dashboard.mjs, all steps

needs_browser = [
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
    pytest.mark.skipif(
        not PLAYWRIGHT.is_dir(),
        reason="playwright-core not installed: run `npm ci --prefix tests/js`",
    ),
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None,
        reason=f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (or set CHROMIUM)",
    ),
]


def browser_test(function: Any) -> Any:
    """Skip `function`, saying why, where the browser cannot run."""
    for mark in needs_browser:
        function = mark(function)
    return function


MARKUP_TAG = "<script>alert('tag')</script>"
MARKUP_USER = "<img src=x onerror=alert('user')>"


# -- the page as served --------------------------------------------------------------------------


def test_dashboard_is_served_as_html_at_emulator_root(client: FlaskClient) -> None:
    answer = client.get("/_emulator/")
    assert answer.status_code == 200
    assert answer.content_type == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "<title>IVS Real-Time emulator</title>" in answer.get_data(as_text=True)


def test_dashboard_without_trailing_slash_redirects_to_it(client: FlaskClient) -> None:
    answer = client.get("/_emulator")
    assert answer.status_code == 308
    assert answer.headers["Location"] == "/_emulator/"


def test_dashboard_policy_runs_only_the_pages_own_script_and_style(client: FlaskClient) -> None:
    answer = client.get("/_emulator/")
    page = answer.get_data(as_text=True)
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    for tag in ("script", "style"):
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
        assert len(bodies) == 1
        digest = base64.b64encode(hashlib.sha256(bodies[0].encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy


def test_dashboard_page_loads_nothing_from_elsewhere(client: FlaskClient) -> None:
    page = client.get("/_emulator/").get_data(as_text=True)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert ".innerHTML" not in page and "outerHTML" not in page and "document.write" not in page


def test_dashboard_composition_states_follow_the_clock(
    ivs: Any, live_server: LiveServer, clock: FixedClock, client: FlaskClient
) -> None:
    # `client` is of the same app as `live_server` (the conftest's `app` fixture).
    stage = ivs.create_stage(name="composed")["stage"]
    storage = ivs.create_storage_configuration(s3={"bucketName": "bucket"})
    encoder = ivs.create_encoder_configuration()["encoderConfiguration"]
    destination = {
        "s3": {
            "storageConfigurationArn": storage["storageConfiguration"]["arn"],
            "encoderConfigurationArns": [encoder["arn"]],
        }
    }
    arn = ivs.start_composition(stageArn=stage["arn"], destinations=[destination])[
        "composition"
    ]["arn"]

    def seen() -> Any:
        return client.get("/_emulator/dashboard/compositions").get_json()["compositions"][arn]

    assert seen() == {"state": "STARTING", "deleted": False}
    clock.advance(2)
    assert seen() == {"state": "ACTIVE", "deleted": False}
    ivs.stop_composition(arn=arn)
    assert seen() == {"state": "STOPPING", "deleted": False}


# -- in a browser --------------------------------------------------------------------------------


class Browser:
    """One run of tests/js/dashboard.mjs: `step()` reads what the page showed after the next
    step (the script prints one JSON line per step), so the test can act between steps."""

    def __init__(self, url: str, screenshot: Path, *steps: str) -> None:
        self.process = subprocess.Popen(
            ["node", str(JS_DIR / "dashboard.mjs"), url, str(screenshot), *steps],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "CHROMIUM": CHROMIUM},
        )
        self._watchdog = threading.Timer(BROWSER_TIMEOUT, self.process.kill)
        self._watchdog.start()

    def step(self) -> dict[str, Any]:
        assert self.process.stdout is not None and self.process.stderr is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            pytest.fail(f"dashboard.mjs stopped early: {self.process.stderr.read()}")
        return dict(json.loads(line))

    def close(self) -> None:
        self._watchdog.cancel()
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


@dataclass(frozen=True)
class Scene:
    """What the emulator holds when the page is read, and what must never be on it."""

    stage_name: str
    user_ids: list[str]
    fingerprint: str
    secrets: list[str]


def build_scene(url: str) -> Scene:
    """Stages, a session with two participants and their events, a redundant ingest, a
    public key, a composition with its configurations, a fired fault and failed calls in the
    journal."""
    ivs = boto3_client(url)
    player = StagePlayer(url)
    stage = ivs.create_stage(name="dashboard-stage", tags={"owner": MARKUP_TAG})["stage"]
    alice = ivs.create_participant_token(
        stageArn=stage["arn"], userId="alice-debugs", attributes={"role": "host"}
    )["participantToken"]
    viewer = ivs.create_participant_token(
        stageArn=stage["arn"], userId=MARKUP_USER, capabilities=["SUBSCRIBE"]
    )["participantToken"]
    joined(player.join(alice["token"]))
    joined(player.publish(alice["token"]))
    joined(player.join(viewer["token"]))
    joined(player.subscribe(viewer["token"], alice["participantId"]))
    assert player.publish(viewer["token"]).error == "insufficient_capabilities"

    ingest_stage = ivs.create_stage(name="ingest-stage")["stage"]
    ingest = ivs.create_ingest_configuration(
        name="encoder", ingestProtocol="RTMPS", stageArn=ingest_stage["arn"],
        redundantIngest=True,
    )["ingestConfiguration"]
    joined(player.start_ingest(ingest["streamKey"]))

    key = ivs.import_public_key(
        name="dashboard-key", publicKeyMaterial=public_pem(ec.generate_private_key(ec.SECP384R1()))
    )["publicKey"]
    encoder = ivs.create_encoder_configuration(name="dashboard-encoder")["encoderConfiguration"]
    storage = ivs.create_storage_configuration(
        name="dashboard-storage", s3={"bucketName": "recordings"}
    )["storageConfiguration"]
    ivs.start_composition(
        stageArn=stage["arn"],
        destinations=[{"s3": {"storageConfigurationArn": storage["arn"],
                              "encoderConfigurationArns": [encoder["arn"]]}}],
    )

    _control(url, "POST", "faults", {"operation": "GetStage", "error": "ThrottlingException"})
    for _ in range(2):  # the first meets the fault, the second a missing stage
        with contextlib.suppress(ClientError):
            ivs.get_stage(arn=stage["arn"].rsplit("/", 1)[0] + "/missing00000")

    state = _control(url, "GET", "state")
    digests = [
        participant["token_digest"]
        for region in state["regions"]
        for stage_view in region["stages"].values()
        for session in stage_view["sessions"].values()
        for participant in session["participants"].values()
        if participant["token_digest"]
    ]
    ingest_view = state["regions"][0]["ingest_configurations"][ingest["arn"]]
    redundant = [stream_key for _, stream_key in ingest_view["redundant_credentials"]]
    assert redundant, "a redundant ingest has a second stream key"
    tokens = [alice["token"], viewer["token"]]
    signatures = [token.rsplit(".", 1)[1] for token in tokens]
    return Scene(
        stage_name=stage["name"],
        user_ids=["alice-debugs", MARKUP_USER],
        fingerprint=key["fingerprint"],
        secrets=[*tokens, *signatures, ingest["streamKey"], *redundant, *digests],
    )


def _control(url: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{url}/_emulator/{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


@dataclass(frozen=True)
class Seen:
    scene: Scene
    page: dict[str, Any]
    screenshot: bytes


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seen]:
    """The dashboard of one scene as the browser showed it: one browser run shared by the
    tests below that only look, on an emulator of their own (the `ivs` and `live_server`
    fixtures are made anew for every test)."""
    screenshot = tmp_path_factory.mktemp("dashboard") / "dashboard.png"
    with LiveServer(create_app(Config())) as server:
        scene = build_scene(server.url)
        browser = Browser(f"{server.url}/_emulator/", screenshot, "wait=ThrottlingException")
        try:
            page = browser.step()
        finally:
            browser.close()
    yield Seen(scene, page, screenshot.read_bytes())


@browser_test
def test_dashboard_shows_stages_sessions_participants_and_events(seen: Seen) -> None:
    text = seen.page["text"]
    assert seen.scene.stage_name in text and "ingest-stage" in text
    assert "arn:aws:ivs:us-east-1:123456789012:stage/" in text
    for user_id in seen.scene.user_ids:
        assert user_id in text
    for event in ("JOINED", "PUBLISH_STARTED", "SUBSCRIBE_STARTED", "PUBLISH_ERROR"):
        assert event in text
    assert "INSUFFICIENT_CAPABILITIES" in text and "CONNECTED" in text
    assert "role=host" in text


@browser_test
def test_dashboard_shows_public_keys_compositions_and_configurations(seen: Seen) -> None:
    text = seen.page["text"]
    assert "dashboard-key" in text and seen.scene.fingerprint in text
    assert "dashboard-encoder" in text and "dashboard-storage" in text
    assert "bucketName=recordings" in text and "RTMPS" in text
    assert ":composition/" in text
    assert "STARTING" in text or "ACTIVE" in text


@browser_test
def test_dashboard_shows_faults_behaviours_and_the_journal(seen: Seen) -> None:
    text = seen.page["text"]
    assert "fault-1" in text and "GetStage" in text and "ThrottlingException" in text
    assert "quota: stages" in text
    journal = text[text.index("Request journal"):]
    assert "CreateStage" in journal and "CreateIngestConfiguration" in journal
    assert "429" in journal and "404" in journal and "ResourceNotFoundException" in journal


@browser_test
def test_dashboard_shows_the_eventbridge_events(seen: Seen) -> None:
    text = seen.page["text"]
    events = text[text.index("EventBridge events"):text.index("Request journal")]
    assert "IVS Stage Update" in events and "Participant Published" in events
    assert "Participant Publish Error" in events and "INSUFFICIENT_CAPABILITIES" in events
    assert "no webhook or bus configured" in events


@browser_test
def test_dashboard_never_shows_a_token_stream_key_or_token_digest(seen: Seen) -> None:
    assert "ingest configurations (1)" in seen.page["text"].lower()  # shown, without its keys
    for secret in seen.scene.secrets:
        assert secret not in seen.page["text"]
        assert secret not in seen.page["html"]


@browser_test
def test_dashboard_shows_markup_in_tags_and_user_ids_as_text(seen: Seen) -> None:
    assert f"owner={MARKUP_TAG}" in seen.page["text"]
    assert MARKUP_USER in seen.page["text"]
    assert "&lt;script&gt;" in seen.page["html"]
    assert seen.page["scripts"] == 1 and seen.page["dialogs"] == []


@browser_test
def test_dashboard_renders_without_errors_in_the_browser(seen: Seen) -> None:
    assert seen.page["errors"] == []  # script errors, failed requests (a missing favicon too)


@browser_test
def test_dashboard_screenshot_is_not_blank(seen: Seen) -> None:
    assert seen.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", seen.screenshot[16:24])
    shot = seen.page["screenshot"]
    assert (shot["width"], shot["height"]) == (width, height)
    assert width >= 1000 and height >= 1000
    assert shot["colours"] > 50  # text, badges and tables, not one flat colour
    assert shot["dominant"] < 0.9  # the background leaves room for content


@browser_test
def test_dashboard_refreshes_itself_until_paused(
    ivs: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    ivs.create_stage(name="first-stage")
    browser = Browser(
        f"{live_server.url}/_emulator/", tmp_path / "shot.png",
        "wait=first-stage", "wait=added-later", "click=#pause", "sleep=2600", "click=#pause",
        "wait=added-while-paused",
    )
    try:
        first = browser.step()
        assert "last updated" in first["text"] and "never" not in first["text"]
        ivs.create_stage(name="added-later")
        later = browser.step()
        assert later["ms"] < 6000  # shown by a refresh (every 2 s), with nothing clicked
        paused = browser.step()
        assert "Resume" in paused["text"]
        ivs.create_stage(name="added-while-paused")
        waited = browser.step()
        assert "added-while-paused" not in waited["text"]
        assert "Pause" in browser.step()["text"]  # resumed
        assert "added-while-paused" in browser.step()["text"]
    finally:
        browser.close()
