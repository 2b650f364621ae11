"""Real answers of the emulator, recorded in process, for the references that replay them.

The canned-response server and the trivial Flask app answer with these bytes, and the PyJWT
ceiling signs these claims: the references then carry the same payloads as the emulator, so
boto3 parses the same JSON and PyJWT signs the same token content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .wsgi import post

CREATE_PARTICIPANT_TOKEN = "/CreateParticipantToken"
GET_STAGE = "/GetStage"


@dataclass(frozen=True)
class Recorded:
    """One answer: its JSON body as sent, its content type and request id header."""

    body: bytes
    content_type: str
    request_id: str


@dataclass(frozen=True)
class Recording:
    answers: dict[str, Recorded]  # by path
    token: str  # the participant token in the CreateParticipantToken answer


def record() -> Recording:
    """CreateStage, then one CreateParticipantToken and one GetStage on a fresh emulator."""
    from emulator import Config, create_app

    app = create_app(Config(log_level="WARNING"))
    stage_arn = post(app, "/CreateStage", {"name": "bench"}).json()["stage"]["arn"]
    answers: dict[str, Recorded] = {}
    token = ""
    for path, body in (
        (CREATE_PARTICIPANT_TOKEN, {"stageArn": stage_arn}),
        (GET_STAGE, {"arn": stage_arn}),
    ):
        answer = post(app, path, body)
        answers[path] = Recorded(
            answer.body,
            answer.header("Content-Type") or "application/json",
            answer.header("x-amzn-RequestId") or "",
        )
        if path == CREATE_PARTICIPANT_TOKEN:
            token = str(answer.json()["participantToken"]["token"])
    return Recording(answers, token)


def token_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT, read without checking its signature."""
    import jwt

    header = dict(jwt.get_unverified_header(token))
    claims = dict(jwt.decode(token, options={"verify_signature": False}))
    return header, claims
