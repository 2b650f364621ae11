"""Participant tokens: CreateParticipantToken and the issuing shared with CreateStage."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..state.store import IssuedToken
from .context import Context, Handler, Request, Response
from .finders import find_stage

if TYPE_CHECKING:
    from ..state.store import StageRecord

SERVICE_TOKEN_VERSION = "0.0"

CAPABILITY_FLAGS = {"PUBLISH": "allow_publish", "SUBSCRIBE": "allow_subscribe"}
"""The token claim flag of each capability of the request (contract/README.md F1)."""


def granted_flags(capabilities: list[str]) -> dict[str, bool]:
    """The `capabilities` claim: `true` for each granted flag, in the service's order; a flag
    not granted is absent, never `false` (F1), so `[]` gives `{}` (choice C4)."""
    return {flag: True for name, flag in CAPABILITY_FLAGS.items() if name in capabilities}


def token_claims(stage: StageRecord, token: IssuedToken) -> dict[str, Any]:
    """The claims of a service-issued token, in the service's order (contract/README.md, F1).

    `user_id` and `attributes` appear only when the request gave them, and `capabilities`
    holds only the granted flags (choice C4).
    """
    claims: dict[str, Any] = {
        "exp": int(token.expires_at.timestamp()),
        "iat": int(token.issued_at.timestamp()),
        "jti": token.participant_id,
        "resource": stage.arn,
        "topic": stage.stage_id,
        "events_url": stage.endpoints["events"],
        "whip_url": stage.endpoints["whip"],
    }
    if token.user_id is not None:
        claims["user_id"] = token.user_id
    if token.attributes is not None:
        claims["attributes"] = dict(token.attributes)
    claims["capabilities"] = granted_flags(token.capabilities)
    claims["version"] = SERVICE_TOKEN_VERSION
    return claims


def issue_token(context: Context, stage: StageRecord, request: dict[str, Any]) -> dict[str, Any]:
    """Issue one token for `stage`; `request` has its documented defaults filled in already."""
    participant_id = context.backend.ids.resource_id()
    while participant_id in context.state.tokens:
        participant_id = context.backend.ids.resource_id()
    duration = int(request["duration"])
    token = IssuedToken(
        participant_id=participant_id,
        stage_arn=stage.arn,
        user_id=request.get("userId"),
        attributes=request.get("attributes"),
        capabilities=list(request["capabilities"]),
        duration=duration,
        issued_at=context.now,
        expires_at=context.now + timedelta(minutes=duration),
    )
    context.state.add_token(token)
    result: dict[str, Any] = {
        "participantId": participant_id,
        "token": context.backend.signer.sign(token_claims(stage, token)),
    }
    if token.user_id is not None:
        result["userId"] = token.user_id
    if token.attributes is not None:
        result["attributes"] = dict(token.attributes)
    result["duration"] = duration
    result["capabilities"] = list(token.capabilities)
    result["expirationTime"] = token.expires_at
    return result


def create_participant_token(context: Context, request: Request) -> Response:
    stage = find_stage(context, request["stageArn"])
    issued = context.state.tokens_issued_for(stage.arn)
    context.backend.behaviours.enforce("participant_tokens_per_stage", issued)
    filled = context.backend.contract.with_defaults("CreateParticipantTokenRequest", request)
    return {"participantToken": issue_token(context, stage, filled)}


HANDLERS: dict[str, Handler] = {"CreateParticipantToken": create_participant_token}
