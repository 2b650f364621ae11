"""Every quota setting, flag and IVS_EMULATOR_* variable alike, takes a count or `off`, and
means it: GET /_emulator/behaviours shows the quota, and the operation it limits follows it.

Each quota of config.QUOTAS has here the call that makes one more of what it counts; a quota
added without one fails test_every_quota_has_a_call_that_counts_against_it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient

from emulator import Config, create_app
from emulator.config import QUOTAS, Quota
from emulator.http.cli import load_config
from tests.doc_examples import section
from tests.helpers import AUTH

CHANNEL = "arn:aws:ivs:us-east-1:123456789012:channel/abcABCdefDEg"


def call(client: FlaskClient, operation: str, **body: Any) -> tuple[int, dict[str, Any]]:
    answer = client.post(f"/{operation}", data=json.dumps(body), headers={"Authorization": AUTH})
    return answer.status_code, dict(answer.get_json())


def created(client: FlaskClient, operation: str, key: str, **body: Any) -> dict[str, Any]:
    status, answer = call(client, operation, **body)
    assert status == 200, answer
    return dict(answer[key])


def public_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_bytes(serialization.Encoding.PEM, spki).decode()


OneMore = Callable[[], int]
"""Makes one more of what a quota counts; the HTTP status of the call."""


def stages(client: FlaskClient) -> OneMore:
    return lambda: call(client, "CreateStage")[0]


def participant_tokens(client: FlaskClient) -> OneMore:
    arn = created(client, "CreateStage", "stage")["arn"]
    return lambda: call(client, "CreateParticipantToken", stageArn=arn)[0]


def public_keys(client: FlaskClient) -> OneMore:
    return lambda: call(client, "ImportPublicKey", publicKeyMaterial=public_key_pem())[0]


def encoder_configurations(client: FlaskClient) -> OneMore:
    return lambda: call(client, "CreateEncoderConfiguration")[0]


def storage_configurations(client: FlaskClient) -> OneMore:
    return lambda: call(client, "CreateStorageConfiguration", s3={"bucketName": "bucket"})[0]


def compositions(client: FlaskClient) -> OneMore:
    arn = created(client, "CreateStage", "stage")["arn"]
    destinations = [{"channel": {"channelArn": CHANNEL}}]
    return lambda: call(client, "StartComposition", stageArn=arn, destinations=destinations)[0]


def ingest_configurations(client: FlaskClient) -> OneMore:
    return lambda: call(client, "CreateIngestConfiguration", ingestProtocol="RTMPS")[0]


ONE_MORE: dict[str, Callable[[FlaskClient], OneMore]] = {
    "stages": stages,
    "participant_tokens_per_stage": participant_tokens,
    "public_keys": public_keys,
    "encoder_configurations": encoder_configurations,
    "storage_configurations": storage_configurations,
    "compositions": compositions,
    "ingest_configurations": ingest_configurations,
}


def past_the_default(quota: Quota) -> int:
    """How many to make: one more than the default quota allows (2 when it is off)."""
    default = getattr(Config(), quota.setting)
    return (default or 1) + 1


def env_name(quota: Quota) -> str:
    return "IVS_EMULATOR_" + quota.setting.upper()


def flag_name(quota: Quota) -> str:
    return "--" + quota.setting.replace("_", "-")


def shown_and_made(config: Config, quota: Quota, count: int) -> tuple[Any, list[int]]:
    """The quota as GET /_emulator/behaviours shows it, and the statuses of making `count`
    of what it counts."""
    client = create_app(config).test_client()
    shown = client.get("/_emulator/behaviours").get_json()["quotas"][quota.name]
    one_more = ONE_MORE[quota.name](client)
    return shown, [one_more() for _ in range(count)]


def by_name(quota: Quota) -> str:
    return quota.name


def test_every_quota_has_a_call_that_counts_against_it() -> None:
    assert sorted(ONE_MORE) == sorted(quota.name for quota in QUOTAS)


def test_the_docs_name_every_quota_the_behaviours_endpoint_takes() -> None:
    behaviours = section("docs/controls.md", "Behaviours")
    rows = re.findall(r"^\| `([a-z_]+)` \| `(--[a-z-]+)` \|", behaviours, re.M)
    assert rows == [(quota.name, flag_name(quota)) for quota in QUOTAS]


@pytest.mark.parametrize("quota", QUOTAS, ids=by_name)
def test_a_quota_flag_off_lifts_the_quota_over_its_variable_and_default(
    quota: Quota, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env_name(quota), "1")
    config = load_config([flag_name(quota), "off"])
    shown, statuses = shown_and_made(config, quota, past_the_default(quota))
    assert (shown, set(statuses)) == (None, {200})


@pytest.mark.parametrize("quota", QUOTAS, ids=by_name)
def test_a_quota_variable_off_lifts_the_quota_over_its_default(
    quota: Quota, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env_name(quota), "off")
    shown, statuses = shown_and_made(load_config([]), quota, past_the_default(quota))
    assert (shown, set(statuses)) == (None, {200})


@pytest.mark.parametrize("quota", QUOTAS, ids=by_name)
@pytest.mark.parametrize("source", ["flag", "variable"])
def test_a_quota_count_from_a_flag_or_variable_is_enforced(
    quota: Quota, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "flag":
        config = load_config([flag_name(quota), "1"])
    else:
        monkeypatch.setenv(env_name(quota), "1")
        config = load_config([])
    shown, statuses = shown_and_made(config, quota, 2)
    assert (shown, statuses) == (1, [200, 402])


@pytest.mark.parametrize("quota", QUOTAS, ids=by_name)
@pytest.mark.parametrize("value", ["OFF", "none"])
def test_off_is_spelled_as_every_quota_spells_it(
    quota: Quota, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env_name(quota), "3")
    assert getattr(load_config([flag_name(quota), value]), quota.setting) is None


@pytest.mark.parametrize("quota", QUOTAS, ids=by_name)
@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_quota_that_is_neither_a_count_nor_off_is_refused_at_start(
    quota: Quota, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        load_config([flag_name(quota), value])
    assert "expected a number of 0 or more, or off" in capsys.readouterr().err
