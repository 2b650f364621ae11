"""Reading the JSON body of a control request (/_emulator/...): one strict reader for all.

The body is JSON text in UTF-8; `NaN` and `Infinity` are not JSON; a string must be Unicode (a
`\\ud800` escape with no partner is refused, as the API refuses it: such text could never be
written back out); nesting deeper than the parser manages is refused, not a crash. Every
refusal is a ControlBodyRefused whose message says why; the endpoint answers it with 400 in
its own shape.
"""

from __future__ import annotations

import json
from typing import Any


class ControlBodyRefused(ValueError):
    """A body that is not a JSON value this emulator reads; the message says why."""


def check_sparse(raw: bytes, bytes_per_container: int, bytes_per_item: int) -> None:
    """Refuse, before parsing, a body with more objects and arrays, or more items, than one
    per `bytes_per_container` (or `bytes_per_item`) bytes, beyond a first 10,000 of each.

    Parsed, each object or array costs some 60 bytes of memory and each item some 8 more than
    its text: a large body of `[{},{},...]` would take twenty times its size.
    """
    containers = raw.count(b"{") + raw.count(b"[")
    items = raw.count(b",")
    if containers > len(raw) // bytes_per_container + 10_000 or (
        items > len(raw) // bytes_per_item + 10_000
    ):
        raise ControlBodyRefused(
            f"the body has {containers} objects and arrays and {items} commas in {len(raw)} "
            "bytes, far more than a document of its size holds; it is refused before it is read"
        )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_control_json(raw: bytes) -> Any:
    """The JSON value of `raw` ({} for an empty body), or ControlBodyRefused."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise ControlBodyRefused(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise ControlBodyRefused("the body is not valid JSON: it is nested too deeply") from None
    _refuse_lone_surrogates(value)
    return value


def _refuse_lone_surrogates(value: Any) -> None:
    """Walk the value without recursion (it may be nested as deeply as the parser allows)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ControlBodyRefused(
                    "the body has a string that is not valid Unicode (a lone surrogate)"
                ) from None
