"""Ingest configurations: CreateIngestConfiguration, GetIngestConfiguration,
ListIngestConfigurations, UpdateIngestConfiguration and DeleteIngestConfiguration.

An ingest configuration is a stream key that an RTMP(S) encoder publishes with, to the stage it
is associated with, as one participant whose id is fixed at creation (contract/README.md, F5). Its
`state` is not stored: it is ACTIVE while one of its participants is connected to that stage
(the encoder publishes; emulator/service/ingest_actions.py plays it), INACTIVE otherwise
(choice C41 in contract/README.md). While ACTIVE it cannot be updated, nor deleted
without `force`. DisconnectParticipant of its participant and DeleteStage of its stage, while it
publishes there, set its stageArn to "" (choice C42).

Stream keys are secrets (the model marks StreamKey `sensitive`): they appear only in the
outputs that carry them, never in a message or a log line.
"""

from __future__ import annotations

from typing import Any

from ..contract.errors import ConflictException, ResourceNotFoundException, ValidationException
from ..contract.validation import invalid, violation
from ..state.store import (
    IngestConfigurationRecord,
    ParticipantRecord,
    StageRecord,
    StageSessionRecord,
)
from . import live_sessions
from .context import Context, Handler, Request, Response
from .finders import find_stage
from .paging import paginate, with_next_token

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
SECRET_LENGTH = 32
"""Characters [A-Za-z0-9] of a stream key's secret part (choice C41)."""

Publisher = tuple[StageRecord, StageSessionRecord, ParticipantRecord]


# -- lookups and state ----------------------------------------------------------------------


def find_ingest_configuration(context: Context, arn: str) -> IngestConfigurationRecord:
    """The caller's ingest configuration with this ARN; deleted ones and other callers' are
    not found."""
    record = context.state.ingest_configurations.get(arn)
    if record is None:
        raise ResourceNotFoundException(f"Ingest configuration not found: {arn}")
    return record


def participant_ids(record: IngestConfigurationRecord) -> list[str]:
    """The participant ids the configuration publishes as: its own, then the redundant one."""
    return [record.participant_id] + [pid for pid, _ in record.redundant_credentials]


def publishers(context: Context, record: IngestConfigurationRecord) -> list[Publisher]:
    """Its participants connected (publishing) to its stage now."""
    stage = context.state.stages.get(record.stage_arn) if record.stage_arn else None
    if stage is None:
        return []
    found = []
    for participant_id in participant_ids(record):
        connected = live_sessions.connected_participant(stage, participant_id)
        if connected is not None and connected[1].ingest_configuration_arn == record.arn:
            found.append((stage, *connected))
    return found


def ingest_state(context: Context, record: IngestConfigurationRecord) -> str:
    return ACTIVE if publishers(context, record) else INACTIVE


def dissociate_publishers(
    context: Context, stage: StageRecord, participant_id: str | None = None
) -> None:
    """Set stageArn to "" on the configurations publishing to `stage` now (only as
    `participant_id` when given): what DisconnectParticipant and DeleteStage do (choice
    C42). The caller then disconnects the participants."""
    for record in context.state.ingest_configurations.values():
        if record.stage_arn != stage.arn:
            continue
        publishing = [p.participant_id for _, _, p in publishers(context, record)]
        if publishing and (participant_id is None or participant_id in publishing):
            record.stage_arn = ""


# -- output shapes ----------------------------------------------------------------------------


def summarise_ingest_configuration(
    context: Context, record: IngestConfigurationRecord
) -> dict[str, Any]:
    """A configuration as the IngestConfigurationSummary shape has it."""
    return {
        "name": record.name,
        "arn": record.arn,
        "ingestProtocol": record.ingest_protocol,
        "stageArn": record.stage_arn,
        "participantId": record.participant_id,
        "state": ingest_state(context, record),
        "userId": record.user_id,
        "redundantIngest": record.redundant_ingest,
    }


def describe_ingest_configuration(
    context: Context, record: IngestConfigurationRecord
) -> dict[str, Any]:
    """A configuration as the IngestConfiguration shape has it, stream keys included."""
    result: dict[str, Any] = {
        "name": record.name,
        "arn": record.arn,
        "ingestProtocol": record.ingest_protocol,
        "streamKey": record.stream_key,
        "stageArn": record.stage_arn,
        "participantId": record.participant_id,
        "state": ingest_state(context, record),
        "userId": record.user_id,
        "redundantIngest": record.redundant_ingest,
    }
    if record.redundant_ingest:
        result["redundantIngestCredentials"] = [
            {"participantId": pid, "streamKey": key} for pid, key in record.redundant_credentials
        ]
    if record.attributes is not None:
        result["attributes"] = dict(record.attributes)
    result["tags"] = dict(record.tags)
    return result


# -- operations -------------------------------------------------------------------------------


def create_ingest_configuration(context: Context, request: Request) -> Response:
    """RTMP needs insecureIngest; a stageArn must name a stage of the caller (both
    ValidationException: the operation models no not-found); then the quota, off unless set."""
    protocol = request["ingestProtocol"]
    insecure = request.get("insecureIngest")
    if protocol == "RTMP" and insecure is not True:
        raise invalid(
            violation("insecureIngest", "Member must be true when ingestProtocol is RTMP", insecure)
        )
    stage_arn = request.get("stageArn", "")
    if stage_arn and stage_arn not in context.state.stages:
        raise _no_such_stage(stage_arn)
    state = context.state
    context.backend.behaviours.enforce(
        "ingest_configurations",
        len(state.ingest_configurations),
    )
    config_id, arn = context.new_arn("ingest-configuration", state.ingest_configurations)
    attributes = request.get("attributes")
    record = IngestConfigurationRecord(
        arn=arn,
        name=request.get("name", ""),
        ingest_protocol=protocol,
        insecure_ingest=bool(insecure),
        stream_key=_stream_key(context, config_id),
        stage_arn=stage_arn,
        participant_id=context.backend.ids.resource_id(),
        user_id=request.get("userId", ""),
        attributes=None if attributes is None else dict(attributes),
        redundant_ingest=False,
        redundant_credentials=[],
        tags=dict(request.get("tags", {})),
        created_at=context.now,
        sequence=state.next_sequence(),
    )
    _set_redundant_ingest(context, record, bool(request.get("redundantIngest", False)))
    state.ingest_configurations[arn] = record
    return {"ingestConfiguration": describe_ingest_configuration(context, record)}


def get_ingest_configuration(context: Context, request: Request) -> Response:
    record = find_ingest_configuration(context, request["arn"])
    return {"ingestConfiguration": describe_ingest_configuration(context, record)}


def list_ingest_configurations(context: Context, request: Request) -> Response:
    """Summaries in creation order, filtered by stage ARN and/or state; 50 to a page."""
    stage_arn = request.get("filterByStageArn")
    wanted_state = request.get("filterByState")
    selected = [
        record
        for record in context.state.ingest_configurations.values()
        if (stage_arn is None or record.stage_arn == stage_arn)
        and (wanted_state is None or ingest_state(context, record) == wanted_state)
    ]
    page, next_token = paginate(context, "ListIngestConfigurations", selected, request)
    return with_next_token(
        {"ingestConfigurations": [summarise_ingest_configuration(context, r) for r in page]},
        next_token,
    )


def update_ingest_configuration(context: Context, request: Request) -> Response:
    """Change the stage ("" dissociates) and/or redundantIngest; members left out stay.
    Not found (the configuration, then the stage) before the conflict of an ACTIVE one."""
    record = find_ingest_configuration(context, request["arn"])
    stage_arn = request.get("stageArn")
    if stage_arn:
        find_stage(context, stage_arn)
    if ingest_state(context, record) == ACTIVE:
        raise ConflictException(
            f"Ingest configuration {record.arn} cannot be updated while it is ACTIVE "
            f"(publishing to {record.stage_arn}); stop the stream first"
        )
    if stage_arn is not None:
        record.stage_arn = stage_arn
    redundant = request.get("redundantIngest")
    if redundant is not None:
        _set_redundant_ingest(context, record, bool(redundant))
    return {"ingestConfiguration": describe_ingest_configuration(context, record)}


def delete_ingest_configuration(context: Context, request: Request) -> Response:
    """Forget the configuration; while ACTIVE only with force=true, which disconnects its
    publishers first (they leave the stage as C24 says)."""
    record = find_ingest_configuration(context, request["arn"])
    connected = publishers(context, record)
    if connected and not request.get("force", False):
        raise ConflictException(
            f"Ingest configuration {record.arn} cannot be deleted while it is ACTIVE "
            f"(publishing to {record.stage_arn}); stop the stream first or set force to true"
        )
    for stage, session, participant in connected:
        live_sessions.leave(context, stage, session, participant)
    del context.state.ingest_configurations[record.arn]
    return {}


# -- plumbing ---------------------------------------------------------------------------------


def _no_such_stage(stage_arn: str) -> ValidationException:
    return invalid(
        violation(
            "stageArn",
            "Member must be the ARN of an existing stage of this account and region",
            stage_arn,
        )
    )


def _stream_key(context: Context, config_id: str) -> str:
    """`rt_<account>_<region>_<ingest configuration id>_<secret>` (contract/README.md, F4)."""
    secret = context.backend.ids.alnum(SECRET_LENGTH)
    return f"rt_{context.account}_{context.region}_{config_id}_{secret}"


def _set_redundant_ingest(
    context: Context, record: IngestConfigurationRecord, redundant: bool
) -> None:
    """Turning redundant ingest on makes a second participant id and stream key; turning it
    off forgets them (choice C41)."""
    if redundant and not record.redundant_credentials:
        config_id = record.arn.rsplit("/", 1)[1]
        record.redundant_credentials = [
            (context.backend.ids.resource_id(), _stream_key(context, config_id))
        ]
    elif not redundant:
        record.redundant_credentials = []
    record.redundant_ingest = redundant


HANDLERS: dict[str, Handler] = {
    "CreateIngestConfiguration": create_ingest_configuration,
    "GetIngestConfiguration": get_ingest_configuration,
    "ListIngestConfigurations": list_ingest_configurations,
    "UpdateIngestConfiguration": update_ingest_configuration,
    "DeleteIngestConfiguration": delete_ingest_configuration,
}
