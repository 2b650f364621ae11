"""Which resources use a configuration: the one question asked before one is deleted.

DeleteStorageConfiguration and DeleteEncoderConfiguration refuse with ConflictException while
`in_use_by` names a user (choice C23 in contract/README.md). The users are stages whose
individual participant recording writes to a storage configuration, and compositions that
name the storage or encoder configuration in a destination, until they are STOPPED (a
STOPPING one still uses it: the documentation says to stop the composition "and wait for it to
complete"; choice C39).
"""

from __future__ import annotations

from ..contract.errors import ConflictException
from .composition_lifecycle import configurations_of, timeline
from .context import Context


def in_use_by(context: Context, arn: str) -> list[str]:
    """The ARNs of the caller's resources that use configuration `arn`, oldest first: stages
    whose autoParticipantRecordingConfiguration names it, and compositions not yet STOPPED
    whose destinations name it."""
    state = context.state
    stages = [
        (stage.sequence, stage.arn)
        for stage in state.stages.values()
        if stage.auto_participant_recording_configuration.get("storageConfigurationArn") == arn
    ]
    compositions = [
        (composition.sequence, composition.arn)
        for composition in state.compositions.values()
        if arn in configurations_of(composition)
        and timeline(state, composition, context.now).running
    ]
    return [user for _, user in sorted(stages + compositions)]


def refuse_if_in_use(context: Context, arn: str, what: str) -> None:
    """Raise ConflictException naming the users when configuration `arn` is in use (C23)."""
    users = in_use_by(context, arn)
    if users:
        raise ConflictException(
            f"{what} {arn} cannot be deleted while in use by: {', '.join(users)}"
        )
