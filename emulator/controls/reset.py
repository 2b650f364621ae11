"""The one owner of a reset: each stateful part registers what resetting it means.

POST /_emulator/reset (and the pytest plugin between tests) runs every registered step in
the order registered, so that a test starts as on a fresh emulator (choice C35).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Resets:
    def __init__(self) -> None:
        self._steps: list[Callable[[], object]] = []
        self._lock = threading.Lock()

    def register(self, step: Callable[[], object]) -> None:
        """Run `step` on every reset, after the steps registered before it."""
        self._steps.append(step)

    def reset(self) -> None:
        with self._lock:
            for step in self._steps:
                step()
