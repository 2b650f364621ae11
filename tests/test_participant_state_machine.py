"""A Hypothesis state machine drives stage sessions and their participants against a plain model.

Stages live in two scopes (one account, two regions); a third scope (another account) only
ever revokes. The machine issues participant tokens on live stages (random capabilities, `[]`
included, and user ids), signs tokens of its own that reuse an issued token's `jti` on a
stage of the same scope (an imported public key per scope), and plays stage clients through
POST /_emulator/stage/<action>: join, publish, unpublish, subscribe (to a publishing
participant, to one of the session who does not publish, or to one of another session or
stage), unsubscribe, leave; joins the stage refuses (deleted stage, DisconnectParticipant,
revoked token, already connected) and actions with a token that is not the connected one.
The control plane acts through DisconnectParticipant, RevokeConnectionToken (from the
token's scope or another) and DeleteStage under connected participants. The FixedClock moves
on a few seconds now and then, so that times differ.

The model is plain Python: per stage, its sessions (the last one active while it has no end
time) and the participant ids DisconnectParticipant removed; per session, its participants in
first-join order, each with its state, `published`, what it publishes and subscribes to now,
the token it is connected with, and its events in the order they happened (choices C24 to
C31 in contract/README.md); per scope, the revoked token ids.

Every answer of a stage client is checked (the participant as the model has it, or the
refusal's status and code), and after every step, through the API only (Flask test client,
JSON, a SigV4-like Authorization header): GetStage's `activeSessionId` is present exactly
while someone is connected (ListStages' too); ListStageSessions (every page) lists the
model's sessions newest first with `endTime` exactly on ended ones, at most one without, and
that one is GetStage's `activeSessionId`; ListParticipants (every page) lists the model's
participants with their states; ListParticipantEvents (every page) lists each participant's
events newest first (C25), `*_ERROR` events with the `errorCode` the model predicts; no
participant removed by DisconnectParticipant or whose token was revoked is CONNECTED; a
deleted stage's sessions are not found.

Run with --hypothesis-show-statistics to see what the examples got to (the "model:" and
"example:" events).
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from tests.conftest import START
from tests.scoped_api import Scope, ScopedCalls
from tests.stage_player import public_pem, self_signed_token
from tests.strategies import CONTRACT

T = TypeVar("T")
STAGE_SCOPES: list[Scope] = [("111111111111", "us-east-1"), ("111111111111", "eu-west-1")]
OUTSIDER: Scope = ("222222222222", "us-east-1")
"""A scope that has no stages: its revocations concern none of the machine's tokens."""

CONNECTED = "CONNECTED"
DISCONNECTED = "DISCONNECTED"
BOTH = ["PUBLISH", "SUBSCRIBE"]
SESSION_ID = re.compile(r"st-[A-Za-z0-9]{13}")
MAX_LIVE_STAGES = 3
MAX_WELCOME_TOKENS = 4
THOROUGH_EVERY = 8
SIGNING_KEY = ec.generate_private_key(ec.SECP384R1())

capability_lists = st.none() | st.lists(st.sampled_from(BOTH), unique=True, max_size=2)
user_ids = (
    st.none() | st.sampled_from(["", "alice", "bob"]) | st.text(string.ascii_letters, max_size=6)
)
reasons = st.none() | st.text(string.ascii_letters + " ", max_size=12)
FILTERED_MEMBER = {
    "filterByUserId": "userId",
    "filterByPublished": "published",
    "filterByState": "state",
    "filterByRecordingState": "recordingState",
}
CLIENT_ACTIONS = ["publish", "unpublish", "subscribe", "unsubscribe", "leave"]
STEP_WEIGHTS = {
    "join": 4,
    "publish": 3,
    "unpublish": 1,
    "subscribe": 4,
    "unsubscribe": 1,
    "leave": 1,
    "a_client_is_refused": 2,
    "disconnect_participant": 1,
    "revoke_connection_token": 1,
    "delete_stage_under_participants": 1,
    "more_stages_and_tokens": 2,
    "time_passes": 1,
    "read_a_session": 1,
}
"""How often each step happens when it applies: enough joins, publishers and subscribers to
get to what ends subscriptions, and the rest now and then."""


def stamp(moment: datetime) -> str:
    """A time as the API writes it (choice C10)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# -- the model ------------------------------------------------------------------------------


class Brief:
    """Printed by its short repr in Hypothesis' reports (which spell dataclasses out field by
    field otherwise, a token's text included)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@dataclass(frozen=True, repr=False)
class Token(Brief):
    """A participant token the machine holds: issued by the emulator or signed by the machine."""

    number: int
    """Its place among the machine's tokens, to tell apart two tokens with one id."""
    text: str
    participant_id: str
    stage_arn: str
    scope: Scope
    user_id: str | None
    can_publish: bool
    can_subscribe: bool
    self_signed: bool

    def __repr__(self) -> str:
        how = "self-signed" if self.self_signed else "issued"
        can = "".join(c for c, ok in (("P", self.can_publish), ("S", self.can_subscribe)) if ok)
        return (
            f"<token #{self.number} {how} {self.participant_id} on {short(self.stage_arn)}, "
            f"capabilities {can or '-'}, userId {self.user_id!r}>"
        )


@dataclass(frozen=True)
class Event:
    name: str
    participant_id: str
    time: datetime
    remote: str | None = None
    error: str | None = None

    def view(self) -> dict[str, Any]:
        """As ListParticipantEvents lists it (C26: remoteParticipantId and errorCode only when
        they apply)."""
        result: dict[str, Any] = {
            "name": self.name,
            "participantId": self.participant_id,
            "eventTime": stamp(self.time),
        }
        if self.remote is not None:
            result["remoteParticipantId"] = self.remote
        if self.error is not None:
            result["errorCode"] = self.error
        return result


@dataclass(repr=False)
class Participant(Brief):
    participant_id: str
    first_join_time: datetime
    recorded: bool
    token: Token
    """The token it is connected (or was last connected) with."""
    state: str = CONNECTED
    published: bool = False
    publishing: bool = False
    subscriptions: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    """In the order they happened."""

    @property
    def recording_state(self) -> str:
        if not self.recorded:
            return "DISABLED"
        return "ACTIVE" if self.publishing else "STOPPED"

    def summary(self) -> dict[str, Any]:
        return {
            "participantId": self.participant_id,
            "userId": self.token.user_id or "",
            "state": self.state,
            "firstJoinTime": stamp(self.first_join_time),
            "published": self.published,
            "recordingState": self.recording_state,
            "replicationType": "NONE",
        }

    def view(self) -> dict[str, Any]:
        """As GetParticipant has it."""
        return {**self.summary(), "attributes": {}}

    def __repr__(self) -> str:
        return f"<participant {self.participant_id} {self.state} with token #{self.token.number}>"


@dataclass(repr=False)
class Session(Brief):
    session_id: str
    start_time: datetime
    end_time: datetime | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    """In first-join order."""

    def view(self) -> dict[str, Any]:
        result = {"sessionId": self.session_id, "startTime": stamp(self.start_time)}
        if self.end_time is not None:
            result["endTime"] = stamp(self.end_time)
        return result

    def __repr__(self) -> str:
        return f"<session {self.session_id}{' ended' if self.end_time else ''}>"


@dataclass(repr=False)
class Stage(Brief):
    arn: str
    scope: Scope
    endpoints: dict[str, str]
    recorded: bool
    live: bool = True
    sessions: list[Session] = field(default_factory=list)
    """Oldest first."""
    disconnected: dict[str, str] = field(default_factory=dict)
    """Participant ids DisconnectParticipant removed from the stage for good, with the last
    reason given."""

    @property
    def active(self) -> Session | None:
        last = self.sessions[-1] if self.sessions else None
        return last if last is not None and last.end_time is None else None

    def connected(self, participant_id: str) -> Participant | None:
        session = self.active
        found = None if session is None else session.participants.get(participant_id)
        return found if found is not None and found.state == CONNECTED else None

    def __repr__(self) -> str:
        return f"<stage {short(self.arn)}{'' if self.live else ' deleted'}>"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


Seat = tuple[Stage, Session, Participant]
"""A connected participant with its stage and session."""


# -- the machine ----------------------------------------------------------------------------


class StageSessions(ScopedCalls, RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(START)
        self.client: FlaskClient = create_app(
            Config(), clock=self.clock, contract=CONTRACT
        ).test_client()
        self.stages: list[Stage] = []
        self.tokens: list[Token] = []
        self.tried: set[tuple[str, ...]] = set()
        """Refusals already checked in the same situation: not worth repeating."""
        self.recorded = 0
        """How many events the model has recorded."""
        self.checks = 0
        """How many times the invariants ran."""
        self.settled: set[str] = set()
        """Deleted stages' ARNs and ended sessions' ids, checked since they got so."""
        self.seen_by: dict[str, int] = {}
        """How many events there were when a rule that changes nothing last ran."""
        self.issued_ids: list[str] = []
        """In the order they were issued: every choice the machine draws from is in an order
        that does not depend on the emulator's random ids, so that examples replay."""
        self.revoked: dict[Scope, set[str]] = {scope: set() for scope in [*STAGE_SCOPES, OUTSIDER]}
        self.storage: dict[Scope, str] = {}
        self.keys: dict[Scope, str] = {}
        for scope in STAGE_SCOPES:
            self.storage[scope] = self.ok(
                scope, "CreateStorageConfiguration", {"s3": {"bucketName": "recordings"}}
            )["storageConfiguration"]["arn"]
            self.keys[scope] = self.ok(
                scope, "ImportPublicKey", {"publicKeyMaterial": public_pem(SIGNING_KEY)}
            )["publicKey"]["arn"]

    # -- plumbing ---------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self.clock.now()

    def every_page(
        self, scope: Scope, operation: str, request: dict[str, Any], key: str
    ) -> list[dict[str, Any]]:
        """Every item of a listing, following nextToken; it must stop."""
        listed: list[dict[str, Any]] = []
        for _ in range(200):
            page = self.ok(scope, operation, request)
            assert len(page[key]) <= request.get("maxResults", 50), (operation, page)
            listed += page[key]
            if "nextToken" not in page:
                return listed
            request = {**request, "nextToken": page["nextToken"]}
        raise AssertionError(f"{operation} never stopped giving a nextToken: {request}")

    def act(self, action: str, token: Token, publisher_id: str | None = None) -> Answer:
        body: dict[str, Any] = {"token": token.text}
        if publisher_id is not None:
            body["publisherId"] = publisher_id
        response = self.client.post(
            f"/_emulator/stage/{action}", data=json.dumps(body), content_type="application/json"
        )
        answer = Answer(response.status_code, response.get_json())
        event(f"{action}: {answer.status} {answer.body.get('error', '')}".rstrip())
        return answer

    @staticmethod
    def refused(answer: Answer, status: int, error: str) -> None:
        assert (answer.status, answer.body.get("error")) == (status, error), answer
        assert set(answer.body) == {"error", "reason"}, answer
        assert isinstance(answer.body["reason"], str) and answer.body["reason"], answer

    @staticmethod
    def served(answer: Answer, stage: Stage, session: Session, participant: Participant) -> None:
        """A successful action answers the participant as the model has it after the action."""
        assert answer.status == 200, answer
        assert answer.body == {
            "stageArn": stage.arn,
            "session": session.view(),
            "participant": participant.view(),
            "publishing": participant.publishing,
            "subscriptions": participant.subscriptions,
        }

    def live_stages(self) -> list[Stage]:
        return [stage for stage in self.stages if stage.live]

    def stage_of(self, token: Token) -> Stage:
        return next(stage for stage in self.stages if stage.arn == token.stage_arn)

    def connected(self) -> list[Seat]:
        """Everyone connected now, with their stage and session."""
        found = []
        for stage in self.live_stages():
            session = stage.active
            if session is not None:
                found += [
                    (stage, session, p)
                    for p in session.participants.values()
                    if p.state == CONNECTED
                ]
        return found

    def connected_with(self, token: Token) -> Participant | None:
        """The participant connected with exactly this token, if any."""
        participant = self.stage_of(token).connected(token.participant_id)
        return participant if participant is not None and participant.token == token else None

    def few_welcome_tokens(self) -> bool:
        """Whether another token is worth having: repeated issuing alone makes no progress."""
        return sum(self.may_join(token) for token in self.tokens) < MAX_WELCOME_TOKENS

    def staged(self) -> list[Stage]:
        """Live stages that have had a session."""
        return [stage for stage in self.live_stages() if stage.sessions]

    def in_session(self) -> list[Stage]:
        """Live stages with a session in progress."""
        return [stage for stage in self.live_stages() if stage.active is not None]

    def forgeable(self) -> list[tuple[str, Stage]]:
        """(jti, stage): an issued token's id and a live stage of the token's scope."""
        ids = dict.fromkeys((token.participant_id, token.scope) for token in self.tokens)
        return [(jti, s) for jti, scope in ids for s in self.live_stages() if s.scope == scope]

    def sessions_of_live_stages(self) -> list[tuple[Stage, Session]]:
        return [(stage, session) for stage in self.live_stages() for session in stage.sessions]

    @staticmethod
    def mostly(data: st.DataObject, preferred: list[T], anything: list[T], label: str) -> T:
        """One of `preferred` three times in four (when there is one), else one of `anything`."""
        if preferred and data.draw(st.integers(0, 3), label=f"{label}: preferred") > 0:
            return data.draw(st.sampled_from(preferred), label=label)
        return data.draw(st.sampled_from(anything), label=label)

    def record(self, participant: Participant, name: str, **details: str) -> None:
        participant.events.append(Event(name, participant.participant_id, self.now, **details))
        self.recorded += 1

    def events_since(self, rule_name: str) -> bool:
        """Whether events were recorded since the rule last ran (`ran`): a rule
        that changes nothing by itself is worth running again only after something else did."""
        return self.seen_by.get(rule_name) != self.recorded

    def ran(self, rule_name: str) -> None:
        self.seen_by[rule_name] = self.recorded

    # -- the model's session rules (C24) -------------------------------------------------
    def end_subscription(self, subscriber: Participant, publisher_id: str) -> None:
        subscriber.subscriptions.remove(publisher_id)
        self.record(subscriber, "SUBSCRIBE_STOPPED", remote=publisher_id)

    def end_publishing(self, session: Session, publisher: Participant) -> None:
        """A publisher that stops ends every subscription to it."""
        publisher.publishing = False
        self.record(publisher, "PUBLISH_STOPPED")
        for subscriber in session.participants.values():
            if publisher.participant_id in subscriber.subscriptions:
                event("model: a publisher stops under subscribers")
                self.end_subscription(subscriber, publisher.participant_id)

    def leave_session(self, session: Session, participant: Participant) -> None:
        """Own subscriptions stop, then publishing, then LEFT; the last one out ends it."""
        for publisher_id in list(participant.subscriptions):
            self.end_subscription(participant, publisher_id)
        if participant.publishing:
            self.end_publishing(session, participant)
        participant.state = DISCONNECTED
        self.record(participant, "LEFT")
        if all(p.state == DISCONNECTED for p in session.participants.values()):
            session.end_time = self.now

    def remove(self, stage: Stage, participant_id: str) -> None:
        """The control plane disconnects the participant if it is connected."""
        session = stage.active
        participant = stage.connected(participant_id)
        if session is not None and participant is not None:
            event("model: the control plane removes a connected participant")
            self.leave_session(session, participant)

    # -- stages and tokens ----------------------------------------------------------------
    def new_stage(self, scope: Scope, recorded: bool) -> Stage:
        request: dict[str, Any] = {}
        if recorded:
            request["autoParticipantRecordingConfiguration"] = {
                "storageConfigurationArn": self.storage[scope]
            }
        created = self.ok(scope, "CreateStage", request)["stage"]
        assert "activeSessionId" not in created
        stage = Stage(created["arn"], scope, created["endpoints"], recorded)
        self.stages.append(stage)
        return stage

    def issue(self, stage: Stage, capabilities: list[str] | None, user_id: str | None) -> None:
        request: dict[str, Any] = {"stageArn": stage.arn}
        if capabilities is not None:
            request["capabilities"] = capabilities
        if user_id is not None:
            request["userId"] = user_id
        issued = self.ok(stage.scope, "CreateParticipantToken", request)["participantToken"]
        granted = BOTH if capabilities is None else capabilities
        assert sorted(issued["capabilities"]) == sorted(granted), issued
        assert issued["participantId"] not in self.issued_ids, "a participant id issued twice"
        self.issued_ids.append(issued["participantId"])
        self.tokens.append(
            Token(
                number=len(self.tokens),
                text=issued["token"],
                participant_id=issued["participantId"],
                stage_arn=stage.arn,
                scope=stage.scope,
                user_id=user_id,
                can_publish="PUBLISH" in granted,
                can_subscribe="SUBSCRIBE" in granted,
                self_signed=False,
            )
        )

    def sign(
        self,
        jti: str,
        stage: Stage,
        allow_publish: bool,
        allow_subscribe: bool,
        user_id: str | None,
    ) -> None:
        """A self-signed token reusing an issued token's jti, on its stage or another stage of
        its scope: a rejoin with other claims, another token than the connected one, or the
        same participant id on another stage (C29, C30)."""
        claims: dict[str, Any] = {} if user_id is None else {"user_id": user_id}
        text = self_signed_token(
            SIGNING_KEY,
            self.keys[stage.scope],
            {"arn": stage.arn, "endpoints": stage.endpoints},
            jti,
            int(self.now.timestamp()),
            allow_publish=allow_publish,
            allow_subscribe=allow_subscribe,
            **claims,
        )
        self.tokens.append(
            Token(
                number=len(self.tokens),
                text=text,
                participant_id=jti,
                stage_arn=stage.arn,
                scope=stage.scope,
                user_id=user_id,
                can_publish=allow_publish,
                can_subscribe=allow_subscribe,
                self_signed=True,
            )
        )

    # -- the rules --------------------------------------------------------------------------
    # One rule, `step`, draws what happens next among the steps that apply, by weight.
    # Hypothesis turns a random subset of a machine's rules off in each example ("swarm
    # testing"): with a rule per step, the steps that must come together to get anywhere
    # (join, publish, subscribe, then what ends a subscription) were seldom all on, and an
    # example whose enabled rules all had false preconditions was thrown away.

    @initialize(
        scope=st.sampled_from(STAGE_SCOPES),
        recorded=st.booleans(),
        people=st.lists(
            st.tuples(capability_lists, user_ids, st.sampled_from(["idle", "join", "publish"])),
            min_size=2,
            max_size=4,
        ),
    )
    def a_stage_with_people(
        self,
        scope: Scope,
        recorded: bool,
        people: list[tuple[list[str] | None, str | None, str]],
    ) -> None:
        """A stage with tokens, some joined and publishing already (as the steps would do
        it), so that examples soon get to subscriptions and what ends them."""
        stage = self.new_stage(scope, recorded)
        for capabilities, user_id, _ in people:
            self.issue(stage, capabilities, user_id)
        for token, (_, _, doing) in zip(self.tokens, people, strict=True):
            if doing != "idle":
                self.try_to_join(token)
            participant = stage.connected(token.participant_id)
            if doing == "publish" and participant is not None and stage.active is not None:
                self.try_to_publish(stage, stage.active, participant)

    def steps(self) -> list[str]:
        """The steps that apply now, each as many times as its weight (STEP_WEIGHTS)."""
        someone = bool(self.connected())
        applicable = {
            "join": any(self.may_join(token) for token in self.tokens),
            "publish": bool(
                self.publishers_to_be()
                or self.conflicts("publish", "already_publishing", self.publishers())
            ),
            "unpublish": bool(
                self.publishers()
                or self.conflicts("unpublish", "not_publishing", self.publishers_to_be())
            ),
            "subscribe": someone and len(self.issued_ids) > 1,
            "unsubscribe": bool(
                self.subscribers()
                or (
                    len(self.issued_ids) > 1
                    and self.conflicts("unsubscribe", "not_subscribed", self.connected())
                )
            ),
            "leave": someone,
            "a_client_is_refused": bool(self.untried_refusals() or self.untried_idle_actions()),
            "disconnect_participant": someone,
            "revoke_connection_token": someone,
            "delete_stage_under_participants": bool(self.busy_stages()),
            "more_stages_and_tokens": bool(self.setup_choices()),
            "time_passes": self.events_since("time_passes"),
            "read_a_session": bool(self.sessions_of_live_stages())
            and self.events_since("read_a_session"),
        }
        return [
            name for name, weight in STEP_WEIGHTS.items() if applicable[name] for _ in range(weight)
        ]

    @precondition(lambda self: bool(self.steps()))
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """What happens next: a stage client acts (join, publish, unpublish, subscribe,
        unsubscribe, leave) or is refused; the control plane removes someone
        (DisconnectParticipant, RevokeConnectionToken, DeleteStage); a stage or a token is
        made; time passes; a session is read."""
        name = data.draw(st.sampled_from(self.steps()), label="step")
        steps: dict[str, Callable[[st.DataObject], None]] = {
            "join": self.join,
            "publish": self.publish,
            "unpublish": self.unpublish,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "leave": self.leave,
            "a_client_is_refused": self.a_client_is_refused,
            "disconnect_participant": self.disconnect_participant,
            "revoke_connection_token": self.revoke_connection_token,
            "delete_stage_under_participants": self.delete_stage_under_participants,
            "more_stages_and_tokens": self.more_stages_and_tokens,
            "time_passes": self.time_passes,
            "read_a_session": self.read_a_session,
        }
        steps[name](data)

    # -- stages and tokens, time ---------------------------------------------------------------
    def setup_choices(self) -> list[str]:
        choices = []
        if len(self.live_stages()) < MAX_LIVE_STAGES:
            choices.append("CreateStage")
        if self.live_stages() and self.few_welcome_tokens():
            choices.append("CreateParticipantToken")
        if self.forgeable() and self.few_welcome_tokens():
            choices.append("a self-signed token")
        return choices

    def more_stages_and_tokens(self, data: st.DataObject) -> None:
        """A stage (at most MAX_LIVE_STAGES live), or a token while few can join: a token
        issued with random capabilities (`[]` included) and user id, or a self-signed one."""
        what = data.draw(st.sampled_from(self.setup_choices()), label="what")
        if what == "CreateStage":
            scope = data.draw(st.sampled_from(STAGE_SCOPES), label="scope")
            self.new_stage(scope, data.draw(st.booleans(), label="recorded"))
            return
        capabilities = data.draw(capability_lists, label="capabilities")
        user_id = data.draw(user_ids, label="userId")
        if what == "CreateParticipantToken":
            stage = data.draw(st.sampled_from(self.live_stages()), label="stage")
            self.issue(stage, capabilities, user_id)
        else:
            stand_ins = [(p.participant_id, stage) for stage, _, p in self.connected()]
            jti, stage = self.mostly(data, stand_ins, self.forgeable(), "jti and stage")
            allowed = set(capabilities if capabilities is not None else BOTH)
            self.sign(jti, stage, "PUBLISH" in allowed, "SUBSCRIBE" in allowed, user_id)

    def time_passes(self, data: st.DataObject) -> None:
        self.clock.advance(data.draw(st.integers(1, 3), label="seconds"))
        self.ran("time_passes")

    def a_client_is_refused(self, data: st.DataObject) -> None:
        """A join the stage refuses, or an action with a token that is not the connected one;
        each situation once per example, as repeating one changes nothing."""
        refusals, idle = self.untried_refusals(), self.untried_idle_actions()
        if refusals and (not idle or data.draw(st.booleans(), label="a join")):
            self.try_to_join(data.draw(st.sampled_from(refusals), label="token"))
        else:
            self.act_with_a_token_that_is_not_connected(data)

    # -- stage clients ----------------------------------------------------------------------
    def join(self, data: st.DataObject) -> None:
        """The first join starts a session; a rejoin in the same session reuses the
        participant's record and takes the new token's claims."""
        welcome = [token for token in self.tokens if self.may_join(token)]
        self.try_to_join(data.draw(st.sampled_from(welcome), label="token"))

    def join_refusal(self, token: Token) -> tuple[int, str] | None:
        """The status and error a join with this token gets, None when it joins: refused on a
        deleted stage, after DisconnectParticipant, with a revoked token, or while connected
        already."""
        stage, jti = self.stage_of(token), token.participant_id
        if not stage.live:
            return 403, "stage_not_found"
        if jti in stage.disconnected:
            return 403, "participant_disconnected"
        if jti in self.revoked[token.scope]:
            return 403, "token_revoked"
        if stage.connected(jti) is not None:
            return 409, "already_joined"
        return None

    def untried_refusals(self) -> list[Token]:
        """Tokens a join refuses, for a reason not tried yet with such a token."""
        return [
            token
            for token in self.tokens
            if (refusal := self.join_refusal(token)) is not None
            and ("join", refusal[1], str(token.self_signed)) not in self.tried
        ]

    def may_join(self, token: Token) -> bool:
        return self.join_refusal(token) is None

    def try_to_join(self, token: Token) -> None:
        """A refused join records nothing."""
        stage = self.stage_of(token)
        jti = token.participant_id
        answer = self.act("join", token)
        refusal = self.join_refusal(token)
        if refusal is not None:
            self.tried.add(("join", refusal[1], str(token.self_signed)))
            self.refused(answer, *refusal)
            if refusal[1] == "participant_disconnected":  # the refusal names the reason (C29)
                assert stage.disconnected[jti] in answer.body["reason"], answer
            return None
        session = stage.active
        if session is None:
            assert answer.status == 200, answer
            session_id = answer.body["session"]["sessionId"]
            assert SESSION_ID.fullmatch(session_id), session_id
            assert session_id not in {s.session_id for s in stage.sessions}
            if stage.sessions:
                event("model: a later session on the same stage")
            session = Session(session_id, self.now)
            stage.sessions.append(session)
        participant = session.participants.get(jti)
        if participant is None:
            participant = Participant(jti, self.now, stage.recorded, token)
            session.participants[jti] = participant
        else:
            event("model: a rejoin in the same session")
            participant.token = token
            participant.recorded = stage.recorded
            participant.state = CONNECTED
        self.record(participant, "JOINED")
        self.served(answer, stage, session, participant)

    def conflicts(self, action: str, error: str, seats: list[Seat]) -> list[Seat]:
        """`seats` if the 409 `error` of `action` was not checked yet in this example, else
        none: a conflict changes nothing, and repeating the check would only take steps."""
        return [] if (action, error) in self.tried else seats

    def publishers_to_be(self) -> list[Seat]:
        """Connected and not publishing (PUBLISH_ERROR when the token does not allow it)."""
        return [seat for seat in self.connected() if not seat[2].publishing]

    def publishers(self) -> list[Seat]:
        return [seat for seat in self.connected() if seat[2].publishing]

    def subscribers(self) -> list[Seat]:
        return [seat for seat in self.connected() if seat[2].subscriptions]

    def publish(self, data: st.DataObject) -> None:
        """Mostly someone who does not publish; else (once) someone who does."""
        again = self.conflicts("publish", "already_publishing", self.publishers())
        stage, session, participant = self.mostly(
            data, self.publishers_to_be(), self.publishers_to_be() + again, "who"
        )
        self.try_to_publish(stage, session, participant)

    def try_to_publish(self, stage: Stage, session: Session, participant: Participant) -> None:
        answer = self.act("publish", participant.token)
        if not participant.token.can_publish:
            self.record(participant, "PUBLISH_ERROR", error="INSUFFICIENT_CAPABILITIES")
            return self.refused(answer, 403, "insufficient_capabilities")
        if participant.publishing:
            self.tried.add(("publish", "already_publishing"))
            return self.refused(answer, 409, "already_publishing")
        participant.publishing = participant.published = True
        self.record(participant, "PUBLISH_STARTED")
        self.served(answer, stage, session, participant)

    def unpublish(self, data: st.DataObject) -> None:
        """A publisher that stops ends the subscriptions to it; (once) someone who does not
        publish is refused."""
        others = self.conflicts("unpublish", "not_publishing", self.publishers_to_be())
        stage, session, participant = self.mostly(
            data, self.publishers(), self.publishers() + others, "who"
        )
        answer = self.act("unpublish", participant.token)
        if not participant.publishing:
            self.tried.add(("unpublish", "not_publishing"))
            return self.refused(answer, 409, "not_publishing")
        self.end_publishing(session, participant)
        self.served(answer, stage, session, participant)

    def subscriptions_to_be(self) -> list[tuple[Seat, str]]:
        """(subscriber, publisher id) of subscriptions that can start now."""
        return [
            ((stage, session, p), publisher_id)
            for stage, session, p in self.connected()
            if p.token.can_subscribe
            for publisher_id, other in session.participants.items()
            if other is not p and other.publishing and publisher_id not in p.subscriptions
        ]

    def subscribe(self, data: st.DataObject) -> None:
        """Mostly a subscription that can start; else someone connected (whose token may not
        allow subscribing) to another participant id: mostly one of its session, who may not
        publish (now or ever), else one of another session or stage; (once) to a publisher
        it subscribes to already."""
        pairs = self.subscriptions_to_be()
        if pairs and data.draw(st.integers(0, 3), label="a subscription that can start") > 0:
            (stage, session, subscriber), publisher_id = data.draw(
                st.sampled_from(pairs), label="who, to whom"
            )
        else:
            stage, session, subscriber = data.draw(st.sampled_from(self.connected()), label="who")
            me, again = subscriber.participant_id, ("subscribe", "already_subscribed")
            others = [
                pid
                for pid in dict.fromkeys([*session.participants, *self.issued_ids])
                if pid != me and (pid not in subscriber.subscriptions or again not in self.tried)
            ]
            others = others or [pid for pid in self.issued_ids if pid != me]
            near = [pid for pid in others if pid in session.participants]
            publisher_id = self.mostly(data, near, others, "publisherId")
        answer = self.act("subscribe", subscriber.token, publisher_id)
        publisher = session.participants.get(publisher_id)
        if not subscriber.token.can_subscribe:
            self.record(
                subscriber,
                "SUBSCRIBE_ERROR",
                remote=publisher_id,
                error="INSUFFICIENT_CAPABILITIES",
            )
            return self.refused(answer, 403, "insufficient_capabilities")
        if publisher is None or publisher.state != CONNECTED or not publisher.publishing:
            self.record(
                subscriber, "SUBSCRIBE_ERROR", remote=publisher_id, error="PUBLISHER_NOT_FOUND"
            )
            return self.refused(answer, 404, "publisher_not_found")
        if publisher_id in subscriber.subscriptions:
            self.tried.add(("subscribe", "already_subscribed"))
            return self.refused(answer, 409, "already_subscribed")
        subscriber.subscriptions.append(publisher_id)
        self.record(subscriber, "SUBSCRIBE_STARTED", remote=publisher_id)
        self.served(answer, stage, session, subscriber)

    def unsubscribe(self, data: st.DataObject) -> None:
        """Mostly a subscription that stops; else (once) one that does not exist."""
        others = self.conflicts("unsubscribe", "not_subscribed", self.connected())
        stage, session, subscriber = self.mostly(
            data, self.subscribers(), self.subscribers() + others, "who"
        )
        me = subscriber.participant_id
        anyone = [pid for pid in self.issued_ids if pid != me]
        if ("unsubscribe", "not_subscribed") in self.tried:
            anyone = []
        publisher_id = self.mostly(
            data, subscriber.subscriptions, subscriber.subscriptions + anyone, "publisherId"
        )
        answer = self.act("unsubscribe", subscriber.token, publisher_id)
        if publisher_id not in subscriber.subscriptions:
            self.tried.add(("unsubscribe", "not_subscribed"))
            return self.refused(answer, 409, "not_subscribed")
        self.end_subscription(subscriber, publisher_id)
        self.served(answer, stage, session, subscriber)

    def leave(self, data: st.DataObject) -> None:
        stage, session, participant = data.draw(st.sampled_from(self.connected()), label="who")
        answer = self.act("leave", participant.token)
        self.leave_session(session, participant)
        self.served(answer, stage, session, participant)

    def idle_situation(self, token: Token) -> str:
        """Why a token is not the one connected: what decides the refusal of its actions."""
        stage = self.stage_of(token)
        if not stage.live:
            return "its stage is deleted"
        if stage.connected(token.participant_id) is not None:
            return "another token of its id is connected"
        if any(token.participant_id in session.participants for session in stage.sessions):
            return "its id has left"
        return "its id never joined"

    def untried_idle_actions(self) -> list[tuple[Token, str]]:
        """(token, action) of tokens that are not connected, in a situation not tried yet with
        that action."""
        return [
            (token, action)
            for token in self.tokens
            if self.connected_with(token) is None
            for action in CLIENT_ACTIONS
            if (action, self.idle_situation(token)) not in self.tried
        ]

    def act_with_a_token_that_is_not_connected(self, data: st.DataObject) -> None:
        """Actions other than join need the very token the participant is connected with:
        another token of a connected participant id is token_mismatch, else not_joined."""
        options = self.untried_idle_actions()
        situations = list(dict.fromkeys(self.idle_situation(token) for token, _ in options))
        situation = data.draw(st.sampled_from(situations), label="situation")
        token, action = data.draw(
            st.sampled_from([o for o in options if self.idle_situation(o[0]) == situation]),
            label="token, action",
        )
        publisher_id = None
        if action in ("subscribe", "unsubscribe"):
            others = [pid for pid in self.issued_ids if pid != token.participant_id]
            publisher_id = data.draw(st.sampled_from(others or ["someone-else"]), label="pub")
        answer = self.act(action, token, publisher_id)
        situation = self.idle_situation(token)
        self.tried.add((action, situation))
        if situation == "another token of its id is connected":
            return self.refused(answer, 403, "token_mismatch")
        self.refused(answer, 409, "not_joined")

    # -- the control plane ------------------------------------------------------------------
    def disconnect_participant(self, data: st.DataObject) -> None:
        """Mostly someone connected; else someone who joined the stage and left, or any
        participant id, which is not found when it never joined one of the stage's sessions.
        The participant id never joins that stage again."""
        if data.draw(st.integers(0, 3), label="someone connected") > 0:
            stage, _, participant = data.draw(st.sampled_from(self.connected()), label="who")
            jti = participant.participant_id
        else:
            stage = data.draw(st.sampled_from(self.staged()), label="stage")
            joined = list(
                dict.fromkeys(jti for session in stage.sessions for jti in session.participants)
            )
            jti = self.mostly(data, joined, self.issued_ids, "participantId")
        request: dict[str, Any] = {"stageArn": stage.arn, "participantId": jti}
        reason = data.draw(reasons, label="reason")
        if reason is not None:
            request["reason"] = reason
        if not any(jti in session.participants for session in stage.sessions):
            return self.not_found(stage.scope, "DisconnectParticipant", request)
        assert self.ok(stage.scope, "DisconnectParticipant", request) == {}
        stage.disconnected[jti] = reason or ""
        self.remove(stage, jti)

    def revoke_connection_token(self, data: st.DataObject) -> None:
        """Mostly a connected participant's token; from its own scope (half the time) or from
        any scope: only its own disconnects it and bars its id on the scope's stages."""
        holders = [participant.token for _, _, participant in self.connected()]
        token = self.mostly(data, holders, self.tokens, "token")
        elsewhere = data.draw(st.sampled_from([None, *STAGE_SCOPES, OUTSIDER]), label="from")
        caller = token.scope if elsewhere is None else elsewhere
        jti = token.participant_id
        assert self.ok(caller, "RevokeConnectionToken", {"tokenId": jti}) == {}
        self.revoked[caller].add(jti)
        for stage in self.live_stages():
            if stage.scope == caller:
                self.remove(stage, jti)

    def busy_stages(self) -> list[Stage]:
        """Live stages where a publisher and someone else are connected."""
        return [
            stage
            for stage in self.in_session()
            if (session := stage.active) is not None
            and any(p.publishing for p in session.participants.values())
            and sum(p.state == CONNECTED for p in session.participants.values()) > 1
        ]

    def delete_stage_under_participants(self, data: st.DataObject) -> None:
        """Everyone connected leaves first, which ends the session; then the stage is gone.
        Only busy stages are deleted: an idle stage's deletion is the stage machine's."""
        stage = data.draw(st.sampled_from(self.busy_stages()), label="stage")
        session = stage.active
        assert session is not None
        subscribed = any(p.subscriptions for p in session.participants.values())
        event(f"model: a stage deleted under participants{' with subscriptions' * subscribed}")
        assert self.ok(stage.scope, "DeleteStage", {"arn": stage.arn}) == {}
        for participant in list(session.participants.values()):
            if participant.state == CONNECTED:
                self.leave_session(session, participant)
        stage.live = False

    # -- reading --------------------------------------------------------------------------------
    def read_a_session(self, data: st.DataObject) -> None:
        """GetStageSession, GetParticipant, and ListParticipants with one filter (C27)."""
        self.ran("read_a_session")
        name = data.draw(st.sampled_from(sorted(FILTERED_MEMBER)), label="filter")
        page_size = data.draw(st.integers(1, 3), label="maxResults")
        stage, session = data.draw(st.sampled_from(self.sessions_of_live_stages()), label="in")
        where = {"stageArn": stage.arn, "sessionId": session.session_id}
        got = self.ok(stage.scope, "GetStageSession", where)["stageSession"]
        assert got == session.view()
        participant = data.draw(st.sampled_from(list(session.participants.values())), label="p")
        one = {**where, "participantId": participant.participant_id}
        assert self.ok(stage.scope, "GetParticipant", one)["participant"] == participant.view()
        values: dict[str, st.SearchStrategy[Any]] = {
            "filterByUserId": st.sampled_from(
                sorted({p.token.user_id or "" for p in session.participants.values()})
            )
            | user_ids.map(lambda user_id: user_id or ""),
            "filterByPublished": st.booleans(),
            "filterByState": st.sampled_from([CONNECTED, DISCONNECTED]),
            "filterByRecordingState": st.sampled_from(["STOPPED", "ACTIVE"]),
        }
        value = data.draw(values[name], label=name)
        request: dict[str, Any] = {**where, name: value, "maxResults": page_size}
        listed = self.every_page(stage.scope, "ListParticipants", request, "participants")
        expected = [
            p.summary()
            for p in session.participants.values()
            if p.summary()[FILTERED_MEMBER[name]] == value
        ]
        assert listed == expected, (name, value)

    def teardown(self) -> None:
        """What the example got to, for --hypothesis-show-statistics."""
        events = Counter(
            event.name
            for stage in self.stages
            for session in stage.sessions
            for participant in session.participants.values()
            for event in participant.events
        )
        for name in ("JOINED", "PUBLISH_STARTED", "SUBSCRIBE_STARTED", "SUBSCRIBE_STOPPED"):
            count = events[name]
            event(f"example: {name} x {'0' if not count else '1-2' if count < 3 else '3+'}")

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def list_stages_shows_the_active_session_ids(self) -> None:
        """Every THOROUGH_EVERY steps (GetStage shows them after every step)."""
        if self.checks % THOROUGH_EVERY == 0:
            for scope in STAGE_SCOPES:
                listed = {s["arn"]: s for s in self.every_page(scope, "ListStages", {}, "stages")}
                expected = [stage for stage in self.live_stages() if stage.scope == scope]
                assert sorted(listed) == sorted(stage.arn for stage in expected)
                for stage in expected:
                    self.check_active_session_id(stage, listed[stage.arn])

    @staticmethod
    def check_active_session_id(stage: Stage, got: dict[str, Any]) -> None:
        """Present exactly while someone is connected: the active session's id."""
        active = stage.active
        if active is None:
            assert "activeSessionId" not in got, got
        else:
            assert any(p.state == CONNECTED for p in active.participants.values())
            assert got.get("activeSessionId") == active.session_id, got

    @invariant()
    def sessions_participants_and_events_agree_with_the_model(self) -> None:
        """Every stage's activeSessionId, sessions, participants and events. What the model
        never changes again (a deleted stage, an ended session) is checked right after it got
        so and then every THOROUGH_EVERY steps, which keeps steps cheap and still finds any
        later change."""
        self.checks += 1
        thorough = self.checks % THOROUGH_EVERY == 0
        for stage in self.stages:
            where = {"stageArn": stage.arn}
            if not stage.live:
                if stage.arn in self.settled and not thorough:
                    continue
                self.settled.add(stage.arn)
                # C28: Get* of a deleted stage is not found; its lists are empty.
                assert self.ok(stage.scope, "ListStageSessions", where) == {"stageSessions": []}
                for session in stage.sessions[-1:]:
                    in_session = {**where, "sessionId": session.session_id}
                    self.not_found(stage.scope, "GetStageSession", in_session)
                    assert self.ok(stage.scope, "ListParticipants", in_session) == {
                        "participants": []
                    }
                continue
            got = self.ok(stage.scope, "GetStage", {"arn": stage.arn})["stage"]
            self.check_active_session_id(stage, got)
            sessions = self.every_page(
                stage.scope, "ListStageSessions", {**where, "maxResults": 2}, "stageSessions"
            )
            assert sessions == [s.view() for s in reversed(stage.sessions)]
            open_ids = [s["sessionId"] for s in sessions if "endTime" not in s]
            active_ids = [got["activeSessionId"]] if "activeSessionId" in got else []
            assert open_ids == active_ids, (open_ids, got)  # at most one, the stage's active
            for session in stage.sessions:
                if session.session_id in self.settled and not thorough:
                    continue
                self.check_session(stage, session)
                if session.end_time is not None:
                    self.settled.add(session.session_id)

    def check_session(self, stage: Stage, session: Session) -> None:
        where = {"stageArn": stage.arn, "sessionId": session.session_id}
        participants = self.every_page(
            stage.scope, "ListParticipants", {**where, "maxResults": 3}, "participants"
        )
        assert participants == [p.summary() for p in session.participants.values()]
        barred = set(stage.disconnected) | self.revoked[stage.scope]
        assert not [
            p for p in participants if p["state"] == CONNECTED and p["participantId"] in barred
        ], "a participant removed for good is connected"
        for participant in session.participants.values():
            request = {**where, "participantId": participant.participant_id, "maxResults": 5}
            events = self.every_page(stage.scope, "ListParticipantEvents", request, "events")
            assert events == [event.view() for event in reversed(participant.events)]


StageSessions.TestCase.settings = settings(stateful_step_count=40)
test_sessions_participants_and_events_follow_the_model = StageSessions.TestCase
