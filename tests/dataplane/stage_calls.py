"""Control-plane calls the data-plane tests share: a token for a stage, and a participant's
events in the stage's latest session."""

from __future__ import annotations

from typing import Any


def issue(ivs: Any, stage: dict[str, Any], **request: Any) -> dict[str, Any]:
    return dict(ivs.create_participant_token(stageArn=stage["arn"], **request)["participantToken"])


def events_of(ivs: Any, stage_arn: str, participant_id: str) -> list[dict[str, Any]]:
    """The participant's events in the stage's latest session, oldest first."""
    sessions = ivs.list_stage_sessions(stageArn=stage_arn)["stageSessions"]
    listed = ivs.list_participant_events(
        stageArn=stage_arn, sessionId=sessions[0]["sessionId"], participantId=participant_id
    )["events"]
    return list(reversed(listed))


def names(events: list[dict[str, Any]]) -> list[str]:
    return [event["name"] for event in events]
