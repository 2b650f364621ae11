"""All emulator state, kept per (account, region); nothing else holds state.

Each RegionState carries its own lock: the service layer runs one operation at a time per
account and region, so every operation sees and leaves a consistent state.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..contract.arns import parse as parse_arn
from .ordered import CreationOrder


@dataclass(slots=True)
class StageRecord:
    arn: str
    stage_id: str
    name: str
    tags: dict[str, str]
    auto_participant_recording_configuration: dict[str, Any]
    endpoints: dict[str, str]
    created_at: datetime
    sequence: int
    """Creation order within the region (RegionState.next_sequence); the key List pages by."""
    active_session_id: str | None = None
    sessions: dict[str, StageSessionRecord] = field(default_factory=dict)
    """The stage's sessions by id, the active one included (service/live_sessions.py)."""
    disconnected_participants: dict[str, str] = field(default_factory=dict)
    """Participant ids removed by DisconnectParticipant, with the reason given: they never
    join this stage again."""


@dataclass(slots=True)
class IssuedToken:
    """What the emulator remembers of a token it issued (never the token string)."""

    participant_id: str
    stage_arn: str
    user_id: str | None
    attributes: dict[str, str] | None
    capabilities: list[str]
    duration: int
    issued_at: datetime
    expires_at: datetime


@dataclass(slots=True)
class PublicKeyRecord:
    """An imported public key (ImportPublicKey): the material as given and the key it holds."""

    arn: str
    name: str
    public_key_material: str
    """The PEM exactly as imported; GetPublicKey returns it unchanged."""
    spki_der: bytes
    """The key as canonical DER SubjectPublicKeyInfo: what duplicates and tokens are judged by."""
    fingerprint: str
    tags: dict[str, str]
    created_at: datetime
    sequence: int
    """Creation order within the region (RegionState.next_sequence); the key List pages by."""


@dataclass(slots=True)
class EncoderConfigurationRecord:
    """An encoder configuration (CreateEncoderConfiguration), its video defaults filled in."""

    arn: str
    name: str
    video: dict[str, Any]
    tags: dict[str, str]
    created_at: datetime
    sequence: int
    """Creation order within the region (RegionState.next_sequence); the key List pages by."""


@dataclass(slots=True)
class StorageConfigurationRecord:
    """A storage configuration (CreateStorageConfiguration): where recordings would go."""

    arn: str
    name: str
    s3: dict[str, str]
    tags: dict[str, str]
    created_at: datetime
    sequence: int
    """Creation order within the region (RegionState.next_sequence); the key List pages by."""


@dataclass(slots=True)
class ParticipantEventRecord:
    """One entry of a participant's event log in a stage session (the Event output shape)."""

    name: str
    participant_id: str
    event_time: datetime
    sequence: int
    """Order of recording within the region (RegionState.next_sequence)."""
    remote_participant_id: str | None = None
    error_code: str | None = None
    destination_stage_arn: str | None = None
    """REPLICATION_STARTED / REPLICATION_STOPPED: the stage the participant is replicated to."""
    destination_session_id: str | None = None
    replica: bool = False
    """The participant (or, on SUBSCRIBE_* events, the remote publisher) is a replica."""


@dataclass(slots=True)
class ParticipantRecord:
    """A participant of one stage session, kept after it leaves; a rejoin reuses it."""

    participant_id: str
    user_id: str | None
    attributes: dict[str, str] | None
    can_publish: bool
    can_subscribe: bool
    token_digest: str
    """SHA-256 of the token it is connected with: actions must present that token."""
    recorded: bool
    """Whether the stage recorded participants (a storage configuration) when it joined."""
    first_join_time: datetime
    sequence: int
    """Order of first joining within the region (RegionState.next_sequence)."""
    state: str = "CONNECTED"
    published: bool = False
    """True once it has published in this session."""
    publishing: bool = False
    subscriptions: list[str] = field(default_factory=list)
    """Ids of the publishers it is subscribed to, in subscription order."""
    events: list[ParticipantEventRecord] = field(default_factory=list)
    protocol: str | None = None
    """RTMP or RTMPS for an ingest configuration's publisher; None (not shown) otherwise."""
    ingest_configuration_arn: str | None = None
    """The ingest configuration it publishes for (service/ingest_configurations.py)."""
    redundant_ingest: bool | None = None
    replication_type: str = "NONE"
    """NONE, SOURCE (replicated to another stage) or REPLICA (service/replication.py)."""
    replication_state: str | None = None
    """ACTIVE or STOPPED once replication_type is not NONE."""
    source_stage_arn: str | None = None
    """A replica's source stage and session."""
    source_session_id: str | None = None
    stage_arn: str = ""
    """The stage and session it participates in (set when it first joins)."""
    session_id: str = ""


@dataclass(slots=True)
class StageSessionRecord:
    """A stage session: from the first join to the moment the last participant leaves."""

    session_id: str
    start_time: datetime
    sequence: int
    """Order of starting within the region (RegionState.next_sequence)."""
    end_time: datetime | None = None
    participants: dict[str, ParticipantRecord] = field(default_factory=dict)


@dataclass(slots=True)
class IngestConfigurationRecord:
    """An ingest configuration (CreateIngestConfiguration): a stream key that publishes to a
    stage as one participant. Its state is not kept: it is ACTIVE while that participant
    publishes (service/ingest_configurations.py)."""

    arn: str
    name: str
    ingest_protocol: str
    insecure_ingest: bool
    stream_key: str
    """Secret (the model marks it sensitive): never logged, never put in an error message."""
    stage_arn: str
    """The stage it publishes to; empty when associated with none."""
    participant_id: str
    user_id: str
    attributes: dict[str, str] | None
    redundant_ingest: bool
    redundant_credentials: list[tuple[str, str]]
    """(participant id, stream key) of the redundant ingest, when redundant_ingest."""
    tags: dict[str, str]
    created_at: datetime
    sequence: int
    """Creation order within the region (RegionState.next_sequence); the key List pages by."""


@dataclass(slots=True)
class ReplicationRecord:
    """A participant replicated from one stage to another (StartParticipantReplication)."""

    source_stage_arn: str
    participant_id: str
    source_session_id: str
    destination_stage_arn: str
    destination_session_id: str
    sequence: int
    """Order of starting within the region (RegionState.next_sequence)."""
    state: str = "ACTIVE"
    """ACTIVE until StopParticipantReplication or either side leaves; then STOPPED."""


@dataclass(slots=True)
class CompositionDestinationRecord:
    """One destination of a composition: its id, its configuration with defaults filled in,
    and, for an s3 destination, the prefix its recording would go under."""

    destination_id: str
    configuration: dict[str, Any]
    recording_prefix: str | None = None


@dataclass(slots=True)
class CompositionRecord:
    """A composition (StartComposition); its state follows from its times and the clock
    (service/composition_lifecycle.py)."""

    arn: str
    stage_arn: str
    layout: dict[str, Any]
    destinations: list[CompositionDestinationRecord]
    tags: dict[str, str]
    parameters: dict[str, Any]
    """The request with its defaults filled in (no idempotency token): what a repeated
    request with the same idempotency token is compared with."""
    start_time: datetime
    sequence: int
    """Creation order within the region (RegionState.next_sequence); the key List pages by."""
    idempotency_token: str | None = None
    stopped_at: datetime | None = None
    """When StopComposition, or DeleteStage of its stage, stopped it."""


class Tagged(Protocol):
    """A record the tagging operations can reach: it has an ARN and a tags dict."""

    arn: str
    tags: dict[str, str]


TOKEN_GRACE = timedelta(minutes=10)
"""How long an expired token is still remembered (shown by the state view) before it is
forgotten (choice C47). Admission never needs the record: it judges a token by its claims."""


TAGGABLE: dict[str, str] = {
    "stage": "stages",
    "public-key": "public_keys",
    "encoder-configuration": "encoder_configurations",
    "storage-configuration": "storage_configurations",
    "composition": "compositions",
    "ingest-configuration": "ingest_configurations",
}
"""ARN resource type -> the RegionState collection (a dict keyed by ARN) holding that type."""


@dataclass
class RegionState:
    account: str
    region: str
    stages: dict[str, StageRecord] = field(default_factory=CreationOrder)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    public_keys: dict[str, PublicKeyRecord] = field(default_factory=CreationOrder)
    deleted_public_keys: set[str] = field(default_factory=set)
    """ARNs of public keys deleted in this region, so that their tokens are refused by name."""
    revoked_tokens: set[str] = field(default_factory=set)
    """Token ids (participant token `jti`s) revoked by RevokeConnectionToken in this region."""
    encoder_configurations: dict[str, EncoderConfigurationRecord] = field(
        default_factory=CreationOrder
    )
    storage_configurations: dict[str, StorageConfigurationRecord] = field(
        default_factory=CreationOrder
    )
    compositions: dict[str, CompositionRecord] = field(default_factory=CreationOrder)
    ingest_configurations: dict[str, IngestConfigurationRecord] = field(
        default_factory=CreationOrder
    )
    replications: list[ReplicationRecord] = field(default_factory=list)
    """Every participant replication started in this region, stopped ones included."""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    _sequence: itertools.count[int] = field(
        default_factory=lambda: itertools.count(1), repr=False, compare=False
    )
    stage_tokens: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)
    """Index: the participant ids of the tokens issued for each stage, by stage ARN."""
    _expiries: list[tuple[datetime, str]] = field(default_factory=list, repr=False, compare=False)
    """Heap of (expiry, participant id): the order in which tokens are forgotten."""
    new_events: list[tuple[ParticipantRecord, ParticipantEventRecord]] = field(
        default_factory=list, repr=False, compare=False
    )
    """Participant events recorded by the write under way; its commit hands them to the
    observers (emulator/service/transactions.py)."""

    def __post_init__(self) -> None:
        """Records by ARN keep their creation order (paging); the token index is rebuilt."""
        for name in TAGGABLE.values():
            records = getattr(self, name)
            if not isinstance(records, CreationOrder):
                setattr(self, name, CreationOrder(records))
        self.stage_tokens = {}
        for token in self.tokens.values():
            self.stage_tokens.setdefault(token.stage_arn, set()).add(token.participant_id)
        self._expiries = [(t.expires_at, t.participant_id) for t in self.tokens.values()]
        heapq.heapify(self._expiries)

    def add_token(self, token: IssuedToken) -> None:
        """Keep `token`, and forget those expired more than TOKEN_GRACE before it was issued
        (choice C47): O(log n) per token, so memory stops growing once tokens expire."""
        self.forget_expired_tokens(token.issued_at - TOKEN_GRACE)
        self.tokens[token.participant_id] = token
        self.stage_tokens.setdefault(token.stage_arn, set()).add(token.participant_id)
        heapq.heappush(self._expiries, (token.expires_at, token.participant_id))

    def forget_expired_tokens(self, before: datetime) -> None:
        while self._expiries and self._expiries[0][0] < before:
            _, participant_id = heapq.heappop(self._expiries)
            token = self.tokens.get(participant_id)
            if token is not None and token.expires_at < before:
                del self.tokens[participant_id]
                ids = self.stage_tokens.get(token.stage_arn)
                if ids is not None:
                    ids.discard(participant_id)

    def tokens_issued_for(self, stage_arn: str) -> int:
        return len(self.stage_tokens.get(stage_arn, ()))

    def forget_tokens_of(self, stage_arn: str) -> None:
        """Forget every token issued for `stage_arn` (DeleteStage): O(that stage's tokens)."""
        for participant_id in self.stage_tokens.pop(stage_arn, ()):
            del self.tokens[participant_id]

    def next_sequence(self) -> int:
        """The next creation sequence number of this region: increasing, never reused."""
        return next(self._sequence)

    def upcoming_sequence(self) -> int:
        """The number next_sequence will hand out next, without taking it (snapshot.py)."""
        upcoming = next(self._sequence)
        self._sequence = itertools.count(upcoming)
        return upcoming

    def continue_sequence(self, upcoming: int) -> None:
        """Make next_sequence go on from `upcoming` (an imported state, snapshot.py)."""
        self._sequence = itertools.count(upcoming)

    def taggable(self, arn: str) -> Tagged | None:
        """The record of this account and region that `arn` names, if its type is taggable.

        A collection named in TAGGABLE that this state does not have yet counts as empty.
        """
        parsed = parse_arn(arn)
        if parsed is None or parsed.resource_type not in TAGGABLE:
            return None
        collection: dict[str, Tagged] = getattr(self, TAGGABLE[parsed.resource_type], {})
        return collection.get(arn)


class Store:
    """The map from (account, region) to that pair's state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._regions: dict[tuple[str, str], RegionState] = {}

    def region(self, account: str, region: str) -> RegionState:
        key = (account, region)
        with self._lock:
            state = self._regions.get(key)
            if state is None:
                state = self._regions[key] = RegionState(account=account, region=region)
            return state

    def regions(self) -> list[RegionState]:
        with self._lock:
            return list(self._regions.values())

    def reset(self) -> None:
        """Forget every account and region, in O(1): the old records are freed by a
        background thread, so a reset costs the caller the same at any state size."""
        with self._lock:
            old, self._regions = self._regions, {}
        threading.Thread(target=_free, args=(old,), name="store-reset", daemon=True).start()

    def replace(self, regions: list[RegionState]) -> None:
        """Forget every account and region and hold `regions` instead (an import)."""
        with self._lock:
            self._regions = {(state.account, state.region): state for state in regions}


FREE_DELAY = 0.05
"""Seconds the freeing waits, so that the reset that forgot the regions answers first."""
FREE_CHUNK = 256
"""Records freed between two yields of the GIL when a reset frees the old state."""


def _free(regions: dict[tuple[str, str], RegionState]) -> None:
    """Free forgotten regions a chunk of records at a time, yielding the GIL in between, so
    that requests served meanwhile barely notice; it starts once the reset has answered."""
    time.sleep(FREE_DELAY)
    while regions:
        _, state = regions.popitem()
        for value in list(vars(state).values()):
            if isinstance(value, dict):
                while value:
                    for _ in range(min(FREE_CHUNK, len(value))):
                        value.popitem()
                    time.sleep(0)
