"""CreateEncoderConfiguration, GetEncoderConfiguration, ListEncoderConfigurations and
DeleteEncoderConfiguration through boto3 against a live server (choice C21).

Delete, not found and other callers, as for every kind: tests/test_resource_kinds.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import client_error, error_code, error_message, status

DEFAULT_VIDEO = {"width": 1280, "height": 720, "framerate": 30.0, "bitrate": 2500000}
PIXELS = "Member must have width times height less than or equal to 2073600"


def create(ivs: Any, **kwargs: Any) -> dict[str, Any]:
    return dict(ivs.create_encoder_configuration(**kwargs)["encoderConfiguration"])


def refused(ivs_unchecked: Any, **video: Any) -> str:
    """The message of a CreateEncoderConfiguration refused with 400 ValidationException."""
    error = client_error(ivs_unchecked.create_encoder_configuration, video=video)
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    return error_message(error)


def list_all(ivs: Any, **kwargs: Any) -> tuple[list[str], int]:
    """Every encoder configuration ARN, page by page, and the number of pages."""
    arns: list[str] = []
    pages = 0
    request = dict(kwargs)
    while True:
        listed = ivs.list_encoder_configurations(**request)
        pages += 1
        arns += [c["arn"] for c in listed["encoderConfigurations"]]
        if "nextToken" not in listed:
            return arns, pages
        request["nextToken"] = listed["nextToken"]


# -- CreateEncoderConfiguration ------------------------------------------------------------
def test_create_without_arguments_gives_the_documented_video_defaults(ivs: Any) -> None:
    config = create(ivs)
    assert config["video"] == DEFAULT_VIDEO
    assert (config["name"], config["tags"]) == ("", {})
    assert set(config) == {"arn", "name", "video", "tags"}


def test_arn_has_the_callers_region_account_and_a_12_character_id(
    make_ivs: Callable[..., Any],
) -> None:
    arn = create(make_ivs(region="eu-west-1", access_key="111122223333"))["arn"]
    assert re.fullmatch(
        r"arn:aws:ivs:eu-west-1:111122223333:encoder-configuration/[A-Za-z0-9]{12}", arn
    )


def test_create_with_every_video_member_returns_them_as_given(ivs: Any) -> None:
    video = {"width": 1080, "height": 1920, "framerate": 29.97, "bitrate": 8500000}
    config = create(ivs, name="portrait-hd", video=video, tags={"team": "a"})
    assert (config["name"], config["video"], config["tags"]) == (
        "portrait-hd",
        video,
        {"team": "a"},
    )


def test_members_missing_from_video_take_their_defaults(ivs: Any) -> None:
    config = create(ivs, video={"width": 640, "bitrate": 1000000})
    assert config["video"] == {**DEFAULT_VIDEO, "width": 640, "bitrate": 1000000}


def test_an_empty_video_is_the_default_video(ivs: Any) -> None:
    assert create(ivs, video={})["video"] == DEFAULT_VIDEO


def test_an_integer_framerate_comes_back_as_a_float(ivs_unchecked: Any) -> None:
    framerate = create(ivs_unchecked, video={"framerate": 25})["video"]["framerate"]
    assert (framerate, type(framerate)) == (25.0, float)


@pytest.mark.parametrize(
    ("width", "height"),
    [(1920, 1080), (1080, 1920), (1440, 1440), (1920, 2), (2, 1920)],
)
def test_sizes_within_2073600_pixels_are_accepted(ivs: Any, width: int, height: int) -> None:
    assert create(ivs, video={"width": width, "height": height})["video"]["width"] == width


@pytest.mark.parametrize(
    ("width", "height"), [(1920, 1081), (1081, 1920), (1920, 1920), (1441, 1440)]
)
def test_sizes_over_2073600_pixels_are_refused_naming_video(
    ivs_unchecked: Any, width: int, height: int
) -> None:
    message = refused(ivs_unchecked, width=width, height=height)
    assert message == (
        f"1 validation error detected: Value '{width}x{height}' at 'video' failed to satisfy "
        f"constraint: {PIXELS}"
    )


def test_the_pixel_limit_counts_the_default_of_a_missing_member(ivs_unchecked: Any) -> None:
    # 1920 wide by the default 720 high is within the limit; 1920 high by 1280 wide is not.
    assert create(ivs_unchecked, video={"width": 1920})["video"]["height"] == 720
    assert "'1280x1920' at 'video'" in refused(ivs_unchecked, height=1920)


def test_a_refused_size_leaves_nothing_behind(ivs_unchecked: Any) -> None:
    refused(ivs_unchecked, width=1920, height=1920)
    assert ivs_unchecked.list_encoder_configurations()["encoderConfigurations"] == []


@pytest.mark.parametrize(
    ("member", "value", "phrase"),
    [
        ("width", 1, "greater than or equal to 2"),
        ("width", 1921, "less than or equal to 1920"),
        ("height", 1, "greater than or equal to 2"),
        ("height", 1921, "less than or equal to 1920"),
        ("framerate", 0.5, "greater than or equal to 1"),
        ("framerate", 60.5, "less than or equal to 60"),
        ("bitrate", 0, "greater than or equal to 1"),
        ("bitrate", 8500001, "less than or equal to 8500000"),
    ],
)
def test_each_video_member_out_of_its_range_is_refused_by_the_generic_validator(
    ivs_unchecked: Any, member: str, value: float, phrase: str
) -> None:
    message = refused(ivs_unchecked, **{member: value})
    assert message == (
        f"1 validation error detected: Value '{value}' at 'video.{member}' failed to satisfy "
        f"constraint: Member must have value {phrase}"
    )


def test_a_member_out_of_range_is_reported_instead_of_the_pixel_limit(ivs_unchecked: Any) -> None:
    message = refused(ivs_unchecked, width=1921, height=1920)
    assert "'video.width'" in message and "'video.height'" not in message
    assert PIXELS not in message


def test_a_bad_name_is_refused_by_the_generic_validator(ivs_unchecked: Any) -> None:
    error = client_error(ivs_unchecked.create_encoder_configuration, name="bad name!")
    assert error_code(error) == "ValidationException"
    assert "at 'name' failed to satisfy constraint" in error_message(error)


# -- Get, List, Delete ---------------------------------------------------------------------
def test_get_returns_what_create_returned(ivs: Any) -> None:
    created = create(ivs, name="hd", video={"width": 1920, "height": 1080}, tags={"k": "v"})
    assert ivs.get_encoder_configuration(arn=created["arn"])["encoderConfiguration"] == created


def test_list_is_empty_before_any_create(ivs: Any) -> None:
    listed = ivs.list_encoder_configurations()
    assert listed["encoderConfigurations"] == []
    assert "nextToken" not in listed


def test_list_gives_summaries_with_arn_name_and_tags(ivs: Any) -> None:
    arn = create(ivs, name="n", tags={"k": "v"})["arn"]
    assert ivs.list_encoder_configurations()["encoderConfigurations"] == [
        {"arn": arn, "name": "n", "tags": {"k": "v"}}
    ]


def test_list_pages_through_every_configuration_in_creation_order(ivs: Any) -> None:
    arns = [create(ivs)["arn"] for _ in range(5)]
    assert list_all(ivs, maxResults=2) == (arns, 3)


def test_list_gives_100_to_a_page_by_default(server_with: Callable[..., Any]) -> None:
    client = server_with(encoder_configuration_quota=None)()
    arns = [create(client)["arn"] for _ in range(101)]
    first = client.list_encoder_configurations()
    assert len(first["encoderConfigurations"]) == 100
    assert list_all(client) == (arns, 2)


def test_a_next_token_of_list_stages_is_refused(ivs: Any) -> None:
    for _ in range(2):
        ivs.create_stage()
    token = ivs.list_stages(maxResults=1)["nextToken"]
    error = client_error(ivs.list_encoder_configurations, nextToken=token)
    assert error_code(error) == "ValidationException"
    assert "'nextToken'" in error_message(error)


def test_a_malformed_arn_is_a_validation_error(ivs_unchecked: Any) -> None:
    stage_arn = "arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh"
    error = client_error(ivs_unchecked.get_encoder_configuration, arn=stage_arn)
    assert (error_code(error), status(error)) == ("ValidationException", 400)
    assert "at 'arn' failed to satisfy constraint" in error_message(error)


# -- Quota ---------------------------------------------------------------------------------
def test_the_21st_configuration_of_a_region_exceeds_the_default_quota_402(
    make_ivs: Callable[..., Any],
) -> None:
    ivs = make_ivs()
    for _ in range(20):
        create(ivs)
    error = client_error(ivs.create_encoder_configuration)
    assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)
    assert create(make_ivs(region="eu-west-1"))["arn"]
    assert create(make_ivs(access_key="999999999999"))["arn"]


def test_a_configured_quota_gives_402_and_deleting_frees_a_place(
    server_with: Callable[..., Any],
) -> None:
    client = server_with(encoder_configuration_quota=2)()
    first = create(client)["arn"]
    create(client)
    error = client_error(client.create_encoder_configuration)
    assert (error_code(error), status(error)) == ("ServiceQuotaExceededException", 402)
    client.delete_encoder_configuration(arn=first)
    assert create(client)["arn"]


def test_validation_comes_before_the_quota(server_with: Callable[..., Any]) -> None:
    client = server_with(encoder_configuration_quota=0)(validate=False)
    error = client_error(client.create_encoder_configuration, video={"width": 1920, "height": 1920})
    assert error_code(error) == "ValidationException"


def test_the_quota_can_be_turned_off(server_with: Callable[..., Any]) -> None:
    client = server_with(encoder_configuration_quota=None)()
    for _ in range(21):
        create(client)
    assert len(client.list_encoder_configurations()["encoderConfigurations"]) == 21


# -- Tags ----------------------------------------------------------------------------------
def test_tag_resource_tags_an_encoder_configuration(ivs: Any) -> None:
    arn = create(ivs, tags={"a": "1"})["arn"]
    ivs.tag_resource(resourceArn=arn, tags={"a": "2", "b": "3"})
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "2", "b": "3"}
    assert ivs.get_encoder_configuration(arn=arn)["encoderConfiguration"]["tags"] == {
        "a": "2",
        "b": "3",
    }
    ivs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ivs.list_encoder_configurations()["encoderConfigurations"][0]["tags"] == {"b": "3"}


def test_tags_of_a_deleted_encoder_configuration_are_not_found(ivs: Any) -> None:
    arn = create(ivs)["arn"]
    ivs.delete_encoder_configuration(arn=arn)
    error = client_error(ivs.list_tags_for_resource, resourceArn=arn)
    assert (error_code(error), status(error)) == ("ResourceNotFoundException", 404)
