"""The events WebSocket's messages and the codes of every refusal (choice C57).

Server to client: STAGE_STATE, PONG, aws:ivs:DISCONNECT and aws:ivs:JOIN_ERROR, each a JSON
text message. A token the admission check refuses maps to one JOIN_ERROR code, an HTTP status
(for WHIP and a WebSocket refused before its upgrade) and the same code in a JSON body
`{"code", "message"}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..service.admission import Problem


class DisconnectCode(StrEnum):
    """Why a member's socket is closed after it joined."""

    PARTICIPANT_DISCONNECTED = "PARTICIPANT_DISCONNECTED"
    STAGE_DELETED = "STAGE_DELETED"
    TOKEN_REUSED = "TOKEN_REUSED"


@dataclass(frozen=True)
class Denial:
    """A refusal as the data plane tells it: code, readable message, HTTP status."""

    code: str
    message: str
    status: int

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


_PROBLEM_CODES: dict[Problem, tuple[str, int]] = {
    Problem.MALFORMED: ("TOKEN_INVALID", 401),
    Problem.WRONG_ALGORITHM: ("TOKEN_INVALID", 401),
    Problem.INVALID_CLAIMS: ("TOKEN_INVALID", 401),
    Problem.NOT_YET_VALID: ("TOKEN_INVALID", 401),
    Problem.LIFETIME_TOO_LONG: ("TOKEN_INVALID", 401),
    Problem.TOPIC_MISMATCH: ("TOKEN_INVALID", 401),
    Problem.UNKNOWN_KEY: ("TOKEN_INVALID_SIGNATURE", 401),
    Problem.KEY_DELETED: ("TOKEN_INVALID_SIGNATURE", 401),
    Problem.BAD_SIGNATURE: ("TOKEN_INVALID_SIGNATURE", 401),
    Problem.EXPIRED: ("TOKEN_EXPIRED", 401),
    Problem.STAGE_NOT_FOUND: ("STAGE_DELETED", 404),
    Problem.PARTICIPANT_DISCONNECTED: ("PARTICIPANT_DISCONNECTED", 403),
    Problem.TOKEN_REVOKED: ("TOKEN_REVOKED", 403),
}


def token_denial(problem: str, reason: str) -> Denial:
    """The denial of a token that admission refused with `problem` (a Problem value)."""
    code, status = _PROBLEM_CODES.get(Problem(problem), ("TOKEN_INVALID", 401))
    return Denial(code, reason, status)


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def stage_state(
    sequence_number: int,
    participants: list[dict[str, Any]],
    disconnected: list[str],
) -> dict[str, Any]:
    """STAGE_STATE: who is on the stage now, and who was removed from it (KICKED)."""
    return {
        "type": "STAGE_STATE",
        "payload": {
            "sequenceNumber": sequence_number,
            "participants": participants,
            "disconnected": [{"id": pid, "status": "KICKED"} for pid in disconnected],
            "serverFeatures": [],
        },
    }


def disconnect(code: DisconnectCode, reason: str) -> dict[str, Any]:
    return {"type": "aws:ivs:DISCONNECT", "payload": {"code": code.value, "reason": reason}}


def join_error(denial: Denial) -> dict[str, Any]:
    return {"type": "aws:ivs:JOIN_ERROR", "payload": denial.body()}


PONG: dict[str, Any] = {"type": "PONG"}
