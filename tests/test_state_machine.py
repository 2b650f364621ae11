"""A Hypothesis state machine drives the stage lifecycle against a plain model.

Two accounts (12-digit access keys are their own accounts, choice C11) and two regions give
four scopes. Rules create, get, update, list (every page) and delete stages and create
participant tokens, each as a caller of any scope on any stage ever created (live, deleted,
or another scope's), plus on well-formed ARNs that never existed. The model is a dict of
stages per scope in creation order; the emulator is reached through the Flask test client
with a SigV4-like Authorization header.

Invariants checked at each step: GetStage returns what the model says; ListStages returns
exactly the model's stages of the scope, in creation order; an operation on a deleted,
foreign or missing stage is 404 ResourceNotFoundException; tokens are issued only on live
stages of the caller's scope.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from tests.conftest import START
from tests.scoped_api import Scope, ScopedCalls
from tests.strategies import CONTRACT, valid

ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")
SCOPES: list[Scope] = [(account, region) for account in ACCOUNTS for region in REGIONS]
ON_ONE_STAGE = ["GetStage", "UpdateStage", "DeleteStage", "CreateParticipantToken"]

scopes = st.sampled_from(SCOPES)
names = st.none() | valid("StageName")
small_tags = st.none() | st.dictionaries(
    st.text(string.ascii_letters, min_size=1, max_size=8), st.text(max_size=8), max_size=3
)
page_sizes = st.none() | st.integers(1, 3)


@dataclass(frozen=True)
class StageRef:
    """A stage as the machine remembers it: where it was created, and its ARN."""

    scope: Scope
    arn: str


@dataclass
class ModelStage:
    arn: str
    name: str
    tags: dict[str, str]
    recording: dict[str, Any]
    endpoints: dict[str, str]
    """Opaque to the model: what CreateStage returned, which later calls must return again."""

    def view(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "name": self.name,
            "tags": self.tags,
            "autoParticipantRecordingConfiguration": self.recording,
            "endpoints": self.endpoints,
        }

    def summary(self) -> dict[str, Any]:
        return {"arn": self.arn, "name": self.name, "tags": self.tags}


class StageLifecycle(ScopedCalls, RuleBasedStateMachine):
    stages = Bundle("stages")

    def __init__(self) -> None:
        super().__init__()
        self.client: FlaskClient = create_app(
            Config(), clock=FixedClock(START), contract=CONTRACT
        ).test_client()
        self.model: dict[Scope, dict[str, ModelStage]] = {scope: {} for scope in SCOPES}
        self.ever_created: set[str] = set()

    # -- plumbing ---------------------------------------------------------------------

    def live(self, caller: Scope, ref: StageRef) -> ModelStage | None:
        """The model's stage when the caller may see it: same scope and not deleted."""
        return self.model[caller].get(ref.arn) if caller == ref.scope else None

    @staticmethod
    def body_for(operation: str, arn: str) -> dict[str, Any]:
        return {"stageArn": arn} if operation == "CreateParticipantToken" else {"arn": arn}

    # -- rules ------------------------------------------------------------------------
    @rule(target=stages, scope=scopes, name=names, tags=small_tags, tokens=st.integers(0, 2))
    def create_stage(
        self, scope: Scope, name: str | None, tags: dict[str, str] | None, tokens: int
    ) -> StageRef:
        request: dict[str, Any] = {"participantTokenConfigurations": [{}] * tokens}
        if name is not None:
            request["name"] = name
        if tags is not None:
            request["tags"] = tags
        response = self.ok(scope, "CreateStage", request)
        stage = response["stage"]
        account, region = scope
        assert stage["arn"].startswith(f"arn:aws:ivs:{region}:{account}:stage/")
        assert stage["arn"] not in self.ever_created
        assert len(response["participantTokens"]) == tokens
        self.model[scope][stage["arn"]] = ModelStage(
            arn=stage["arn"],
            name=name if name is not None else "",
            tags=tags if tags is not None else {},
            recording=stage["autoParticipantRecordingConfiguration"],
            endpoints=stage["endpoints"],
        )
        assert stage == self.model[scope][stage["arn"]].view()
        self.ever_created.add(stage["arn"])
        return StageRef(scope, stage["arn"])

    @rule(caller=scopes, ref=stages)
    def get_stage(self, caller: Scope, ref: StageRef) -> None:
        expected = self.live(caller, ref)
        if expected is None:
            self.not_found(caller, "GetStage", {"arn": ref.arn})
        else:
            assert self.ok(caller, "GetStage", {"arn": ref.arn})["stage"] == expected.view()

    @rule(caller=scopes, ref=stages, name=names)
    def update_stage(self, caller: Scope, ref: StageRef, name: str | None) -> None:
        request: dict[str, Any] = {"arn": ref.arn}
        if name is not None:
            request["name"] = name
        expected = self.live(caller, ref)
        if expected is None:
            self.not_found(caller, "UpdateStage", request)
            return
        if name is not None:
            expected.name = name
        assert self.ok(caller, "UpdateStage", request)["stage"] == expected.view()

    @rule(caller=scopes, ref=stages, duration=st.none() | st.integers(1, 20160))
    def create_participant_token(self, caller: Scope, ref: StageRef, duration: int | None) -> None:
        request: dict[str, Any] = {"stageArn": ref.arn}
        if duration is not None:
            request["duration"] = duration
        if self.live(caller, ref) is None:
            self.not_found(caller, "CreateParticipantToken", request)
        else:
            token = self.ok(caller, "CreateParticipantToken", request)["participantToken"]
            assert token["duration"] == (duration if duration is not None else 720)

    @rule(caller=scopes, ref=stages)
    def delete_stage(self, caller: Scope, ref: StageRef) -> None:
        if self.live(caller, ref) is None:
            self.not_found(caller, "DeleteStage", {"arn": ref.arn})
            return
        assert self.ok(caller, "DeleteStage", {"arn": ref.arn}) == {}
        del self.model[caller][ref.arn]

    @rule(scope=scopes, page_size=page_sizes)
    def list_stages(self, scope: Scope, page_size: int | None) -> None:
        request: dict[str, Any] = {} if page_size is None else {"maxResults": page_size}
        listed: list[dict[str, Any]] = []
        for _ in range(len(self.model[scope]) + 2):
            page = self.ok(scope, "ListStages", request)
            assert page_size is None or len(page["stages"]) <= page_size
            listed += page["stages"]
            if "nextToken" not in page:
                break
            request = {**request, "nextToken": page["nextToken"]}
        else:
            raise AssertionError(f"ListStages never stopped giving a nextToken in {scope}")
        assert listed == [stage.summary() for stage in self.model[scope].values()]

    @rule(
        caller=scopes,
        operation=st.sampled_from(ON_ONE_STAGE),
        stage_id=st.text(string.ascii_letters + string.digits, min_size=12, max_size=12),
    )
    def operate_on_a_stage_that_never_existed(
        self, caller: Scope, operation: str, stage_id: str
    ) -> None:
        account, region = caller
        arn = f"arn:aws:ivs:{region}:{account}:stage/{stage_id}"
        if arn not in self.ever_created:
            self.not_found(caller, operation, self.body_for(operation, arn))


StageLifecycle.TestCase.settings = settings(stateful_step_count=20)
test_stage_lifecycle_follows_the_model = StageLifecycle.TestCase
