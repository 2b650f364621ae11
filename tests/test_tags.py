"""TagResource, UntagResource and ListTagsForResource through boto3 against a live server.

The last tests speak raw HTTP through the Flask test client, to pin down how the path
(`/tags/{percent-encoded ARN}`) and the repeated `tagKeys` query parameters are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient

from emulator.contract.model import Contract
from tests.helpers import client_error, error_code, error_message, status

OTHER_ACCOUNT = "210987654321"
ARN_PATTERN = Contract.load().shape("ResourceArn")["pattern"]


def fifty_tags() -> dict[str, str]:
    return {f"k{i:02d}": f"v{i}" for i in range(50)}


# -- the three operations on a stage ------------------------------------------------------
def test_a_new_stage_without_tags_lists_an_empty_map(ivs: Any, stage_arn: str) -> None:
    assert ivs.list_tags_for_resource(resourceArn=stage_arn)["tags"] == {}


def test_tagged_stage_lists_its_tags_and_untag_removes_them(ivs: Any, stage_arn: str) -> None:
    response = ivs.tag_resource(resourceArn=stage_arn, tags={"team": "a", "env": "dev"})
    assert set(response) == {"ResponseMetadata"}
    assert ivs.list_tags_for_resource(resourceArn=stage_arn)["tags"] == {"team": "a", "env": "dev"}

    response = ivs.untag_resource(resourceArn=stage_arn, tagKeys=["team"])
    assert set(response) == {"ResponseMetadata"}
    assert ivs.list_tags_for_resource(resourceArn=stage_arn)["tags"] == {"env": "dev"}


def test_untag_removes_every_key_given_as_repeated_tag_keys(ivs: Any) -> None:
    arn = ivs.create_stage(tags={"a": "1", "b": "2", "c": "3", "d": "4"})["stage"]["arn"]
    ivs.untag_resource(resourceArn=arn, tagKeys=["a", "b", "d"])
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"c": "3"}


def test_untag_ignores_keys_the_resource_does_not_have(ivs: Any) -> None:
    arn = ivs.create_stage(tags={"a": "1"})["stage"]["arn"]
    ivs.untag_resource(resourceArn=arn, tagKeys=["missing", "a", "also-missing"])
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_tag_resource_merges_and_overwrites_existing_keys(ivs: Any) -> None:
    arn = ivs.create_stage(tags={"keep": "1", "change": "old"})["stage"]["arn"]
    ivs.tag_resource(resourceArn=arn, tags={"change": "new", "add": "2"})
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "keep": "1",
        "change": "new",
        "add": "2",
    }


def test_tag_resource_with_an_empty_map_changes_nothing(ivs: Any) -> None:
    arn = ivs.create_stage(tags={"a": "1"})["stage"]["arn"]
    ivs.tag_resource(resourceArn=arn, tags={})
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1"}


def test_tags_set_by_tag_resource_show_in_get_stage_and_list_stages(
    ivs: Any, stage_arn: str
) -> None:
    ivs.tag_resource(resourceArn=stage_arn, tags={"team": "a"})
    assert ivs.get_stage(arn=stage_arn)["stage"]["tags"] == {"team": "a"}
    [summary] = ivs.list_stages()["stages"]
    assert summary["tags"] == {"team": "a"}

    ivs.untag_resource(resourceArn=stage_arn, tagKeys=["team"])
    assert ivs.get_stage(arn=stage_arn)["stage"]["tags"] == {}


def test_tags_given_to_create_stage_are_listed(ivs: Any) -> None:
    arn = ivs.create_stage(tags={"from": "create"})["stage"]["arn"]
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"from": "create"}


# -- at most 50 tags per resource ---------------------------------------------------------
def test_tag_resource_may_fill_a_stage_up_to_50_tags(ivs: Any) -> None:
    tags = fifty_tags()
    arn = ivs.create_stage(tags=dict(list(tags.items())[:30]))["stage"]["arn"]
    ivs.tag_resource(resourceArn=arn, tags=dict(list(tags.items())[30:]))
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == tags


def test_overwriting_keys_of_a_full_stage_is_not_a_new_tag(ivs: Any) -> None:
    arn = ivs.create_stage(tags=fifty_tags())["stage"]["arn"]
    ivs.tag_resource(resourceArn=arn, tags={"k00": "changed", "k49": "changed"})
    tags = ivs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert len(tags) == 50 and tags["k00"] == tags["k49"] == "changed"


def test_a_51st_tag_is_refused_and_the_tags_stay_as_they_were(ivs: Any) -> None:
    arn = ivs.create_stage(tags=fifty_tags())["stage"]["arn"]
    error = client_error(ivs.tag_resource, resourceArn=arn, tags={"k00": "new", "extra": "x"})
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    merged = {**fifty_tags(), "k00": "new", "extra": "x"}
    shown = "{" + ", ".join(f"{k}={v}" for k, v in merged.items()) + "}"
    assert error_message(error) == (
        f"1 validation error detected: Value '{shown}' at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50"
    )
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == fifty_tags()


def test_51_tags_in_one_request_are_refused_in_the_same_words(
    ivs: Any, ivs_unchecked: Any, stage_arn: str
) -> None:
    tags = {**fifty_tags(), "extra": "x"}
    error = client_error(ivs_unchecked.tag_resource, resourceArn=stage_arn, tags=tags)
    assert error_code(error) == "ValidationException"
    assert error_message(error).endswith(
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    )
    assert ivs.list_tags_for_resource(resourceArn=stage_arn)["tags"] == {}


# -- ARNs that name nothing of the caller's -----------------------------------------------
TAG_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "TagResource": lambda client, arn: client.tag_resource(resourceArn=arn, tags={"a": "b"}),
    "UntagResource": lambda client, arn: client.untag_resource(resourceArn=arn, tagKeys=["a"]),
    "ListTagsForResource": lambda client, arn: client.list_tags_for_resource(resourceArn=arn),
}


def assert_not_found(client: Any, arn: str) -> None:
    for operation, call in TAG_CALLS.items():
        error = client_error(call, client, arn)
        assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404), operation
        assert arn in error_message(error)


def test_unknown_stage_arn_is_not_found(ivs: Any) -> None:
    assert_not_found(ivs, "arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh")


def test_well_formed_arn_of_a_type_the_emulator_does_not_hold_is_not_found(ivs: Any) -> None:
    assert_not_found(ivs, "arn:aws:ivs:us-east-1:123456789012:channel/abcdABCDefgh")


def test_stage_of_another_account_is_not_found_and_keeps_its_tags(ivs: Any, make_ivs: Any) -> None:
    arn = ivs.create_stage(tags={"owner": "me"})["stage"]["arn"]
    assert_not_found(make_ivs(access_key=OTHER_ACCOUNT), arn)
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"owner": "me"}


def test_stage_of_another_region_is_not_found(ivs: Any, make_ivs: Any, stage_arn: str) -> None:
    assert_not_found(make_ivs(region="us-west-2"), stage_arn)


def test_deleted_stage_is_not_found(ivs: Any, stage_arn: str) -> None:
    ivs.tag_resource(resourceArn=stage_arn, tags={"a": "b"})
    ivs.delete_stage(arn=stage_arn)
    assert_not_found(ivs, stage_arn)


# -- malformed ARNs -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "arn",
    [
        "not-an-arn",
        "arn:aws:ivs:us-east-1:123456789012:stage",
        "arn:aws:ivs:us-east-1:123456789012:stage/",
        "arn:aws:s3:us-east-1:123456789012:stage/abcdABCDefgh",
        "arn:aws:ivs:us-east-1:acct:stage/abcdABCDefgh",
        "arn:aws:ivs:us-east-1:123456789012:Stage/abcdABCDefgh",
    ],
)
@pytest.mark.parametrize("operation", list(TAG_CALLS))
def test_malformed_arn_is_a_validation_error(ivs_unchecked: Any, arn: str, operation: str) -> None:
    error = client_error(TAG_CALLS[operation], ivs_unchecked, arn)
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    assert error_message(error) == (
        f"1 validation error detected: Value '{arn}' at 'resourceArn' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {ARN_PATTERN}"
    )


def test_arn_over_128_characters_is_a_validation_error(ivs_unchecked: Any) -> None:
    arn = "arn:aws:ivs:us-east-1:123456789012:stage/" + "a" * 100
    error = client_error(ivs_unchecked.list_tags_for_resource, resourceArn=arn)
    assert error_code(error) == "ValidationException"
    assert "Member must have length less than or equal to 128" in error_message(error)


@pytest.mark.parametrize(
    "resource_id",
    ["abc%2Fdef", "abc/def", "abc?tagKeys=x", "abc#frag", "abc def", "abc+def", "abc&x=y", "é"],
)
def test_arn_with_percent_encoding_sensitive_characters_reaches_the_validator_whole(
    ivs_unchecked: Any, resource_id: str
) -> None:
    # botocore percent-encodes the whole ARN into one path segment; the emulator must decode
    # it exactly once, so the validator quotes the very ARN that was sent.
    arn = f"arn:aws:ivs:us-east-1:123456789012:stage/{resource_id}"
    for operation, call in TAG_CALLS.items():
        error = client_error(call, ivs_unchecked, arn)
        assert error_code(error) == "ValidationException", operation
        assert f"Value '{arn}' at 'resourceArn'" in error_message(error), operation


def test_stage_arn_with_hyphens_in_the_region_routes_to_the_stage(make_ivs: Any) -> None:
    ivs = make_ivs(region="ap-southeast-2")
    arn = ivs.create_stage()["stage"]["arn"]
    ivs.tag_resource(resourceArn=arn, tags={"a": "b"})
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "b"}


# -- public keys -------------------------------------------------------------------------
def p384_public_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def test_public_key_is_tagged_listed_and_untagged_like_a_stage(ivs: Any) -> None:
    imported = ivs.import_public_key(publicKeyMaterial=p384_public_key_pem(), tags={"a": "1"})
    arn = imported["publicKey"]["arn"]
    ivs.tag_resource(resourceArn=arn, tags={"a": "2", "b": "3"})
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "2", "b": "3"}
    assert ivs.get_public_key(arn=arn)["publicKey"]["tags"] == {"a": "2", "b": "3"}

    ivs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "3"}


def test_deleted_or_foreign_public_key_is_not_found(ivs: Any, make_ivs: Any) -> None:
    arn = ivs.import_public_key(publicKeyMaterial=p384_public_key_pem())["publicKey"]["arn"]
    assert_not_found(make_ivs(access_key=OTHER_ACCOUNT), arn)
    ivs.delete_public_key(arn=arn)
    assert_not_found(ivs, arn)


# -- raw HTTP ---------------------------------------------------------------------------
def create_stage_raw(client: FlaskClient, tags: dict[str, str]) -> str:
    response = client.post("/CreateStage", json={"tags": tags})
    assert response.status_code == 200
    return str(response.get_json()["stage"]["arn"])


def test_delete_with_percent_encoded_arn_and_repeated_tag_keys_removes_those_keys(
    client: FlaskClient,
) -> None:
    arn = create_stage_raw(client, {"a": "1", "b": "2", "c": "3"})
    stage_id = arn.rsplit("/", 1)[1]
    path = f"/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2F{stage_id}"
    assert quote(arn, safe="") == path.removeprefix("/tags/")

    response = client.delete(f"{path}?tagKeys=a&tagKeys=b")
    assert (response.status_code, response.get_json()) == (200, {})
    assert client.get(path).get_json() == {"tags": {"c": "3"}}


def test_tag_resource_over_raw_http_takes_the_tags_from_the_body(client: FlaskClient) -> None:
    arn = create_stage_raw(client, {})
    path = "/tags/" + quote(arn, safe="")
    response = client.post(path, json={"tags": {"team": "a"}})
    assert (response.status_code, response.get_json()) == (200, {})
    assert client.post("/GetStage", json={"arn": arn}).get_json()["stage"]["tags"] == {"team": "a"}


@pytest.mark.parametrize(
    "encode",
    [
        lambda arn: arn,  # not encoded at all, as a hand-written curl command may send it
        lambda arn: quote(arn, safe="").replace("%3A", "%3a").replace("%2F", "%2f"),
        lambda arn: quote(arn, safe=":"),  # only the '/' encoded
    ],
    ids=["plain", "lower-case-escapes", "colons-plain"],
)
def test_list_tags_accepts_the_arn_however_it_is_escaped(
    client: FlaskClient, encode: Callable[[str], str]
) -> None:
    arn = create_stage_raw(client, {"a": "1"})
    response = client.get("/tags/" + encode(arn))
    assert (response.status_code, response.get_json()) == (200, {"tags": {"a": "1"}})


def test_delete_without_tag_keys_is_a_validation_error(client: FlaskClient) -> None:
    arn = create_stage_raw(client, {"a": "1"})
    response = client.delete("/tags/" + quote(arn, safe=""))
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ValidationException"
    message = response.get_json()["message"]
    assert "at 'tagKeys' failed to satisfy constraint: Member must not be null" in message
