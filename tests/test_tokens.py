"""Issued tokens, verified with PyJWT against the JWKS the live server publishes."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator import Config, create_app
from emulator.testing import LiveServer, boto3_client


@pytest.fixture
def verify(live_server: LiveServer) -> Any:
    keys = jwt.PyJWKClient(f"{live_server.url}/_emulator/jwks.json")

    def decode(token: str) -> dict[str, Any]:
        key = keys.get_signing_key_from_jwt(token).key
        return dict(jwt.decode(token, key, algorithms=["ES384"], options={"verify_exp": False}))

    return decode


def test_token_verifies_against_the_published_jwks(ivs: Any, stage_arn: str, verify: Any) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn)["participantToken"]["token"]
    assert verify(token)["resource"] == stage_arn


def test_header_is_es384_jwt_with_the_key_thumbprint_as_kid(
    ivs: Any, stage_arn: str, live_server: LiveServer
) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn)["participantToken"]["token"]
    jwks = json.load(urllib.request.urlopen(f"{live_server.url}/_emulator/jwks.json"))
    assert jwt.get_unverified_header(token) == {
        "alg": "ES384",
        "typ": "JWT",
        "kid": jwks["keys"][0]["kid"],
    }


def test_claims_are_those_the_service_issues(ivs: Any, verify: Any) -> None:
    stage = ivs.create_stage(name="claims")["stage"]
    issued = ivs.create_participant_token(
        stageArn=stage["arn"], userId="bob", attributes={"seat": "3"}, capabilities=["PUBLISH"]
    )["participantToken"]
    claims = verify(issued["token"])
    assert list(claims) == [
        "exp", "iat", "jti", "resource", "topic", "events_url", "whip_url",
        "user_id", "attributes", "capabilities", "version",
    ]  # fmt: skip
    assert claims["jti"] == issued["participantId"]
    assert claims["topic"] == stage["arn"].rsplit("/", 1)[1]
    assert claims["events_url"] == stage["endpoints"]["events"]
    assert claims["whip_url"] == stage["endpoints"]["whip"]
    assert (claims["user_id"], claims["attributes"]) == ("bob", {"seat": "3"})
    assert claims["capabilities"] == {"allow_publish": True}
    assert claims["version"] == "0.0"


def test_lifetime_in_seconds_is_the_duration(ivs: Any, stage_arn: str, verify: Any) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn, duration=17)["participantToken"]
    claims = verify(token["token"])
    assert claims["exp"] - claims["iat"] == 17 * 60
    assert claims["exp"] == int(token["expirationTime"].timestamp())


@pytest.mark.parametrize(
    ("requested", "flags"),
    [
        (["PUBLISH", "SUBSCRIBE"], {"allow_publish": True, "allow_subscribe": True}),
        (["SUBSCRIBE", "PUBLISH"], {"allow_publish": True, "allow_subscribe": True}),
        (["PUBLISH"], {"allow_publish": True}),
        (["SUBSCRIBE"], {"allow_subscribe": True}),
        ([], {}),
    ],
    ids=lambda value: ",".join(value) if isinstance(value, list) else None,
)
def test_token_capabilities_hold_only_the_granted_flags(
    ivs: Any, stage_arn: str, verify: Any, requested: list[str], flags: dict[str, bool]
) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn, capabilities=requested)
    capabilities = verify(token["participantToken"]["token"])["capabilities"]
    assert (capabilities, list(capabilities)) == (flags, list(flags))


def test_create_stage_tokens_hold_only_the_granted_flags(ivs: Any, verify: Any) -> None:
    created = ivs.create_stage(
        participantTokenConfigurations=[{"capabilities": ["SUBSCRIBE"]}, {"capabilities": []}]
    )
    claims = [verify(issued["token"])["capabilities"] for issued in created["participantTokens"]]
    assert claims == [{"allow_subscribe": True}, {}]


def test_claims_keep_the_service_order_without_optional_claims(
    ivs: Any, stage_arn: str, verify: Any
) -> None:
    token = ivs.create_participant_token(stageArn=stage_arn, capabilities=[])["participantToken"]
    assert list(verify(token["token"])) == [
        "exp", "iat", "jti", "resource", "topic", "events_url", "whip_url", "capabilities",
        "version",
    ]  # fmt: skip


def test_user_id_and_attributes_are_absent_when_not_requested(
    ivs: Any, stage_arn: str, verify: Any
) -> None:
    claims = verify(ivs.create_participant_token(stageArn=stage_arn)["participantToken"]["token"])
    assert "user_id" not in claims and "attributes" not in claims


def test_create_stage_tokens_verify_too(ivs: Any, verify: Any) -> None:
    created = ivs.create_stage(participantTokenConfigurations=[{"userId": "carol"}])
    issued = created["participantTokens"][0]
    claims = verify(issued["token"])
    assert (claims["jti"], claims["user_id"]) == (issued["participantId"], "carol")


def test_a_key_file_keeps_tokens_verifiable_across_restarts(tmp_path: Any) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "signing.pem"
    path.write_bytes(pem)
    config = Config(signing_key_file=str(path))
    with LiveServer(create_app(config)) as first:
        client = boto3_client(first.url)
        stage = client.create_stage()["stage"]["arn"]
        token = client.create_participant_token(stageArn=stage)["participantToken"]["token"]
    with LiveServer(create_app(config)) as second:
        keys = jwt.PyJWKClient(f"{second.url}/_emulator/jwks.json")
        signing_key = keys.get_signing_key_from_jwt(token).key
        assert jwt.decode(token, signing_key, algorithms=["ES384"])["resource"] == stage


def test_two_emulators_have_different_keys() -> None:
    first = create_app().test_client().get("/_emulator/jwks.json").get_json()
    second = create_app().test_client().get("/_emulator/jwks.json").get_json()
    assert first["keys"][0]["kid"] != second["keys"][0]["kid"]
