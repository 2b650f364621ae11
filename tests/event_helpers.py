"""Acting on an in-process emulator through its Flask test client, and reading its events: the
helpers the events tests share."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

STAGE_UPDATE = "IVS Stage Update"
COMPOSITION = "IVS Composition State Change"
RECORDING = "IVS Participant Recording State Change"


def call(client: FlaskClient, operation: str, body: dict[str, Any]) -> Any:
    answer = client.post(f"/{operation}", json=body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def act(client: FlaskClient, action: str, token: str, status: int = 200) -> Any:
    answer = client.post(f"/_emulator/stage/{action}", json={"token": token})
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


def token(client: FlaskClient, stage: str, **extra: Any) -> dict[str, Any]:
    request = {"stageArn": stage, **extra}
    return dict(call(client, "CreateParticipantToken", request)["participantToken"])


def events(client: FlaskClient, **filters: str) -> list[dict[str, Any]]:
    answer = client.get("/_emulator/events", query_string=filters)
    assert answer.status_code == 200, answer.get_json()
    return list(answer.get_json()["events"])


def names(listed: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["detail-type"], e["detail"]["event_name"]) for e in listed]


def new_stage(client: FlaskClient, **extra: Any) -> str:
    return str(call(client, "CreateStage", {"name": "s", **extra})["stage"]["arn"])


def s3_destination(client: FlaskClient) -> dict[str, Any]:
    storage = call(client, "CreateStorageConfiguration", {"s3": {"bucketName": "bucket"}})
    encoder = call(client, "CreateEncoderConfiguration", {})
    return {"s3": {"storageConfigurationArn": storage["storageConfiguration"]["arn"],
                   "encoderConfigurationArns": [encoder["encoderConfiguration"]["arn"]]}}


def start_composition(client: FlaskClient, stage: str) -> dict[str, Any]:
    body = {"stageArn": stage, "destinations": [s3_destination(client)]}
    return dict(call(client, "StartComposition", body)["composition"])
