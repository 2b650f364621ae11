"""The passing of time as a source of events: a background thread that asks the derivation to
catch up every PERIOD seconds while something can still happen without a write (a composition
not yet STOPPED, a recording waiting out its reconnect window).

The thread starts when there is something to wait for and ends when there is not, or when the
emulator it serves is gone (it holds the derivation only weakly), so an idle emulator or one a
test dropped holds no thread.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

from .derivation import Deriver

log = logging.getLogger("emulator.events")

PERIOD = 0.5
"""Seconds between two catch-ups."""


class Ticker:
    def __init__(self, deriver: Deriver, period: float = PERIOD) -> None:
        self._deriver = weakref.ref(deriver)
        self._period = period
        self._lock = threading.Lock()
        self._running = False

    def wake(self) -> None:
        """Make sure the thread runs while the derivation waits on time."""
        deriver = self._deriver()
        if deriver is None or not deriver.waiting:
            return
        with self._lock:
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="events ticker", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self._period)
            deriver = self._deriver()
            if deriver is None:
                return
            try:
                deriver.catch_up()
            except Exception:  # keep ticking: a bug here must not stop the events
                log.exception("catching up the events failed")
            with self._lock:
                if not deriver.waiting:
                    self._running = False
                    return
            del deriver
