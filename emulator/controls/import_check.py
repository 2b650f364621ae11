"""Checking an imported state before it replaces anything: every record as the service could
have made it, every reference resolvable (choices C37 and C68 in contract/README.md).

snapshot.py reads a document against the store's types; this module then checks what types
cannot say, and raises InconsistentState naming the first record that breaks it:

- every date-time within the emulator clock's range (emulator/contract/timestamps.py), or
  the 14 days after it that a token's expiry may reach; every sequence from 1 to MAX_SEQUENCE;
- each collection keyed by its records' own ARN or id, each ARN of this account and region
  and of the right resource type;
- a stage's four endpoints; its active session one of its sessions, still open, and the only
  open one (a session may end "before" it started: the clock can be set back); participants
  CONNECTED only in the active session, their states, events and subscriptions as the
  service writes them;
- a token's stage ARN, capabilities, duration and expiry as CreateParticipantToken makes them;
  a public key's DER and fingerprint those of its PEM, a P-384 key as ImportPublicKey keeps;
  states and enumerations of compositions, ingest configurations and replications;

and last, a dry run: the state is put in a store of its own and read back through the
service's read operations (Get and List of every record, every page), each answer checked
against the operation's output shape in the contract. Any read that fails, or answers what the
service could not have answered, refuses the import.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from ..contract.arns import parse as parse_arn
from ..contract.errors import ServiceError
from ..contract.timestamps import EARLIEST, LATEST
from ..contract.validation import Validator
from ..service.context import Backend
from ..service.dispatch import Service
from ..service.public_keys import fingerprint, read_public_key, spki_der
from ..state.store import RegionState, Store

ENDPOINTS = {"events", "whip", "rtmp", "rtmps"}
PARTICIPANT_STATES = {"CONNECTED", "DISCONNECTED"}
CAPABILITIES = {"PUBLISH", "SUBSCRIBE"}
REPLICATION_STATES = {"ACTIVE", "STOPPED"}
REPLICATION_TYPES = {"NONE", "SOURCE", "REPLICA"}
MAX_TOKEN_MINUTES = 20160
LATEST_RECORDED = LATEST + timedelta(minutes=MAX_TOKEN_MINUTES)
"""The latest time a record may hold: the expiry of the longest token issued at the last
instant the clock may read."""
MAX_SEQUENCE = 2**53
"""The highest creation sequence an import may hold (a region counts them from 1)."""
PAGE = 10**9
"""The dry run lists everything in one page (pages of 100 would take quadratic time)."""


class InconsistentState(ValueError):
    """A state the service could not have made; the message names the record and why."""


def check_states(backend: Backend, states: list[RegionState]) -> None:
    """Raise InconsistentState unless every region of `states` passes the checks above."""
    event_names = set(backend.contract.shape("EventName").get("enum", ()))
    for index, state in enumerate(states):
        where = f"regions[{index}]"
        try:
            _check_dates(state, where)
            _check_region(state, where, event_names)
        except InconsistentState:
            raise
        except Exception as error:  # a value no check foresaw (a number too large...)
            raise InconsistentState(
                f"{where}: cannot be checked ({type(error).__name__}: {error})"
            ) from None
    _dry_run(backend, states)


# -- dates -----------------------------------------------------------------------------------


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            if field.compare:
                yield from _walk(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple | set | frozenset):
        for position, item in enumerate(value):
            yield from _walk(item, f"{path}[{position}]")


def _check_dates(state: RegionState, where: str) -> None:
    """Date-times within the clock's range, creation sequences as a region counts them."""
    for path, value in _walk(state, where):
        if isinstance(value, datetime) and not EARLIEST <= value <= LATEST_RECORDED:
            raise InconsistentState(
                f"{path}: {value.isoformat()} is outside the times the service records (from "
                "1970-01-01T00:00:00Z to 14 days after the clock's last instant, 9999-01-01)"
            )
        if path.endswith(".sequence") and not 1 <= value <= MAX_SEQUENCE:
            raise InconsistentState(f"{path}: a sequence runs from 1 to {MAX_SEQUENCE}")


# -- records ---------------------------------------------------------------------------------


def _fail(where: str, why: str) -> InconsistentState:
    return InconsistentState(f"{where}: {why}")


def _arn(state: RegionState, arn: Any, kind: str, where: str) -> str:
    """The resource id of `arn`, which must be an ARN of `kind` of this account and region."""
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    if (
        parsed is None
        or parsed.resource_type != kind
        or (parsed.account, parsed.region) != (state.account, state.region)
    ):
        raise _fail(
            where, f"{arn!r} is not a {kind} ARN of account {state.account} in {state.region}"
        )
    return parsed.resource_id


def _keyed(collection: dict[str, Any], attribute: str, where: str) -> None:
    for key, record in collection.items():
        if getattr(record, attribute) != key:
            raise _fail(f"{where}[{key!r}]", f"is listed under another {attribute} than its own")


def _check_region(state: RegionState, where: str, event_names: set[str]) -> None:
    if not state.account or not state.region:
        raise _fail(where, "account and region must not be empty")
    for name, kind in (
        ("stages", "stage"),
        ("public_keys", "public-key"),
        ("encoder_configurations", "encoder-configuration"),
        ("storage_configurations", "storage-configuration"),
        ("compositions", "composition"),
        ("ingest_configurations", "ingest-configuration"),
    ):
        collection = getattr(state, name)
        _keyed(collection, "arn", f"{where}.{name}")
        for arn in collection:
            _arn(state, arn, kind, f"{where}.{name}[{arn!r}]")
    for arn, stage in state.stages.items():
        _check_stage(state, stage, f"{where}.stages[{arn!r}]", event_names)
    _keyed(state.tokens, "participant_id", f"{where}.tokens")
    for participant_id, token in state.tokens.items():
        path = f"{where}.tokens[{participant_id!r}]"
        _arn(state, token.stage_arn, "stage", f"{path}.stage_arn")
        if not set(token.capabilities) <= CAPABILITIES:
            raise _fail(path, f"capabilities must be among {sorted(CAPABILITIES)}")
        if not 1 <= token.duration <= MAX_TOKEN_MINUTES or (
            token.expires_at - token.issued_at != timedelta(minutes=token.duration)
        ):
            raise _fail(path, "duration and expiry are not as CreateParticipantToken makes them")
    for arn, key in state.public_keys.items():
        path = f"{where}.public_keys[{arn!r}]"
        try:
            der = spki_der(read_public_key(key.public_key_material))
        except ServiceError as error:
            raise _fail(f"{path}.public_key_material", error.message) from None
        if key.spki_der != der or key.fingerprint != fingerprint(der):
            raise _fail(path, "spki_der and fingerprint are not those of public_key_material")
    for arn, composition in state.compositions.items():
        path = f"{where}.compositions[{arn!r}]"
        _arn(state, composition.stage_arn, "stage", f"{path}.stage_arn")
        if not composition.destinations:
            raise _fail(path, "a composition has at least one destination")
    for arn, ingest in state.ingest_configurations.items():
        path = f"{where}.ingest_configurations[{arn!r}]"
        if ingest.stage_arn:
            _arn(state, ingest.stage_arn, "stage", f"{path}.stage_arn")
        if not ingest.participant_id or not ingest.stream_key:
            raise _fail(path, "needs a participant id and a stream key")
    for position, replication in enumerate(state.replications):
        path = f"{where}.replications[{position}]"
        _arn(state, replication.source_stage_arn, "stage", f"{path}.source_stage_arn")
        _arn(state, replication.destination_stage_arn, "stage", f"{path}.destination_stage_arn")
        if replication.state not in REPLICATION_STATES:
            raise _fail(path, f"state must be one of {sorted(REPLICATION_STATES)}")


def _check_stage(state: RegionState, stage: Any, where: str, event_names: set[str]) -> None:
    if _arn(state, stage.arn, "stage", f"{where}.arn") != stage.stage_id:
        raise _fail(where, "stage_id is not the id its ARN ends with")
    if set(stage.endpoints) != ENDPOINTS or not all(
        isinstance(url, str) and url for url in stage.endpoints.values()
    ):
        raise _fail(f"{where}.endpoints", f"a stage has exactly the endpoints {sorted(ENDPOINTS)}")
    _keyed(stage.sessions, "session_id", f"{where}.sessions")
    open_sessions = {sid for sid, session in stage.sessions.items() if session.end_time is None}
    active = stage.active_session_id
    if active is not None and active not in stage.sessions:
        raise _fail(f"{where}.active_session_id", f"{active!r} is none of the stage's sessions")
    if open_sessions != ({active} if active is not None else set()):
        raise _fail(
            f"{where}.sessions", "exactly the active session, and no other, has no end_time"
        )
    for session_id, session in stage.sessions.items():
        path = f"{where}.sessions[{session_id!r}]"
        _keyed(session.participants, "participant_id", f"{path}.participants")
        for participant_id, participant in session.participants.items():
            _check_participant(
                participant,
                f"{path}.participants[{participant_id!r}]",
                session_id == active,
                set(session.participants),
                event_names,
            )


def _check_participant(
    participant: Any, where: str, active: bool, present: set[str], event_names: set[str]
) -> None:
    if participant.state not in PARTICIPANT_STATES:
        raise _fail(where, f"state must be one of {sorted(PARTICIPANT_STATES)}")
    if participant.state == "CONNECTED" and not active:
        raise _fail(where, "is CONNECTED in a session that is not the active one")
    if participant.publishing and (participant.state != "CONNECTED" or not participant.published):
        raise _fail(where, "publishes without being connected, or without having published")
    if participant.replication_type not in REPLICATION_TYPES:
        raise _fail(where, f"replication_type must be one of {sorted(REPLICATION_TYPES)}")
    if not set(participant.subscriptions) <= present:
        raise _fail(where, "subscribes to a participant that is not in its session")
    for position, event in enumerate(participant.events):
        if event.name not in event_names or event.participant_id != participant.participant_id:
            raise _fail(f"{where}.events[{position}]", "is not an event the service records")


# -- the dry run -----------------------------------------------------------------------------


def _dry_run(backend: Backend, states: list[RegionState]) -> None:
    """Read every record back through the service, in a store of its own."""
    store = Store()
    store.replace(states)
    # No observers: the dry run's reads are not the emulator's and must reach no one.
    service = Service(dataclasses.replace(backend, store=store, observers=[]))
    validator = Validator(backend.contract)
    for state in states:
        reader = _Reader(service, validator, state)
        reader.everything()


class _Reader:
    def __init__(self, service: Service, validator: Validator, state: RegionState) -> None:
        self.service = service
        self.validator = validator
        self.state = state
        self.where = f"account {state.account} in {state.region}"

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        try:
            result = self.service.call(operation, state.account, state.region, request)
            output = self.service.backend.contract.operations[operation].output_shape
            data = json.loads(json.dumps(result, default=_plain))
            problems = self.validator.violations(output, data) if output else []
        except ServiceError as error:
            problems = [f"{error.code}: {error.message}"]
        except Exception as error:  # a record that makes the service fail: refuse it
            problems = [f"{type(error).__name__}: {error}"]
        if problems:
            raise InconsistentState(
                f"{self.where}: {operation} {json.dumps(request)} could not be answered as the "
                f"service answers it: {problems[0]}"
            )
        assert isinstance(result, dict)
        return result

    def pages(self, operation: str, request: dict[str, Any]) -> None:
        token: str | None = None
        while True:
            page = {**request, "maxResults": PAGE}
            if token:
                page["nextToken"] = token
            answer = self.call(operation, page)
            token = answer.get("nextToken")
            if not token:
                return

    def everything(self) -> None:
        state = self.state
        for operation in (
            "ListStages",
            "ListPublicKeys",
            "ListEncoderConfigurations",
            "ListStorageConfigurations",
            "ListCompositions",
            "ListIngestConfigurations",
        ):
            self.pages(operation, {})
        for arn, stage in state.stages.items():
            self.call("GetStage", {"arn": arn})
            self.pages("ListStageSessions", {"stageArn": arn})
            for session_id, session in stage.sessions.items():
                self.call("GetStageSession", {"stageArn": arn, "sessionId": session_id})
                self.pages("ListParticipants", {"stageArn": arn, "sessionId": session_id})
                for participant_id in session.participants:
                    ids = {
                        "stageArn": arn,
                        "sessionId": session_id,
                        "participantId": participant_id,
                    }
                    self.call("GetParticipant", ids)
                    self.pages("ListParticipantEvents", ids)
                    self.pages(
                        "ListParticipantReplicas",
                        {"sourceStageArn": arn, "participantId": participant_id},
                    )
        for name, operation in (
            ("public_keys", "GetPublicKey"),
            ("encoder_configurations", "GetEncoderConfiguration"),
            ("storage_configurations", "GetStorageConfiguration"),
            ("compositions", "GetComposition"),
            ("ingest_configurations", "GetIngestConfiguration"),
        ):
            for arn in getattr(state, name):
                self.call(operation, {"arn": arn})
        for name in (
            "stages",
            "public_keys",
            "encoder_configurations",
            "storage_configurations",
            "compositions",
            "ingest_configurations",
        ):
            for arn in getattr(state, name):
                self.call("ListTagsForResource", {"resourceArn": arn})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    raise TypeError(f"cannot serialise {type(value).__name__}")
