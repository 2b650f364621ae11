"""Compositions: StartComposition, GetComposition, ListCompositions and StopComposition.

The emulator composes no media. A composition keeps what StartComposition was asked, with the
documented defaults filled in (patches on the layout, destination and recording shapes), and
its state follows from its times and the clock (service/composition_lifecycle.py, choice C39
in contract/README.md). What StartComposition checks beyond the model: the rules across
destinations, the stage and the configurations it names, the idempotency token and the quota
of concurrent compositions (choice C38). ListCompositions: choice C40.
"""

from __future__ import annotations

from typing import Any

from ..contract.errors import ConflictException, ResourceNotFoundException
from ..contract.validation import invalid, violation
from ..state.store import CompositionDestinationRecord, CompositionRecord
from .composition_lifecycle import Timeline, encoder_configurations_of, forget_deleted, timeline
from .context import Context, Handler, Request, Response
from .encoder_configurations import find_encoder_configuration
from .finders import find_stage
from .paging import newest_first, paginate, with_next_token
from .storage_configurations import find_storage_configuration

EXACTLY_ONE = "Member must have exactly one of channel or s3"
AT_MOST_ONE_EACH = "Member must have at most one channel destination and at most one s3 destination"
"""The rules across members that the model documents in words (DestinationConfiguration:
"Either a channel or an s3 must be specified"; Composition.destinations: "either one
destination (channel or s3) or two (one channel and one s3)"), worded as C2 (choice C38)."""


# -- reading ------------------------------------------------------------------------------


def find_composition(context: Context, arn: str) -> CompositionRecord:
    """The caller's composition with this ARN; deleted ones (C39) and other callers' are not
    found."""
    forget_deleted(context.state, context.now)
    record = context.state.compositions.get(arn)
    if record is None:
        raise ResourceNotFoundException(f"Composition not found: {arn}")
    return record


def _timeline(context: Context, record: CompositionRecord) -> Timeline:
    return timeline(context.state, record, context.now)


def _destination_times(seen: Timeline, destination: CompositionDestinationRecord) -> dict[str, Any]:
    """The DestinationSummary members of one destination: it follows its composition."""
    result: dict[str, Any] = {"id": destination.destination_id, "state": seen.state}
    if seen.active_from is not None:
        result["startTime"] = seen.active_from
    if seen.end is not None:
        result["endTime"] = seen.end
    return result


def describe_composition(context: Context, record: CompositionRecord) -> dict[str, Any]:
    """A composition as the Composition output shape has it, as it is now."""
    seen = _timeline(context, record)
    destinations = []
    for destination in record.destinations:
        described = _destination_times(seen, destination)
        described["configuration"] = destination.configuration
        if destination.recording_prefix is not None:
            described["detail"] = {"s3": {"recordingPrefix": destination.recording_prefix}}
        destinations.append(described)
    result: dict[str, Any] = {
        "arn": record.arn,
        "stageArn": record.stage_arn,
        "state": seen.state,
        "layout": record.layout,
        "destinations": destinations,
        "tags": dict(record.tags),
        "startTime": record.start_time,
    }
    if seen.end is not None:
        result["endTime"] = seen.end
    return result


def summarise_composition(context: Context, record: CompositionRecord) -> dict[str, Any]:
    """A composition as the CompositionSummary output shape has it, as it is now."""
    seen = _timeline(context, record)
    result: dict[str, Any] = {
        "arn": record.arn,
        "stageArn": record.stage_arn,
        "destinations": [_destination_times(seen, d) for d in record.destinations],
        "state": seen.state,
        "tags": dict(record.tags),
        "startTime": record.start_time,
    }
    if seen.end is not None:
        result["endTime"] = seen.end
    return result


# -- StartComposition ---------------------------------------------------------------------


def _present(value: Any) -> Any:
    """`value` without the structure members sent as null (they count as absent)."""
    if isinstance(value, dict):
        return {k: _present(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_present(item) for item in value]
    return value


def _check_destinations(destinations: list[dict[str, Any]]) -> None:
    """The documented rules across members, as one ValidationException (choice C38)."""
    problems = []
    channels = sum(1 for d in destinations if "channel" in d)
    buckets = sum(1 for d in destinations if "s3" in d)
    if channels > 1 or buckets > 1:
        problems.append(violation("destinations", AT_MOST_ONE_EACH, destinations))
    for index, destination in enumerate(destinations, start=1):
        if ("channel" in destination) == ("s3" in destination):
            problems.append(violation(f"destinations.{index}.member", EXACTLY_ONE, destination))
    if problems:
        raise invalid(*problems)


def _with_defaults(context: Context, request: Request) -> dict[str, Any]:
    """What the request asks for, every documented default filled in (choice C38): the
    parameters an idempotency token is judged by."""
    contract = context.backend.contract
    layout = request.get("layout", {})
    if "grid" not in layout and "pip" not in layout:
        layout = contract.default("StartCompositionRequest", "layout")  # a grid
    destinations = []
    for given in request["destinations"]:
        destination = contract.with_defaults("DestinationConfiguration", given)
        s3 = destination.get("s3")
        if s3 is not None and "thumbnailConfigurations" in s3:
            s3["thumbnailConfigurations"] = [
                contract.with_defaults("CompositionThumbnailConfiguration", item)
                for item in s3["thumbnailConfigurations"]
            ]
        destinations.append(destination)
    return {
        "stageArn": request["stageArn"],
        "layout": contract.with_defaults("LayoutConfiguration", layout),
        "destinations": destinations,
        "tags": dict(request.get("tags", {})),
    }


def _check_references(context: Context, parameters: dict[str, Any]) -> None:
    """The stage, storage configurations and encoder configurations named must be the
    caller's (ResourceNotFoundException); channels are not looked for (choice C38)."""
    find_stage(context, parameters["stageArn"])
    for destination in parameters["destinations"]:
        channel, s3 = destination.get("channel"), destination.get("s3")
        if channel is not None and "encoderConfigurationArn" in channel:
            find_encoder_configuration(context, channel["encoderConfigurationArn"])
        if s3 is not None:
            find_storage_configuration(context, s3["storageConfigurationArn"])
            for arn in s3["encoderConfigurationArns"]:
                find_encoder_configuration(context, arn)


def _new_id(context: Context, taken: set[str]) -> str:
    """A 12-character id that is not in `taken`."""
    new = context.backend.ids.resource_id()
    while new in taken:
        new = context.backend.ids.resource_id()
    return new


def start_composition(context: Context, request: Request) -> Response:
    """Start a composition, or answer the one this idempotency token started (choice C38).

    Order (C13): the rules across destinations, then the idempotent answer to a repeated
    request, then the stage and configurations (not found), then a token reused with other
    parameters (conflict), then the quota of concurrent compositions.
    """
    request = _present(request)
    _check_destinations(request["destinations"])
    parameters = _with_defaults(context, request)
    state = context.state
    forget_deleted(state, context.now)
    token = request.get("idempotencyToken")
    earlier = next(
        (r for r in state.compositions.values() if token and r.idempotency_token == token), None
    )
    if earlier is not None and earlier.parameters == parameters:
        return {"composition": describe_composition(context, earlier)}
    _check_references(context, parameters)
    if earlier is not None:
        raise ConflictException(
            f"Idempotency token {token} was already used to start composition {earlier.arn} "
            "with other parameters"
        )
    running = sum(1 for r in state.compositions.values() if _timeline(context, r).running)
    context.backend.behaviours.enforce("compositions", running)
    composition_id = _new_id(
        context, {r.arn.rsplit("/", 1)[1] for r in state.compositions.values()}
    )
    stage_id = parameters["stageArn"].rsplit("/", 1)[1]
    destinations: list[CompositionDestinationRecord] = []
    for configuration in parameters["destinations"]:
        destination_id = _new_id(context, {d.destination_id for d in destinations})
        prefix = None
        if "s3" in configuration:
            prefix = f"{stage_id}/{composition_id}/{destination_id}/composite"
        destinations.append(CompositionDestinationRecord(destination_id, configuration, prefix))
    record = CompositionRecord(
        arn=context.arn("composition", composition_id),
        stage_arn=parameters["stageArn"],
        layout=parameters["layout"],
        destinations=destinations,
        tags=dict(parameters["tags"]),
        parameters=parameters,
        start_time=context.now,
        sequence=state.next_sequence(),
        idempotency_token=token,
    )
    state.compositions[record.arn] = record
    return {"composition": describe_composition(context, record)}


# -- the others ---------------------------------------------------------------------------


def get_composition(context: Context, request: Request) -> Response:
    return {"composition": describe_composition(context, find_composition(context, request["arn"]))}


def list_compositions(context: Context, request: Request) -> Response:
    """Newest first; both filters may be given, and a composition must match both (C40)."""
    forget_deleted(context.state, context.now)
    stage_arn = request.get("filterByStageArn")
    encoder_arn = request.get("filterByEncoderConfigurationArn")
    records = [
        record
        for record in context.state.compositions.values()
        if (stage_arn is None or record.stage_arn == stage_arn)
        and (encoder_arn is None or encoder_arn in encoder_configurations_of(record))
    ]
    page, next_token = paginate(context, "ListCompositions", newest_first(records), request)
    return with_next_token(
        {"compositions": [summarise_composition(context, p.item) for p in page]}, next_token
    )


def stop_composition(context: Context, request: Request) -> Response:
    """Stop the composition now; one already stopping or stopped stays as it is (C39)."""
    record = find_composition(context, request["arn"])
    if _timeline(context, record).stop is None:
        record.stopped_at = context.now
    return {}


def stop_stage_compositions(context: Context, stage_arn: str) -> None:
    """DeleteStage: the stage's compositions that have not stopped stop now (C39)."""
    for record in context.state.compositions.values():
        if record.stage_arn == stage_arn and _timeline(context, record).stop is None:
            record.stopped_at = context.now


HANDLERS: dict[str, Handler] = {
    "StartComposition": start_composition,
    "GetComposition": get_composition,
    "ListCompositions": list_compositions,
    "StopComposition": stop_composition,
}
