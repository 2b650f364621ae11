"""A random mixed workload over several accounts and regions, through the Flask test client.

Every kind of write the emulator has: stages (created with tags and recording, updated,
deleted), participant tokens, a stage client's join, publish, subscribe, unsubscribe,
unpublish and leave, DisconnectParticipant and RevokeConnectionToken, participant replication,
tags added and removed on every taggable resource, public keys, encoder and storage
configurations, compositions started and stopped, ingest configurations created, updated,
started, stopped and deleted, and the clock moved now and then. Many steps fail (a deleted
stage, a participant that left): a workload that only succeeds would not test failed writes.
The persistence tests compare the whole state before and after a restart.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient

from tests.scoped_api import Scope, authorization
from tests.stage_player import public_pem
from tests.strategies import CONTRACT

SCOPES: tuple[Scope, ...] = (
    ("111111111111", "us-east-1"),
    ("111111111111", "eu-west-1"),
    ("222222222222", "us-east-1"),
)
CHANNEL_ARN = "arn:aws:ivs:us-east-1:123456789012:channel/abcdEFGH1234"


class MixedWorkload:
    """Random steps against `client`, drawn from `rng`; `steps` counts them by name."""

    def __init__(self, client: FlaskClient, rng: random.Random) -> None:
        self.client, self.rng = client, rng
        self.stages: dict[Scope, list[str]] = {scope: [] for scope in SCOPES}
        self.tokens: list[tuple[Scope, str, str, str]] = []
        """(scope, stage ARN, token, participant id)"""
        self.participants: list[tuple[Scope, str, str]] = []
        """(scope, stage ARN, participant id) of tokens that joined once."""
        self.resources: dict[Scope, list[str]] = {scope: [] for scope in SCOPES}
        """Every taggable ARN made, deleted ones included."""
        self.storage: dict[Scope, list[str]] = {scope: [] for scope in SCOPES}
        self.compositions: dict[Scope, list[str]] = {scope: [] for scope in SCOPES}
        self.ingest: dict[Scope, list[tuple[str, str]]] = {scope: [] for scope in SCOPES}
        """(ARN, stream key)"""
        self.steps: dict[str, int] = {}
        self.answers: dict[int, int] = {}
        """How many answers of each status."""

    # -- calling -----------------------------------------------------------------------------

    def call(
        self, scope: Scope, operation: str, body: dict[str, Any], query: str = ""
    ) -> dict[str, Any] | None:
        """The operation's answer when it is 200, else None (and its status counted)."""
        op = CONTRACT.operations[operation]
        uri = op.uri
        if "{resourceArn}" in uri:
            uri = uri.replace("{resourceArn}", quote(body.pop("resourceArn"), safe=""))
        response = self.client.open(
            uri + query,
            method=op.method,
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": authorization(scope)},
        )
        self.answers[response.status_code] = self.answers.get(response.status_code, 0) + 1
        assert response.status_code < 500, (operation, body, response.get_data(as_text=True))
        result: dict[str, Any] | None = response.get_json() if response.status_code == 200 else None
        return result

    def act(self, path: str, body: dict[str, str]) -> bool:
        response = self.client.post(f"/_emulator/{path}", json=body)
        self.answers[response.status_code] = self.answers.get(response.status_code, 0) + 1
        assert response.status_code < 500, (path, response.get_data(as_text=True))
        return response.status_code == 200

    # -- choosing ----------------------------------------------------------------------------

    def scope(self) -> Scope:
        return self.rng.choice(SCOPES)

    def some(self, items: list[Any]) -> Any | None:
        return self.rng.choice(items) if items else None

    def run(self, count: int) -> None:
        steps = self.step_table()
        names = list(steps)
        weights = [steps[name][0] for name in names]
        for _ in range(count):
            name = self.rng.choices(names, weights)[0]
            self.steps[name] = self.steps.get(name, 0) + 1
            steps[name][1]()

    def step_table(self) -> dict[str, tuple[int, Callable[[], None]]]:
        return {
            "create_stage": (8, self.create_stage),
            "update_stage": (2, self.update_stage),
            "delete_stage": (1, self.delete_stage),
            "token": (10, self.token),
            "stage_action": (20, self.stage_action),
            "disconnect": (1, self.disconnect),
            "revoke": (1, self.revoke),
            "replicate": (2, self.replicate),
            "tag": (4, self.tag),
            "untag": (2, self.untag),
            "public_key": (2, self.public_key),
            "encoder_configuration": (2, self.encoder_configuration),
            "storage_configuration": (2, self.storage_configuration),
            "composition": (2, self.composition),
            "stop_composition": (1, self.stop_composition),
            "ingest_configuration": (2, self.ingest_configuration),
            "ingest_action": (4, self.ingest_action),
            "delete_configuration": (1, self.delete_configuration),
            "advance_clock": (1, self.advance_clock),
        }

    # -- steps -------------------------------------------------------------------------------

    def create_stage(self) -> None:
        scope = self.scope()
        body: dict[str, Any] = {"name": f"stage-{self.rng.randrange(1000)}"}
        if self.rng.random() < 0.5:
            body["tags"] = {"team": self.rng.choice(["a", "b"]), "n": str(self.rng.randrange(9))}
        storage = self.some(self.storage[scope])
        if storage is not None and self.rng.random() < 0.3:
            body["autoParticipantRecordingConfiguration"] = {"storageConfigurationArn": storage}
        answer = self.call(scope, "CreateStage", body)
        if answer is not None:
            arn = answer["stage"]["arn"]
            self.stages[scope].append(arn)
            self.resources[scope].append(arn)

    def update_stage(self) -> None:
        scope = self.scope()
        arn = self.some(self.stages[scope])
        if arn is not None:
            self.call(scope, "UpdateStage", {"arn": arn, "name": f"renamed-{self.rng.randrange(99)}"})

    def delete_stage(self) -> None:
        scope = self.scope()
        arn = self.some(self.stages[scope])
        if arn is not None:
            self.call(scope, "DeleteStage", {"arn": arn})

    def token(self) -> None:
        scope = self.scope()
        arn = self.some(self.stages[scope])
        if arn is None:
            return
        body: dict[str, Any] = {"stageArn": arn, "userId": f"user-{self.rng.randrange(50)}"}
        body["capabilities"] = self.rng.choice([["PUBLISH", "SUBSCRIBE"], ["SUBSCRIBE"], ["PUBLISH"]])
        if self.rng.random() < 0.3:
            body["attributes"] = {"role": self.rng.choice(["host", "guest"])}
        answer = self.call(scope, "CreateParticipantToken", body)
        if answer is not None:
            issued = answer["participantToken"]
            self.tokens.append((scope, arn, issued["token"], issued["participantId"]))

    def stage_action(self) -> None:
        picked = self.some(self.tokens[-40:])
        if picked is None:
            return
        scope, arn, token, participant_id = picked
        action = self.rng.choice(
            ["join", "join", "publish", "publish", "subscribe", "unsubscribe", "unpublish", "leave"]
        )
        body = {"token": token}
        if action in ("subscribe", "unsubscribe"):
            others = [p for s, a, p in self.participants if a == arn]
            publisher = self.some(others)
            if publisher is None:
                return
            body["publisherId"] = publisher
        if self.act(f"stage/{action}", body) and action == "join":
            self.participants.append((scope, arn, participant_id))

    def disconnect(self) -> None:
        picked = self.some(self.participants)
        if picked is not None:
            scope, arn, participant_id = picked
            self.call(scope, "DisconnectParticipant", {"stageArn": arn, "participantId": participant_id})

    def revoke(self) -> None:
        picked = self.some(self.participants)
        if picked is not None:
            scope, _, participant_id = picked
            self.call(scope, "RevokeConnectionToken", {"tokenId": participant_id})

    def replicate(self) -> None:
        picked = self.some(self.participants)
        if picked is None:
            return
        scope, arn, participant_id = picked
        destination = self.some([a for a in self.stages[scope] if a != arn])
        if destination is None:
            return
        body = {"sourceStageArn": arn, "destinationStageArn": destination}
        operation = self.rng.choice(["StartParticipantReplication", "StopParticipantReplication"])
        self.call(scope, operation, {**body, "participantId": participant_id})

    def tag(self) -> None:
        scope = self.scope()
        arn = self.some(self.resources[scope])
        if arn is not None:
            tags = {f"k{self.rng.randrange(5)}": f"v{self.rng.randrange(5)}"}
            self.call(scope, "TagResource", {"resourceArn": arn, "tags": tags})

    def untag(self) -> None:
        scope = self.scope()
        arn = self.some(self.resources[scope])
        if arn is not None:
            key = f"k{self.rng.randrange(5)}"
            self.call(scope, "UntagResource", {"resourceArn": arn}, f"?tagKeys={key}")

    def public_key(self) -> None:
        scope = self.scope()
        if self.rng.random() < 0.7:
            pem = public_pem(ec.generate_private_key(ec.SECP384R1()))
            answer = self.call(scope, "ImportPublicKey", {"publicKeyMaterial": pem})
            if answer is not None:
                self.resources[scope].append(answer["publicKey"]["arn"])
        else:
            keys = [arn for arn in self.resources[scope] if ":public-key/" in arn]
            arn = self.some(keys)
            if arn is not None:
                self.call(scope, "DeletePublicKey", {"arn": arn})

    def encoder_configuration(self) -> None:
        scope = self.scope()
        video = {"width": 1280, "height": 720, "framerate": 30, "bitrate": 2500000}
        body = {"name": f"enc-{self.rng.randrange(99)}", "video": video}
        answer = self.call(scope, "CreateEncoderConfiguration", body)
        if answer is not None:
            self.resources[scope].append(answer["encoderConfiguration"]["arn"])

    def storage_configuration(self) -> None:
        scope = self.scope()
        body = {"s3": {"bucketName": f"bucket-{self.rng.randrange(99)}"}}
        answer = self.call(scope, "CreateStorageConfiguration", body)
        if answer is not None:
            arn = answer["storageConfiguration"]["arn"]
            self.storage[scope].append(arn)
            self.resources[scope].append(arn)

    def composition(self) -> None:
        scope = self.scope()
        arn = self.some(self.stages[scope])
        if arn is None:
            return
        body = {"stageArn": arn, "destinations": [{"channel": {"channelArn": CHANNEL_ARN}}]}
        answer = self.call(scope, "StartComposition", body)
        if answer is not None:
            composition = answer["composition"]["arn"]
            self.compositions[scope].append(composition)
            self.resources[scope].append(composition)

    def stop_composition(self) -> None:
        scope = self.scope()
        arn = self.some(self.compositions[scope])
        if arn is not None:
            self.call(scope, "StopComposition", {"arn": arn})

    def ingest_configuration(self) -> None:
        scope = self.scope()
        stage = self.some(self.stages[scope])
        arn = self.some([a for a, _ in self.ingest[scope]])
        if arn is not None and self.rng.random() < 0.3:
            self.call(scope, "UpdateIngestConfiguration", {"arn": arn, "stageArn": stage or ""})
            return
        body: dict[str, Any] = {"ingestProtocol": self.rng.choice(["RTMP", "RTMPS"])}
        if stage is not None:
            body["stageArn"] = stage
        answer = self.call(scope, "CreateIngestConfiguration", body)
        if answer is not None:
            record = answer["ingestConfiguration"]
            self.ingest[scope].append((record["arn"], record["streamKey"]))
            self.resources[scope].append(record["arn"])

    def ingest_action(self) -> None:
        scope = self.scope()
        picked = self.some(self.ingest[scope])
        if picked is not None:
            self.act(f"ingest/{self.rng.choice(['start', 'stop'])}", {"streamKey": picked[1]})

    def delete_configuration(self) -> None:
        scope = self.scope()
        arn = self.some(self.resources[scope])
        if arn is None:
            return
        for kind, operation in (
            (":encoder-configuration/", "DeleteEncoderConfiguration"),
            (":storage-configuration/", "DeleteStorageConfiguration"),
            (":ingest-configuration/", "DeleteIngestConfiguration"),
        ):
            if kind in arn:
                self.call(scope, operation, {"arn": arn})

    def advance_clock(self) -> None:
        seconds = self.rng.choice([1, 5, 61, 400])
        assert self.client.post("/_emulator/clock/advance", json={"seconds": seconds}).status_code == 200
