"""The contract as the fuzzer reads it: operations, their HTTP bindings and input shapes.

Read straight from contract/ (the pinned model and its patches), not through the emulator's
own loader, so that the fuzzer stays a client that knows only the published contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTRACT_DIR = Path(__file__).resolve().parent.parent / "contract"
MODEL_NAME = "ivs-realtime-2020-07-14.json"
PATCHES_NAME = "patches.json"

Shape = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    uri: str
    input_shape: str | None
    errors: tuple[str, ...]


class Model:
    """The service model with the pattern and size patches applied (defaults are not needed)."""

    def __init__(self, directory: Path = CONTRACT_DIR) -> None:
        model = json.loads((directory / MODEL_NAME).read_text("utf-8"))
        patches = json.loads((directory / PATCHES_NAME).read_text("utf-8"))["patches"]
        self.shapes: dict[str, Shape] = model["shapes"]
        for patch in patches:
            shape = self.shapes[patch["shape"]]
            target = shape["members"][patch["member"]] if "member" in patch else shape
            target.update({k: v for k, v in patch["set"].items() if k != "default"})
        self.operations = [
            Operation(
                name=name,
                method=op["http"]["method"],
                uri=op["http"]["requestUri"],
                input_shape=op.get("input", {}).get("shape"),
                errors=tuple(error["shape"] for error in op.get("errors", [])),
            )
            for name, op in sorted(model["operations"].items())
        ]

    def shape(self, name: str) -> Shape:
        return self.shapes[name]
