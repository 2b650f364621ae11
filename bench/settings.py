"""The two sizes of a run: `make bench` (FULL) and `make bench-quick` (QUICK, a minute or two).

QUICK has the same table shape as FULL: fewer and shorter rounds, and states scaled down by
ten (its memory run is smaller still, and its per-token figure extrapolated).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    mode: str
    rounds: int
    burst: float  # seconds of each measurement in a round
    settle: float  # seconds between the first call and reading idle memory
    growth_tokens: int
    growth_budget: float  # seconds the memory run may spend issuing tokens
    scaling_tokens: tuple[int, ...]
    scaling_stages: tuple[int, ...]
    scaling_samples: int
    scaling_budget: float  # seconds each scaling column may take to grow
    connections: int = 16
    jwt_threads: int = 2


FULL = Settings(
    mode="full", rounds=7, burst=3.0, settle=1.0,
    growth_tokens=100_000, growth_budget=900.0,
    scaling_tokens=(0, 10_000, 100_000), scaling_stages=(1_000, 10_000),
    scaling_samples=500, scaling_budget=900.0,
)  # fmt: skip
QUICK = Settings(
    mode="quick", rounds=3, burst=1.0, settle=0.3,
    growth_tokens=3_000, growth_budget=20.0,
    scaling_tokens=(0, 1_000, 10_000), scaling_stages=(100, 1_000),
    scaling_samples=150, scaling_budget=40.0,
)  # fmt: skip
