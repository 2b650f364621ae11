"""Every operation of the contract, through boto3 against a live server, with valid input.

Input is drawn from the contract's input shapes (tests/strategies.py `valid`), with the ARNs
and ids that must name something fixed to resources a module-scoped world created first (two
stages with sessions, participants that joined, published, subscribed and were replicated, an
ingest configuration publishing, a public key, encoder and storage configurations, an active
and a stopped composition). Operations that destroy or use up what they name (Delete*, Stop*,
DisconnectParticipant, RevokeConnectionToken, StartParticipantReplication, TagResource) get a
fresh resource for each example. Each call must answer 200, its raw JSON body must conform to
the operation's output shape (tests/output_shape.py, independent of the emulator's own code),
and botocore must have parsed it (the boto3 call returned, with every member of the body).

Where input that the model allows is refused by a documented rule across members, the builder
fixes those members and cites the choice (contract/README.md). Beside that walk: no operation
of the contract is left without a handler, and none answers 501 UnsupportedOperationException.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import Config, create_app
from emulator.controls.clock import ControlledClock
from emulator.http.app import emulator_of
from emulator.service.dispatch import Service
from emulator.testing import LiveServer, boto3_client
from tests.conftest import START
from tests.output_shape import problems
from tests.stage_player import StagePlayer, joined, public_pem
from tests.strategies import CONTRACT, valid

Request = dict[str, Any]
Strategy = st.SearchStrategy[Any]

PIXEL_LIMIT = 1920 * 1080
"""C21: width times height (after defaults) at most 2073600."""
DEFAULT_WIDTH, DEFAULT_HEIGHT = 1280, 720
TAGGABLE_KINDS = (
    "stage",
    "public-key",
    "encoder-configuration",
    "storage-configuration",
    "composition",
    "ingest-configuration",
)
LIST_FILTERS = ("filterByUserId", "filterByPublished", "filterByState", "filterByRecordingState")

EVERY_OPERATION = settings(
    # 3 examples an operation under the quick profile (40), 10 under the thorough one (120).
    max_examples=max(3, settings().max_examples // 12),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

_unique = itertools.count(1)


# -- the world: resources the operations' input points at ---------------------------------


@dataclass(frozen=True)
class Capture:
    """The raw HTTP answer botocore received for one operation."""

    operation: str
    status: int
    body: bytes


@dataclass(frozen=True)
class Seen:
    """A participant as GetParticipant names it."""

    stage_arn: str
    session_id: str
    participant_id: str


class World:
    """What the module built first, and how to build more of it.

    Everything goes through one boto3 client; the capture of the call under test is the last
    one, since builders call before it. (A plain class: Hypothesis prints a failing example's
    arguments, and would print every field of a dataclass.)
    """

    def __init__(self, ivs: Any, player: StagePlayer) -> None:
        self.ivs, self.player = ivs, player
        self.captures: list[Capture] = []
        self.arns: dict[str, str] = {}
        """Named resources: stage-a, stage-b, stage-c, public-key, encoder-configuration, ..."""
        self.sessions: dict[str, str] = {}
        """A session id per stage name (stage-a, stage-b, stage-c)."""
        self.participants: list[Seen] = []
        self.compositions: list[str] = []
        self.publisher = ""
        """The participant on stage-a that publishes and is replicated to stage-b."""
        self.subscriber = ""

    def __repr__(self) -> str:
        return "World(<the module's resources>)"

    @property
    def stage_a(self) -> str:
        return self.arns["stage-a"]

    @property
    def stage_b(self) -> str:
        return self.arns["stage-b"]

    def stages(self) -> list[str]:
        return [self.arns[name] for name in ("stage-a", "stage-b", "stage-c")]

    def taggable(self) -> list[str]:
        return [*(self.arns[kind] for kind in TAGGABLE_KINDS if kind != "stage"), *self.stages()]

    def token(self, stage_arn: str, **request: Any) -> dict[str, Any]:
        issued: dict[str, Any] = self.ivs.create_participant_token(stageArn=stage_arn, **request)[
            "participantToken"
        ]
        return issued

    def join(self, stage_arn: str, **request: Any) -> tuple[str, str]:
        """A participant that joined `stage_arn`: (participant id, its token)."""
        issued = self.token(stage_arn, **request)
        joined(self.player.join(issued["token"]))
        return str(issued["participantId"]), str(issued["token"])

    def active_session(self, stage_arn: str) -> str:
        return str(self.ivs.get_stage(arn=stage_arn)["stage"]["activeSessionId"])

    def fresh_stage(self) -> str:
        return str(self.ivs.create_stage(name=f"fresh-{next(_unique)}")["stage"]["arn"])

    def fresh_public_key(self) -> str:
        pem = public_pem(ec.generate_private_key(ec.SECP384R1()))
        return str(self.ivs.import_public_key(publicKeyMaterial=pem)["publicKey"]["arn"])

    def fresh_encoder_configuration(self) -> str:
        answer = self.ivs.create_encoder_configuration(name=f"fresh-{next(_unique)}")
        return str(answer["encoderConfiguration"]["arn"])

    def fresh_storage_configuration(self) -> str:
        answer = self.ivs.create_storage_configuration(s3={"bucketName": "fresh-bucket"})
        return str(answer["storageConfiguration"]["arn"])

    def fresh_composition(self) -> str:
        answer = self.ivs.start_composition(
            stageArn=self.stage_a, destinations=[{"channel": {"channelArn": CHANNEL_ARN}}]
        )
        return str(answer["composition"]["arn"])

    def fresh_ingest_configuration(self) -> str:
        answer = self.ivs.create_ingest_configuration(ingestProtocol="RTMPS")
        return str(answer["ingestConfiguration"]["arn"])

    def fresh(self, kind: str) -> str:
        makers: dict[str, Callable[[], str]] = {
            "stage": self.fresh_stage,
            "public-key": self.fresh_public_key,
            "encoder-configuration": self.fresh_encoder_configuration,
            "storage-configuration": self.fresh_storage_configuration,
            "composition": self.fresh_composition,
            "ingest-configuration": self.fresh_ingest_configuration,
        }
        return makers[kind]()


CHANNEL_ARN = "arn:aws:ivs:us-east-1:123456789012:channel/abcdEFGH1234"
"""C38: the emulator has no channels; any channelArn the pattern allows is accepted."""
STAGE_ARN = "arn:aws:ivs:us-east-1:123456789012:stage/abcdEFGH1234"
"""A well-formed stage ARN that names no stage."""


def build_world(ivs: Any, player: StagePlayer, clock: ControlledClock) -> World:
    world = World(ivs, player)
    arns = world.arns
    pem = public_pem(ec.generate_private_key(ec.SECP384R1()))
    arns["public-key"] = ivs.import_public_key(publicKeyMaterial=pem, name="world")["publicKey"][
        "arn"
    ]
    arns["storage-configuration"] = ivs.create_storage_configuration(
        name="world", s3={"bucketName": "world-bucket"}
    )["storageConfiguration"]["arn"]
    arns["encoder-configuration"] = ivs.create_encoder_configuration(
        name="world", video={"width": 1920, "height": 1080, "framerate": 60, "bitrate": 6000000}
    )["encoderConfiguration"]["arn"]
    recording = {"storageConfigurationArn": arns["storage-configuration"]}
    arns["stage-a"] = ivs.create_stage(
        name="world-a", autoParticipantRecordingConfiguration=recording
    )["stage"]["arn"]
    arns["stage-b"] = ivs.create_stage(name="world-b")["stage"]["arn"]
    arns["stage-c"] = ivs.create_stage(name="world-c")["stage"]["arn"]
    stage_a, stage_b, stage_c = world.stages()

    # Stage A: a publisher, a subscriber to it, and an ingest configuration publishing (C43).
    world.publisher, publisher_token = world.join(
        stage_a, userId="publisher", attributes={"role": "host"}
    )
    joined(player.publish(publisher_token))
    world.subscriber, subscriber_token = world.join(stage_a, capabilities=["SUBSCRIBE"])
    joined(player.subscribe(subscriber_token, world.publisher))
    ingest = ivs.create_ingest_configuration(
        name="world-publishing",
        stageArn=stage_a,
        userId="encoder",
        attributes={"kind": "obs"},
        ingestProtocol="RTMPS",
    )["ingestConfiguration"]
    joined(player.start_ingest(ingest["streamKey"]))
    arns["ingest-configuration-active"] = ingest["arn"]
    arns["ingest-configuration"] = ivs.create_ingest_configuration(
        name="world-idle", ingestProtocol="RTMP", insecureIngest=True, redundantIngest=True
    )["ingestConfiguration"]["arn"]

    # The publisher replicated to stage B, stopped, and replicated again (C44): two
    # replications, one STOPPED, and two sessions on stage B. Stage C has two sessions that
    # ended (C24). So that these lists have second pages.
    replication = {
        "sourceStageArn": stage_a,
        "destinationStageArn": stage_b,
        "participantId": world.publisher,
    }
    ivs.start_participant_replication(**replication)
    ivs.stop_participant_replication(**replication)
    ivs.start_participant_replication(**replication)
    for _ in range(2):
        gone, gone_token = world.join(stage_c)
        joined(player.leave(gone_token))

    # An active composition with both destinations, and a stopped one (C39).
    arns["composition"] = ivs.start_composition(
        stageArn=stage_a,
        destinations=[
            {
                "channel": {
                    "channelArn": CHANNEL_ARN,
                    "encoderConfigurationArn": arns["encoder-configuration"],
                }
            },
            {
                "s3": {
                    "storageConfigurationArn": arns["storage-configuration"],
                    "encoderConfigurationArns": [arns["encoder-configuration"]],
                }
            },
        ],
    )["composition"]["arn"]
    stopped = world.fresh_composition()
    ivs.stop_composition(arn=stopped)
    clock.set(now=clock.now() + timedelta(seconds=2))  # STARTING -> ACTIVE, STOPPING -> STOPPED
    world.compositions = [arns["composition"], stopped]

    world.sessions = {
        "stage-a": world.active_session(stage_a),
        "stage-b": world.active_session(stage_b),
        "stage-c": ivs.list_stage_sessions(stageArn=stage_c)["stageSessions"][0]["sessionId"],
    }
    session_a = world.sessions["stage-a"]
    world.participants = [
        Seen(stage_a, session_a, world.publisher),
        Seen(stage_a, session_a, world.subscriber),
        Seen(stage_a, session_a, ingest["participantId"]),
        Seen(stage_b, world.sessions["stage-b"], world.publisher),
        Seen(stage_c, world.sessions["stage-c"], gone),
    ]
    return world


@pytest.fixture(scope="module")
def world_app() -> Flask:
    # Quotas are not what this module tests: it may start more than 5 compositions (C38; a
    # stopped one stays STOPPING on a frozen clock), create more than 20 encoder configurations
    # (C21) and more than 100 stages (C14) when run with more examples. The clock is frozen so
    # that nothing times out (C39).
    config = Config(stage_quota=1_000_000, composition_quota=None, encoder_configuration_quota=None)
    return create_app(config, clock=ControlledClock(START, frozen=True))


@pytest.fixture(scope="module")
def world(world_app: Flask) -> Iterator[World]:
    clock = emulator_of(world_app).backend.clock
    assert isinstance(clock, ControlledClock)
    with LiveServer(world_app) as server:
        # No retries: a 500 must show as it is, not as the answer to a second attempt.
        ivs = boto3_client(server.url, retries={"total_max_attempts": 1, "mode": "standard"})
        built = build_world(ivs, StagePlayer(server.url), clock)

        def capture(http_response: Any, model: Any, **_: Any) -> None:
            built.captures.append(
                Capture(model.name, int(http_response.status_code), bytes(http_response.content))
            )

        ivs.meta.events.register("after-call.ivs-realtime", capture)
        yield built


# -- strategies and input builders ----------------------------------------------------------


def request_of(operation: str, **kwargs: Any) -> Strategy:
    return valid(str(CONTRACT.operations[operation].input_shape), **kwargs)


def fixed(**values: Any) -> dict[str, Strategy]:
    return {member: st.just(value) for member, value in values.items()}


def pointing(request: Strategy, **members: Strategy) -> Strategy:
    """`request`, with each of `members` that it has drawn from the given strategy instead:
    optional members that must name something keep being optional."""

    @st.composite
    def build(draw: st.DrawFn) -> Request:
        drawn: Request = draw(request)
        for member, strategy in members.items():
            if member in drawn:
                drawn[member] = draw(strategy)
        return drawn

    return build()


def pixels_within_limit(video: Mapping[str, Any]) -> bool:
    """C21: width times height, after defaults, at most 2073600."""
    width = video.get("width", DEFAULT_WIDTH)
    height = video.get("height", DEFAULT_HEIGHT)
    return bool(width * height <= PIXEL_LIMIT)


def videos() -> Strategy:
    # tests/strategies.py has no float strategy: framerate (Framerate, a float of 1 to 60) is
    # drawn here, present or not like any optional member.
    framerates = st.fixed_dictionaries(
        {}, optional={"framerate": st.floats(1, 60, allow_nan=False, allow_infinity=False)}
    )
    return (
        st.tuples(valid("Video", omit=("framerate",)), framerates)
        .map(lambda pair: {**pair[0], **pair[1]})
        .filter(pixels_within_limit)
    )


def public_key_materials() -> Strategy:
    """A new P-384 key each draw (C16: the same key imported twice is a conflict), its PEM
    spelled as the model's pattern allows: LF or CRLF, with or without a final newline."""

    def spell(crlf: bool, final_newline: bool) -> str:
        pem = public_pem(ec.generate_private_key(ec.SECP384R1()))
        pem = pem if final_newline else pem.rstrip("\n")
        return pem.replace("\n", "\r\n") if crlf else pem

    return st.builds(spell, st.booleans(), st.booleans())


def unique_idempotency_token(token: str) -> str:
    """C38: a token reused with other parameters is a conflict; Hypothesis repeats small
    values, so each drawn token gets a prefix no other example has (within the max of 64)."""
    return f"{next(_unique)}-{token}"[:64]


Builder = Callable[[World, st.DataObject], Request]


def draw_request(data: st.DataObject, strategy: Strategy) -> Request:
    request: Request = data.draw(strategy, label="request")
    return request


def paged(operation: str, make: Callable[[World], Strategy]) -> Builder:
    """A List request (`make` turns the world into its strategy) without `nextToken`: a token
    is opaque and bound to the emulator, operation, caller and filters (service/paging.py), so
    a drawn one is not one it issued. Then, half the time, the `nextToken` of a first page of
    one item of the same listing, when there is a second page."""

    def build(world: World, data: st.DataObject) -> Request:
        drawn = draw_request(data, make(world))
        drawn.pop("nextToken", None)
        if data.draw(st.booleans(), label="second page"):
            first = getattr(world.ivs, xform_name(operation))(**{**drawn, "maxResults": 1})
            if "nextToken" in first:
                drawn["nextToken"] = first["nextToken"]
        return drawn

    return build


def from_world(make: Callable[[World], Strategy]) -> Builder:
    """A builder that only draws: `make` turns the world into the request's strategy."""
    return lambda world, data: draw_request(data, make(world))


def participants(world: World) -> Strategy:
    return st.sampled_from(world.participants)


def seen_request(operation: str, seen: Seen, **kwargs: Any) -> Strategy:
    """The operation's request naming a participant's stage, session and id (the members its
    shape has of these three)."""
    return request_of(
        operation,
        fixed=fixed(
            stageArn=seen.stage_arn, sessionId=seen.session_id, participantId=seen.participant_id
        ),
        **kwargs,
    )


def build_create_encoder_configuration(world: World, data: st.DataObject) -> Request:
    video = st.fixed_dictionaries({}, optional={"video": videos()})
    request = st.tuples(request_of("CreateEncoderConfiguration", omit=("video",)), video)
    return draw_request(data, request.map(lambda pair: {**pair[0], **pair[1]}))


def build_create_ingest_configuration(world: World, data: st.DataObject) -> Request:
    # C41: a non-empty stageArn must name a stage of the caller's account and region.
    drawn = draw_request(
        data,
        pointing(
            request_of("CreateIngestConfiguration"), stageArn=st.sampled_from(["", world.stage_a])
        ),
    )
    if drawn["ingestProtocol"] == "RTMP":
        drawn["insecureIngest"] = True  # C41: RTMP needs insecureIngest true
    return drawn


def build_import_public_key(world: World, data: st.DataObject) -> Request:
    return draw_request(
        data, request_of("ImportPublicKey", fixed={"publicKeyMaterial": public_key_materials()})
    )


def one_filter(request: Request) -> Request:
    """C27: at most one of the four ListParticipants filters per request; the first drawn."""
    present = [member for member in LIST_FILTERS if member in request]
    return {k: v for k, v in request.items() if k not in present[1:]}


def list_participants(world: World) -> Strategy:
    return participants(world).flatmap(
        lambda seen: seen_request("ListParticipants", seen).map(one_filter)
    )


def list_participant_events(world: World) -> Strategy:
    return participants(world).flatmap(lambda seen: seen_request("ListParticipantEvents", seen))


def build_start_composition(world: World, data: st.DataObject) -> Request:
    encoder = world.arns["encoder-configuration"]
    channel = valid(
        "DestinationConfiguration",
        omit=("s3",),
        fixed={
            "channel": pointing(
                valid("ChannelDestinationConfiguration"), encoderConfigurationArn=st.just(encoder)
            )
        },
    )
    s3 = valid(
        "DestinationConfiguration",
        omit=("channel",),
        fixed={
            "s3": valid(
                "S3DestinationConfiguration",
                fixed=fixed(
                    storageConfigurationArn=world.arns["storage-configuration"],
                    encoderConfigurationArns=[encoder],
                ),
            )
        },
    )
    # C38: each destination names exactly one of channel and s3, and there is at most one of
    # each: one channel, one s3, or one of both (in either order).
    destinations = st.one_of(
        st.tuples(channel).map(list),
        st.tuples(s3).map(list),
        st.tuples(channel, s3).map(list),
        st.tuples(s3, channel).map(list),
    )
    request = pointing(
        request_of(
            "StartComposition",
            fixed={"stageArn": st.just(world.stage_a), "destinations": destinations},
        ),
        idempotencyToken=valid("CompositionClientToken").map(unique_idempotency_token),
    )
    return draw_request(data, request)


def build_start_participant_replication(world: World, data: st.DataObject) -> Request:
    # A participant connected to the source now, not yet replicated (C44: a second replication
    # to the same destination is a conflict).
    participant, _ = world.join(world.stage_a)
    return draw_request(
        data,
        request_of(
            "StartParticipantReplication",
            fixed=fixed(
                sourceStageArn=world.stage_a,
                destinationStageArn=world.stage_b,
                participantId=participant,
            ),
        ),
    )


def build_stop_participant_replication(world: World, data: st.DataObject) -> Request:
    participant, _ = world.join(world.stage_a)
    ends = {
        "sourceStageArn": world.stage_a,
        "destinationStageArn": world.stage_b,
        "participantId": participant,
    }
    world.ivs.start_participant_replication(**ends)
    return draw_request(data, request_of("StopParticipantReplication", fixed=fixed(**ends)))


def build_disconnect_participant(world: World, data: st.DataObject) -> Request:
    # C29: a disconnected participant id never joins again; a fresh one each example.
    participant, token = world.join(world.stage_a)
    joined(world.player.publish(token))
    return draw_request(
        data,
        request_of(
            "DisconnectParticipant",
            fixed=fixed(stageArn=world.stage_a, participantId=participant),
        ),
    )


def build_revoke_connection_token(world: World, data: st.DataObject) -> Request:
    # C30: tokenId is the token's jti (its participant id); a connected one, fresh each example.
    participant, _ = world.join(world.stage_a)
    return draw_request(data, request_of("RevokeConnectionToken", fixed=fixed(tokenId=participant)))


def build_delete_stage(world: World, data: st.DataObject) -> Request:
    # A stage with a session and a publisher, so that deleting it also disconnects (C24).
    arn = world.fresh_stage()
    _, token = world.join(arn)
    joined(world.player.publish(token))
    return draw_request(data, request_of("DeleteStage", fixed=fixed(arn=arn)))


def deleting(operation: str, kind: str) -> Builder:
    """Input of an operation that destroys a resource of `kind`: a fresh one each example."""

    def build(world: World, data: st.DataObject) -> Request:
        return draw_request(data, request_of(operation, fixed=fixed(arn=world.fresh(kind))))

    return build


def build_tag_resource(world: World, data: st.DataObject) -> Request:
    # C20: tags merge and a resource carries at most 50: a fresh resource each example.
    kind = data.draw(st.sampled_from(TAGGABLE_KINDS), label="kind")
    return draw_request(data, request_of("TagResource", fixed=fixed(resourceArn=world.fresh(kind))))


BUILDERS: dict[str, Builder] = {
    # creating
    "CreateStage": from_world(lambda w: request_of("CreateStage")),
    "CreateParticipantToken": from_world(
        lambda w: request_of("CreateParticipantToken", fixed=fixed(stageArn=w.stage_a))
    ),
    "ImportPublicKey": build_import_public_key,
    "CreateEncoderConfiguration": build_create_encoder_configuration,
    "CreateStorageConfiguration": from_world(lambda w: request_of("CreateStorageConfiguration")),
    "CreateIngestConfiguration": build_create_ingest_configuration,
    # reading
    "GetStage": from_world(
        lambda w: request_of("GetStage", fixed={"arn": st.sampled_from(w.stages())})
    ),
    "ListStages": paged("ListStages", lambda w: request_of("ListStages")),
    "GetPublicKey": from_world(
        lambda w: request_of("GetPublicKey", fixed=fixed(arn=w.arns["public-key"]))
    ),
    "ListPublicKeys": paged("ListPublicKeys", lambda w: request_of("ListPublicKeys")),
    "GetEncoderConfiguration": from_world(
        lambda w: request_of(
            "GetEncoderConfiguration", fixed=fixed(arn=w.arns["encoder-configuration"])
        )
    ),
    "ListEncoderConfigurations": paged(
        "ListEncoderConfigurations", lambda w: request_of("ListEncoderConfigurations")
    ),
    "GetStorageConfiguration": from_world(
        lambda w: request_of(
            "GetStorageConfiguration", fixed=fixed(arn=w.arns["storage-configuration"])
        )
    ),
    "ListStorageConfigurations": paged(
        "ListStorageConfigurations", lambda w: request_of("ListStorageConfigurations")
    ),
    "GetIngestConfiguration": from_world(
        lambda w: request_of(
            "GetIngestConfiguration",
            fixed={
                "arn": st.sampled_from(
                    [w.arns["ingest-configuration"], w.arns["ingest-configuration-active"]]
                )
            },
        )
    ),
    "ListIngestConfigurations": paged(
        "ListIngestConfigurations",
        lambda w: pointing(
            request_of("ListIngestConfigurations"), filterByStageArn=st.just(w.stage_a)
        ),
    ),
    "GetComposition": from_world(
        lambda w: request_of("GetComposition", fixed={"arn": st.sampled_from(w.compositions)})
    ),
    "ListCompositions": paged(
        "ListCompositions",
        lambda w: pointing(
            request_of("ListCompositions"),
            filterByStageArn=st.just(w.stage_a),
            filterByEncoderConfigurationArn=st.just(w.arns["encoder-configuration"]),
        ),
    ),
    "GetStageSession": from_world(
        lambda w: participants(w).flatmap(
            lambda seen: request_of(
                "GetStageSession",
                fixed=fixed(stageArn=seen.stage_arn, sessionId=seen.session_id),
            )
        )
    ),
    "ListStageSessions": paged(
        "ListStageSessions",
        lambda w: request_of("ListStageSessions", fixed={"stageArn": st.sampled_from(w.stages())}),
    ),
    "GetParticipant": from_world(
        lambda w: participants(w).flatmap(lambda seen: seen_request("GetParticipant", seen))
    ),
    "ListParticipants": paged("ListParticipants", list_participants),
    "ListParticipantEvents": paged("ListParticipantEvents", list_participant_events),
    "ListParticipantReplicas": paged(
        "ListParticipantReplicas",
        lambda w: request_of(
            "ListParticipantReplicas",
            fixed={
                "sourceStageArn": st.just(w.stage_a),
                "participantId": st.sampled_from([w.publisher, w.subscriber]),
            },
        ),
    ),
    "ListTagsForResource": from_world(
        lambda w: request_of(
            "ListTagsForResource", fixed={"resourceArn": st.sampled_from(w.taggable())}
        )
    ),
    # changing
    "UpdateStage": from_world(
        lambda w: request_of("UpdateStage", fixed={"arn": st.sampled_from(w.stages())})
    ),
    "UpdateIngestConfiguration": from_world(
        # C41: an ACTIVE configuration cannot be updated (the idle one is used), and a
        # non-empty stageArn must name a stage of the caller (UpdateIngestConfiguration
        # answers ResourceNotFoundException otherwise).
        lambda w: pointing(
            request_of(
                "UpdateIngestConfiguration", fixed=fixed(arn=w.arns["ingest-configuration"])
            ),
            stageArn=st.sampled_from(["", w.stage_a, w.stage_b]),
        )
    ),
    "TagResource": build_tag_resource,
    "UntagResource": from_world(
        # At least one tag key: boto3 sends no query parameter for an empty list, which the
        # emulator refuses (choice C46, test_untag_resource_with_an_empty_tag_key_list_...).
        lambda w: request_of(
            "UntagResource",
            fixed={
                "resourceArn": st.sampled_from(w.taggable()),
                "tagKeys": valid("TagKeyList").filter(bool),
            },
        )
    ),
    "StartComposition": build_start_composition,
    "StartParticipantReplication": build_start_participant_replication,
    # ending and destroying: a fresh resource each example
    "StopParticipantReplication": build_stop_participant_replication,
    "StopComposition": deleting("StopComposition", "composition"),
    "DisconnectParticipant": build_disconnect_participant,
    "RevokeConnectionToken": build_revoke_connection_token,
    "DeleteIngestConfiguration": deleting("DeleteIngestConfiguration", "ingest-configuration"),
    "DeleteEncoderConfiguration": deleting("DeleteEncoderConfiguration", "encoder-configuration"),
    "DeleteStorageConfiguration": deleting("DeleteStorageConfiguration", "storage-configuration"),
    "DeletePublicKey": deleting("DeletePublicKey", "public-key"),
    "DeleteStage": build_delete_stage,
}


def order(operation: str) -> tuple[int, int]:
    """Creating, then reading, then changing, then ending and destroying (the order BUILDERS
    lists them in); an operation without a builder last, where its test case fails."""
    names = list(BUILDERS)
    return (0, names.index(operation)) if operation in BUILDERS else (1, 0)


OPERATIONS = sorted(CONTRACT.operations, key=order)




# -- the walk -------------------------------------------------------------------------------


def call(world: World, operation: str, request: Request) -> tuple[dict[str, Any], Capture]:
    """Call the operation through boto3; what botocore parsed, and the raw answer."""
    method = getattr(world.ivs, xform_name(operation))
    del world.captures[:]
    parsed: dict[str, Any] = method(**request)
    assert world.captures, f"{operation}: no after-call event"
    raw = world.captures[-1]
    assert raw.operation == operation
    return parsed, raw


@pytest.mark.parametrize("operation", OPERATIONS)
@EVERY_OPERATION
@given(data=st.data())
def test_valid_input_answers_200_with_a_body_that_conforms_and_that_botocore_parses(
    world: World, operation: str, data: st.DataObject
) -> None:
    builder = BUILDERS.get(operation)
    assert builder is not None, f"{operation} has no input builder in this module"
    request = builder(world, data)
    parsed, raw = call(world, operation, request)

    assert raw.status == 200, raw.body
    body = json.loads(raw.body)
    output_shape = str(CONTRACT.operations[operation].output_shape)
    found = problems(output_shape, body)
    assert not found, f"{output_shape}: " + "; ".join(str(p) for p in found)
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(body) <= set(parsed), f"botocore dropped {set(body) - set(parsed)}"


def test_untag_resource_with_an_empty_tag_key_list_is_a_missing_member(world: World) -> None:
    """An empty query-string list cannot be sent, so tagKeys is absent (choice C46)."""
    del world.captures[:]
    with contextlib.suppress(ClientError):
        world.ivs.untag_resource(resourceArn=world.stage_a, tagKeys=[])
    raw = world.captures[-1]
    assert raw.status == 400
    assert "Value null at 'tagKeys'" in json.loads(raw.body)["message"]


# -- nothing left unrouted ----------------------------------------------------------------


def unrouted(service: Service) -> set[str]:
    """Operations of the contract the service has no handler for."""
    return set(CONTRACT.operations) - set(service.handlers)


def test_every_operation_of_the_contract_has_an_input_builder_here() -> None:
    assert set(BUILDERS) == set(CONTRACT.operations)


def test_every_operation_of_the_contract_has_a_handler(app: Flask) -> None:
    assert unrouted(emulator_of(app).service) == set()


def test_an_operation_without_a_handler_is_reported_and_answers_501(app: Flask) -> None:
    service = emulator_of(app).service
    del service.handlers["GetStage"]
    assert unrouted(service) == {"GetStage"}
    response = app.test_client().post("/GetStage", json={"arn": STAGE_ARN})
    assert (response.status_code, response.headers.get("x-amzn-ErrorType")) == (
        501,
        "UnsupportedOperationException",
    )


def path_of(operation: str) -> str:
    """The operation's request URI, its one label (resourceArn) filled with a stage ARN."""
    return CONTRACT.operations[operation].uri.replace("{resourceArn}", quote(STAGE_ARN, safe=""))


@pytest.mark.parametrize("operation", list(CONTRACT.operations))
def test_no_operation_answers_unsupported_operation(app: Flask, operation: str) -> None:
    op = CONTRACT.operations[operation]
    response = app.test_client().open(path_of(operation), method=op.method, json={})
    assert response.status_code != 501
    assert response.headers.get("x-amzn-ErrorType") != "UnsupportedOperationException"
