"""The generic validator, on small shapes: wording, order, and what it hides."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.contract.errors import SerializationException, ValidationException
from emulator.contract.model import Contract
from emulator.contract.validation import Validator

MODEL: dict[str, Any] = {
    "operations": {},
    "shapes": {
        "Input": {
            "type": "structure",
            "required": ["secret"],
            "members": {
                "secret": {"shape": "Secret"},
                "size": {"shape": "Size"},
                "ratio": {"shape": "Ratio"},
                "labels": {"shape": "Labels"},
                "notes": {"shape": "Notes"},
            },
        },
        "Secret": {"type": "string", "min": 4, "sensitive": True},
        "Size": {"type": "integer", "min": 1, "max": 10},
        "Ratio": {"type": "float", "min": 1, "max": 60},
        "Labels": {"type": "map", "key": {"shape": "Key"}, "value": {"shape": "Value"}},
        "Key": {"type": "string", "min": 1, "max": 3},
        "Value": {"type": "string", "max": 2},
        "Notes": {"type": "list", "member": {"shape": "Note"}},
        "Note": {"type": "string", "pattern": "[a-z]+"},
    },
}


@pytest.fixture
def validator() -> Validator:
    return Validator(Contract(MODEL, []))


def message(validator: Validator, value: dict[str, Any]) -> str:
    with pytest.raises(ValidationException) as caught:
        validator.validate("Input", value)
    return caught.value.message


def test_sensitive_values_are_not_shown(validator: Validator) -> None:
    assert message(validator, {"secret": "abc"}) == (
        "1 validation error detected: Value at 'secret' failed to satisfy constraint: "
        "Member must have length greater than or equal to 4"
    )


def test_float_accepts_integers_and_reports_its_range(validator: Validator) -> None:
    validator.validate("Input", {"secret": "abcd", "ratio": 30})
    assert message(validator, {"secret": "abcd", "ratio": 60.5}).endswith(
        "Member must have value less than or equal to 60"
    )


def test_map_key_and_value_violations_are_reported_once_each(validator: Validator) -> None:
    text = message(validator, {"secret": "abcd", "labels": {"long": "xyz", "": "ok"}})
    assert text.startswith("2 validation errors detected: ")
    assert (
        "Map keys must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 1]"
        in text
    )
    assert (
        "Map value must satisfy constraint: [Member must have length less than or equal to 2]"
        in text
    )


def test_list_item_pattern_is_reported_for_the_list(validator: Validator) -> None:
    assert message(validator, {"secret": "abcd", "notes": ["ok", "NO"]}) == (
        "1 validation error detected: Value '[ok, NO]' at 'notes' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must satisfy regular expression pattern: [a-z]+]"
    )


def test_pattern_must_match_the_whole_value(validator: Validator) -> None:
    assert "regular expression" in message(validator, {"secret": "abcd", "notes": ["ab1"]})


def test_booleans_are_not_integers(validator: Validator) -> None:
    with pytest.raises(SerializationException):
        validator.validate("Input", {"secret": "abcd", "size": True})


def test_missing_required_and_range_are_both_reported_in_member_order(validator: Validator) -> None:
    assert message(validator, {"size": 11}) == (
        "2 validation errors detected: Value null at 'secret' failed to satisfy constraint: "
        "Member must not be null; Value '11' at 'size' failed to satisfy constraint: "
        "Member must have value less than or equal to 10"
    )
