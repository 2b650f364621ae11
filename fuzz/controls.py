"""The emulator's own endpoints under /_emulator/: every route with good and bad bodies and
queries, wrong methods, clock moves to the ends of the calendar, faults, behaviours, the stage
and ingest client actions, and imports of exports mutated into inconsistent documents.

ROUTES lists every control route (tests/test_fuzz.py checks it against the app's url_map).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .model import Model
from .tokens import self_signed
from .transport import Case
from .values import NUMBERS, WEIRD_STRINGS, Pool, Values, encode, odd_body

ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/_emulator/health"),
    ("GET", "/_emulator/jwks.json"),
    ("POST", "/_emulator/reset"),
    ("GET", "/_emulator/behaviours"),
    ("POST", "/_emulator/behaviours"),
    ("POST", "/_emulator/stage/join"),
    ("POST", "/_emulator/stage/leave"),
    ("POST", "/_emulator/stage/publish"),
    ("POST", "/_emulator/stage/unpublish"),
    ("POST", "/_emulator/stage/subscribe"),
    ("POST", "/_emulator/stage/unsubscribe"),
    ("POST", "/_emulator/ingest/start"),
    ("POST", "/_emulator/ingest/stop"),
    ("GET", "/_emulator/faults"),
    ("POST", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults/<fault_id>"),
    ("GET", "/_emulator/clock"),
    ("POST", "/_emulator/clock"),
    ("POST", "/_emulator/clock/advance"),
    ("GET", "/_emulator/seed"),
    ("POST", "/_emulator/seed"),
    ("GET", "/_emulator/state"),
    ("POST", "/_emulator/token-check"),
    ("GET", "/_emulator/requests"),
    ("DELETE", "/_emulator/requests"),
    ("GET", "/_emulator/export"),
    ("POST", "/_emulator/import"),
    ("GET", "/_emulator/"),
    ("GET", "/_emulator"),
    ("GET", "/_emulator/dashboard/compositions"),
    ("GET", "/_emulator/events"),
    ("DELETE", "/_emulator/events"),
    ("GET", "/_emulator/events/deliveries"),
)
ROUTE_PATTERNS = tuple(
    re.compile(re.sub(r"<[^>]+>", "[^/]+", re.escape(path).replace(r"\<", "<").replace(r"\>", ">")))
    for _, path in ROUTES
)
DATES = (
    "2026-01-01T00:00:00Z",
    "2030-06-15T12:00:00+02:00",
    "2026-01-01T00:00:00",
    "2026-01-01",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9998-12-31T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "2026-13-45T99:99:99Z",
    "2026-01-01T00:00:00.123456789Z",
    "now",
    "",
    " 2026-01-01T00:00:00Z ",
    "\ud800",
    "\u0662\u0660\u0662\u0666-01-01",
)
SECONDS = (0, 1, 59, 3600, 86_400 * 400, 1.5, 1e-9, 3e11, 99999999999999999999, 2**63, 1e308, -1)


def is_control_route(path: str) -> bool:
    """Whether the path (without its query) names an existing control route, any method."""
    return any(pattern.fullmatch(path) for pattern in ROUTE_PATTERNS)


class ControlCases:
    """Makes cases for the control endpoints."""

    def __init__(self, model: Model, values: Values, pool: Pool) -> None:
        self.model = model
        self.values = values
        self.pool = pool
        self.rng: random.Random = values.rng
        self.makers: dict[str, Callable[[], Case]] = {
            "faults": self.faults,
            "clock": self.clock,
            "advance": self.advance,
            "seed": self.seed,
            "behaviours": self.behaviours,
            "stage": self.stage_action,
            "ingest": self.ingest_action,
            "token-check": self.token_check,
            "reads": self.reads,
            "import": self.import_,
            "wrong-method": self.wrong_method,
            "fault-delete": self.fault_delete,
        }
        self.weights = {
            "faults": 10,
            "clock": 6,
            "advance": 6,
            "seed": 3,
            "behaviours": 6,
            "stage": 22,
            "ingest": 6,
            "token-check": 6,
            "reads": 12,
            "import": 6,
            "wrong-method": 5,
            "fault-delete": 3,
        }

    def any(self) -> Case:
        names = list(self.weights)
        name = self.rng.choices(names, [self.weights[n] for n in names])[0]
        return self.makers[name]()

    def post(self, label: str, path: str, value: Any, bad: float = 0.3) -> Case:
        """POST `value` as JSON, or (with probability `bad`) a body that is not what it takes."""
        rng = self.rng
        body = odd_body(self.values, value) if rng.random() < bad else encode(value, rng)
        headers = [("Content-Type", b"application/json")] if rng.random() < 0.9 else []
        return Case("control", label, "POST", path, headers, body)

    # -- endpoints ----------------------------------------------------------------------------

    def faults(self) -> Case:
        rng = self.rng
        operation = rng.choice(self.model.operations)
        errors = [*operation.errors, "InternalServerException", "ThrottlingException"]
        spec: dict[str, Any] = {
            "operation": operation.name,
            "error": rng.choice(errors),
        }
        if rng.random() < 0.5:
            spec["count"] = rng.choice([1, 2, 3])
        elif rng.random() < 0.5:
            spec["probability"] = rng.choice([0.1, 0.5, 1])
        if rng.random() < 0.3:
            spec["message"] = rng.choice(["injected", *WEIRD_STRINGS[:12]])
        if rng.random() < 0.2:
            spec["account"] = rng.choice(["123456789012", "test", *WEIRD_STRINGS[:8]])
        if rng.random() < 0.1:
            spec["region"] = rng.choice(["us-east-1", *WEIRD_STRINGS[:8]])
        if rng.random() < 0.4:
            member = rng.choice(
                ["operation", "error", "count", "probability", "message", "account", "region", "x"]
            )
            spec[member] = rng.choice(
                [*WEIRD_STRINGS, *NUMBERS, None, True, [], {}, "CreateStage", float("nan")]
            )
        return self.post("faults", "/_emulator/faults", spec)

    def fault_delete(self) -> Case:
        rng = self.rng
        if rng.random() < 0.3:
            return Case("control", "faults", "DELETE", "/_emulator/faults")
        ident = (
            rng.choice(self.pool.fault_ids)
            if self.pool.fault_ids and rng.random() < 0.6
            else rng.choice(["fault-0", "fault-999999", "x", *WEIRD_STRINGS])
        )
        path = "/_emulator/faults/" + quote(ident or "x", safe="", errors="surrogatepass")
        return Case("control", "faults", "DELETE", path)

    def clock(self) -> Case:
        rng = self.rng
        body: dict[str, Any] = {}
        if rng.random() < 0.8:
            body["now"] = rng.choice([*DATES, 0, None, ["2026"]])
        if rng.random() < 0.4:
            body["frozen"] = rng.choice([True, False, "true", 1, None])
        if rng.random() < 0.1:
            body["extra"] = 1
        return self.post("clock", "/_emulator/clock", body)

    def advance(self) -> Case:
        rng = self.rng
        seconds: Any = rng.choice([*SECONDS, "60", None, True, [], float("inf"), float("nan")])
        body = {"seconds": seconds} if rng.random() < 0.95 else {"secs": 1}
        return self.post("clock", "/_emulator/clock/advance", body)

    def seed(self) -> Case:
        rng = self.rng
        seed = rng.choice([1, 42, 0, -1, None, 2**64, 10**40, "1", 1.5, True])
        body: dict[str, Any] = {"seed": seed}
        if rng.random() < 0.1:
            body["extra"] = True
        return self.post("seed", "/_emulator/seed", body)

    def behaviours(self) -> Case:
        rng = self.rng
        body: dict[str, Any] = {}
        if rng.random() < 0.5:
            body["denied"] = rng.choice([[], ["222222222222"], ["\ud800"], "x", [1], None])
        if rng.random() < 0.5:
            body["pendingVerification"] = rng.choice([[], ["111111111111"], [None], {}])
        if rng.random() < 0.6:
            name = rng.choice(["stages", "participant_tokens_per_stage", "compositions", "nope"])
            body["quotas"] = rng.choice(
                [
                    {name: rng.choice([None, 0, 1, 1000, -1, 1.5, 10**30, "5", True])},
                    {},
                    [],
                    {"\ud800": 1},
                ]
            )
        if rng.random() < 0.1:
            body["extra"] = 1
        return self.post("behaviours", "/_emulator/behaviours", body)

    def _token(self) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return self_signed(rng, self.pool)
        if self.pool.tokens and roll < 0.75:
            token = rng.choice(self.pool.tokens)
            if rng.random() < 0.15:
                at = rng.randrange(len(token))
                token = token[:at] + rng.choice("A.-_=\ud800") + token[at + 1 :]
            return token
        return rng.choice(
            [
                "a.b.c",
                "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.",
                "eyJhbGciOiJFUzM4NCJ9.eyJleHAiOjk5OTk5OTk5OTk5OX0.AAAA",
                "x" * 100_000,
                "",
                None,
                17,
                *WEIRD_STRINGS[:10],
            ]
        )

    def stage_action(self) -> Case:
        rng = self.rng
        action = rng.choices(
            ["join", "publish", "subscribe", "unsubscribe", "unpublish", "leave"],
            [30, 20, 15, 10, 10, 15],
        )[0]
        body: dict[str, Any] = {"token": self._token()}
        if action in ("subscribe", "unsubscribe") or rng.random() < 0.05:
            pool = self.pool.participants
            body["publisherId"] = (
                rng.choice(pool) if pool and rng.random() < 0.8 else rng.choice(WEIRD_STRINGS)
            )
        return self.post("stage", f"/_emulator/stage/{action}", body, bad=0.12)

    def ingest_action(self) -> Case:
        rng = self.rng
        keys = self.pool.stream_keys
        key = rng.choice(keys) if keys and rng.random() < 0.8 else rng.choice(WEIRD_STRINGS)
        action = rng.choice(["start", "stop"])
        return self.post("ingest", f"/_emulator/ingest/{action}", {"streamKey": key}, bad=0.15)

    def token_check(self) -> Case:
        return self.post("token-check", "/_emulator/token-check", {"token": self._token()})

    def reads(self) -> Case:
        rng = self.rng
        path = rng.choice(
            [
                "/_emulator/health",
                "/_emulator/jwks.json",
                "/_emulator/behaviours",
                "/_emulator/faults",
                "/_emulator/clock",
                "/_emulator/seed",
                "/_emulator/state",
                "/_emulator/requests",
                "/_emulator/export",
                "/_emulator/",
                "/_emulator",
                "/_emulator/dashboard/compositions",
                "/_emulator/events",
                "/_emulator/events/deliveries",
            ]
        )
        odd = [
            "%C2%B2",
            "-1",
            "0",
            "5",
            "99999999999999999999",
            "1" * 5000,
            "1e3",
            "%20",
            "",
            "%00",
            "%FF",
            "%ED%A0%80",
        ]
        if path == "/_emulator/requests" and rng.random() < 0.8:
            path += "?limit=" + rng.choice(odd)
            if rng.random() < 0.3:
                path += "&operation=" + rng.choice(["CreateStage", "%FF", "", "%00"])
        elif path == "/_emulator/events" and rng.random() < 0.8:
            name = rng.choice(["limit", "since", "detailType", "eventName", "resource", "nope"])
            value = rng.choice([*odd, *("2026-01-01T00:00:00Z", "9999-12-31T23:59:59Z")])
            path += f"?{name}={value}"
        elif path == "/_emulator/state" and rng.random() < 0.6:
            path += "?account=" + rng.choice(["123456789012", "%FF", "%ED%A0%80", ""])
            path += "&region=" + rng.choice(["us-east-1", "%00", "%C2%B2"])
        elif rng.random() < 0.05:
            path += "?" + rng.choice(odd)
        if rng.random() < 0.05 and path != "/_emulator/export":
            return Case(
                "control",
                "reads",
                "DELETE",
                rng.choice(["/_emulator/requests", "/_emulator/events"]),
            )
        return Case("control", "reads", "GET", path)

    def wrong_method(self) -> Case:
        rng = self.rng
        method, path = rng.choice(ROUTES)
        path = path.replace("<fault_id>", "fault-1")
        other = rng.choice(
            [m for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "FOO") if m != method]
        )
        return Case("control", "wrong-method", other, path, [], b"{}")

    def import_(self) -> Case:
        rng = self.rng
        document = self.pool.export
        roll = rng.random()
        if document is None or roll < 0.1:
            value: Any = rng.choice(
                [
                    {},
                    {"regions": []},
                    {"regions": None},
                    {"format": "other"},
                    {"version": 2, "regions": []},
                    [],
                    self.values.junk(),
                ]
            )
            return self.post("import", "/_emulator/import", value, bad=0.3)
        document = copy.deepcopy(document)
        if roll < 0.25:  # unchanged: must import (as JSON, as the controls require)
            body = encode(document, rng)
            headers = [("Content-Type", b"application/json")]
            return Case(
                "control", "import", "POST", "/_emulator/import", headers, body, must_succeed=True
            )
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            mutate(document, rng, self.values)
        return self.post("import", "/_emulator/import", document, bad=0.02)


def _places(value: Any, path: tuple[Any, ...], out: list[tuple[Any, ...]], limit: int) -> None:
    if len(out) >= limit:
        return
    out.append(path)
    if isinstance(value, dict):
        for key, item in value.items():
            _places(item, (*path, key), out, limit)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _places(item, (*path, index), out, limit)


def mutate(document: Any, rng: random.Random, values: Values) -> None:
    """Change one place of an export: a value replaced, removed, duplicated or renamed."""
    places: list[tuple[Any, ...]] = []
    _places(document, (), places, 4000)
    path = rng.choice(places[1:]) if len(places) > 1 else ()
    if not path:
        return
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    current = parent[last]
    roll = rng.random()
    if roll < 0.3:
        parent[last] = _replacement(current, rng, values)
    elif roll < 0.45 and isinstance(parent, dict):
        del parent[last]
    elif roll < 0.55 and isinstance(parent, list):
        parent.append(copy.deepcopy(current))
    elif roll < 0.65 and isinstance(parent, dict):
        parent[rng.choice(["extra", str(last) + "x", "\ud800"])] = parent.pop(last)
    elif roll < 0.8 and isinstance(current, str):
        parent[last] = rng.choice(
            [
                "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59Z",
                "2026-01-01T00:00:00",
                "arn:aws:ivs:us-east-1:123456789012:stage/missing",
                "st-missing",
                current + "x",
                "",
                "\ud800",
            ]
        )
    elif isinstance(current, dict) and current:
        key = rng.choice(sorted(map(str, current)))
        current[key] = _replacement(current.get(key), rng, values)
    else:
        parent[last] = None


def _replacement(current: Any, rng: random.Random, values: Values) -> Any:
    if isinstance(current, bool):
        return rng.choice([not current, 1, "true"])
    if isinstance(current, int):
        return rng.choice([0, -1, current + 1, 2**63, 10**30, 1.5, "1"])
    if isinstance(current, dict):
        return rng.choice([{}, [], {"x": 1}])
    if isinstance(current, list):
        return rng.choice([[], {}, [None], current * 2])
    return values.junk()


def export_size_ok(body: bytes) -> bool:
    """Exports above this size are not kept for mutation (they would slow the run down)."""
    return len(body) <= 512 * 1024


def parse_export(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
