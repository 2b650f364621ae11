"""The envelope every IVS event has on EventBridge, and the names of the events the emulator
sends (choices C60 to C63 in contract/README.md).

An event is a plain JSON object with exactly these keys, in this order: `version` "0", `id`
(a UUID), `detail-type`, `source` "aws.ivs", `account`, `time` (whole seconds, `Z`), `region`,
`resources` and `detail`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..contract.timestamps import format_instant

SOURCE = "aws.ivs"

STAGE_UPDATE = "IVS Stage Update"
COMPOSITION_STATE_CHANGE = "IVS Composition State Change"
PARTICIPANT_RECORDING_STATE_CHANGE = "IVS Participant Recording State Change"
DETAIL_TYPES = (STAGE_UPDATE, COMPOSITION_STATE_CHANGE, PARTICIPANT_RECORDING_STATE_CHANGE)

STAGE_UPDATE_NAMES: dict[str, str] = {
    "PUBLISH_STARTED": "Participant Published",
    "PUBLISH_STOPPED": "Participant Unpublished",
    "PUBLISH_ERROR": "Participant Publish Error",
    "REPLICATION_STARTED": "Participant Replication Started",
    "REPLICATION_STOPPED": "Participant Replication Stopped",
}
"""The participant events (ListParticipantEvents' names) that are also sent to EventBridge, and
their `event_name` there (C61). Joined, left and subscribe events are not sent."""

SESSION_START = "Session Start"
SESSION_END = "Session End"
DESTINATION_START = "Destination Start"
DESTINATION_END = "Destination End"
"""The composition events the emulator sends (C62); Session Failure, Destination Failure and
Destination Reconnecting never occur (there is no media to fail, C39)."""

RECORDING_START = "Recording Start"
RECORDING_END = "Recording End"
"""The participant recording events the emulator sends (C63); the failure events never occur."""


def make_event(
    event_id: str,
    detail_type: str,
    account: str,
    region: str,
    time: datetime,
    resources: list[str],
    detail: Mapping[str, Any],
) -> dict[str, Any]:
    """One event as EventBridge delivers it (C60)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": SOURCE,
        "account": account,
        "time": format_instant(time),
        "region": region,
        "resources": list(resources),
        "detail": dict(detail),
    }
