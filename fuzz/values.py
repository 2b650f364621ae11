"""Inputs from the contract's shapes: valid values, values that break one constraint, and
JSON that is odd in itself (unicode edge cases, lone surrogates, deep nesting, huge sizes).

Every draw comes from the one seeded generator the run owns, so a seed gives the same inputs.
Names the service made (ARNs, participant and session ids, tokens, stream keys, nextTokens)
come from the Pool, which learns them from earlier answers, so that valid requests reach
existing resources and not only the not-found path.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections import deque
from typing import Any

from .model import Model, Shape
from .sample import sample

POOL_SIZE = 64
ARN_TYPE = re.compile(r":([a-z-]+)/")

WEIRD_STRINGS = (
    "",
    " ",
    "\x00",
    "\ud800",
    "\udfff",
    "a\ud800b",
    "\udc00\ud800",
    "\ud83d",
    "\U0001f600",
    "\u202e",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "e\u0301",
    "\u0130",
    "\u00b2",
    "\uff11\uff12\uff13",
    "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662",
    "%00",
    "%C2%B2",
    "../../etc/passwd",
    "\r\n",
    "\x1b[31mred\x1b[0m",
    "\x7f",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "${jndi:ldap://x}",
    "null",
    "NaN",
    "arn:aws:ivs:us-east-1:123456789012:stage/\ud800",
    "arn:aws:ivs:us-east-1:123456789012:stage/",
    "arn:aws:ivs::123456789012:stage/abc",
    "arn:aws:ivs:us-east-1:123456789012:stage/abc/def",
    "arn:aws:ivs:us-east-1:999999999999999999999999:stage/abc",
    "st-" + "\u0661" * 13,
)

NUMBERS: tuple[Any, ...] = (
    0,
    -1,
    1,
    -0.0,
    0.5,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**53 + 1,
    2**63,
    -(2**63) - 1,
    10**20,
    10**300,
    1e308,
    -1e308,
    5e-324,
    3e11,
    99999999999999999999,
)


class Pool:
    """Names learnt from answers, the most recent POOL_SIZE of each kind."""

    def __init__(self) -> None:
        self.arns: dict[str, deque[str]] = {}
        self.tokens: deque[str] = deque(maxlen=POOL_SIZE)
        self.participants: deque[str] = deque(maxlen=POOL_SIZE)
        self.sessions: deque[str] = deque(maxlen=POOL_SIZE)
        self.stream_keys: deque[str] = deque(maxlen=POOL_SIZE)
        self.next_tokens: deque[str] = deque(maxlen=POOL_SIZE)
        self.fault_ids: deque[str] = deque(maxlen=POOL_SIZE)
        self.export: Any = None
        """The last export read, when small enough to mutate."""

    def learn(self, value: Any, key: str = "", budget: list[int] | None = None) -> None:
        budget = budget if budget is not None else [20_000]
        budget[0] -= 1
        if budget[0] < 0:
            return
        if isinstance(value, dict):
            for name, item in value.items():
                self.learn(item, str(name), budget)
        elif isinstance(value, list):
            for item in value:
                self.learn(item, key, budget)
        elif isinstance(value, str) and value:
            self._learn_string(key, value)

    def _learn_string(self, key: str, value: str) -> None:
        if value.startswith("arn:aws:ivs:"):
            found = ARN_TYPE.search(value)
            if found:
                kind = found.group(1)
                if kind not in self.arns:
                    self.arns[kind] = deque(maxlen=POOL_SIZE)
                _remember(self.arns[kind], value)
        elif key == "token":
            _remember(self.tokens, value)
        elif key in ("participantId", "participant_id", "remoteParticipantId"):
            _remember(self.participants, value)
        elif key in ("sessionId", "session_id", "active_session_id") or value.startswith("st-"):
            _remember(self.sessions, value)
        elif key in ("streamKey", "stream_key"):
            _remember(self.stream_keys, value)
        elif key == "nextToken":
            _remember(self.next_tokens, value)
        elif key == "id" and value.startswith("fault-"):
            _remember(self.fault_ids, value)

    def all_arns(self) -> list[str]:
        return [arn for kind in sorted(self.arns) for arn in self.arns[kind]]


def _remember(items: deque[str], value: str) -> None:
    if value not in items:
        items.append(value)


class Values:
    """Draws values for the shapes of one model."""

    def __init__(self, model: Model, rng: random.Random, pool: Pool) -> None:
        self.model = model
        self.rng = rng
        self.pool = pool

    # -- valid ----------------------------------------------------------------------------

    def valid(self, shape_name: str, member: str = "", depth: int = 0) -> Any:
        shape = self.model.shape(shape_name)
        kind = shape["type"]
        rng = self.rng
        if kind == "structure":
            required = set(shape.get("required", ()))
            result: dict[str, Any] = {}
            members = shape.get("members", {})
            # A union ("union": true) takes one member.
            chosen = (
                {rng.choice(sorted(members))} if shape.get("union") and members else set(members)
            )
            for name, ref in members.items():
                if name in chosen and (name in required or rng.random() < 0.5) and depth < 6:
                    result[name] = self.valid(ref["shape"], name, depth + 1)
            return result
        if kind == "list":
            low = shape.get("min", 0)
            high = min(shape.get("max", low + 3), low + 3)
            item = shape["member"]["shape"]
            return [self.valid(item, member, depth + 1) for _ in range(rng.randint(low, high))]
        if kind == "map":
            low = shape.get("min", 0)
            high = min(shape.get("max", low + 3), low + 3)
            return {
                self.valid(shape["key"]["shape"], "", depth + 1): self.valid(
                    shape["value"]["shape"], "", depth + 1
                )
                for _ in range(rng.randint(low, high))
            }
        if kind == "string":
            return self._valid_string(shape_name, shape, member)
        if kind in ("integer", "long"):
            low = int(shape.get("min", 0))
            high = int(shape.get("max", low + 1000))
            return rng.choice([low, high, rng.randint(low, high)])
        if kind in ("float", "double"):
            low = float(shape.get("min", 0))
            high = float(shape.get("max", low + 1000))
            return rng.choice([low, high, round(rng.uniform(low, high), 3)])
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "timestamp":
            return rng.choice(["2026-01-01T00:00:00Z", 1767225600, 1767225600.5])
        return None

    def _valid_string(self, shape_name: str, shape: Shape, member: str) -> str:
        rng = self.rng
        if "enum" in shape:
            return str(rng.choice(shape["enum"]))
        known = self._known_name(shape_name, shape, member)
        if known is not None:
            return known
        if shape_name == "PublicKeyMaterial":
            from .keys import PUBLIC_KEYS

            return PUBLIC_KEYS[0] if rng.random() < 0.5 else rng.choice(PUBLIC_KEYS)
        low, high = int(shape.get("min", 0)), int(shape.get("max", 24))
        pattern = shape.get("pattern")
        if pattern:
            for _ in range(4):
                text = sample(pattern, rng, longest=max(1, min(high, 16)))
                if low <= len(text) <= high:
                    return text
            return text[:high]
        alphabet = string.ascii_letters + string.digits + "-_ "
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, min(high, low + 16))))

    def _known_name(self, shape_name: str, shape: Shape, member: str) -> str | None:
        """A name from the pool for members that refer to something the service made."""
        rng = self.rng
        if rng.random() < 0.15:
            return None
        pool = self.pool
        lowered = member.lower()
        if "sessionid" in lowered and pool.sessions:
            return rng.choice(pool.sessions)
        if lowered in ("participantid", "tokenid", "publisherid") and pool.participants:
            return rng.choice(pool.participants)
        if lowered == "nexttoken" and pool.next_tokens:
            return rng.choice(pool.next_tokens)
        pattern = shape.get("pattern", "")
        if "arn:aws:ivs" in pattern:
            found = ARN_TYPE.search(pattern)
            kind = found.group(1) if found else ""
            choices = list(pool.arns.get(kind, ())) if kind in pool.arns else pool.all_arns()
            if pattern.startswith("^$") and rng.random() < 0.1:
                return ""
            if choices:
                return rng.choice(choices)
        return None

    # -- broken ---------------------------------------------------------------------------

    def broken(self, shape_name: str, member: str = "", depth: int = 0) -> Any:
        """A value that breaks one thing about the shape (its type, a bound, a pattern...)."""
        shape = self.model.shape(shape_name)
        kind = shape["type"]
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            return self.junk(depth)
        if roll < 0.3:
            return rng.choice(WEIRD_STRINGS)
        if kind == "string":
            return self._broken_string(shape)
        if kind in ("integer", "long", "float", "double"):
            bounds = [shape.get("min", 0) - 1, shape.get("max", 2**31) + 1]
            return rng.choice([*bounds, *NUMBERS, "1", 1.5, True])
        if kind == "boolean":
            return rng.choice([0, 1, "true", "false", None, [], {}])
        if kind == "timestamp":
            return rng.choice(["0000-00-00", "9999-99-99T99:99:99Z", -1e20, 1e20, "", True])
        if kind == "list":
            item = shape["member"]["shape"]
            many = shape.get("max", 50) + 1
            return rng.choice(
                [
                    [self.valid(item, member, depth + 1) for _ in range(min(many, 200))],
                    [self.broken(item, member, depth + 1)],
                    [None],
                    "not a list",
                    {"0": "x"},
                ]
            )
        if kind == "map":
            many = shape.get("max", 50) + 1
            return rng.choice(
                [
                    {f"k{i}": "v" for i in range(min(many, 300))},
                    {"": "v"},
                    {"k": None},
                    {"k": 1},
                    {"k" * 200: "v" * 5000},
                    {rng.choice(WEIRD_STRINGS): rng.choice(WEIRD_STRINGS)},
                    ["k", "v"],
                ]
            )
        if kind == "structure":
            value = self.valid(shape_name, member, depth + 1)
            members = shape.get("members", {})
            if members and rng.random() < 0.7:
                name = rng.choice(sorted(members))
                value[name] = self.broken(members[name]["shape"], name, depth + 1)
            else:
                value[rng.choice(["extra", "__proto__", "", "\ud800"])] = self.junk(depth)
            return value
        return self.junk(depth)

    def _broken_string(self, shape: Shape) -> Any:
        rng = self.rng
        low, high = int(shape.get("min", 0)), int(shape.get("max", 4096))
        choices: list[Any] = [
            "x" * (high + 1),
            "\u00e9" * (high + 1),
            "!" * max(1, low),
            " " + "a" * max(low, 1),
            rng.choice(WEIRD_STRINGS),
        ]
        if low > 0:
            choices.append("a" * (low - 1))
        if "enum" in shape:
            choices += [shape["enum"][0].lower(), shape["enum"][0] + " ", "UNKNOWN"]
        if "pattern" in shape:
            text = sample(shape["pattern"], rng, longest=8)
            at = rng.randint(0, len(text))
            choices.append(text[:at] + rng.choice("!/ \u00e9\ud800\x00:") + text[at:])
        return rng.choice(choices)

    # -- odd JSON -------------------------------------------------------------------------

    def junk(self, depth: int = 0) -> Any:
        """Any JSON value: scalars of every type, odd strings, small containers."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.2 or depth > 3:
            return rng.choice([None, True, False, *NUMBERS[:8]])
        if roll < 0.45:
            return rng.choice(WEIRD_STRINGS)
        if roll < 0.6:
            return rng.choice(NUMBERS)
        if roll < 0.8:
            return [self.junk(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(WEIRD_STRINGS): self.junk(depth + 1) for _ in range(rng.randint(0, 3))}


def encode(value: Any, rng: random.Random) -> bytes:
    """JSON text as bytes; lone surrogates travel either as \\uD800 escapes (valid JSON that
    is not Unicode) or as surrogate bytes (invalid UTF-8)."""
    if rng.random() < 0.8:
        return json.dumps(value).encode("ascii")
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def deep(depth: int, rng: random.Random) -> bytes:
    """A deeply nested JSON document: arrays, objects, or both, `depth` levels."""
    style = rng.choice(["array", "object", "mixed"])
    if style == "array":
        return b"[" * depth + b"]" * depth
    if style == "object":
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b'{"a":[' * (depth // 2) + b"1" + b"]}" * (depth // 2)


def odd_body(values: Values, fallback: Any) -> bytes:
    """A body that is not the JSON object an endpoint expects, or is not JSON at all."""
    rng = values.rng
    roll = rng.random()
    if roll < 0.12:
        return deep(rng.choice([64, 1000, 10_000, 100_000]), rng)
    if roll < 0.24:
        return encode(values.junk(), rng)
    if roll < 0.34:
        return rng.choice(
            [
                b"{",
                b"}",
                b"{]",
                b'{"a":}',
                b"{'a': 1}",
                b'{"a":1,}',
                b'{"a":1}{"b":2}',
                b'{"a":1} trailing',
                b"NaN",
                b'{"a": NaN}',
                b'{"a": Infinity, "b": -Infinity}',
                b'{"a": 1e999}',
                b'{"a": -1e999}',
                b'{"a": 1' + b"0" * 5000 + b"}",
                b'{"a":"\\ud800"}',
                b'{"a":"\\udfff\\ud800"}',
                b'{"a":"\\u0000"}',
                b'{"a":"\\x41"}',
                b'{"a":1,"a":2}',
                b"\x00",
                b"   ",
                b"null",
                b"[]",
                b'"text"',
                b"123",
                b"true",
            ]
        )
    if roll < 0.44:
        return rng.choice(
            [
                b'{"a":"\xff\xfe"}',
                b'{"a":"\xc3\x28"}',
                b'{"a":"\xed\xa0\x80"}',
                b'{"a":"\xf4\x90\x80\x80"}',
                b'{"a":"\xc0\xaf"}',
                b"\xef\xbb\xbf{}",
                b"\xff\xfe{\x00}\x00",
                b"\xfe\xff\x00{\x00}",
                bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))),
            ]
        )
    if roll < 0.5:
        size = rng.choice([300_000, 1_100_000, 2_500_000])
        return b'{"a":"' + b"x" * size + b'"}'
    if roll < 0.56:
        return b'{"a":[' + b"1," * rng.choice([10_000, 200_000]) + b"1]}"
    if roll < 0.62:
        return json.dumps({str(i): i for i in range(rng.choice([1000, 50_000]))}).encode()
    if isinstance(fallback, dict):
        value = dict(fallback)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice([*value, "extra", "\ud800", ""]) if value else "extra"
            value[key] = rng.choice([None, values.junk(), {"nested": None}])
        return encode(value, rng)
    return encode(fallback, rng)
