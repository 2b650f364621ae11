"""Browsers can call the emulator: CORS preflights answered as choice C53 says, checked by
the Flask test client and by a real web page in headless Chromium that calls the API through
the JS SDK v3 with SigV4 credentials (tests/js/browser_sdk.mjs).

The page is served from 127.0.0.1 on another port than the emulator's, so it is of another
origin and the browser preflights every signed call; the emulator records each request it
receives (method, path, the headers the preflight asks for) to show what the browser sent.
The browser test needs Node.js, `npm ci --prefix tests/js` (the SDK, esbuild, playwright-core)
and Chromium (`apt-get install chromium`); `make test` installs the npm packages when npm is
there. Without them it is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Response, request
from flask.testing import FlaskClient

from emulator import Config, create_app
from emulator.config import parse_credentials
from emulator.testing import LiveServer

JS_DIR = Path(__file__).resolve().parent / "js"
NEEDED = ("@aws-sdk/client-ivs-realtime", "esbuild", "playwright-core")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SDK_HEADERS = (
    "authorization",
    "content-type",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-user-agent",
    "x-amz-security-token",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
)
"""What the JS SDK v3 signs and sends, with session credentials (issue 12)."""

needs_browser = [
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
    pytest.mark.skipif(
        not all((JS_DIR / "node_modules" / name).is_dir() for name in NEEDED),
        reason="JS packages not installed: run `npm ci --prefix tests/js` (make test does)",
    ),
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None,
        reason=f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (or set CHROMIUM)",
    ),
]


def preflight(client: FlaskClient, path: str, method: str = "POST", **headers: str) -> Any:
    return client.options(
        path,
        headers={
            "Origin": "http://127.0.0.1:8000",
            "Access-Control-Request-Method": method,
            **headers,
        },
    )


def listed(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",")]


# -- the preflight answer (Flask test client) ----------------------------------------------------


def test_a_preflight_of_an_operation_is_answered_200_without_a_body(client: FlaskClient) -> None:
    answer = preflight(client, "/CreateStage")
    assert (answer.status_code, answer.get_data()) == (200, b"")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_allows_the_methods_the_contract_routes_at_the_path(
    client: FlaskClient,
) -> None:
    tags = "/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2FabcdABCDefgh"
    assert listed(preflight(client, "/CreateStage").headers["Access-Control-Allow-Methods"]) == [
        "post",
        "options",
    ]
    assert listed(preflight(client, tags, "GET").headers["Access-Control-Allow-Methods"]) == [
        "delete",
        "get",
        "post",
        "options",
    ]


def test_a_preflight_allows_every_header_the_sdk_sends(client: FlaskClient) -> None:
    answer = preflight(client, "/CreateStage", **{"Access-Control-Request-Headers": "x-custom"})
    assert set(SDK_HEADERS) <= set(listed(answer.headers["Access-Control-Allow-Headers"]))


def test_a_preflight_allows_further_amz_headers_the_browser_asks_for(client: FlaskClient) -> None:
    asked = "amz-sdk-future, X-Amz-Checksum-Crc32, x-custom"
    answer = preflight(client, "/CreateStage", **{"Access-Control-Request-Headers": asked})
    allowed = listed(answer.headers["Access-Control-Allow-Headers"])
    assert "amz-sdk-future" in allowed and "x-amz-checksum-crc32" in allowed
    assert "x-custom" not in allowed


def test_a_preflight_may_be_kept_for_a_day(client: FlaskClient) -> None:
    assert preflight(client, "/CreateStage").headers["Access-Control-Max-Age"] == "86400"


def test_a_preflight_of_an_unknown_path_is_an_unknown_operation(client: FlaskClient) -> None:
    answer = preflight(client, "/NoSuchOperation")
    assert (answer.status_code, answer.headers["x-amzn-ErrorType"]) == (
        404,
        "UnknownOperationException",
    )


def test_an_options_request_that_is_not_a_preflight_is_an_unknown_operation(
    client: FlaskClient,
) -> None:
    answer = client.options("/CreateStage")
    assert (answer.status_code, answer.headers["x-amzn-ErrorType"]) == (
        404,
        "UnknownOperationException",
    )


def test_a_preflight_needs_no_signature_when_signatures_are_verified() -> None:
    config = Config(verify_signatures=True, credentials=parse_credentials("AKID=secret"))
    client = create_app(config).test_client()
    assert preflight(client, "/CreateStage").status_code == 200
    assert client.post("/CreateStage", json={}).status_code == 403  # the call itself does


def test_a_preflight_is_not_an_api_request_in_the_journal(client: FlaskClient) -> None:
    preflight(client, "/CreateStage")
    assert client.get("/_emulator/requests").get_json()["requests"] == []


# -- a web page in headless Chromium --------------------------------------------------------------


@dataclass
class Received:
    """One request as the emulator received it."""

    method: str
    path: str
    asked_headers: list[str]
    status: int
    allowed_headers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PageRun:
    seen: dict[str, Any]
    received: list[Received]
    emulator_url: str


@pytest.fixture(scope="module")
def page_run() -> Iterator[PageRun]:
    """One run of browser_sdk.mjs against an emulator that records what it receives."""
    app = create_app(Config())
    received: list[Received] = []

    @app.after_request
    def record(response: Response) -> Response:
        received.append(
            Received(
                request.method,
                request.path,
                listed(request.headers.get("Access-Control-Request-Headers", "")),
                response.status_code,
                listed(response.headers.get("Access-Control-Allow-Headers", "")),
            )
        )
        return response

    with LiveServer(app) as server:
        done = subprocess.run(
            ["node", str(JS_DIR / "browser_sdk.mjs"), server.url],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "CHROMIUM": CHROMIUM},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        yield PageRun(json.loads(done.stdout), received, server.url)


def browser_test(function: Any) -> Any:
    for mark in needs_browser:
        function = mark(function)
    return function


@browser_test
def test_a_page_of_another_origin_creates_a_stage_through_the_js_sdk(page_run: PageRun) -> None:
    seen = page_run.seen
    assert "HeadlessChrome" in seen["userAgent"]
    assert seen["origin"] != page_run.emulator_url
    assert seen["stage"]["arn"].startswith("arn:aws:ivs:eu-west-1:444455556666:stage/")
    assert (seen["stage"]["name"], seen["stage"]["tags"]) == ("from-a-page", {"via": "chromium"})


@browser_test
def test_the_browser_preflights_each_signed_call_and_then_sends_it(page_run: PageRun) -> None:
    calls = [(r.method, r.path.split("/")[1], r.status) for r in page_run.received]
    assert calls == [
        ("OPTIONS", "CreateStage", 200),
        ("POST", "CreateStage", 200),
        ("OPTIONS", "tags", 200),
        ("GET", "tags", 200),
        ("OPTIONS", "GetStage", 200),
        ("POST", "GetStage", 404),
    ]


@browser_test
def test_the_preflight_allows_every_header_the_browser_asked_for(page_run: PageRun) -> None:
    preflights = [r for r in page_run.received if r.method == "OPTIONS"]
    for received in preflights:
        assert set(received.asked_headers) <= set(received.allowed_headers), received
    asked = {name for received in preflights for name in received.asked_headers}
    assert asked == set(SDK_HEADERS)


@browser_test
def test_the_page_reads_tags_and_modelled_errors_across_origins(page_run: PageRun) -> None:
    assert page_run.seen["tags"] == {"via": "chromium"}
    assert page_run.seen["notFound"] == {
        "name": "ResourceNotFoundException",
        "exceptionMessage": page_run.seen["stage"]["arn"].rsplit("/", 1)[0].join(
            ["Stage not found: ", "/missing"]
        ),
        "status": 404,
    }


@browser_test
def test_the_page_meets_no_cors_error(page_run: PageRun) -> None:
    # The one console error is Chromium reporting the GetStage 404 as a failed load.
    assert page_run.seen["errors"] == [
        "Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
    ]
