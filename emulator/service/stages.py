"""Stage operations: CreateStage, GetStage, UpdateStage, ListStages and DeleteStage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..contract.arns import account_prefix
from ..state.store import StageRecord
from .compositions import stop_stage_compositions
from .context import Context, Handler, Request, Response
from .finders import find_stage
from .ingest_configurations import dissociate_publishers
from .live_sessions import close_stage
from .paging import paginate, with_next_token
from .participant_tokens import issue_token

EVENTS_ENDPOINT = "wss://global.events.live-video.net"


def stage_endpoints(account: str, data_plane: Mapping[str, str] | None = None) -> dict[str, str]:
    """The media endpoints of an account's stages (choice C6 in contract/README.md); with the
    emulator's data plane running, its `events` and `whip` replace the service's (C56)."""
    prefix = account_prefix(account)
    return {
        "events": EVENTS_ENDPOINT,
        "whip": f"https://{prefix}.global-bm.whip.live-video.net",
        "rtmp": f"rtmp://{prefix}.global-contribute.live-video.net/app/",
        "rtmps": f"rtmps://{prefix}.global-contribute.live-video.net:443/app/",
        **(data_plane or {}),
    }


def describe_stage(stage: StageRecord) -> dict[str, Any]:
    """A stage as the Stage output shape has it."""
    result: dict[str, Any] = {"arn": stage.arn, "name": stage.name}
    if stage.active_session_id is not None:
        result["activeSessionId"] = stage.active_session_id
    result["tags"] = dict(stage.tags)
    result["autoParticipantRecordingConfiguration"] = stage.auto_participant_recording_configuration
    result["endpoints"] = dict(stage.endpoints)
    return result


def create_stage(context: Context, request: Request) -> Response:
    contract = context.backend.contract
    context.backend.behaviours.enforce("stages", len(context.state.stages))
    stage_id, arn = context.new_arn("stage", context.state.stages)
    stage = StageRecord(
        arn=arn,
        stage_id=stage_id,
        name=request.get("name", ""),
        tags=dict(request.get("tags", {})),
        auto_participant_recording_configuration=contract.with_defaults(
            "AutoParticipantRecordingConfiguration",
            request.get("autoParticipantRecordingConfiguration"),
        ),
        endpoints=stage_endpoints(context.account, context.backend.data_plane_endpoints),
        created_at=context.now,
        sequence=context.state.next_sequence(),
    )
    context.state.stages[arn] = stage
    tokens = [
        issue_token(context, stage, contract.with_defaults("ParticipantTokenConfiguration", item))
        for item in request.get("participantTokenConfigurations", [])
    ]
    return {"stage": describe_stage(stage), "participantTokens": tokens}


def summarise_stage(stage: StageRecord) -> dict[str, Any]:
    """A stage as the StageSummary output shape has it."""
    result: dict[str, Any] = {"arn": stage.arn, "name": stage.name}
    if stage.active_session_id is not None:
        result["activeSessionId"] = stage.active_session_id
    result["tags"] = dict(stage.tags)
    return result


def get_stage(context: Context, request: Request) -> Response:
    return {"stage": describe_stage(find_stage(context, request["arn"]))}


def update_stage(context: Context, request: Request) -> Response:
    """Change the name and/or replace the recording configuration (its defaults filled in)."""
    stage = find_stage(context, request["arn"])
    name = request.get("name")
    if name is not None:
        stage.name = name
    recording = request.get("autoParticipantRecordingConfiguration")
    if recording is not None:
        stage.auto_participant_recording_configuration = context.backend.contract.with_defaults(
            "AutoParticipantRecordingConfiguration", recording
        )
    return {"stage": describe_stage(stage)}


def list_stages(context: Context, request: Request) -> Response:
    page, next_token = paginate(context, "ListStages", context.state.stages, request)
    return with_next_token({"stages": [summarise_stage(stage) for stage in page]}, next_token)


def delete_stage(context: Context, request: Request) -> Response:
    """Disconnect everyone on the stage, which ends its session (sessions.close_stage); then
    forget the stage, its sessions and the tokens issued for it: all are then not found.
    Its compositions stop (choice C39). Ingest configurations publishing to it lose their
    stageArn (choice C42)."""
    stage = find_stage(context, request["arn"])
    dissociate_publishers(context, stage)
    close_stage(context, stage)
    stop_stage_compositions(context, stage.arn)
    del context.state.stages[stage.arn]
    context.state.forget_tokens_of(stage.arn)
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateStage": create_stage,
    "GetStage": get_stage,
    "UpdateStage": update_stage,
    "ListStages": list_stages,
    "DeleteStage": delete_stage,
}
