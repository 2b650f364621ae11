"""The paging module on its own: order, page size and what a nextToken is bound to."""

from __future__ import annotations

import dataclasses
import json
import re
import string
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from emulator import Config, create_app
from emulator.contract.errors import ValidationException
from emulator.contract.model import MODEL_NAME, Contract, contract_dir
from emulator.controls.clock import FixedClock
from emulator.http.app import emulator_of
from emulator.service.context import Backend, Context
from emulator.service.paging import paginate, paging_secret
from tests.conftest import START


@dataclass
class Item:
    sequence: int


ITEMS = [Item(n) for n in range(1, 8)]


def context_of(app: Flask, account: str = "123456789012", region: str = "us-east-1") -> Context:
    backend: Backend = emulator_of(app).backend
    return Context(backend, account, region, backend.store.region(account, region), START)


@pytest.fixture
def context(app: Flask) -> Context:
    return context_of(app)


def token_for(context: Context, operation: str = "ListStages", **filters: Any) -> str:
    _, token = paginate(context, operation, ITEMS, {"maxResults": 2, **filters})
    assert token is not None
    return token


def test_items_come_in_sequence_order_whatever_the_input_order(context: Context) -> None:
    page, _ = paginate(context, "ListStages", list(reversed(ITEMS)), {"maxResults": 3})
    assert [i.sequence for i in page] == [1, 2, 3]


def test_next_page_starts_after_the_last_item_returned(context: Context) -> None:
    token = token_for(context)
    page, _ = paginate(context, "ListStages", ITEMS, {"maxResults": 2, "nextToken": token})
    assert [i.sequence for i in page] == [3, 4]


def test_page_size_defaults_to_the_contracts_documented_default(context: Context) -> None:
    items = [Item(n) for n in range(1, 61)]
    page, _ = paginate(context, "ListStages", items, {})
    assert len(page) == 50


def test_explicit_default_page_size_is_used_without_max_results(context: Context) -> None:
    page, _ = paginate(context, "ListPublicKeys", ITEMS, {}, default_max=4)
    assert len(page) == 4


def test_an_operation_without_a_documented_default_needs_one(context: Context) -> None:
    # The contract without the patch that documents ListStorageConfigurations' default.
    patches = [
        patch
        for patch in context.backend.contract.patches
        if patch["shape"] != "ListStorageConfigurationsRequest"
    ]
    model = json.loads((contract_dir() / MODEL_NAME).read_text("utf-8"))
    backend = dataclasses.replace(context.backend, contract=Contract(model, patches))
    bare = dataclasses.replace(context, backend=backend)
    with pytest.raises(LookupError, match="ListStorageConfigurationsRequest.maxResults"):
        paginate(bare, "ListStorageConfigurations", ITEMS, {})


def test_token_of_another_operation_is_refused(context: Context) -> None:
    token = token_for(context, "ListPublicKeys")
    with pytest.raises(ValidationException, match="ListStages"):
        paginate(context, "ListStages", ITEMS, {"nextToken": token})


def test_token_of_other_filter_values_is_refused(context: Context) -> None:
    token = token_for(context, "ListCompositions", filterByStageArn="arn-a")
    request = {"nextToken": token, "filterByStageArn": "arn-b"}
    with pytest.raises(ValidationException, match="'nextToken'"):
        paginate(context, "ListCompositions", ITEMS, request)


def test_token_without_its_filter_is_refused(context: Context) -> None:
    token = token_for(context, "ListCompositions", filterByStageArn="arn-a")
    with pytest.raises(ValidationException, match="'nextToken'"):
        paginate(context, "ListCompositions", ITEMS, {"nextToken": token})


def test_token_with_the_same_filter_values_is_accepted(context: Context) -> None:
    token = token_for(context, "ListCompositions", filterByStageArn="arn-a")
    request = {"nextToken": token, "filterByStageArn": "arn-a", "maxResults": 2}
    page, _ = paginate(context, "ListCompositions", ITEMS, request)
    assert [i.sequence for i in page] == [3, 4]


def test_filter_sent_as_null_binds_like_an_absent_one(context: Context) -> None:
    token = token_for(context, "ListCompositions")
    request = {"nextToken": token, "filterByStageArn": None, "maxResults": 2}
    page, _ = paginate(context, "ListCompositions", ITEMS, request)
    assert [i.sequence for i in page] == [3, 4]


def test_explicit_filters_bind_the_token_instead_of_the_request(context: Context) -> None:
    _, token = paginate(context, "ListStages", ITEMS, {"maxResults": 2}, filters={"f": 1})
    with pytest.raises(ValidationException):
        paginate(context, "ListStages", ITEMS, {"nextToken": token}, filters={"f": 2})


def test_token_of_another_emulator_is_refused(context: Context, config: Config) -> None:
    token = token_for(context_of(create_app(config, clock=FixedClock(START))))
    with pytest.raises(ValidationException):
        paginate(context, "ListStages", ITEMS, {"nextToken": token})


def test_refusal_is_worded_as_an_aws_validation_error(context: Context) -> None:
    with pytest.raises(ValidationException) as caught:
        paginate(context, "ListStages", ITEMS, {"nextToken": "bogus"})
    assert caught.value.message == (
        "1 validation error detected: Value 'bogus' at 'nextToken' failed to satisfy constraint: "
        "Member must be a token returned by a previous ListStages call"
    )


def test_every_single_character_change_is_refused(context: Context) -> None:
    token = token_for(context)
    alphabet = string.ascii_letters + string.digits + "+/=_-"
    accepted = []
    for index, char in enumerate(token):
        for other in alphabet.replace(char, ""):
            changed = token[:index] + other + token[index + 1 :]
            try:
                paginate(context, "ListStages", ITEMS, {"nextToken": changed})
            except ValidationException:
                continue
            accepted.append(changed)
    assert accepted == []


@pytest.mark.parametrize("cut", [1, 4, -1, -4])
def test_truncated_or_extended_token_is_refused(context: Context, cut: int) -> None:
    token = token_for(context)
    changed = token[:cut] if cut < 0 else token + "A" * cut
    with pytest.raises(ValidationException):
        paginate(context, "ListStages", ITEMS, {"nextToken": changed})


def test_token_fits_the_model_pattern(context: Context) -> None:
    pattern = context.backend.contract.shape("PaginationToken")["pattern"]
    assert re.fullmatch(pattern, token_for(context))


def test_seeded_emulators_share_their_paging_secret() -> None:
    assert paging_secret(7) == paging_secret(7)


def test_different_seeds_give_different_paging_secrets() -> None:
    assert paging_secret(7) != paging_secret(8)


def test_unseeded_paging_secrets_are_random() -> None:
    assert paging_secret(None) != paging_secret(None)


def test_create_app_derives_the_paging_secret_from_the_seed(clock: FixedClock) -> None:
    backend: Backend = emulator_of(create_app(Config(seed=3), clock=clock)).backend
    assert backend.paging_secret == paging_secret(3)
