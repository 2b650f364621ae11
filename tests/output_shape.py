"""A small checker that a parsed JSON value conforms to a shape of the contract.

Independent of emulator/contract/validation.py: written from the model's vocabulary (type, required,
members, member/key/value, min/max, pattern, enum, maxTotalUtf8Bytes) and nothing else.
It is used on responses (output shapes) and, to test the strategies, on drawn requests.

What it checks: JSON types (integers are not booleans; a timestamp is an ISO 8601 string, as
the REST-JSON responses of this model carry them), required members present, no member the
shape does not have, enums, string lengths in code points, patterns as full matches, integer
ranges, list and map sizes, and a map's `maxTotalUtf8Bytes`.

Problems are reported at the paths AWS uses in validation messages (contract/README.md C2):
structure members joined by '.', items of a list of structures as `<list>.<n>.member` (1-based),
problems of scalar list items, map keys and scalar map values at the list's or map's own path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.contract.model import Contract, Shape

ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class Problem:
    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.what}"


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child


def is_iso_8601(value: Any) -> bool:
    if not isinstance(value, str) or ISO_8601.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class ShapeChecker:
    def __init__(self, contract: Contract) -> None:
        self.shapes = contract.shapes

    def problems(self, shape_name: str, value: Any, path: str = "") -> list[Problem]:
        out: list[Problem] = []
        self._check(shape_name, value, path, out)
        return out

    def _check(self, name: str, value: Any, path: str, out: list[Problem]) -> None:
        s = self.shapes[name]
        kind = s["type"]
        if kind == "structure":
            self._structure(s, value, path, out)
        elif kind == "list":
            self._list(s, value, path, out)
        elif kind == "map":
            self._map(s, value, path, out)
        else:
            out.extend(Problem(path, what) for what in self._scalar(name, value))

    def _structure(self, s: Shape, value: Any, path: str, out: list[Problem]) -> None:
        if not isinstance(value, dict):
            out.append(Problem(path, f"expected an object, got {type(value).__name__}"))
            return
        members: dict[str, Any] = s.get("members", {})
        for member in s.get("required", ()):
            if value.get(member) is None:
                out.append(Problem(_join(path, member), "required member missing"))
        for member, item in value.items():
            if member not in members:
                out.append(Problem(_join(path, member), "member not in the shape"))
            elif item is not None:
                self._check(members[member]["shape"], item, _join(path, member), out)

    def _list(self, s: Shape, value: Any, path: str, out: list[Problem]) -> None:
        if not isinstance(value, list):
            out.append(Problem(path, f"expected an array, got {type(value).__name__}"))
            return
        out.extend(Problem(path, what) for what in _size(s, len(value)))
        item_name = s["member"]["shape"]
        composite = self.shapes[item_name]["type"] in ("structure", "list", "map")
        for index, item in enumerate(value, start=1):
            if composite:
                self._check(item_name, item, _join(path, f"{index}.member"), out)
            else:
                out.extend(
                    Problem(path, f"item {index}: {w}") for w in self._scalar(item_name, item)
                )

    def _map(self, s: Shape, value: Any, path: str, out: list[Problem]) -> None:
        if not isinstance(value, dict):
            out.append(Problem(path, f"expected an object, got {type(value).__name__}"))
            return
        out.extend(Problem(path, what) for what in _size(s, len(value)))
        key_name, value_name = s["key"]["shape"], s["value"]["shape"]
        composite = self.shapes[value_name]["type"] in ("structure", "list", "map")
        for key, item in value.items():
            out.extend(Problem(path, f"key {key!r}: {w}") for w in self._scalar(key_name, key))
            if composite:
                self._check(value_name, item, _join(path, key), out)
            else:
                out.extend(
                    Problem(path, f"value of {key!r}: {w}") for w in self._scalar(value_name, item)
                )
        limit = s.get("maxTotalUtf8Bytes")
        if limit is not None:
            total = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in value.items())
            if total > limit:
                out.append(Problem(path, f"{total} UTF-8 bytes of keys and values > {limit}"))

    def _scalar(self, name: str, value: Any) -> list[str]:
        s = self.shapes[name]
        kind = s["type"]
        if kind == "string":
            if not isinstance(value, str):
                return [f"expected a string, got {type(value).__name__}"]
            found = _size(s, len(value))
            pattern = s.get("pattern")
            if pattern is not None and re.fullmatch(pattern, value) is None:
                found.append(f"{value!r} does not fully match {pattern}")
            if "enum" in s and value not in s["enum"]:
                found.append(f"{value!r} not in {s['enum']}")
            return found
        if kind in ("integer", "long"):
            if not isinstance(value, int) or isinstance(value, bool):
                return [f"expected an integer, got {type(value).__name__}"]
            return _range(s, value)
        if kind in ("float", "double"):
            if not isinstance(value, int | float) or isinstance(value, bool):
                return [f"expected a number, got {type(value).__name__}"]
            return _range(s, value)
        if kind == "boolean":
            return [] if isinstance(value, bool) else [f"expected a boolean, got {value!r}"]
        if kind == "timestamp":
            return [] if is_iso_8601(value) else [f"expected an ISO 8601 timestamp, got {value!r}"]
        if kind == "blob":
            return [] if isinstance(value, str) else [f"expected base64 text, got {value!r}"]
        return [f"unknown shape type {kind!r}"]


def _size(s: Shape, size: int) -> list[str]:
    found = []
    if "min" in s and size < s["min"]:
        found.append(f"length {size} < min {s['min']}")
    if "max" in s and size > s["max"]:
        found.append(f"length {size} > max {s['max']}")
    return found


def _range(s: Shape, value: float) -> list[str]:
    found = []
    if "min" in s and value < s["min"]:
        found.append(f"{value} < min {s['min']}")
    if "max" in s and value > s["max"]:
        found.append(f"{value} > max {s['max']}")
    return found


_CHECKER = ShapeChecker(Contract.load())


def problems(shape_name: str, value: Any) -> list[Problem]:
    """Every way `value` fails to conform to the contract's shape `shape_name`."""
    return _CHECKER.problems(shape_name, value)


def assert_conforms(shape_name: str, value: Any) -> None:
    found = problems(shape_name, value)
    assert not found, f"{shape_name}: " + "; ".join(str(p) for p in found)
