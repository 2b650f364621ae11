"""Encoder configurations: CreateEncoderConfiguration, GetEncoderConfiguration,
ListEncoderConfigurations and DeleteEncoderConfiguration.

An encoder configuration only holds settings that compositions will use; the emulator encodes
nothing. The generic validator has checked each `video` member's range; what is left here is
the documented rule across members (width times height at most 2073600 pixels), the documented
defaults (patches on the Video shape), the quota, and refusing to delete a configuration in use
(choices C21 and C23 in contract/README.md).
"""

from __future__ import annotations

from typing import Any

from ..errors import ResourceNotFoundException, ValidationException
from ..store import EncoderConfigurationRecord
from . import Context, Handler, Request, Response
from .paging import paginate, with_next_token
from .usage import refuse_if_in_use

MAX_PIXELS = 2073600
"""Documented on Video.width and Video.height: 'the maximum total pixels is 2073600 (1920x1080
or 1080x1920)'."""


def find_encoder_configuration(context: Context, arn: str) -> EncoderConfigurationRecord:
    """The caller's encoder configuration with this ARN; deleted ones and other callers' are
    not found."""
    record = context.state.encoder_configurations.get(arn)
    if record is None:
        raise ResourceNotFoundException(f"Encoder configuration not found: {arn}")
    return record


def describe_encoder_configuration(record: EncoderConfigurationRecord) -> dict[str, Any]:
    """An encoder configuration as the EncoderConfiguration output shape has it."""
    return {
        "arn": record.arn,
        "name": record.name,
        "video": dict(record.video),
        "tags": dict(record.tags),
    }


def summarise_encoder_configuration(record: EncoderConfigurationRecord) -> dict[str, Any]:
    """An encoder configuration as the EncoderConfigurationSummary output shape has it."""
    return {"arn": record.arn, "name": record.name, "tags": dict(record.tags)}


def video_settings(context: Context, video: dict[str, Any] | None) -> dict[str, Any]:
    """The request's video with the documented defaults filled in and framerate a float,
    refused when width times height exceeds MAX_PIXELS (choice C21)."""
    settings = context.backend.contract.with_defaults("Video", video)
    settings["framerate"] = float(settings["framerate"])
    width, height = settings["width"], settings["height"]
    if width * height > MAX_PIXELS:
        raise ValidationException(
            f"1 validation error detected: Value '{width}x{height}' at 'video' failed to satisfy "
            f"constraint: Member must have width times height less than or equal to {MAX_PIXELS}"
        )
    return settings


def create_encoder_configuration(context: Context, request: Request) -> Response:
    """Keep the settings; validation comes before the quota (20 by default, choice C21)."""
    video = video_settings(context, request.get("video"))
    state = context.state
    context.backend.behaviours.enforce(
        "encoder_configurations",
        len(state.encoder_configurations),
        "encoder configurations per region",
    )
    config_id, arn = context.new_arn("encoder-configuration", state.encoder_configurations)
    record = EncoderConfigurationRecord(
        arn=arn,
        name=request.get("name", ""),
        video=video,
        tags=dict(request.get("tags", {})),
        created_at=context.now,
        sequence=state.next_sequence(),
    )
    state.encoder_configurations[arn] = record
    return {"encoderConfiguration": describe_encoder_configuration(record)}


def get_encoder_configuration(context: Context, request: Request) -> Response:
    record = find_encoder_configuration(context, request["arn"])
    return {"encoderConfiguration": describe_encoder_configuration(record)}


def list_encoder_configurations(context: Context, request: Request) -> Response:
    records = context.state.encoder_configurations.values()
    page, next_token = paginate(context, "ListEncoderConfigurations", records, request)
    return with_next_token(
        {"encoderConfigurations": [summarise_encoder_configuration(record) for record in page]},
        next_token,
    )


def delete_encoder_configuration(context: Context, request: Request) -> Response:
    """Forget the configuration unless something uses it (ConflictException, choice C23)."""
    record = find_encoder_configuration(context, request["arn"])
    refuse_if_in_use(context, record.arn, "Encoder configuration")
    del context.state.encoder_configurations[record.arn]
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateEncoderConfiguration": create_encoder_configuration,
    "GetEncoderConfiguration": get_encoder_configuration,
    "ListEncoderConfigurations": list_encoder_configurations,
    "DeleteEncoderConfiguration": delete_encoder_configuration,
}
