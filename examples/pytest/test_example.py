"""Testing code that uses Amazon IVS Real-Time, against the emulator.

Copy this file into your tests. With ivs-realtime-emulator, boto3 and pytest installed, pytest
finds the fixtures by itself: no conftest.py, no server to start, no AWS account.
"""

from __future__ import annotations

from typing import Any

import jwt  # PyJWT, installed with the emulator


# The code under test: in your project it lives in your package and takes the client it is given.
def invite_viewer(ivs: Any, stage_name: str, user_id: str) -> dict[str, Any]:
    """Create a stage and a subscribe-only token for one viewer, valid for an hour."""
    stage = ivs.create_stage(name=stage_name)["stage"]
    token = ivs.create_participant_token(
        stageArn=stage["arn"], userId=user_id, capabilities=["SUBSCRIBE"], duration=60
    )["participantToken"]
    return {"stage_arn": stage["arn"], "token": token}


def test_a_viewer_gets_a_subscribe_only_token_for_the_new_stage(
    ivs_realtime_client: Any, ivs_emulator_url: str
) -> None:
    invite = invite_viewer(ivs_realtime_client, "launch-party", "viewer-1")
    token = invite["token"]
    assert token["userId"] == "viewer-1"
    assert token["capabilities"] == ["SUBSCRIBE"]
    assert token["duration"] == 60

    # The token verifies with the key the emulator publishes, and says what a stage checks.
    jwks = jwt.PyJWKClient(ivs_emulator_url + "/_emulator/jwks.json")
    key = jwks.get_signing_key_from_jwt(token["token"]).key
    claims = jwt.decode(token["token"], key, algorithms=["ES384"])
    assert claims["resource"] == invite["stage_arn"]
    assert claims["user_id"] == "viewer-1"
    assert claims["jti"] == token["participantId"]
    assert claims["capabilities"] == {"allow_subscribe": True}  # only the granted flags
    assert claims["exp"] - claims["iat"] == 60 * 60


def test_each_test_starts_with_no_stages(ivs_realtime_client: Any) -> None:
    # The stage the test above created is gone: the emulator is reset before every test.
    assert ivs_realtime_client.list_stages()["stages"] == []
