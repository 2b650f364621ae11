"""The contract-driven strategies draw what they promise, checked by the output-shape checker."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.output_shape import problems
from tests.strategies import (
    CONTRACT,
    KNOWN_GAPS,
    breaking_one,
    broken_labels,
    constraints,
    pump,
    utf8_total,
    valid,
)

OPERATIONS = [
    "CreateStage",
    "CreateParticipantToken",
    "GetStage",
    "UpdateStage",
    "ListStages",
    "DeleteStage",
]
INPUT_SHAPES = [str(CONTRACT.operations[op].input_shape) for op in OPERATIONS]


@pytest.mark.parametrize("shape_name", INPUT_SHAPES)
@given(data=st.data())
def test_valid_draws_satisfy_every_constraint(shape_name: str, data: st.DataObject) -> None:
    value = data.draw(valid(shape_name))
    assert problems(shape_name, value) == []


@pytest.mark.parametrize("shape_name", INPUT_SHAPES)
@given(data=st.data())
def test_breaking_one_draws_break_exactly_one_constraint_at_their_path(
    shape_name: str, data: st.DataObject
) -> None:
    broken = data.draw(breaking_one(shape_name))
    assert [p.path for p in problems(shape_name, broken.value)] == [broken.path]


@pytest.mark.parametrize("shape_name", INPUT_SHAPES)
def test_every_constraint_is_broken_or_listed_as_a_known_gap(shape_name: str) -> None:
    reachable = constraints(shape_name)
    listed = {label for label in KNOWN_GAPS if label in reachable}
    assert reachable - listed == broken_labels(shape_name)


def test_every_known_gap_names_a_constraint_of_the_contract() -> None:
    everything = set().union(*(constraints(name) for name in INPUT_SHAPES))
    assert set(KNOWN_GAPS) <= everything


def test_valid_attributes_reach_exactly_1024_utf8_bytes_sometimes() -> None:
    sizes: set[int] = set()

    @given(valid("ParticipantTokenAttributes"))
    def collect(attributes: dict[str, str]) -> None:
        sizes.add(utf8_total(attributes))

    collect()
    assert 1024 in sizes


def test_pump_repeats_one_character_to_the_exact_length() -> None:
    pattern = str(CONTRACT.shapes["StageArn"]["pattern"])
    pumped = pump(pattern, "arn:aws:ivs:a:1:stage/b", 129)
    assert pumped is not None and len(pumped) == 129 and pumped.endswith("stage/" + "b" * 107)
