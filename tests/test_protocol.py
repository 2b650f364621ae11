"""The REST-JSON protocol: routing, body parsing, caller identity and the error wire format."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator import Config, create_app
from emulator.http.app import emulator_of
from emulator.http.protocol import COMMON_HEADERS, identify_caller

SIGV4 = (
    "AWS4-HMAC-SHA256 Credential={key}/20260102/{region}/ivs/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def post(
    client: FlaskClient, path: str, body: Any = None, raw: bytes | None = None, **kw: Any
) -> Any:
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return client.post(path, data=data, content_type="application/json", **kw)


def test_error_response_has_type_header_both_message_members_and_request_id(
    client: FlaskClient,
) -> None:
    response = post(client, "/GetStage", {"arn": "arn:aws:ivs:us-east-1:123456789012:stage/x"})
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    body = response.get_json()
    assert body["exceptionMessage"] == body["message"] != ""
    assert len(response.headers["x-amzn-RequestId"]) == 36


def test_every_response_carries_the_services_common_headers(client: FlaskClient) -> None:
    response = post(client, "/CreateStage")
    assert response.status_code == 200
    for name, value in COMMON_HEADERS.items():
        assert response.headers[name] == value


def test_malformed_json_is_a_serialization_exception(client: FlaskClient) -> None:
    response = post(client, "/CreateStage", raw=b'{"name": ')
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"


def test_json_that_is_not_an_object_is_a_serialization_exception(client: FlaskClient) -> None:
    response = post(client, "/CreateStage", raw=b"[1, 2]")
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (
        400,
        "SerializationException",
    )


def test_nan_is_not_json(client: FlaskClient) -> None:
    response = post(client, "/CreateParticipantToken", raw=b'{"stageArn": "x", "duration": NaN}')
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"


def test_body_that_is_not_utf8_is_a_serialization_exception(client: FlaskClient) -> None:
    response = post(client, "/CreateStage", raw=b'{"name": "\xff"}')
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"


@pytest.mark.parametrize("depth", [900, 990, 5000])
def test_nested_arrays_at_any_depth_get_a_4xx(client: FlaskClient, depth: int) -> None:
    response = post(client, "/CreateStage", raw=b'{"tags":' + b"[" * depth + b"]" * depth + b"}")
    assert 400 <= response.status_code < 500


def test_deeply_nested_body_is_refused_cleanly(client: FlaskClient) -> None:
    response = post(
        client, "/CreateStage", raw=b'{"tags":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    )
    assert response.status_code in (400, 413)


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5},
        {"tags": ["a"]},
        {"tags": {"k": 1}},
        {"participantTokenConfigurations": {"a": 1}},
        {"participantTokenConfigurations": [5]},
        {"participantTokenConfigurations": [{"duration": "60"}]},
        {"participantTokenConfigurations": [{"duration": True}]},
        {"participantTokenConfigurations": [{"capabilities": [1]}]},
        {"participantTokenConfigurations": [{"attributes": {"a": ["b"]}}]},
        {"autoParticipantRecordingConfiguration": {"storageConfigurationArn": 1}},
        {"participantTokenConfigurations": [None]},
        {"participantTokenConfigurations": [{"duration": 2**31}]},
        {"participantTokenConfigurations": [{"duration": -(2**31) - 1}]},
    ],
)
def test_wrong_json_types_at_any_depth_are_a_serialization_exception(
    client: FlaskClient, body: Any
) -> None:
    response = post(client, "/CreateStage", body)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (
        400,
        "SerializationException",
    )


@pytest.mark.parametrize("raw", [rb'{"name": "\ud800"}', rb'{"tags": {"\udfff": "v"}}'])
def test_lone_surrogates_are_a_serialization_exception(client: FlaskClient, raw: bytes) -> None:
    response = post(client, "/CreateStage", raw=raw)
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"


def test_non_ascii_text_round_trips(client: FlaskClient) -> None:
    tags = {"名前": "ステージ 🎥", "e\u0301": "\u200b"}
    response = post(client, "/CreateStage", {"tags": tags})
    assert response.get_json()["stage"]["tags"] == tags


def test_null_members_count_as_absent(client: FlaskClient) -> None:
    response = post(client, "/CreateStage", {"name": None, "tags": None})
    assert response.status_code == 200


def test_unknown_members_are_ignored(client: FlaskClient) -> None:
    response = post(client, "/CreateStage", {"name": "a", "colour": "blue"})
    assert response.status_code == 200


def test_unknown_path_is_an_unknown_operation(client: FlaskClient) -> None:
    response = post(client, "/DescribeEverything")
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (
        404,
        "UnknownOperationException",
    )


def test_wrong_method_on_a_known_path_is_an_unknown_operation(client: FlaskClient) -> None:
    response = client.get("/CreateStage")
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_body_over_the_limit_is_413() -> None:
    client = create_app(Config(max_body_bytes=1000)).test_client()
    response = post(client, "/CreateStage", raw=b'{"name": "' + b"a" * 2000 + b'"}')
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (
        413,
        "RequestEntityTooLargeException",
    )


def test_a_bug_in_a_handler_is_an_internal_server_exception_not_a_traceback(
    client: FlaskClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(context: Any, request: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setitem(emulator_of(app).service.handlers, "CreateStage", broken)
    response = post(client, "/CreateStage")
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (
        500,
        "InternalServerException",
    )
    assert "secret detail" not in response.get_data(as_text=True)


def test_sigv4_scope_gives_region_and_twelve_digit_key_gives_account() -> None:
    caller = identify_caller(SIGV4.format(key="111122223333", region="ap-south-1"), Config())
    assert (caller.account, caller.region) == ("111122223333", "ap-south-1")


def test_mapped_access_key_gives_its_account() -> None:
    config = Config(access_keys={"AKIAEXAMPLE": "444455556666"})
    caller = identify_caller(SIGV4.format(key="AKIAEXAMPLE", region="us-west-2"), config)
    assert (caller.account, caller.access_key) == ("444455556666", "AKIAEXAMPLE")


@pytest.mark.parametrize("header", [None, "", "Bearer abc", "AWS4-HMAC-SHA256 Credential=garbage"])
def test_missing_or_garbled_authorization_uses_the_defaults(header: str | None) -> None:
    caller = identify_caller(
        header, Config(default_account="999988887777", default_region="sa-east-1")
    )
    assert (caller.account, caller.region) == ("999988887777", "sa-east-1")


def test_garbled_authorization_header_still_gets_an_answer(client: FlaskClient) -> None:
    response = post(client, "/CreateStage", headers={"Authorization": "AWS4-HMAC-SHA256 \x00\xff"})
    assert response.status_code == 200


def test_tags_path_takes_the_percent_encoded_arn(client: FlaskClient) -> None:
    response = client.get("/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2Fnope")
    assert response.headers["x-amzn-ErrorType"] != "UnknownOperationException"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"stageArn": "arn:aws:ivs:us-east-1:123456789012:stage/a", "duration": 1' + b"0" * 5000 + b"}",
        b'{"stageArn": "arn:aws:ivs:us-east-1:123456789012:stage/a", "duration": 1e400}',
        b'{"stageArn": "arn:aws:ivs:us-east-1:123456789012:stage/a", "duration": 60.5}',
        b'{"stageArn": "arn:aws:ivs:us-east-1:123456789012:stage/a", "duration": -1}',
    ],
)
def test_odd_numbers_get_a_4xx(client: FlaskClient, raw: bytes) -> None:
    response = post(client, "/CreateParticipantToken", raw=raw)
    assert 400 <= response.status_code < 500


def test_bad_requests_leave_the_state_as_it_was(client: FlaskClient) -> None:
    arn = post(client, "/CreateStage", {"name": "keep"}).get_json()["stage"]["arn"]
    before = post(client, "/GetStage", {"arn": arn}).get_json()
    for raw in (b"{", b"[]", b'{"name": 1}', b'{"name": "\\ud800"}', b'{"tags": {"k": 1}}'):
        assert post(client, "/CreateStage", raw=raw).status_code == 400
        assert post(client, "/GetStage", raw=raw).status_code == 400
    assert post(client, "/GetStage", {"arn": arn}).get_json() == before


@pytest.mark.parametrize(
    "header",
    [
        "AWS4-HMAC-SHA256 " + "Credential=" * 2000,
        "AWS4-HMAC-SHA256 Credential=" + "a/" * 5000 + "aws4_request",
        "Credential=" + "x-" * 40_000,
    ],
)
def test_a_garbled_credential_scope_is_read_at_once(header: str) -> None:
    started = time.perf_counter()
    caller = identify_caller(header, Config())
    assert (caller.account, time.perf_counter() - started < 0.5) == ("123456789012", True)


def test_twelve_digits_of_another_script_are_not_an_account() -> None:
    caller = identify_caller(SIGV4.format(key="\u0661" * 12, region="us-east-1"), Config())
    assert caller.account == "123456789012"
