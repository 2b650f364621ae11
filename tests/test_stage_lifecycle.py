"""UpdateStage, ListStages and DeleteStage through boto3 against a live server.

Delete, not found and other callers, as for every kind: tests/test_resource_kinds.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from emulator.contract.model import Contract
from tests.helpers import client_error, error_code, error_message, status

STORAGE_ARN = "arn:aws:ivs:us-east-1:123456789012:storage-configuration/abcdABCDefgh"
MISSING_ARN = "arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh"
OTHER_ACCOUNT = "210987654321"


def create_stages(ivs: Any, count: int) -> list[str]:
    return [ivs.create_stage(name=f"stage-{i}")["stage"]["arn"] for i in range(count)]


def list_all(ivs: Any, **kwargs: Any) -> list[str]:
    """Every stage ARN, page by page."""
    arns: list[str] = []
    response = ivs.list_stages(**kwargs)
    arns += [s["arn"] for s in response["stages"]]
    while "nextToken" in response:
        response = ivs.list_stages(nextToken=response["nextToken"], **kwargs)
        arns += [s["arn"] for s in response["stages"]]
    return arns


# -- UpdateStage --------------------------------------------------------------------------
def test_update_changes_the_name(ivs: Any, stage_arn: str) -> None:
    stage = ivs.update_stage(arn=stage_arn, name="renamed")["stage"]
    assert stage["name"] == "renamed"


def test_updated_name_is_what_get_stage_returns(ivs: Any, stage_arn: str) -> None:
    ivs.update_stage(arn=stage_arn, name="renamed")
    assert ivs.get_stage(arn=stage_arn)["stage"]["name"] == "renamed"


def test_update_without_name_keeps_the_name(ivs: Any, stage_arn: str) -> None:
    config = {"storageConfigurationArn": STORAGE_ARN}
    stage = ivs.update_stage(arn=stage_arn, autoParticipantRecordingConfiguration=config)["stage"]
    assert stage["name"] == "fixture-stage"


def test_update_replaces_the_recording_configuration_with_defaults_filled(
    ivs: Any, make_ivs: Any
) -> None:
    arn = ivs.create_stage(
        autoParticipantRecordingConfiguration={
            "storageConfigurationArn": STORAGE_ARN,
            "mediaTypes": ["AUDIO_ONLY"],
            "recordingReconnectWindowSeconds": 30,
        }
    )["stage"]["arn"]
    new = {"storageConfigurationArn": "", "hlsConfiguration": {"targetSegmentDurationSeconds": 4}}
    stage = ivs.update_stage(arn=arn, autoParticipantRecordingConfiguration=new)["stage"]
    expected = Contract.load().with_defaults("AutoParticipantRecordingConfiguration", new)
    assert stage["autoParticipantRecordingConfiguration"] == expected


def test_updated_recording_configuration_is_what_get_stage_returns(
    ivs: Any, stage_arn: str
) -> None:
    config = {"storageConfigurationArn": STORAGE_ARN, "mediaTypes": ["NONE"]}
    updated = ivs.update_stage(arn=stage_arn, autoParticipantRecordingConfiguration=config)
    fetched = ivs.get_stage(arn=stage_arn)
    assert fetched["stage"] == updated["stage"]


def test_update_without_recording_configuration_keeps_it(ivs: Any) -> None:
    config = {"storageConfigurationArn": STORAGE_ARN, "mediaTypes": ["AUDIO_ONLY"]}
    arn = ivs.create_stage(autoParticipantRecordingConfiguration=config)["stage"]["arn"]
    before = ivs.get_stage(arn=arn)["stage"]["autoParticipantRecordingConfiguration"]
    after = ivs.update_stage(arn=arn, name="x")["stage"]["autoParticipantRecordingConfiguration"]
    assert after == before


def test_update_of_a_missing_stage_is_not_found(ivs: Any) -> None:
    error = client_error(ivs.update_stage, arn=MISSING_ARN, name="x")
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


# -- ListStages ---------------------------------------------------------------------------
def test_list_of_no_stages_is_an_empty_list_without_next_token(ivs: Any) -> None:
    response = ivs.list_stages()
    assert (response["stages"], "nextToken" in response) == ([], False)


def test_list_summaries_have_arn_name_and_tags_only(ivs: Any) -> None:
    arn = ivs.create_stage(name="show", tags={"team": "a"})["stage"]["arn"]
    assert ivs.list_stages()["stages"] == [{"arn": arn, "name": "show", "tags": {"team": "a"}}]


def test_pages_of_three_return_seven_stages_in_creation_order(ivs: Any) -> None:
    created = create_stages(ivs, 7)
    assert list_all(ivs, maxResults=3) == created


def test_pages_of_three_have_sizes_three_three_one(ivs: Any) -> None:
    create_stages(ivs, 7)
    sizes = []
    response = ivs.list_stages(maxResults=3)
    sizes.append(len(response["stages"]))
    while "nextToken" in response:
        response = ivs.list_stages(maxResults=3, nextToken=response["nextToken"])
        sizes.append(len(response["stages"]))
    assert sizes == [3, 3, 1]


def test_a_page_that_reaches_the_end_has_no_next_token(ivs: Any) -> None:
    create_stages(ivs, 3)
    assert "nextToken" not in ivs.list_stages(maxResults=3)


def test_default_page_size_is_fifty(ivs: Any) -> None:
    create_stages(ivs, 51)
    first = ivs.list_stages()
    second = ivs.list_stages(nextToken=first["nextToken"])
    assert (len(first["stages"]), len(second["stages"])) == (50, 1)


def test_page_size_may_change_between_pages(ivs: Any) -> None:
    created = create_stages(ivs, 5)
    first = ivs.list_stages(maxResults=2)
    rest = ivs.list_stages(maxResults=10, nextToken=first["nextToken"])
    assert [s["arn"] for s in first["stages"] + rest["stages"]] == created


def test_empty_next_token_starts_from_the_first_page(ivs: Any) -> None:
    created = create_stages(ivs, 2)
    assert [s["arn"] for s in ivs.list_stages(nextToken="")["stages"]] == created


@pytest.mark.parametrize("max_results", [0, 101])
def test_max_results_out_of_range_is_a_validation_error(
    ivs_unchecked: Any, max_results: int
) -> None:
    error = client_error(ivs_unchecked.list_stages, maxResults=max_results)
    assert (error_code(error), "'maxResults'" in error_message(error)) == (
        "ValidationException",
        True,
    )


def test_forged_next_token_is_a_validation_error_naming_next_token(ivs: Any) -> None:
    error = client_error(ivs.list_stages, nextToken="AAAAforgedTOKEN1234")
    assert (error_code(error), "'nextToken'" in error_message(error)) == (
        "ValidationException",
        True,
    )


def test_tampered_next_token_is_a_validation_error(ivs: Any) -> None:
    create_stages(ivs, 3)
    token = ivs.list_stages(maxResults=1)["nextToken"]
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    assert error_code(client_error(ivs.list_stages, nextToken=tampered)) == "ValidationException"


def test_next_token_of_another_account_is_a_validation_error(ivs: Any, make_ivs: Any) -> None:
    create_stages(ivs, 3)
    token = ivs.list_stages(maxResults=1)["nextToken"]
    other = make_ivs(access_key=OTHER_ACCOUNT)
    assert error_code(client_error(other.list_stages, nextToken=token)) == "ValidationException"


def test_next_token_of_another_region_is_a_validation_error(ivs: Any, make_ivs: Any) -> None:
    create_stages(ivs, 3)
    token = ivs.list_stages(maxResults=1)["nextToken"]
    other = make_ivs(region="eu-west-1")
    assert error_code(client_error(other.list_stages, nextToken=token)) == "ValidationException"


def test_next_token_is_opaque_and_fits_the_model_pattern(ivs: Any) -> None:
    create_stages(ivs, 2)
    token = ivs.list_stages(maxResults=1)["nextToken"]
    pattern = Contract.load().shape("PaginationToken")["pattern"]
    assert re.fullmatch(pattern, token) and len(token) <= 1024


def test_deleting_the_last_listed_stage_neither_repeats_nor_skips(ivs: Any) -> None:
    created = create_stages(ivs, 7)
    first = ivs.list_stages(maxResults=3)
    ivs.delete_stage(arn=created[2])
    second = ivs.list_stages(maxResults=3, nextToken=first["nextToken"])
    assert [s["arn"] for s in second["stages"]] == created[3:6]


def test_deleting_the_next_stages_during_paging_skips_only_them(ivs: Any) -> None:
    created = create_stages(ivs, 7)
    first = ivs.list_stages(maxResults=3)
    ivs.delete_stage(arn=created[3])
    ivs.delete_stage(arn=created[4])
    second = ivs.list_stages(maxResults=3, nextToken=first["nextToken"])
    assert [s["arn"] for s in second["stages"]] == created[5:7]


def test_stages_created_during_paging_appear_on_later_pages(ivs: Any) -> None:
    created = create_stages(ivs, 4)
    first = ivs.list_stages(maxResults=2)
    created.append(ivs.create_stage()["stage"]["arn"])
    second = ivs.list_stages(maxResults=10, nextToken=first["nextToken"])
    assert [s["arn"] for s in second["stages"]] == created[2:]


def test_list_omits_stages_of_another_account(ivs: Any, make_ivs: Any) -> None:
    ivs.create_stage()
    assert make_ivs(access_key=OTHER_ACCOUNT).list_stages()["stages"] == []


def test_list_omits_stages_of_another_region(ivs: Any, make_ivs: Any) -> None:
    ivs.create_stage()
    assert make_ivs(region="eu-west-1").list_stages()["stages"] == []


# -- DeleteStage --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("get_stage", {}),
        ("update_stage", {"name": "x"}),
        ("delete_stage", {}),
    ],
)
def test_deleted_stage_is_not_found(
    ivs: Any, stage_arn: str, operation: str, arguments: dict[str, Any]
) -> None:
    ivs.delete_stage(arn=stage_arn)
    error = client_error(getattr(ivs, operation), arn=stage_arn, **arguments)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


def test_participant_token_of_a_deleted_stage_is_not_found(ivs: Any, stage_arn: str) -> None:
    ivs.delete_stage(arn=stage_arn)
    error = client_error(ivs.create_participant_token, stageArn=stage_arn)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)


def test_delete_leaves_the_other_stages(ivs: Any) -> None:
    created = create_stages(ivs, 3)
    ivs.delete_stage(arn=created[1])
    assert list_all(ivs) == [created[0], created[2]]


# -- other accounts and regions ----------------------------------------------------------
@pytest.mark.parametrize("caller", [{"access_key": OTHER_ACCOUNT}, {"region": "eu-west-1"}])
@pytest.mark.parametrize(
    ("operation", "arguments"),
    [("get_stage", {}), ("update_stage", {"name": "x"}), ("delete_stage", {})],
)
def test_stage_of_another_caller_is_not_found(
    ivs: Any,
    make_ivs: Any,
    stage_arn: str,
    caller: dict[str, str],
    operation: str,
    arguments: dict[str, Any],
) -> None:
    other = make_ivs(**caller)
    error = client_error(getattr(other, operation), arn=stage_arn, **arguments)
    assert error_code(error) == "ResourceNotFoundException"


def test_delete_by_another_account_leaves_the_stage(
    ivs: Any, make_ivs: Any, stage_arn: str
) -> None:
    client_error(make_ivs(access_key=OTHER_ACCOUNT).delete_stage, arn=stage_arn)
    assert ivs.get_stage(arn=stage_arn)["stage"]["arn"] == stage_arn
