"""Injected faults: make the next N calls of an operation fail, or a share of its calls.

A fault names an operation of the contract and an error that operation models (or
InternalServerException or ThrottlingException, which any call may meet), and fires either
for the next `count` matching calls or, at random, for a `probability` share of them; it can
be narrowed to one account (or access key id) and one region. Faults are part of the
per-account behaviours: `Behaviours.gate` consults them after AccessDeniedException and
PendingVerification and before validation, and the error leaves through
`protocol.error_response` as every error does (choice C32 in contract/README.md).

The probability draw uses its own random generator, seeded from the emulator's seed when it
has one, so a seeded run fires the same faults on the same calls (choice C34).
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..contract.errors import INJECTABLE, ServiceError

ALWAYS_INJECTABLE = ("InternalServerException", "ThrottlingException")
"""Errors a fault may inject on any operation, modelled or not (C32)."""

MEMBERS = ("operation", "error", "message", "count", "probability", "account", "region")


class FaultRefused(ValueError):
    """A fault that cannot be added; the message says why (the admin API answers 400)."""


@dataclass
class Fault:
    """One injected fault and what it has done so far."""

    id: str
    operation: str
    error: str
    message: str
    remaining: int | None
    """Calls it will still fail (count faults); None for a probability fault."""
    probability: float | None
    account: str | None
    region: str | None
    fired: int = 0

    def applies_to(self, operation: str, callers: set[str], region: str | None) -> bool:
        return (
            self.operation == operation
            and (self.account is None or self.account in callers)
            and (self.region is None or self.region == region)
            and (self.remaining is None or self.remaining > 0)
        )

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "error": self.error,
            "message": self.message,
            "remaining": self.remaining,
            "probability": self.probability,
            "account": self.account,
            "region": self.region,
            "fired": self.fired,
        }


class Faults:
    """The faults in force, in the order they were added; thread-safe.

    `modelled` maps each operation of the contract to the error shapes it models.
    """

    def __init__(
        self, modelled: Mapping[str, Iterable[str]] | None = None, seed: int | None = None
    ) -> None:
        self._modelled = {name: tuple(errors) for name, errors in (modelled or {}).items()}
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._added = 0
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        """Restart the probability draws from `seed` (None: unpredictable)."""
        with self._lock:
            self._random = (
                random.Random(f"ivs-emulator faults, seed {seed}")
                if seed is not None
                else random.Random()
            )

    def add(self, spec: Mapping[str, Any]) -> Fault:
        """Add the fault `spec` describes (the JSON body of POST /_emulator/faults)."""
        unknown = sorted(set(spec) - set(MEMBERS))
        if unknown:
            raise FaultRefused(
                f"unknown member(s) {', '.join(unknown)}; a fault has {', '.join(MEMBERS)}"
            )
        operation = _text(spec, "operation", required=True)
        assert operation is not None
        error = _text(spec, "error", required=True)
        assert error is not None
        self._check_error(operation, error)
        remaining, probability = _frequency(spec)
        message = _text(spec, "message") or f"{error}: injected by the emulator on {operation}"
        with self._lock:
            self._added += 1
            fault = Fault(
                id=f"fault-{self._added}",
                operation=operation,
                error=error,
                message=message,
                remaining=remaining,
                probability=probability,
                account=_text(spec, "account"),
                region=_text(spec, "region"),
            )
            self._faults.append(fault)
            return fault

    def views(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.view() for fault in self._faults]

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            kept = [fault for fault in self._faults if fault.id != fault_id]
            removed = len(kept) != len(self._faults)
            self._faults = kept
            return removed

    def clear(self) -> int:
        with self._lock:
            count, self._faults = len(self._faults), []
            return count

    def restore(self, views: Iterable[Mapping[str, Any]]) -> None:
        """Hold exactly the faults `views` describes, as `views()` wrote them (the state
        directory keeps them across restarts); ids added later continue after theirs."""
        faults = [Fault(**{f.name: view[f.name] for f in fields(Fault)}) for view in views]
        suffixes = [fault.id.removeprefix("fault-") for fault in faults]
        with self._lock:
            self._faults = faults
            self._added = max([self._added, *(int(s) for s in suffixes if s.isdigit())])

    def draw(self, operation: str, callers: set[str], region: str | None) -> ServiceError | None:
        """The error of the first fault that fires for this call, or None.

        Faults are tried in the order they were added: a count fault with calls left fires;
        a probability fault fires when its draw falls below its probability.
        """
        with self._lock:
            for fault in self._faults:
                if not fault.applies_to(operation, callers, region):
                    continue
                if fault.probability is not None and self._random.random() >= fault.probability:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                fault.fired += 1
                return INJECTABLE[fault.error](fault.message)
        return None

    def _check_error(self, operation: str, error: str) -> None:
        if operation not in self._modelled:
            raise FaultRefused(
                f"unknown operation {operation!r}: the contract has no such operation "
                "(names are as in the API reference, e.g. CreateParticipantToken)"
            )
        modelled = self._modelled[operation]
        if error in ALWAYS_INJECTABLE or error in modelled:
            return
        allowed = [*modelled, *(e for e in ALWAYS_INJECTABLE if e not in modelled)]
        raise FaultRefused(
            f"{operation} does not model {error}; a fault on {operation} may inject: "
            f"{', '.join(allowed)}"
        )


def _text(spec: Mapping[str, Any], name: str, required: bool = False) -> str | None:
    value = spec.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise FaultRefused(f"'{name}' must be a non-empty string")
    return value


def _frequency(spec: Mapping[str, Any]) -> tuple[int | None, float | None]:
    """(count, probability): exactly one is set; neither given means the next call only."""
    count, probability = spec.get("count"), spec.get("probability")
    if count is not None and probability is not None:
        raise FaultRefused("give either 'count' or 'probability', not both")
    if probability is not None:
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not math.isfinite(probability)
            or not 0 <= probability <= 1
        ):
            raise FaultRefused("'probability' must be a number from 0 to 1")
        return None, float(probability)
    if count is None:
        return 1, None
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise FaultRefused("'count' must be a whole number of calls, at least 1")
    return count, None
