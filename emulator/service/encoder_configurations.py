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

from ..contract.validation import invalid, violation
from ..state.store import EncoderConfigurationRecord
from .configurations import ConfigurationKind
from .context import Context, Handler, Request, Response

MAX_PIXELS = 2073600
"""Documented on Video.width and Video.height: 'the maximum total pixels is 2073600 (1920x1080
or 1080x1920)'."""


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
        raise invalid(
            violation(
                "video",
                f"Member must have width times height less than or equal to {MAX_PIXELS}",
                f"{width}x{height}",
            )
        )
    return settings


ENCODER_CONFIGURATIONS: ConfigurationKind[EncoderConfigurationRecord] = ConfigurationKind(
    noun="Encoder configuration",
    resource="EncoderConfiguration",
    arn_type="encoder-configuration",
    quota="encoder_configurations",
    records=lambda state: state.encoder_configurations,
    make=EncoderConfigurationRecord,
    describe=describe_encoder_configuration,
    summarise=summarise_encoder_configuration,
)


def find_encoder_configuration(context: Context, arn: str) -> EncoderConfigurationRecord:
    return ENCODER_CONFIGURATIONS.find(context, arn)


def create_encoder_configuration(context: Context, request: Request) -> Response:
    """Keep the settings; validation comes before the quota (20 by default, choice C21)."""
    video = video_settings(context, request.get("video"))
    return ENCODER_CONFIGURATIONS.create(context, request, video=video)


HANDLERS: dict[str, Handler] = ENCODER_CONFIGURATIONS.handlers(create_encoder_configuration)
