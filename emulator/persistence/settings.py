"""What the state directory keeps besides the store: the signing key, the clock, the seed and
the behaviours (denied and pending callers, quotas, faults), each as one JSON setting.

`capture` reads them from a running backend; `restore` puts them back after the store has
been rebuilt. Issued tokens are not kept: admission judges a token by its signature, so the
kept key makes the tokens issued before a restart verify again (choice C55).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from ..contract.timestamps import parse_instant
from ..controls.clock import ControlledClock
from ..service.context import Backend
from .database import SIGNING_KEY

CLOCK = "clock"
SEED = "seed"
BEHAVIOURS = "behaviours"
FAULTS = "faults"


def capture(backend: Backend) -> dict[str, str]:
    """Every setting of `backend`, as JSON text by name."""
    behaviours = backend.behaviours.snapshot()
    values: dict[str, Any] = {
        SIGNING_KEY: backend.signer.private_pem().decode("ascii"),
        SEED: backend.ids.seed,
        BEHAVIOURS: {
            "denied": behaviours["denied"],
            "pendingVerification": behaviours["pendingVerification"],
            "quotas": behaviours["quotas"],
        },
        FAULTS: backend.behaviours.faults.views(),
    }
    if isinstance(backend.clock, ControlledClock):
        status = backend.clock.status()
        values[CLOCK] = {
            "frozen": status["frozen"],
            "now": status["now"],
            "offsetSeconds": status["offsetSeconds"],
        }
    return {name: json.dumps(value) for name, value in values.items()}


def restore(backend: Backend, settings: Mapping[str, str]) -> None:
    """Put the kept clock, seed and behaviours back on `backend` (those that were kept)."""
    values = {name: json.loads(text) for name, text in settings.items()}
    if SEED in values:
        seed = values[SEED]
        backend.ids.reseed(seed)
        backend.behaviours.faults.reseed(seed)
    clock = values.get(CLOCK)
    if clock is not None and isinstance(backend.clock, ControlledClock):
        if clock["frozen"]:
            backend.clock.set(now=parse_instant(clock["now"]), frozen=True)
        else:
            offset = float(clock["offsetSeconds"])
            if not math.isfinite(offset):
                raise ValueError(f"the kept clock offset is not a number: {offset}")
            backend.clock.set(frozen=False)
            current = backend.clock.status()["offsetSeconds"]
            assert isinstance(current, float)
            backend.clock.advance(offset - current)
    behaviours = values.get(BEHAVIOURS)
    if behaviours is not None:
        backend.behaviours.update(
            denied=list(behaviours["denied"]),
            pending_verification=list(behaviours["pendingVerification"]),
            quotas=dict(behaviours["quotas"]),
        )
    if FAULTS in values:
        backend.behaviours.faults.restore(values[FAULTS])
