"""No crash, anywhere, on any input (issue 14): every endpoint answers bad input with a clear
4xx in its own shape, an unexpected error is a 500 (never a 404), and HTTP errors keep their
status (choice C68 in contract/README.md). The fuzzer (tests/test_fuzz.py) sends thousands of
such inputs; these tests pin the ones that once crashed.
"""

from __future__ import annotations

import base64
import http.client
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import emulator.http.protocol
from emulator import Config, create_app
from emulator.http.app import emulator_of

DEEP = b"[" * 10_000 + b"]" * 10_000


def control_posts() -> list[str]:
    """Every control route that takes a POST with a body (reset takes none)."""
    app = create_app(Config())
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/_emulator/")
        and "POST" in (rule.methods or ())
        and rule.rule != "/_emulator/reset"
    )


def control_message(response: Any) -> str:
    """The words of a control endpoint's refusal: `message`, or the stage client's `reason`."""
    body = response.get_json()
    assert "x-amzn-ErrorType" not in response.headers
    return str(body.get("message") or body["reason"])


@pytest.mark.parametrize("path", control_posts())
def test_a_deeply_nested_body_is_a_400_on_every_control_endpoint(
    client: FlaskClient, path: str
) -> None:
    response = client.post(path, data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in control_message(response)


@pytest.mark.parametrize("path", control_posts())
def test_a_lone_surrogate_is_a_400_on_every_control_endpoint(
    client: FlaskClient, path: str
) -> None:
    names = ("token", "streamKey", "operation", "error", "account", "now", "seed", "denied")
    body = "{" + ",".join(f'"{name}": "\\ud800"' for name in names) + "}"
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "lone surrogate" in control_message(response)


def test_nan_is_not_json_to_a_control_endpoint(client: FlaskClient) -> None:
    response = client.post(
        "/_emulator/faults",
        data=b'{"operation": "GetStage", "error": "ValidationException", "probability": NaN}',
        content_type="application/json",
    )
    assert (response.status_code, "not valid JSON" in control_message(response)) == (400, True)


def test_a_crash_in_a_control_view_is_a_500_with_a_message_not_a_404(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(emulator_of(app).backend.behaviours.faults, "views", broken)
    response = client.get("/_emulator/faults")
    assert response.status_code == 500
    assert "see the emulator's log" in control_message(response)
    assert "secret detail" not in response.get_data(as_text=True)


def test_a_crash_before_the_api_handler_is_an_internal_server_exception(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(emulator.http.protocol, "identify_caller", broken)
    response = client.post("/CreateStage", json={})
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (
        500,
        "InternalServerException",
    )
    assert "secret detail" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "FOO"])
def test_a_wrong_method_on_a_control_route_is_405_with_its_methods(
    client: FlaskClient, method: str
) -> None:
    response = client.open("/_emulator/faults", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, POST"
    assert "does not take" in control_message(response)


def test_a_path_under_emulator_that_no_control_has_is_404_in_the_control_shape(
    client: FlaskClient,
) -> None:
    response = client.get("/_emulator/nothing-here")
    assert response.status_code == 404
    assert "no control endpoint" in control_message(response)


@pytest.mark.parametrize("path", ["/_emulator/faults", "/_emulator/stage/join"])
def test_a_control_body_over_the_limit_is_413_in_the_control_shape(path: str) -> None:
    client = create_app(Config(max_body_bytes=100)).test_client()
    response = client.post(
        path, data=b'{"a": "' + b"x" * 1000 + b'"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert control_message(response)


def test_an_unknown_method_on_an_api_path_keeps_its_405(client: FlaskClient) -> None:
    response = client.open("/CreateStage", method="FOO")
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (
        405,
        "UnknownOperationException",
    )
    assert response.get_json()["message"] == "Method Not Allowed: FOO /CreateStage"


def test_every_control_route_is_known_to_the_fuzzer() -> None:
    from fuzz.controls import ROUTES

    app = create_app(Config())
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/_emulator")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes == set(ROUTES)


def test_a_64_mib_import_of_small_values_is_refused_before_it_is_parsed() -> None:
    from fuzz.server import Emulator

    server = Emulator(seed=1)
    try:
        body = b'{"regions":[' + b"{}," * (64 * 1024 * 1024 // 3 - 10) + b"{}]}"
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("POST", "/_emulator/import", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        message = response.read()
        assert response.status == 400, message
        assert b"refused before it is read" in message
        assert peak_kib(server.process.pid) < 400 * 1024
    finally:
        server.stop()


def peak_kib(pid: int) -> int:
    """The highest VmHWM of `pid` and its children (the emulator's worker holds the state)."""
    peaks = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE)
        if entry.name == str(pid) or (ppid and ppid.group(1) == str(pid)):
            found = re.search(r"^VmHWM:\s+(\d+)", status, re.MULTILINE)
            peaks.append(int(found.group(1)) if found else 0)
    return max(peaks)


def test_a_refused_token_whose_claims_are_not_unicode_is_still_answered(
    client: FlaskClient,
) -> None:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = b'{"resource": "arn:aws:ivs:us-east-1:123456789012:stage/abc", "user_id": "\\ud800"}'
    token = b64(b'{"alg": "ES384", "kid": "k"}') + "." + b64(claims) + "." + b64(b"x" * 96)
    response = client.post("/_emulator/token-check", json={"token": token})
    assert response.status_code == 200
    assert response.get_json()["claims"]["user_id"] == "\ud800"
