"""The emulator's own endpoints under /_emulator/."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from emulator.config import package_version
from tests.helpers import client_error, error_code


def test_health_answers_ready_and_its_version(client: FlaskClient) -> None:
    response = client.get("/_emulator/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "version": package_version()}


def test_jwks_publishes_one_p384_signing_key(client: FlaskClient) -> None:
    (key,) = client.get("/_emulator/jwks.json").get_json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-384", "ES384", "sig")
    assert "d" not in key


def test_reset_forgets_every_stage_of_every_account(make_ivs: Any, live_server: Any) -> None:
    import urllib.request

    first = make_ivs(access_key="111111111111")
    second = make_ivs(access_key="222222222222", region="eu-west-1")
    arns = [first.create_stage()["stage"]["arn"], second.create_stage()["stage"]["arn"]]
    request = urllib.request.Request(f"{live_server.url}/_emulator/reset", method="POST")
    assert urllib.request.urlopen(request).status == 200
    assert error_code(client_error(first.get_stage, arn=arns[0])) == "ResourceNotFoundException"
    assert error_code(client_error(second.get_stage, arn=arns[1])) == "ResourceNotFoundException"


def test_behaviours_round_trip(client: FlaskClient) -> None:
    body = {
        "denied": ["111111111111"],
        "pendingVerification": ["AKIAPENDING"],
        "quotas": {"stages": 3},
    }
    assert client.post("/_emulator/behaviours", json=body).status_code == 200
    snapshot = client.get("/_emulator/behaviours").get_json()
    assert snapshot["denied"] == ["111111111111"]
    assert snapshot["pendingVerification"] == ["AKIAPENDING"]
    assert snapshot["quotas"]["stages"] == 3


def test_behaviours_refuse_an_unknown_quota(client: FlaskClient) -> None:
    response = client.post("/_emulator/behaviours", json={"quotas": {"channels": 1}})
    assert response.status_code == 400


def test_behaviours_refuse_a_body_that_is_not_an_object(client: FlaskClient) -> None:
    assert (
        client.post("/_emulator/behaviours", data="[", content_type="application/json").status_code
        == 400
    )


def test_behaviours_with_one_bad_member_change_nothing(client: FlaskClient) -> None:
    before = client.get("/_emulator/behaviours").get_json()
    body = {"denied": ["111111111111"], "quotas": {"stages": 1, "channels": 1}}
    assert client.post("/_emulator/behaviours", json=body).status_code == 400
    assert client.get("/_emulator/behaviours").get_json() == before
