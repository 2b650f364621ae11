"""Hypothesis strategies built from the contract's input shapes.

`valid(shape_name)` draws values that satisfy every constraint of the shape: required members,
string lengths in code points, patterns (as full matches), enums, integer ranges, list and map
sizes, and the `maxTotalUtf8Bytes` patch on maps. Boundaries (a string of exactly its maximum
length, a map of exactly its byte limit, ...) are drawn on purpose, beside small values.

`breaking_one(shape_name)` draws a `Broken`: a value of the shape in which exactly one
constraint of one member is broken and everything else is valid, with the path AWS names that
member by (`participantTokenConfigurations.2.member.duration`), the constraint phrase of
contract/README.md choice C2, and the value the message shows.

Nothing here reads emulator/contract/validation.py: the constraints come from the contract's shapes
(`Contract.load().shapes`, patches applied), the wording from choice C2.

A minimum length or size of 0 is not a constraint any value can break; it is not counted.
A constraint that cannot be broken alone, or that these strategies do not break, is listed in
KNOWN_GAPS with its reason; building `breaking_one` fails on any other one it cannot break, and
tests/test_strategies.py checks that every constraint is either broken or listed.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # type: ignore[import-not-found]  # stdlib, no stub: match widths
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from emulator.contract.model import Contract, Shape

CONTRACT = Contract.load()

SMALL = 3
"""How many items, entries or characters beyond a minimum a small value may have."""

Label = tuple[str, str]
"""A constraint: (shape name, constraint), e.g. ("StageArn", "pattern"), ("Tags", "max"),
("GetStageRequest", "required arn")."""

KNOWN_GAPS: dict[Label, str] = {
    ("StageArn", "min"): (
        "the pattern needs at least 23 characters ('arn:aws:ivs:' ... ':stage/' ...), so the only "
        "value under the minimum of 1, '', also misses the pattern: min cannot be broken alone"
    ),
}

SCALAR_TYPES = ("string", "integer", "long", "boolean")


class MissingType:
    """The `shown` value of a missing required member (AWS prints `Value null`)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = MissingType()


@dataclass(frozen=True)
class Broken:
    """A value with exactly one broken constraint, and what the ValidationException must say."""

    label: Label
    path: str
    """Where AWS reports the violation, e.g. 'tags', 'participantTokenConfigurations.1.member'."""
    value: Any
    """The whole value (a request, for an input shape), broken at `path`."""
    phrase: str
    """The constraint phrase, e.g. 'Member must have length less than or equal to 128'."""
    shown: Any
    """The value at `path` the message shows (MISSING for a missing member)."""
    sensitive: bool
    """The shape at `path` is sensitive: the message shows no value."""


# -- small helpers ------------------------------------------------------------------------


def shape(name: str) -> Shape:
    return CONTRACT.shapes[name]


def join(parent: str, child: str) -> str:
    if not child:
        return parent
    return f"{parent}.{child}" if parent else child


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matches(pattern: str, value: str) -> bool:
    return compiled(pattern).fullmatch(value) is not None


def pattern_widths(pattern: str) -> tuple[int, int | None]:
    """The shortest and longest match of a pattern in code points (None: unbounded)."""
    low, high = sre_parse.parse(pattern).getwidth()
    return int(low), (None if high >= sre_parse.MAXREPEAT else int(high))


def utf8_total(value: Mapping[str, Any]) -> int:
    """The UTF-8 bytes of all keys and values of a map (contract/README.md choice C3)."""
    return sum(len(k.encode()) + len(str(v).encode()) for k, v in value.items())


def pump(pattern: str, value: str, length: int) -> str | None:
    """A string of exactly `length` code points that fully matches `pattern`, made from `value`
    (which does) by repeating one of its characters; None when no character can be repeated."""
    extra = length - len(value)
    if extra < 0:
        return None
    if extra == 0:
        return value
    for i in reversed(range(len(value))):
        candidate = value[:i] + value[i] * (extra + 1) + value[i + 1 :]
        if matches(pattern, candidate):
            return candidate
    return None


def _length_ok(s: Shape, size: int) -> bool:
    return s.get("min", 0) <= size and ("max" not in s or size <= s["max"])


def _fits_bytes(s: Shape, value: Mapping[str, Any]) -> bool:
    limit = s.get("maxTotalUtf8Bytes")
    return limit is None or utf8_total(value) <= limit


def _small_max(s: Shape) -> int:
    """The largest size a 'small' value of a list/map/string shape may have."""
    low = s.get("min", 0)
    return int(min(s["max"], low + SMALL) if "max" in s else low + SMALL)


# -- valid values -------------------------------------------------------------------------


def valid(
    shape_name: str,
    *,
    fixed: Mapping[str, st.SearchStrategy[Any]] | None = None,
    omit: Collection[str] = (),
) -> st.SearchStrategy[Any]:
    """Values of the shape that satisfy every constraint.

    For a structure, `fixed` members are always present and drawn from the given strategies,
    and `omit` members are never present (even if required: the caller then knows better).
    """
    if not fixed and not omit:
        return _valid(shape_name)
    s = shape(shape_name)
    if s["type"] != "structure":
        raise TypeError(f"fixed/omit apply to structures; {shape_name} is a {s['type']}")
    return _structure(shape_name, dict(fixed or {}), frozenset(omit))


@cache
def _valid(shape_name: str, small: bool = False) -> st.SearchStrategy[Any]:
    """Valid values; `small` ones leave out the long boundary values (strings of their maximum
    length, lists and maps of their maximum size), for use where many are drawn at once."""
    s = shape(shape_name)
    kind = s["type"]
    if kind == "structure":
        return _structure(shape_name, {}, frozenset(), small)
    if kind == "list":
        return _list(s, small)
    if kind == "map":
        return _map(s, small)
    if kind == "string":
        return _string(s, small)
    if kind in ("integer", "long"):
        return _integer(s)
    if kind == "boolean":
        return st.booleans()
    raise NotImplementedError(
        f"{shape_name}: no strategy for type {kind!r} (no input shape of the tested operations "
        "has one); add it here rather than skip it"
    )


def _structure(
    shape_name: str,
    fixed: dict[str, st.SearchStrategy[Any]],
    omit: frozenset[str],
    small: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    s = shape(shape_name)
    required = set(s.get("required", ()))
    always: dict[str, st.SearchStrategy[Any]] = {}
    maybe: dict[str, st.SearchStrategy[Any]] = {}
    for member, ref in s.get("members", {}).items():
        if member in omit:
            continue
        if member in fixed:
            always[member] = fixed[member]
        elif member in required:
            always[member] = _valid(ref["shape"], small)
        else:
            maybe[member] = _valid(ref["shape"], small)
    order = list(s.get("members", {}))
    return st.fixed_dictionaries(always, optional=maybe).map(
        lambda d: {m: d[m] for m in order if m in d}
    )


def _string(s: Shape, small: bool = False) -> st.SearchStrategy[str]:
    low = s.get("min", 0)
    high: int | None = s.get("max")
    if "enum" in s:
        return st.sampled_from([v for v in s["enum"] if _length_ok(s, len(v))])
    pattern: str | None = s.get("pattern")
    if pattern is None:
        short = st.text(min_size=low, max_size=_small_max(s))
        if high is None or small:
            return short
        return st.one_of(short, st.text(min_size=high, max_size=high))
    matching = st.from_regex(pattern, fullmatch=True)
    small_match = matching.filter(lambda v: _length_ok(s, len(v)))
    if high is None or small:
        return small_match
    longest = matching.filter(lambda v: len(v) <= high).map(lambda v: pump(pattern, v, high))
    return st.one_of(small_match, longest.filter(lambda v: v is not None))


def _integer(s: Shape) -> st.SearchStrategy[int]:
    low = s.get("min", -(2**31))
    high = s.get("max", 2**31 - 1)
    return st.one_of(st.sampled_from([low, high]), st.integers(low, high))


def _list(s: Shape, small: bool = False) -> st.SearchStrategy[list[Any]]:
    item = _valid(s["member"]["shape"], small)
    low = s.get("min", 0)
    short = st.lists(item, min_size=low, max_size=_small_max(s))
    if small or "max" not in s or s["max"] <= _small_max(s):
        return short
    little = _valid(s["member"]["shape"], True)
    return st.one_of(short, st.lists(little, min_size=s["max"], max_size=s["max"]))


def _map(s: Shape, small: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    keys = _valid(s["key"]["shape"], small)
    values = _valid(s["value"]["shape"], small)
    low = s.get("min", 0)
    short = st.dictionaries(keys, values, min_size=low, max_size=_small_max(s))
    options = [short]
    if not small and "max" in s and s["max"] > _small_max(s):
        little_keys = _valid(s["key"]["shape"], True)
        little_values = _valid(s["value"]["shape"], True)
        options.append(
            st.dictionaries(little_keys, little_values, min_size=s["max"], max_size=s["max"])
        )
    limit = s.get("maxTotalUtf8Bytes")
    if limit is not None and not small:
        options.append(_filled_to(s, limit, short))
    return st.one_of(options).filter(lambda d: _fits_bytes(s, d))


def _filler(shape_name: str, size: int, *, over: bool) -> str | None:
    """A value for a map's value shape of exactly `size` UTF-8 bytes (over: at least `size`),
    using two-byte characters so that bytes and code points differ; None if it cannot fit."""
    if size < 0:
        return None
    text = "é" * (size // 2) + ("é" if over and size % 2 else "a" * (size % 2))
    s = shape(shape_name)
    ok = s["type"] == "string" and _length_ok(s, len(text)) and "pattern" not in s
    return text if ok and "enum" not in s else None


def _filled_to(
    s: Shape, limit: int, entries: st.SearchStrategy[dict[str, Any]], *, over: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """A map that fills `limit` UTF-8 bytes exactly (over: by one or two bytes more)."""
    keys = _valid(s["key"]["shape"])

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        base = draw(entries.filter(lambda d: utf8_total(d) <= limit))
        key = draw(keys.filter(lambda k: k not in base))
        room = limit - utf8_total(base) - len(key.encode())
        value = _filler(s["value"]["shape"], room + 1 if over else room, over=over)
        if value is None or not _length_ok(s, len(base) + 1):
            assume(not over)
            return base
        return {**base, key: value}

    return build()


# -- values with exactly one broken constraint --------------------------------------------


Site = tuple[Label, st.SearchStrategy[Broken]]
"""A constraint, and the strategy that breaks it (in a value of the shape the site is of,
with `path` relative to that shape: sites of members are wrapped by their parents)."""


def breaking_one(shape_name: str) -> st.SearchStrategy[Broken]:
    """Values of the shape with exactly one constraint of one member broken."""
    sites = _sites(shape_name)
    if not sites:
        raise ValueError(f"{shape_name} has no constraint to break")
    return st.sampled_from(range(len(sites))).flatmap(lambda i: sites[i][1])


def broken_labels(shape_name: str) -> set[Label]:
    """The constraints `breaking_one(shape_name)` breaks."""
    return {label for label, _ in _sites(shape_name)}


def constraints(shape_name: str) -> set[Label]:
    """Every breakable constraint reachable from a shape (a minimum of 0 is not one)."""
    found: set[Label] = set()

    def walk(name: str) -> None:
        s = shape(name)
        kind = s["type"]
        if kind in ("string", "list", "map") and s.get("min", 0) > 0:
            found.add((name, "min"))
        if kind in ("integer", "long") and "min" in s:
            found.add((name, "min"))
        if "max" in s:
            found.add((name, "max"))
        for key in ("pattern", "enum", "maxTotalUtf8Bytes"):
            if key in s:
                found.add((name, key))
        for member in s.get("required", ()):
            found.add((name, f"required {member}"))
        for ref in s.get("members", {}).values():
            walk(ref["shape"])
        for part in ("member", "key", "value"):
            if part in s:
                walk(s[part]["shape"])

    walk(shape_name)
    return found


@cache
def _sites(shape_name: str) -> list[Site]:
    s = shape(shape_name)
    kind = s["type"]
    if kind == "structure":
        sites = _structure_sites(shape_name, s)
    elif kind == "list":
        sites = _list_sites(shape_name, s)
    elif kind == "map":
        sites = _map_sites(shape_name, s)
    elif kind == "string":
        sites = _string_sites(shape_name, s)
    elif kind in ("integer", "long"):
        sites = _integer_sites(shape_name, s)
    elif kind == "boolean":
        sites = []
    else:
        raise NotImplementedError(f"{shape_name}: cannot break a {kind!r} yet")
    return [(label, strategy) for label, strategy in sites if label not in KNOWN_GAPS]


def _unbreakable(label: Label, why: str) -> list[Site]:
    """A constraint these strategies cannot break: it must be a listed gap."""
    if label not in KNOWN_GAPS:
        raise ValueError(f"{label} cannot be broken alone ({why}); list it in KNOWN_GAPS")
    return []


def _scalar(label: Label, shape_name: str, values: st.SearchStrategy[Any], phrase: str) -> Site:
    sensitive = bool(shape(shape_name).get("sensitive"))
    return label, values.map(lambda v: Broken(label, "", v, phrase, v, sensitive))


def _string_sites(name: str, s: Shape) -> list[Site]:
    sites: list[Site] = []
    low = s.get("min", 0)
    high: int | None = s.get("max")
    pattern: str | None = s.get("pattern")
    enum: list[str] | None = s.get("enum")

    def allowed(value: str) -> bool:
        return enum is None or value not in enum

    if high is not None:
        phrase = f"Member must have length less than or equal to {high}"
        if enum is not None:
            sites += _unbreakable((name, "max"), "an enum value is never too long")
        elif pattern is None:
            sites.append(
                _scalar((name, "max"), name, st.text(min_size=high + 1, max_size=high + 3), phrase)
            )
        elif (widest := pattern_widths(pattern)[1]) is not None and widest <= high:
            sites += _unbreakable((name, "max"), "the pattern matches no string that long")
        elif widest is not None:
            p = pattern
            bounded = st.from_regex(p, fullmatch=True).filter(lambda v: len(v) > high)
            sites.append(_scalar((name, "max"), name, bounded, phrase))
        else:
            p = pattern
            pumped = (
                st.from_regex(p, fullmatch=True)
                .filter(lambda v: len(v) <= high)
                .flatmap(lambda v: st.integers(high + 1, high + 3).map(lambda n: pump(p, v, n)))
                .filter(lambda v: v is not None)
            )
            sites.append(_scalar((name, "max"), name, pumped, phrase))

    if low > 0:
        phrase = f"Member must have length greater than or equal to {low}"
        if pattern is not None and pattern_widths(pattern)[0] >= low:
            sites += _unbreakable((name, "min"), "every shorter string misses the pattern")
        elif pattern is not None:
            p = pattern
            shorter = st.from_regex(p, fullmatch=True).filter(lambda v: len(v) < low)
            sites.append(_scalar((name, "min"), name, shorter.filter(allowed), phrase))
        elif enum is not None:
            sites += _unbreakable((name, "min"), "an enum value is never too short")
        else:
            sites.append(_scalar((name, "min"), name, st.text(max_size=low - 1), phrase))

    if pattern is not None:
        p = pattern
        phrase = f"Member must satisfy regular expression pattern: {p}"
        limit = high if high is not None else low + 40
        random_text = st.text(min_size=low, max_size=min(limit, low + 12))

        @st.composite
        def near_miss(draw: st.DrawFn) -> str:
            """A matching value with one character inserted that the pattern may not allow."""
            match: str = draw(_valid(name).filter(lambda v: high is None or len(v) < high))
            at = draw(st.integers(0, len(match)))
            extra = draw(st.sampled_from(["!", " ", "é", "/", ":", "\n", "*"]))
            return match[:at] + extra + match[at:]

        misses = st.one_of(random_text, near_miss()).filter(
            lambda v: _length_ok(s, len(v)) and not matches(p, v) and allowed(v)
        )
        sites.append(_scalar((name, "pattern"), name, misses, phrase))

    if enum is not None:
        phrase = f"Member must satisfy enum value set: [{', '.join(enum)}]"
        values = enum
        bad = st.one_of(
            st.sampled_from(values).map(str.lower),
            st.sampled_from(values).map(lambda v: v + " "),
            st.text(max_size=12),
        ).filter(
            lambda v: (
                v not in values
                and _length_ok(s, len(v))
                and (pattern is None or matches(pattern, v))
            )
        )
        sites.append(_scalar((name, "enum"), name, bad, phrase))
    return sites


def _integer_sites(name: str, s: Shape) -> list[Site]:
    sites: list[Site] = []
    if "min" in s:
        low = s["min"]
        phrase = f"Member must have value greater than or equal to {low}"
        under = st.one_of(st.just(low - 1), st.integers(low - 10**6, low - 1))
        sites.append(_scalar((name, "min"), name, under, phrase))
    if "max" in s:
        high = s["max"]
        phrase = f"Member must have value less than or equal to {high}"
        over = st.one_of(st.just(high + 1), st.integers(high + 1, high + 10**6))
        sites.append(_scalar((name, "max"), name, over, phrase))
    return sites


def _structure_sites(name: str, s: Shape) -> list[Site]:
    sites: list[Site] = []
    members: dict[str, Any] = s.get("members", {})
    order = list(members)

    def around(member: str, broken: st.SearchStrategy[Broken]) -> st.SearchStrategy[Any]:
        """The rest of the structure, valid and without `member`, beside a broken `member`."""
        rest = _structure(name, {}, frozenset({member}))
        return st.tuples(rest, broken)

    def without(member: str) -> Site:
        label = (name, f"required {member}")

        def missing(rest: dict[str, Any]) -> Broken:
            return Broken(label, member, rest, "Member must not be null", MISSING, False)

        return label, _structure(name, {}, frozenset({member})).map(missing)

    sites += [without(member) for member in s.get("required", ())]

    for member, ref in members.items():
        for label, inner in _sites(ref["shape"]):

            def place(pair: tuple[dict[str, Any], Broken], m: str = member) -> Broken:
                rest, b = pair
                whole = {k: (b.value if k == m else rest[k]) for k in order if k in rest or k == m}
                return replace(b, path=join(m, b.path), value=whole)

            sites.append((label, around(member, inner).map(place)))
    return sites


def _list_sites(name: str, s: Shape) -> list[Site]:
    sites: list[Site] = []
    item_name = s["member"]["shape"]
    item = _valid(item_name)
    sensitive = bool(s.get("sensitive"))
    low = s.get("min", 0)
    if "max" in s:
        high = s["max"]
        phrase = f"Member must have length less than or equal to {high}"
        little = _valid(item_name, True)
        over = st.lists(little, min_size=high + 1, max_size=high + 2)
        sites.append(_scalar((name, "max"), name, over, phrase))
    if low > 0:
        phrase = f"Member must have length greater than or equal to {low}"
        sites.append(_scalar((name, "min"), name, st.lists(item, max_size=low - 1), phrase))

    scalar_items = shape(item_name)["type"] in SCALAR_TYPES
    most = min(s.get("max", low + SMALL), max(low, 1) + SMALL)
    for label, inner in _sites(item_name):

        @st.composite
        def in_list(draw: st.DrawFn, inner: st.SearchStrategy[Broken] = inner) -> Broken:
            size = draw(st.integers(max(low, 1), most))
            items = draw(st.lists(item, min_size=size - 1, max_size=size - 1))
            at = draw(st.integers(0, size - 1))
            b = draw(inner)
            items.insert(at, b.value)
            if scalar_items:
                wrapped = f"Member must satisfy constraint: [{b.phrase}]"
                return replace(
                    b, path="", value=items, phrase=wrapped, shown=items, sensitive=sensitive
                )
            return replace(b, path=join(f"{at + 1}.member", b.path), value=items)

        sites.append((label, in_list()))
    return sites


def _map_sites(name: str, s: Shape) -> list[Site]:
    sites: list[Site] = []
    key_name, value_name = s["key"]["shape"], s["value"]["shape"]
    keys, values = _valid(key_name), _valid(value_name)
    sensitive = bool(s.get("sensitive"))
    low = s.get("min", 0)
    limit: int | None = s.get("maxTotalUtf8Bytes")

    def fits(d: dict[str, Any]) -> bool:
        return _fits_bytes(s, d)

    if "max" in s:
        high = s["max"]
        phrase = f"Member must have length less than or equal to {high}"
        little_keys, little_values = _valid(key_name, True), _valid(value_name, True)
        over = st.dictionaries(
            little_keys, little_values, min_size=high + 1, max_size=high + 2
        ).filter(fits)
        sites.append(_scalar((name, "max"), name, over, phrase))
    if low > 0:
        phrase = f"Member must have length greater than or equal to {low}"
        under = st.dictionaries(keys, values, max_size=low - 1).filter(fits)
        sites.append(_scalar((name, "min"), name, under, phrase))
    if limit is not None:
        phrase = (
            f"Member must have a total size of keys and values less than or equal to {limit} bytes"
        )
        small = st.dictionaries(keys, values, max_size=SMALL)
        over_bytes = _filled_to(s, limit, small, over=True)
        sites.append(_scalar((name, "maxTotalUtf8Bytes"), name, over_bytes, phrase))

    room = min(s.get("max", SMALL + 1) - 1, SMALL)
    if room < 0:
        return sites

    for part, part_name in (("key", key_name), ("value", value_name)):
        scalar = shape(part_name)["type"] in SCALAR_TYPES
        for label, inner in _sites(part_name):

            @st.composite
            def in_map(
                draw: st.DrawFn,
                inner: st.SearchStrategy[Broken] = inner,
                part: str = part,
                scalar: bool = scalar,
            ) -> Broken:
                entries = draw(st.dictionaries(keys, values, max_size=room))
                b = draw(inner)
                if part == "key":
                    key, item = b.value, draw(values)
                    assume(key not in entries)
                else:
                    key, item = draw(keys.filter(lambda k: k not in entries)), b.value
                whole = {**entries, key: item}
                assume(fits(whole) and _length_ok(s, len(whole)))
                if not scalar:
                    return replace(b, path=join(key, b.path), value=whole)
                noun = "Map keys" if part == "key" else "Map value"
                wrapped = f"{noun} must satisfy constraint: [{b.phrase}]"
                return replace(
                    b, path="", value=whole, phrase=wrapped, shown=whole, sensitive=sensitive
                )

            sites.append((label, in_map()))
    return sites


def describe_gaps() -> str:
    """The known gaps, one a line, for reports."""
    return "\n".join(
        f"{shape_name}.{what}: {why}" for (shape_name, what), why in KNOWN_GAPS.items()
    )


__all__ = [
    "CONTRACT",
    "KNOWN_GAPS",
    "MISSING",
    "Broken",
    "breaking_one",
    "broken_labels",
    "constraints",
    "describe_gaps",
    "pump",
    "utf8_total",
    "valid",
]
