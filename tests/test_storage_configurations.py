"""CreateStorageConfiguration, GetStorageConfiguration, ListStorageConfigurations and
DeleteStorageConfiguration through boto3 against a live server (choices C22 and C23).

Delete, not found and other callers, as for every kind: tests/test_resource_kinds.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import client_error, error_code, error_message, status

MISSING_ARN = "arn:aws:ivs:us-east-1:123456789012:storage-configuration/abcdABCDefgh"


def create(ivs: Any, bucket: str = "recordings", **kwargs: Any) -> dict[str, Any]:
    response = ivs.create_storage_configuration(s3={"bucketName": bucket}, **kwargs)
    return dict(response["storageConfiguration"])


def recording_to(arn: str) -> dict[str, Any]:
    return {"storageConfigurationArn": arn}


def list_all(ivs: Any, **kwargs: Any) -> tuple[list[str], int]:
    """Every storage configuration ARN, page by page, and the number of pages."""
    arns: list[str] = []
    pages = 0
    request = dict(kwargs)
    while True:
        listed = ivs.list_storage_configurations(**request)
        pages += 1
        arns += [c["arn"] for c in listed["storageConfigurations"]]
        if "nextToken" not in listed:
            return arns, pages
        request["nextToken"] = listed["nextToken"]


# -- CreateStorageConfiguration ------------------------------------------------------------
def test_create_returns_arn_name_s3_and_tags(ivs: Any) -> None:
    config = create(ivs, "my-bucket", name="rec", tags={"t": "v"})
    assert set(config) == {"arn", "name", "s3", "tags"}
    assert (config["name"], config["s3"], config["tags"]) == (
        "rec",
        {"bucketName": "my-bucket"},
        {"t": "v"},
    )


def test_name_defaults_to_empty_and_tags_to_empty_map(ivs: Any) -> None:
    config = create(ivs)
    assert (config["name"], config["tags"]) == ("", {})


def test_arn_has_the_callers_region_account_and_a_12_character_id(
    make_ivs: Callable[..., Any],
) -> None:
    arn = create(make_ivs(region="eu-west-1", access_key="111122223333"))["arn"]
    assert re.fullmatch(
        r"arn:aws:ivs:eu-west-1:111122223333:storage-configuration/[A-Za-z0-9]{12}", arn
    )


@pytest.mark.parametrize("bucket", ["abc", "a" * 63, "my.bucket-1", "...", "-a-", "no-such-bucket"])
def test_any_bucket_name_the_model_allows_is_kept_as_given(ivs: Any, bucket: str) -> None:
    assert create(ivs, bucket)["s3"] == {"bucketName": bucket}


@pytest.mark.parametrize(
    ("bucket", "phrase"),
    [
        ("ab", "Member must have length greater than or equal to 3"),
        ("a" * 64, "Member must have length less than or equal to 63"),
        ("My_Bucket", "Member must satisfy regular expression pattern: [a-z0-9-.]+"),
    ],
)
def test_bucket_names_outside_the_model_are_refused_by_the_generic_validator(
    ivs_unchecked: Any, bucket: str, phrase: str
) -> None:
    error = client_error(ivs_unchecked.create_storage_configuration, s3={"bucketName": bucket})
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    assert error_message(error) == (
        f"1 validation error detected: Value '{bucket}' at 's3.bucketName' failed to satisfy "
        f"constraint: {phrase}"
    )


def test_s3_is_required(ivs_unchecked: Any) -> None:
    error = client_error(ivs_unchecked.create_storage_configuration, name="x")
    assert error_message(error) == (
        "1 validation error detected: Value null at 's3' failed to satisfy constraint: "
        "Member must not be null"
    )


# -- Get, List, Delete ---------------------------------------------------------------------
def test_get_returns_what_create_returned(ivs: Any) -> None:
    created = create(ivs, name="n", tags={"k": "v"})
    assert ivs.get_storage_configuration(arn=created["arn"])["storageConfiguration"] == created


def test_list_is_empty_before_any_create(ivs: Any) -> None:
    listed = ivs.list_storage_configurations()
    assert listed["storageConfigurations"] == []
    assert "nextToken" not in listed


def test_list_gives_summaries_with_arn_name_s3_and_tags(ivs: Any) -> None:
    created = create(ivs, "b-1", name="n", tags={"k": "v"})
    assert ivs.list_storage_configurations()["storageConfigurations"] == [created]


def test_list_pages_through_every_configuration_in_creation_order(ivs: Any) -> None:
    arns = [create(ivs)["arn"] for _ in range(5)]
    assert list_all(ivs, maxResults=2) == (arns, 3)


def test_list_gives_100_to_a_page_by_default(ivs: Any) -> None:
    arns = [create(ivs)["arn"] for _ in range(101)]
    assert len(ivs.list_storage_configurations()["storageConfigurations"]) == 100
    assert list_all(ivs) == (arns, 2)


def test_a_next_token_of_another_list_is_refused(ivs: Any) -> None:
    for _ in range(2):
        ivs.create_encoder_configuration()
    token = ivs.list_encoder_configurations(maxResults=1)["nextToken"]
    error = client_error(ivs.list_storage_configurations, nextToken=token)
    assert error_code(error) == "ValidationException"
    assert "'nextToken'" in error_message(error)


# -- In use by a stage (C23) ---------------------------------------------------------------
def test_deleting_a_configuration_a_stage_records_to_is_a_conflict_naming_the_stage(
    ivs: Any,
) -> None:
    arn = create(ivs)["arn"]
    stage = ivs.create_stage(autoParticipantRecordingConfiguration=recording_to(arn))["stage"]
    error = client_error(ivs.delete_storage_configuration, arn=arn)
    assert (error_code(error), status(error)) == ("ConflictException", 409)
    assert error_message(error) == (
        f"Storage configuration {arn} cannot be deleted while in use by: {stage['arn']}"
    )
    assert ivs.get_storage_configuration(arn=arn)["storageConfiguration"]["arn"] == arn


def test_the_conflict_names_every_stage_that_records_to_it(ivs: Any, stage_arn: str) -> None:
    arn = create(ivs)["arn"]
    ivs.update_stage(arn=stage_arn, autoParticipantRecordingConfiguration=recording_to(arn))
    other = ivs.create_stage(autoParticipantRecordingConfiguration=recording_to(arn))
    message = error_message(client_error(ivs.delete_storage_configuration, arn=arn))
    assert message.endswith(f"in use by: {stage_arn}, {other['stage']['arn']}")


def test_a_configuration_may_be_deleted_once_the_stage_stops_recording_to_it(
    ivs: Any, stage_arn: str
) -> None:
    arn = create(ivs)["arn"]
    ivs.update_stage(arn=stage_arn, autoParticipantRecordingConfiguration=recording_to(arn))
    ivs.update_stage(arn=stage_arn, autoParticipantRecordingConfiguration=recording_to(""))
    assert ivs.delete_storage_configuration(arn=arn)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_configuration_may_be_deleted_once_the_stage_is_deleted(ivs: Any) -> None:
    arn = create(ivs)["arn"]
    stage = ivs.create_stage(autoParticipantRecordingConfiguration=recording_to(arn))["stage"]
    ivs.delete_stage(arn=stage["arn"])
    assert ivs.delete_storage_configuration(arn=arn)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_stage_recording_to_another_configuration_does_not_block(ivs: Any) -> None:
    used, unused = create(ivs)["arn"], create(ivs)["arn"]
    ivs.create_stage(autoParticipantRecordingConfiguration=recording_to(used))
    assert ivs.delete_storage_configuration(arn=unused)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_stage_may_name_a_storage_configuration_that_does_not_exist(ivs: Any) -> None:
    stage = ivs.create_stage(autoParticipantRecordingConfiguration=recording_to(MISSING_ARN))
    config = stage["stage"]["autoParticipantRecordingConfiguration"]
    assert config["storageConfigurationArn"] == MISSING_ARN


# -- Quota ---------------------------------------------------------------------------------
def test_there_is_no_quota_unless_one_is_set(ivs: Any) -> None:
    for _ in range(25):
        create(ivs)
    assert len(ivs.list_storage_configurations()["storageConfigurations"]) == 25


def test_a_configured_quota_gives_402_per_account_and_region(
    server_with: Callable[..., Any],
) -> None:
    make = server_with(storage_configuration_quota=1)
    first = create(make())["arn"]
    error = client_error(make().create_storage_configuration, s3={"bucketName": "abc"})
    assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)
    assert create(make(region="eu-west-1"))["arn"]
    make().delete_storage_configuration(arn=first)
    assert create(make())["arn"]


# -- Tags ----------------------------------------------------------------------------------
def test_tag_resource_tags_a_storage_configuration(ivs: Any) -> None:
    arn = create(ivs, tags={"a": "1"})["arn"]
    ivs.tag_resource(resourceArn=arn, tags={"a": "2", "b": "3"})
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "2", "b": "3"}
    assert ivs.get_storage_configuration(arn=arn)["storageConfiguration"]["tags"] == {
        "a": "2",
        "b": "3",
    }
    ivs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ivs.list_storage_configurations()["storageConfigurations"][0]["tags"] == {"b": "3"}


def test_tags_of_a_storage_configuration_of_another_account_are_not_found(
    ivs: Any, make_ivs: Callable[..., Any]
) -> None:
    arn = create(ivs)["arn"]
    error = client_error(
        make_ivs(access_key="999999999999").list_tags_for_resource, resourceArn=arn
    )
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
