"""Identifier generation: real-looking ids from one source, seedable for repeatable runs.

With a seed, the same sequence of calls gives the same resource ids, request ids and paging
secret, run after run; `reseed` (POST /_emulator/seed) starts that sequence again as a fresh
emulator started with the seed would (choice C34 in contract/README.md).
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import string
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

ALNUM = string.ascii_letters + string.digits


def derived_secret(seed: int | None, purpose: str) -> bytes:
    """32 bytes for `purpose`: derived from the seed when there is one, otherwise random."""
    if seed is None:
        return os.urandom(32)
    return hashlib.sha256(f"ivs-emulator {purpose}, seed {seed}".encode()).digest()


class IdGenerator:
    """Makes resource ids, request ids and the paging secret; seedable."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._drawing = threading.local()
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        """Start again from `seed` (None: unpredictable ids and a new random paging secret)."""
        with self._lock:
            self._seed = seed
            self._random: random.Random = (
                random.Random(seed) if seed is not None else secrets.SystemRandom()
            )
            self._paging_secret = derived_secret(seed, "paging secret")
            self._event_random: random.Random = (
                random.Random(derived_secret(seed, "event ids"))
                if seed is not None
                else secrets.SystemRandom()
            )

    @property
    def seed(self) -> int | None:
        with self._lock:
            return self._seed

    @property
    def paging_secret(self) -> bytes:
        """Key of the HMAC that binds nextToken values to this emulator (service/paging.py)."""
        with self._lock:
            return self._paging_secret

    def alnum(self, length: int) -> str:
        """`length` characters of [A-Za-z0-9], like stage and participant ids."""
        with self._lock:
            drawn = "".join(self._random.choice(ALNUM) for _ in range(length))
        log: list[str] | None = getattr(self._drawing, "log", None)
        if log is not None:
            log.append(drawn)
        return drawn

    @contextmanager
    def drawing(self) -> Iterator[list[str]]:
        """Collect, in order, the ids this thread draws inside the block (a write's commit
        carries them, so that a replay can draw the same ones)."""
        previous = getattr(self._drawing, "log", None)
        log: list[str] = []
        self._drawing.log = log
        try:
            yield log
        finally:
            self._drawing.log = previous

    def resource_id(self) -> str:
        """A 12-character id, as real stage, participant and other resource ids are."""
        return self.alnum(12)

    def session_id(self) -> str:
        """A stage session id: 'st-' and 13 characters [A-Za-z0-9]."""
        return "st-" + self.alnum(13)

    def event_id(self) -> str:
        """A UUID for an EventBridge event (emulator/events/): from a generator of its own,
        seeded from the seed, so that events never shift the resource ids a seed gives and never
        appear in a commit's drawn ids (choice C60)."""
        with self._lock:
            return str(uuid.UUID(int=self._event_random.getrandbits(128), version=4))

    def request_id(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
