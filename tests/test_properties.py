"""Property tests: the emulator against the contract, with oracles independent of its validator.

Inputs come from tests/strategies.py (built from the contract's shapes). Valid input must give
200 with a body that conforms to the operation's output shape (tests/output_shape.py) and that
botocore's REST-JSON parser accepts; tokens are verified with PyJWT against the emulator's JWKS
and their claims compared with the input. Input with exactly one broken constraint must give
400 ValidationException whose message names that member's path, in contract/README.md C2's
wording.

Most tests drive the Flask test client of one app per module, reset before each example;
two sanity tests go through boto3 and a live server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.session
import jwt
import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import RestJSONParser
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from tests.conftest import START
from tests.helpers import AUTH, client_error, error_code, error_message
from tests.output_shape import assert_conforms
from tests.strategies import CONTRACT, MISSING, Broken, breaking_one, valid

BOTOCORE_MODEL = botocore.session.get_session().get_service_model("ivs-realtime")
VALIDATED_OPERATIONS = [
    "CreateStage",
    "CreateParticipantToken",
    "GetStage",
    "UpdateStage",
    "ListStages",
    "DeleteStage",
]
DEFAULT_DURATION = 720
DEFAULT_CAPABILITIES = ["PUBLISH", "SUBSCRIBE"]

create_stage_requests = valid("CreateStageRequest")
token_requests = valid("CreateParticipantTokenRequest", omit=("stageArn",))


# -- plumbing -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api() -> Iterator[FlaskClient]:
    """One app for the module (examples reset it): building one per example costs more."""
    yield create_app(Config(), clock=FixedClock(START)).test_client()


def reset(client: FlaskClient) -> FlaskClient:
    assert client.post("/_emulator/reset").status_code == 200
    return client


def call(client: FlaskClient, operation: str, body: dict[str, Any]) -> TestResponse:
    op = CONTRACT.operations[operation]
    return client.open(
        op.uri,
        method=op.method,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": AUTH},
    )


def ok(response: TestResponse) -> dict[str, Any]:
    """The JSON body of a response that must be 200."""
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def output_shape_of(operation: str) -> str:
    return str(CONTRACT.operations[operation].output_shape)


def botocore_parse(operation: str, response: TestResponse) -> dict[str, Any]:
    """What botocore's REST-JSON parser makes of a response (raises if it cannot)."""
    raw = {
        "status_code": response.status_code,
        "headers": HeadersDict(dict(response.headers)),
        "body": response.get_data(),
    }
    shape = BOTOCORE_MODEL.operation_model(operation).output_shape
    parsed: dict[str, Any] = RestJSONParser().parse(raw, shape)
    return parsed


def create_stage(client: FlaskClient, request: dict[str, Any] | None = None) -> dict[str, Any]:
    return ok(call(client, "CreateStage", request or {}))


def issue(client: FlaskClient, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create a stage, then a token on it: (the full request sent, the participantToken)."""
    arn = create_stage(client)["stage"]["arn"]
    sent = {"stageArn": arn, **request}
    return sent, ok(call(client, "CreateParticipantToken", sent))["participantToken"]


def claims_of(client: FlaskClient, token: str) -> dict[str, Any]:
    """The claims of a token, its ES384 signature verified with the emulator's JWKS."""
    jwks = jwt.PyJWKSet.from_dict(client.get("/_emulator/jwks.json").get_json())
    key = jwks[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["ES384"],
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    return claims


def java(value: Any) -> str:
    """A value as AWS prints it in validation messages (C2: Java's toString)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(java(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java(k)}={java(v)}" for k, v in value.items()) + "}"
    return str(value)


def expected_message(broken: Broken) -> str:
    if broken.sensitive:
        shown = "Value"
    elif broken.shown is MISSING:
        shown = "Value null"
    else:
        shown = f"Value '{java(broken.shown)}'"
    return (
        f"1 validation error detected: {shown} at '{broken.path}' failed to satisfy "
        f"constraint: {broken.phrase}"
    )


# -- CreateStage --------------------------------------------------------------------------


@given(request=create_stage_requests)
def test_valid_create_stage_is_200(api: FlaskClient, request: dict[str, Any]) -> None:
    assert call(reset(api), "CreateStage", request).status_code == 200


@given(request=create_stage_requests)
def test_create_stage_response_conforms_to_the_output_shape(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    assert_conforms(output_shape_of("CreateStage"), create_stage(reset(api), request))


@given(request=create_stage_requests)
def test_create_stage_response_is_accepted_by_botocores_parser(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    response = call(reset(api), "CreateStage", request)
    assert "stage" in botocore_parse("CreateStage", response)


@given(request=create_stage_requests)
def test_create_stage_echoes_name_and_tags_with_empty_defaults(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    stage = create_stage(reset(api), request)["stage"]
    assert (stage["name"], stage["tags"]) == (request.get("name", ""), request.get("tags", {}))


@given(request=create_stage_requests)
def test_create_stage_issues_one_token_per_configuration_with_its_defaults(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    tokens = create_stage(reset(api), request)["participantTokens"]
    configurations = request.get("participantTokenConfigurations", [])
    assert [(t["duration"], t["capabilities"]) for t in tokens] == [
        (c.get("duration", DEFAULT_DURATION), c.get("capabilities", DEFAULT_CAPABILITIES))
        for c in configurations
    ]


@given(request=create_stage_requests)
def test_create_stage_token_claims_match_their_configurations(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    response = create_stage(client, request)
    arn = response["stage"]["arn"]
    configurations = request.get("participantTokenConfigurations", [])
    for configuration, token in zip(configurations, response["participantTokens"], strict=True):
        claims = claims_of(client, token["token"])
        capabilities = configuration.get("capabilities", DEFAULT_CAPABILITIES)
        assert {
            "jti": claims["jti"],
            "resource": claims["resource"],
            "user_id": claims.get("user_id"),
            "attributes": claims.get("attributes"),
            "capabilities": claims["capabilities"],
            "lifetime": claims["exp"] - claims["iat"],
        } == {
            "jti": token["participantId"],
            "resource": arn,
            "user_id": configuration.get("userId"),
            "attributes": configuration.get("attributes"),
            "capabilities": granted_flags(capabilities),
            "lifetime": configuration.get("duration", DEFAULT_DURATION) * 60,
        }


def granted_flags(capabilities: list[str]) -> dict[str, bool]:
    """The `capabilities` claim the service writes: only the granted flags, each true."""
    flags = (("PUBLISH", "allow_publish"), ("SUBSCRIBE", "allow_subscribe"))
    return {flag: True for name, flag in flags if name in capabilities}


# -- CreateParticipantToken ---------------------------------------------------------------


@given(request=token_requests)
def test_valid_create_participant_token_on_a_live_stage_is_200(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    arn = create_stage(client)["stage"]["arn"]
    response = call(client, "CreateParticipantToken", {"stageArn": arn, **request})
    assert response.status_code == 200, response.get_data(as_text=True)


@given(request=token_requests)
def test_create_participant_token_response_conforms_to_the_output_shape(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    arn = create_stage(client)["stage"]["arn"]
    body = ok(call(client, "CreateParticipantToken", {"stageArn": arn, **request}))
    assert_conforms(output_shape_of("CreateParticipantToken"), body)


@given(request=token_requests)
def test_create_participant_token_response_is_accepted_by_botocores_parser(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    arn = create_stage(client)["stage"]["arn"]
    response = call(client, "CreateParticipantToken", {"stageArn": arn, **request})
    assert "participantToken" in botocore_parse("CreateParticipantToken", response)


@given(request=token_requests)
def test_token_names_the_participant_and_the_stage(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    sent, token = issue(client, request)
    claims = claims_of(client, token["token"])
    stage_id = sent["stageArn"].rsplit("/", 1)[1]
    assert (claims["jti"], claims["resource"], claims["topic"]) == (
        token["participantId"],
        sent["stageArn"],
        stage_id,
    )


@given(request=token_requests)
def test_token_carries_user_id_and_attributes_exactly_when_given(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    _, token = issue(client, request)
    claims = claims_of(client, token["token"])
    optional = {"userId": "user_id", "attributes": "attributes"}
    assert {claim: claims[claim] for claim in optional.values() if claim in claims} == {
        claim: request[member] for member, claim in optional.items() if member in request
    }


@given(request=token_requests)
def test_token_capability_flags_follow_capabilities_defaulting_to_publish_and_subscribe(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    _, token = issue(client, request)
    capabilities = request.get("capabilities", DEFAULT_CAPABILITIES)
    assert claims_of(client, token["token"])["capabilities"] == granted_flags(capabilities)


@given(request=token_requests)
def test_token_lifetime_is_the_duration_in_minutes_defaulting_to_720(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    _, token = issue(client, request)
    claims = claims_of(client, token["token"])
    assert claims["exp"] - claims["iat"] == request.get("duration", DEFAULT_DURATION) * 60


@given(request=token_requests)
def test_token_response_echoes_the_input_with_defaults_filled(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    _, token = issue(reset(api), request)
    echoed = ("userId", "attributes", "duration", "capabilities")
    assert {k: token[k] for k in echoed if k in token} == {
        "duration": DEFAULT_DURATION,
        "capabilities": DEFAULT_CAPABILITIES,
        **{k: request[k] for k in echoed if k in request},
    }


# -- GetStage -----------------------------------------------------------------------------


@given(request=create_stage_requests)
def test_get_stage_of_a_created_stage_is_200(api: FlaskClient, request: dict[str, Any]) -> None:
    client = reset(api)
    arn = create_stage(client, request)["stage"]["arn"]
    assert call(client, "GetStage", {"arn": arn}).status_code == 200


@given(request=create_stage_requests)
def test_get_stage_response_conforms_to_the_output_shape(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    arn = create_stage(client, request)["stage"]["arn"]
    assert_conforms(output_shape_of("GetStage"), ok(call(client, "GetStage", {"arn": arn})))


@given(request=create_stage_requests)
def test_get_stage_response_is_accepted_by_botocores_parser(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    arn = create_stage(client, request)["stage"]["arn"]
    assert "stage" in botocore_parse("GetStage", call(client, "GetStage", {"arn": arn}))


@given(request=create_stage_requests)
def test_get_stage_returns_the_stage_create_stage_returned(
    api: FlaskClient, request: dict[str, Any]
) -> None:
    client = reset(api)
    created = create_stage(client, request)["stage"]
    assert ok(call(client, "GetStage", {"arn": created["arn"]}))["stage"] == created


# -- one broken constraint ----------------------------------------------------------------


@pytest.mark.parametrize("operation", VALIDATED_OPERATIONS)
@given(data=st.data())
def test_one_broken_constraint_is_a_400_validation_exception(
    api: FlaskClient, operation: str, data: st.DataObject
) -> None:
    broken = data.draw(breaking_one(str(CONTRACT.operations[operation].input_shape)))
    response = call(api, operation, broken.value)
    assert (response.status_code, response.headers.get("x-amzn-ErrorType")) == (
        400,
        "ValidationException",
    )


@pytest.mark.parametrize("operation", VALIDATED_OPERATIONS)
@given(data=st.data())
def test_one_broken_constraint_message_names_the_member_path_and_the_constraint(
    api: FlaskClient, operation: str, data: st.DataObject
) -> None:
    broken = data.draw(breaking_one(str(CONTRACT.operations[operation].input_shape)))
    body = call(api, operation, broken.value).get_json()
    assert body["message"] == expected_message(broken)


# -- through boto3 and a live server ------------------------------------------------------

BOTO3 = settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])


@BOTO3
@given(stage_request=create_stage_requests, token_request=token_requests)
def test_boto3_accepts_valid_create_stage_and_create_participant_token(
    ivs: Any, stage_request: dict[str, Any], token_request: dict[str, Any]
) -> None:
    arn = ivs.create_stage(**stage_request)["stage"]["arn"]
    ivs.create_participant_token(stageArn=arn, **token_request)


@BOTO3
@given(broken=breaking_one("CreateParticipantTokenRequest"))
def test_boto3_without_client_validation_gets_the_validation_exception(
    ivs_unchecked: Any, broken: Broken
) -> None:
    error = client_error(ivs_unchecked.create_participant_token, **broken.value)
    assert (error_code(error), error_message(error)) == (
        "ValidationException",
        expected_message(broken),
    )
