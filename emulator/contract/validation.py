"""The generic validator: walks an input shape of the contract and reports every violation.

It checks one member at a time (required, JSON type, length, range, pattern, enum, list and
map sizes, and the `maxTotalUtf8Bytes` patch), collects every violation in the shape's member
order, and words them as AWS's JSON services do. Rules across members belong to the services.
A value of the wrong JSON type cannot be read at all: it is a SerializationException, as on
AWS's JSON services (choice C8 in contract/README.md).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .errors import SerializationException, ValidationException
from .model import Contract, Shape

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "timestamp": (int, float, str),
}
# Java's int and long: a JSON number outside them cannot be read into the member at all.
INTEGER_BITS = {"integer": 32, "long": 64}
TYPE_WORDS = {
    "structure": "an object",
    "map": "an object",
    "list": "an array",
    "string": "a string",
    "integer": "an integer",
    "long": "an integer",
    "float": "a number",
    "double": "a number",
    "boolean": "a boolean",
    "timestamp": "a timestamp",
}


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def render(value: Any) -> str:
    """A value as AWS prints it in validation messages (Java's toString of the parsed value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(k)}={render(v)}" for k, v in value.items()) + "}"
    return str(value)


HIDDEN = object()
"""The value of a member the model marks sensitive: named, never shown."""


def violation(path: str, constraint: str, value: Any = HIDDEN) -> str:
    """One violation as AWS's JSON services word it: `Value 'x' at 'path' failed to satisfy
    constraint: Member must ...` (`Value null` for a missing member, `Value` for a hidden one)."""
    if value is HIDDEN:
        shown = "Value"
    elif value is None:
        shown = "Value null"
    else:
        shown = f"Value '{render(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def invalid(*violations: str) -> ValidationException:
    """The ValidationException of these violations: `N validation error(s) detected: ...`."""
    noun = "validation error" if len(violations) == 1 else "validation errors"
    return ValidationException(f"{len(violations)} {noun} detected: " + "; ".join(violations))


def format_number(n: Any) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() else str(n)


class Validator:
    """Checks request values against the input shapes of one contract."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract

    def validate(self, shape_name: str, value: Any) -> None:
        """Raise SerializationException or ValidationException when `value` breaks the shape."""
        problems = self.violations(shape_name, value)
        if problems:
            raise invalid(*problems)

    def violations(self, shape_name: str, value: Any) -> list[str]:
        out: list[str] = []
        self._check(self.contract.shape(shape_name), value, "", out)
        return out

    # -- walking ------------------------------------------------------------------------
    def _check(self, shape: Shape, value: Any, path: str, out: list[str]) -> None:
        self._require_type(shape, value, path)
        kind = shape["type"]
        if kind == "structure":
            self._structure(shape, value, path, out)
        elif kind == "list":
            self._list(shape, value, path, out)
        elif kind == "map":
            self._map(shape, value, path, out)
        else:
            for phrase in self._scalar_phrases(shape, value):
                out.append(self._message(shape, value, path, phrase))

    def _structure(self, shape: Shape, value: dict[str, Any], path: str, out: list[str]) -> None:
        required = set(shape.get("required", ()))
        for member, ref in shape.get("members", {}).items():
            member_path = f"{path}.{member}" if path else member
            item = value.get(member)
            if item is None:
                if member in required:
                    out.append(violation(member_path, "Member must not be null", None))
                continue
            self._check(self.contract.shape(ref["shape"]), item, member_path, out)

    def _list(self, shape: Shape, value: list[Any], path: str, out: list[str]) -> None:
        for phrase in self._size_phrases(shape, len(value)):
            out.append(self._message(shape, value, path, phrase))
        member_shape = self.contract.shape(shape["member"]["shape"])
        if member_shape["type"] in ("structure", "list", "map"):
            for index, item in enumerate(value, start=1):
                self._check(member_shape, item, f"{path}.{index}.member", out)
            return
        phrases: list[str] = []
        for item in value:
            self._require_type(member_shape, item, path)
            for phrase in self._scalar_phrases(member_shape, item):
                if phrase not in phrases:
                    phrases.append(phrase)
        if phrases:
            inner = ", ".join(phrases)
            out.append(
                self._message(shape, value, path, f"Member must satisfy constraint: [{inner}]")
            )

    def _map(self, shape: Shape, value: dict[str, Any], path: str, out: list[str]) -> None:
        for phrase in self._size_phrases(shape, len(value)):
            out.append(self._message(shape, value, path, phrase))
        limit = shape.get("maxTotalUtf8Bytes")
        key_shape = self.contract.shape(shape["key"]["shape"])
        value_shape = self.contract.shape(shape["value"]["shape"])
        key_phrases: list[str] = []
        value_phrases: list[str] = []
        for key, item in value.items():
            for phrase in self._scalar_phrases(key_shape, key):
                if phrase not in key_phrases:
                    key_phrases.append(phrase)
            if item is None:
                continue
            if value_shape["type"] in ("structure", "list", "map"):
                self._check(value_shape, item, f"{path}.{key}", out)
                continue
            self._require_type(value_shape, item, f"{path}.{key}")
            for phrase in self._scalar_phrases(value_shape, item):
                if phrase not in value_phrases:
                    value_phrases.append(phrase)
        if key_phrases:
            phrase = "Map keys must satisfy constraint: [" + ", ".join(key_phrases) + "]"
            out.append(self._message(shape, value, path, phrase))
        if value_phrases:
            phrase = "Map value must satisfy constraint: [" + ", ".join(value_phrases) + "]"
            out.append(self._message(shape, value, path, phrase))
        if limit is not None:
            size = sum(
                len(k.encode()) + len(str(v).encode()) for k, v in value.items() if v is not None
            )
            if size > limit:
                phrase = (
                    "Member must have a total size of keys and values less than or equal to "
                    f"{limit} bytes"
                )
                out.append(self._message(shape, value, path, phrase))

    # -- constraints --------------------------------------------------------------------
    def _require_type(self, shape: Shape, value: Any, path: str) -> None:
        """A value the service could not read into the member's type (choice C8)."""
        kind = shape["type"]
        bits = INTEGER_BITS.get(kind)
        if (
            not isinstance(value, JSON_TYPES.get(kind, (object,)))
            or (kind != "boolean" and isinstance(value, bool))
            or (bits is not None and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1))
        ):
            where = f" at '{path}'" if path else ""
            raise SerializationException(f"Expected {TYPE_WORDS.get(kind, kind)}{where}")

    @staticmethod
    def _size_phrases(shape: Shape, size: int) -> list[str]:
        phrases = []
        if "min" in shape and size < shape["min"]:
            phrases.append(f"Member must have length greater than or equal to {shape['min']}")
        if "max" in shape and size > shape["max"]:
            phrases.append(f"Member must have length less than or equal to {shape['max']}")
        return phrases

    def _scalar_phrases(self, shape: Shape, value: Any) -> list[str]:
        kind = shape["type"]
        phrases: list[str] = []
        if kind == "string":
            phrases += self._size_phrases(shape, len(value))
            pattern = shape.get("pattern")
            if pattern is not None and not _compiled(pattern).fullmatch(value):
                phrases.append(f"Member must satisfy regular expression pattern: {pattern}")
            enum = shape.get("enum")
            if enum is not None and value not in enum:
                phrases.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
        elif kind in ("integer", "long", "float", "double"):
            if "min" in shape and value < shape["min"]:
                phrases.append(
                    f"Member must have value greater than or equal to {format_number(shape['min'])}"
                )
            if "max" in shape and value > shape["max"]:
                phrases.append(
                    f"Member must have value less than or equal to {format_number(shape['max'])}"
                )
        return phrases

    @staticmethod
    def _message(shape: Shape, value: Any, path: str, phrase: str) -> str:
        return violation(path, phrase, HIDDEN if shape.get("sensitive") else value)
