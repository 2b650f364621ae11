"""The whole state as JSON: inspection (read-only), export and import.

Generic over the store's dataclasses (emulator/state/store.py): every field of RegionState and
of the records it holds is written out, so a record type or field added to the store appears here
without an edit. The rules (choice C37 in contract/README.md):

- a dataclass is an object of its fields under their Python names; a field declared with
  `compare=False` (a lock, the sequence counter) is machinery, not state, and is left out;
- datetimes are ISO 8601 in UTC (`2026-01-02T03:04:05Z`, fractions kept when present); bytes
  are base64; sets are lists (sorted); dicts, lists and scalars are themselves;
- each region also carries `next_sequence`, the number its sequence counter hands out next;
  an import continues from it, or from one more than the highest sequence of any record in
  the region if that is higher, so no sequence number is handed out twice.

An import reads the type annotations of the same dataclasses and refuses, with the path of the
first bad value, anything that does not fit them; the state is replaced only when the whole
document has been read. Nothing here holds or writes a token string or a private key: the
store has neither (issued tokens are kept as their claims' metadata).
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import sys
import types
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from typing import Any, Union, get_args, get_origin

from ..contract.timestamps import format_instant
from ..service.context import Backend
from ..service.participant_tokens import token_claims
from ..state.store import IssuedToken, RegionState, Store
from .import_check import MAX_SEQUENCE, InconsistentState, check_states

FORMAT = "ivs-realtime-emulator/state"
VERSION = 1
NEXT_SEQUENCE = "next_sequence"


class ImportRefused(ValueError):
    """A document that is not an export this emulator can read; the message says where."""


# -- writing -------------------------------------------------------------------------------------


def state_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields of a store dataclass that are state: all but those with compare=False."""
    return [f for f in dataclasses.fields(cls) if f.compare]


def encode(value: Any) -> Any:
    """A store value as JSON-ready data (the rules in the module docstring)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in state_fields(type(value))}
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return [encode(item) for item in _sorted(value)]
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, Enum):
        return encode(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot export a {type(value).__name__}")


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sorted(items: Iterable[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def region_document(state: RegionState) -> dict[str, Any]:
    """One region's state with its `next_sequence`, read under the region's lock."""
    with state.lock:
        document: dict[str, Any] = encode(state)
        document[NEXT_SEQUENCE] = state.upcoming_sequence()
    return document


def _ordered(store: Store) -> list[RegionState]:
    return sorted(store.regions(), key=lambda state: (state.account, state.region))


def export_state(backend: Backend) -> dict[str, Any]:
    """GET /_emulator/export: every account and region, in a form import_state reads back."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exportedAt": format_instant(backend.clock.now()),
        "regions": [region_document(state) for state in _ordered(backend.store)],
    }


def inspect_state(
    backend: Backend, account: str | None = None, region: str | None = None
) -> dict[str, Any]:
    """GET /_emulator/state: the regions (those of `account` and `region` when given) as the
    export has them, each issued token also with the claims it carries (never the token)."""
    regions = []
    for state in _ordered(backend.store):
        if account not in (None, state.account) or region not in (None, state.region):
            continue
        with state.lock:
            document = region_document(state)
            for participant_id, view in document.get("tokens", {}).items():
                view["claims"] = _claims(state, state.tokens.get(participant_id))
        regions.append(document)
    return {"now": format_instant(backend.clock.now()), "regions": regions}


def _claims(state: RegionState, token: IssuedToken | None) -> dict[str, Any] | None:
    """The claims of an issued token, rebuilt from its stage; None once the stage is gone."""
    if token is None:
        return None
    stage = state.stages.get(token.stage_arn)
    return None if stage is None else token_claims(stage, token)


# -- reading -------------------------------------------------------------------------------------


def import_state(backend: Backend, document: Any) -> int:
    """POST /_emulator/import: replace every account and region with `document`'s.

    Raises ImportRefused, the state untouched, unless the whole document reads; returns the
    number of regions imported.
    """
    if not isinstance(document, dict):
        raise ImportRefused("the body must be a JSON object, as GET /_emulator/export writes")
    if document.get("format", FORMAT) != FORMAT or document.get("version", VERSION) != VERSION:
        raise ImportRefused(
            f"not an export this emulator reads: expected format {FORMAT!r}, version {VERSION}"
        )
    unknown = sorted(set(document) - {"format", "version", "exportedAt", "regions"})
    if unknown:
        raise ImportRefused(f"unknown member(s) {', '.join(unknown)}")
    regions = document.get("regions")
    if not isinstance(regions, list):
        raise ImportRefused("'regions' must be a list of regions, as GET /_emulator/export writes")
    states: list[RegionState] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(regions):
        state = _region(item, f"regions[{index}]")
        key = (state.account, state.region)
        if key in seen:
            raise ImportRefused(
                f"regions[{index}]: account {state.account} and region {state.region} appear twice"
            )
        seen.add(key)
        states.append(state)
        regions[index] = None  # read: its JSON need not stay in memory beside its records
    try:
        check_states(backend, states)
    except InconsistentState as error:
        raise ImportRefused(str(error)) from None
    backend.store.replace(states)
    return len(states)


def _region(item: Any, path: str) -> RegionState:
    if not isinstance(item, dict):
        raise ImportRefused(f"{path}: expected an object")
    fields = dict(item)
    upcoming = fields.pop(NEXT_SEQUENCE, 1)
    if (
        isinstance(upcoming, bool)
        or not isinstance(upcoming, int)
        or not 1 <= upcoming <= MAX_SEQUENCE
    ):
        raise ImportRefused(
            f"{path}.{NEXT_SEQUENCE}: expected a whole number from 1 to {MAX_SEQUENCE}"
        )
    state = decode(RegionState, fields, path)
    assert isinstance(state, RegionState)
    state.continue_sequence(max(upcoming, _highest_sequence(state) + 1))
    return state


def _highest_sequence(value: Any) -> int:
    """The highest `sequence` of any record within `value`, 0 when none has one."""
    highest = 0
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        sequence = getattr(value, "sequence", None)
        if isinstance(sequence, int) and not isinstance(sequence, bool):
            highest = sequence
        children: Iterable[Any] = (getattr(value, f.name) for f in state_fields(type(value)))
    elif isinstance(value, dict):
        children = value.values()
    elif isinstance(value, list | tuple | set | frozenset):
        children = value
    else:
        return 0
    return max([highest, *(_highest_sequence(child) for child in children)])


@cache
def _hints(cls: type) -> dict[str, Any]:
    """The types of `cls`'s state fields, its annotations evaluated in its own module (only
    those: the machinery fields' types, e.g. `itertools.count[int]`, need not evaluate)."""
    namespace = vars(sys.modules[cls.__module__])
    return {
        f.name: eval(f.type, namespace) if isinstance(f.type, str) else f.type
        for f in state_fields(cls)
    }


def decode(kind: Any, value: Any, path: str) -> Any:
    """`value` (JSON data) as the Python type `kind`, or ImportRefused naming `path`."""
    origin, args = get_origin(kind), get_args(kind)
    if kind is Any:
        return copy.deepcopy(value)
    if origin in (Union, types.UnionType):
        return _union(args, value, path)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _record(kind, value, path)
    if origin is dict:
        if not isinstance(value, dict):
            raise ImportRefused(f"{path}: expected an object")
        key_kind, item_kind = args or (Any, Any)
        return {
            decode(key_kind, key, f"{path} key {key!r}"): decode(
                item_kind, item, f"{path}[{key!r}]"
            )
            for key, item in value.items()
        }
    if origin in (list, set, frozenset, tuple):
        if not isinstance(value, list):
            raise ImportRefused(f"{path}: expected a list")
        item_kind = args[0] if args else Any
        items = [decode(item_kind, item, f"{path}[{i}]") for i, item in enumerate(value)]
        return items if origin is list else origin(items)
    return _scalar(kind, value, path)


def _union(args: tuple[Any, ...], value: Any, path: str) -> Any:
    if value is None and type(None) in args:
        return None
    options = [arg for arg in args if arg is not type(None)]
    refusals = []
    for option in options:
        try:
            return decode(option, value, path)
        except ImportRefused as refusal:
            refusals.append(refusal)
    if len(refusals) == 1:
        raise refusals[0]
    raise ImportRefused(f"{path}: {value!r} fits none of the types allowed here")


def _record(cls: type, value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise ImportRefused(f"{path}: expected an object ({cls.__name__})")
    hints = _hints(cls)
    fields = {f.name: f for f in state_fields(cls) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ImportRefused(f"{path}: {cls.__name__} has no field(s) {', '.join(unknown)}")
    arguments = {}
    for name, field in fields.items():
        if name in value:
            arguments[name] = decode(hints[name], value[name], f"{path}.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ImportRefused(f"{path}: {cls.__name__} needs the field {name!r}")
    return cls(**arguments)


def _scalar(kind: Any, value: Any, path: str) -> Any:
    if kind is datetime:
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return parsed.astimezone(UTC)
        raise ImportRefused(f"{path}: expected an ISO 8601 date-time with a zone, got {value!r}")
    if kind is bytes:
        if isinstance(value, str):
            try:
                return base64.b64decode(value.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                pass
        raise ImportRefused(f"{path}: expected base64 text")
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ImportRefused(f"{path}: expected true or false, got {value!r}")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ImportRefused(f"{path}: expected a whole number, got {value!r}")
    if kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ImportRefused(f"{path}: expected a number, got {value!r}")
    if kind is str:
        if isinstance(value, str):
            return value
        raise ImportRefused(f"{path}: expected a string, got {value!r}")
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value)
        except ValueError:
            raise ImportRefused(f"{path}: {value!r} is not a {kind.__name__}") from None
    raise TypeError(f"{path}: the store has a field of type {kind!r} that snapshot.py cannot read")
