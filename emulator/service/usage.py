"""Which resources use a configuration: the one question asked before one is deleted.

DeleteStorageConfiguration and DeleteEncoderConfiguration refuse with ConflictException while
`in_use_by` names a user (choice C23 in contract/README.md). Today the only users are stages
whose individual participant recording writes to a storage configuration; compositions, when
the emulator has them, are users of the storage and encoder configurations they name.
"""

from __future__ import annotations

from ..errors import ConflictException
from ..store import RegionState


def in_use_by(state: RegionState, arn: str) -> list[str]:
    """The ARNs of this account and region's resources that use configuration `arn`, oldest
    first: stages whose autoParticipantRecordingConfiguration names it."""
    stages = sorted(state.stages.values(), key=lambda stage: stage.sequence)
    return [
        stage.arn
        for stage in stages
        if stage.auto_participant_recording_configuration.get("storageConfigurationArn") == arn
    ]


def refuse_if_in_use(state: RegionState, arn: str, what: str) -> None:
    """Raise ConflictException naming the users when configuration `arn` is in use (C23)."""
    users = in_use_by(state, arn)
    if users:
        raise ConflictException(
            f"{what} {arn} cannot be deleted while in use by: {', '.join(users)}"
        )
