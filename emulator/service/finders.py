"""Finding the caller's resources by ARN, with the not-found error the service answers."""

from __future__ import annotations

from ..contract.errors import ResourceNotFoundException
from ..state.store import PublicKeyRecord, StageRecord
from .context import Context


def find_stage(context: Context, arn: str) -> StageRecord:
    """The caller's stage with this ARN; ARNs of other accounts or regions are not found."""
    stage = context.state.stages.get(arn)
    if stage is None:
        raise ResourceNotFoundException(f"Stage not found: {arn}")
    return stage


def find_public_key(context: Context, arn: str) -> PublicKeyRecord:
    """The caller's public key with this ARN; deleted keys and other callers' are not found."""
    record = context.state.public_keys.get(arn)
    if record is None:
        raise ResourceNotFoundException(f"Public key not found: {arn}")
    return record
