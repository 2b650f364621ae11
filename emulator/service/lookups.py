"""Finding the caller's resources by ARN, with the not-found error the service answers."""

from __future__ import annotations

from ..errors import ResourceNotFoundException
from ..store import StageRecord
from . import Context


def find_stage(context: Context, arn: str) -> StageRecord:
    """The caller's stage with this ARN; ARNs of other accounts or regions are not found."""
    stage = context.state.stages.get(arn)
    if stage is None:
        raise ResourceNotFoundException(f"Stage not found: {arn}")
    return stage
