"""Identifier generation: real-looking ids from one source, seedable for repeatable runs."""

from __future__ import annotations

import random
import secrets
import string
import threading
import uuid

ALNUM = string.ascii_letters + string.digits


class IdGenerator:
    """Makes resource ids; with a seed, the same sequence of calls gives the same ids."""

    def __init__(self, seed: int | None = None) -> None:
        self._random: random.Random = (
            random.Random(seed) if seed is not None else secrets.SystemRandom()
        )
        self._lock = threading.Lock()

    def alnum(self, length: int) -> str:
        """`length` characters of [A-Za-z0-9], like stage and participant ids."""
        with self._lock:
            return "".join(self._random.choice(ALNUM) for _ in range(length))

    def resource_id(self) -> str:
        """A 12-character id, as real stage, participant and other resource ids are."""
        return self.alnum(12)

    def session_id(self) -> str:
        """A stage session id: 'st-' and 13 characters [A-Za-z0-9]."""
        return "st-" + self.alnum(13)

    def request_id(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
