"""The IVS Real-Time contract as data: the pinned service model with its patches applied.

Everything the emulator knows about operations, shapes, constraints, error codes and
documented defaults is read from here; nothing else hard-codes them.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

MODEL_NAME = "ivs-realtime-2020-07-14.json"
PATCHES_NAME = "patches.json"

Shape = dict[str, Any]


def contract_dir() -> Path:
    """Where the contract files are: inside an installed wheel, or contract/ in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_contract", package.parent / "contract"):
        if (candidate / MODEL_NAME).is_file():
            return candidate
    raise FileNotFoundError(f"{MODEL_NAME} not found beside the emulator package")


@dataclass(frozen=True)
class Operation:
    """One operation of the model, with what routing and serialisation need."""

    name: str
    method: str
    uri: str
    input_shape: str | None
    output_shape: str | None
    errors: tuple[str, ...]

    @cached_property
    def path_regex(self) -> re.Pattern[str]:
        """The request URI as a regex over the decoded path.

        A {label} captures the rest of the path, slashes included: the only label in this
        model is the ARN of /tags/{resourceArn}, whose percent-encoded '/' arrives decoded.
        """
        parts = re.split(r"(\{[^}]+\})", self.uri)
        pattern = "".join(
            f"(?P<{p[1:-1].rstrip('+')}>.+)" if p.startswith("{") else re.escape(p) for p in parts
        )
        return re.compile(pattern)


class Contract:
    """The service model after patches, with lookups by operation, shape and error."""

    def __init__(self, model: dict[str, Any], patches: list[dict[str, Any]]) -> None:
        self.model = copy.deepcopy(model)
        self.patches = patches
        for patch in patches:
            self._apply(patch)
        self.shapes: dict[str, Shape] = self.model["shapes"]
        self.operations: dict[str, Operation] = {
            name: Operation(
                name=name,
                method=op["http"]["method"],
                uri=op["http"]["requestUri"],
                input_shape=op.get("input", {}).get("shape"),
                output_shape=op.get("output", {}).get("shape"),
                errors=tuple(e["shape"] for e in op.get("errors", [])),
            )
            for name, op in self.model["operations"].items()
        }
        self._bindings: dict[str, tuple[dict[str, Any], frozenset[str]]] = {}

    def bindings(self, shape_name: str) -> tuple[dict[str, Any], frozenset[str]]:
        """An input shape's members, and those bound to the path, query string or headers."""
        found = self._bindings.get(shape_name)
        if found is None:
            members: dict[str, Any] = self.shape(shape_name).get("members", {})
            bound = frozenset(m for m, ref in members.items() if "location" in ref)
            found = self._bindings[shape_name] = (members, bound)
        return found

    @classmethod
    def load(cls, directory: Path | None = None) -> Contract:
        directory = directory or contract_dir()
        model = json.loads((directory / MODEL_NAME).read_text("utf-8"))
        patches = json.loads((directory / PATCHES_NAME).read_text("utf-8"))["patches"]
        return cls(model, patches)

    def _apply(self, patch: dict[str, Any]) -> None:
        shape = self.model["shapes"][patch["shape"]]
        target = shape["members"][patch["member"]] if "member" in patch else shape
        target.update(patch["set"])

    def shape(self, name: str) -> Shape:
        return self.shapes[name]

    def error_status(self, code: str) -> int | None:
        """HTTP status the model gives an error shape, or None when it is not modelled."""
        shape = self.shapes.get(code)
        if shape is None or not shape.get("exception"):
            return None
        return int(shape["error"]["httpStatusCode"])

    @cached_property
    def error_shapes(self) -> list[str]:
        return [name for name, shape in self.shapes.items() if shape.get("exception")]

    def default(self, shape_name: str, member: str) -> Any:
        """The documented default of a structure member (from the patches), or None."""
        return copy.deepcopy(self.shapes[shape_name]["members"][member].get("default"))

    def with_defaults(self, shape_name: str, value: dict[str, Any] | None) -> dict[str, Any]:
        """A copy of a structure value with every documented default filled in, recursively."""
        result = copy.deepcopy(value) if value else {}
        shape = self.shapes[shape_name]
        for member, ref in shape.get("members", {}).items():
            if member not in result and "default" in ref:
                result[member] = copy.deepcopy(ref["default"])
            if (
                isinstance(result.get(member), dict)
                and self.shapes[ref["shape"]]["type"] == "structure"
            ):
                result[member] = self.with_defaults(ref["shape"], result[member])
        return result
