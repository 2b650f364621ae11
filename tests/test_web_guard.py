"""What another web page can send to the emulator changes nothing and reads nothing (choice C54):
cross-origin simple requests, rebound host names, unsigned API calls from a page."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Config, create_app

EVIL = "http://evil.example"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ivs/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


@pytest.fixture
def client() -> Any:
    return create_app(Config(seed=1)).test_client()


def stages(client: Any) -> list[Any]:
    result: list[Any] = client.post("/ListStages", json={}).get_json()["stages"]
    return result


def test_a_cross_origin_text_post_cannot_reset(client: Any) -> None:
    client.post("/CreateStage", json={"name": "kept"})
    answer = client.post(
        "/_emulator/reset", data="x", headers={"Origin": EVIL, "Content-Type": "text/plain"}
    )
    assert answer.status_code == 403
    assert len(stages(client)) == 1


def test_a_cross_origin_post_without_a_body_cannot_reset(client: Any) -> None:
    client.post("/CreateStage", json={"name": "kept"})
    assert client.post("/_emulator/reset", headers={"Origin": EVIL}).status_code == 403
    assert len(stages(client)) == 1


def test_a_cross_origin_text_post_cannot_install_a_fault(client: Any) -> None:
    body = '{"operation": "GetStage", "error": "InternalServerException"}'
    answer = client.post(
        "/_emulator/faults", data=body, headers={"Origin": EVIL, "Content-Type": "text/plain"}
    )
    assert answer.status_code == 403
    assert client.get("/_emulator/faults").get_json()["faults"] == []


def test_a_control_body_must_be_json(client: Any) -> None:
    body = '{"operation": "GetStage", "error": "InternalServerException"}'
    answer = client.post("/_emulator/faults", data=body, content_type="text/plain")
    assert answer.status_code == 415
    assert client.get("/_emulator/faults").get_json()["faults"] == []


def test_an_unsigned_api_call_from_a_page_creates_nothing(client: Any) -> None:
    answer = client.post(
        "/CreateStage", data='{"name": "x"}', headers={"Origin": EVIL, "Content-Type": "text/plain"}
    )
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert stages(client) == []


def test_a_signed_api_call_from_a_page_is_served(client: Any) -> None:
    answer = client.post(
        "/CreateStage", json={"name": "x"}, headers={"Origin": EVIL, "Authorization": AUTH}
    )
    assert answer.status_code == 200


def test_a_rebound_host_name_reads_nothing(client: Any) -> None:
    client.post("/CreateStage", json={"name": "secret"})
    answer = client.get("/_emulator/export", headers={"Host": "evil.example:4599"})
    assert answer.status_code == 403
    assert b"secret" not in answer.data


def test_a_rebound_host_name_reaches_no_api(client: Any) -> None:
    answer = client.post("/ListStages", json={}, headers={"Host": "evil.example"})
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"


@pytest.mark.parametrize("host", ["localhost:4599", "127.0.0.1", "127.8.9.1:80", "[::1]:4599"])
def test_loopback_names_are_served(client: Any, host: str) -> None:
    assert client.get("/_emulator/health", headers={"Host": host}).status_code == 200


def test_an_allowed_host_is_served() -> None:
    client = create_app(Config(allowed_hosts=frozenset({"ivs"}))).test_client()
    assert client.get("/_emulator/health", headers={"Host": "ivs:4599"}).status_code == 200


def test_the_emulators_own_page_may_use_the_controls(client: Any) -> None:
    own = {"Origin": "http://localhost", "Host": "localhost"}
    assert client.post("/_emulator/reset", headers=own).status_code == 200


def test_an_allowed_origin_may_use_the_controls() -> None:
    client = create_app(Config(allowed_origins=frozenset({EVIL}))).test_client()
    assert client.post("/_emulator/reset", headers={"Origin": EVIL}).status_code == 200
