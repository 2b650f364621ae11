"""The persistence of one emulator: it logs every commit, compacts, and restores at start-up.

- Writing: `observe` is one of the backend's observers (emulator/service/transactions.py), so
  it runs under the write's region lock before the answer leaves; it appends the commit to the
  log in one SQLite transaction (synchronous: on disk when it returns).
- Compaction (`checkpoint`): the whole state as GET /_emulator/export writes it, each region read
  under its lock together with the log position it includes, replaces the snapshot and drops
  the log rows it includes, in one transaction. It runs in a background thread every
  `compact_every` logged commits, at start-up, after a reset or an import, and at close.
- Start-up (`restore`): the snapshot through controls/snapshot.py's import (which validates it),
  then every later logged write, replayed (emulator/persistence/replay.py), then the settings
  (emulator/persistence/settings.py).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass

from ..contract.errors import InternalServerException
from ..contract.timestamps import format_instant
from ..controls.snapshot import FORMAT, VERSION, ImportRefused, import_state, region_document
from ..service.context import Backend
from ..service.transactions import Commit
from ..tokens import TokenSigner
from . import settings
from .database import LogRow, Region, StateDirectory, StateDirUnreadable
from .log import Logged, read_row, row_of, worth_logging
from .replay import Replayer

log = logging.getLogger("emulator.persistence")

COMPACT_EVERY = 5000
"""Logged commits between two snapshots: start-up replays at most about this many."""


@dataclass(frozen=True)
class Restored:
    """What start-up found in the state directory."""

    regions: int
    replayed: int
    diverged: int
    """Replayed writes that failed where they had succeeded (each logged as a warning)."""


class Persistence:
    """Keeps `backend`'s state in `directory`. Thread-safe."""

    def __init__(
        self, directory: StateDirectory, backend: Backend, *, compact_every: int = COMPACT_EVERY
    ) -> None:
        self.directory = directory
        self.backend = backend
        self.compact_every = compact_every
        self._positions: dict[Region, int] = {}
        """The last logged commit of each region; written under that region's lock."""
        self._checkpointing = threading.Lock()
        self._counting = threading.Lock()
        self._since_checkpoint = 0
        self._wake = threading.Event()
        self._closed = False
        self._compactor: threading.Thread | None = None

    # -- start-up --------------------------------------------------------------------------------

    @classmethod
    def start(
        cls, directory: StateDirectory, backend: Backend, replay_signer: TokenSigner | None = None
    ) -> Persistence:
        """Restore `backend` from `directory`, then log its every write there."""
        persistence = cls(directory, backend)
        try:
            persistence.restore(replay_signer)
        except BaseException:
            directory.close()
            raise
        backend.observers.append(persistence.observe)
        return persistence

    def restore(self, replay_signer: TokenSigner | None = None) -> Restored:
        """Rebuild the store from the directory, put the settings back, and compact.

        `replay_signer` signs the tokens replayed writes issue (the key they were issued
        with); the backend's own by default."""
        stored = self.directory.settings()
        text, positions = self.directory.snapshot()
        if text is not None:
            try:
                import_state(self.backend, json.loads(text))
            except (ImportRefused, ValueError) as error:
                raise StateDirUnreadable(
                    f"the snapshot in {self.directory.path} cannot be read back: {error}"
                ) from None
        self._positions = dict(positions)
        replayer = Replayer(self.backend, replay_signer)
        replayed = 0
        for row in self.directory.log():
            key = (row.account, row.region)
            if row.seq <= positions.get(key, 0):
                continue
            write = self._readable(row)
            if write is not None:
                replayer.run(write)
                replayed += 1
            self._positions[key] = row.seq
        settings.restore(self.backend, stored)
        self.checkpoint()
        restored = Restored(len(self.backend.store.regions()), replayed, replayer.diverged)
        log.info(
            "state restored from %s: %d account-region(s), %d logged write(s) replayed",
            self.directory.path,
            restored.regions,
            restored.replayed,
        )
        return restored

    def _readable(self, row: LogRow) -> Logged | None:
        try:
            return read_row(row)
        except (ValueError, TypeError) as error:
            log.warning("skipping unreadable log row %d: %s", row.seq, error)
            return None

    # -- writing ---------------------------------------------------------------------------------

    def observe(self, commit: Commit) -> None:
        """A backend observer: log `commit` (under its region's lock) before its answer leaves."""
        if not worth_logging(commit):
            return
        try:
            seq = self.directory.append(row_of(commit))
        except sqlite3.Error as error:
            log.error("could not save %s to the state directory: %s", commit.action, error)
            raise InternalServerException(
                "The write could not be saved to the state directory; it may be lost on restart"
            ) from None
        self._positions[(commit.account, commit.region)] = seq
        with self._counting:
            self._since_checkpoint += 1
            due = self._since_checkpoint >= self.compact_every
        if due:
            self._start_compactor()
            self._wake.set()

    def checkpoint(self) -> None:
        """Write the whole state as the snapshot, drop the log rows it includes, and save the
        settings."""
        with self._checkpointing:
            with self._counting:
                self._since_checkpoint = 0
            upto = self.directory.last_seq()
            regions, positions = [], {}
            states = sorted(self.backend.store.regions(), key=lambda s: (s.account, s.region))
            for state in states:
                with state.lock:
                    regions.append(region_document(state))
                    key = (state.account, state.region)
                    positions[key] = self._positions.get(key, 0)
            document = {
                "format": FORMAT,
                "version": VERSION,
                "exportedAt": format_instant(self.backend.clock.now()),
                "regions": regions,
            }
            self.directory.checkpoint(json.dumps(document), positions, upto)
            self.save_settings()

    def save_settings(self) -> None:
        """Keep the signing key, clock, seed and behaviours as they are now."""
        self.directory.save_settings(settings.capture(self.backend))

    # -- compaction in the background -------------------------------------------------------------

    def _start_compactor(self) -> None:
        with self._counting:
            if self._compactor is not None or self._closed:
                return
            self._compactor = threading.Thread(
                target=self._compact, name="emulator-compaction", daemon=True
            )
            self._compactor.start()

    def _compact(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                self.checkpoint()
            except Exception:
                log.exception("compacting the state directory failed; the log goes on growing")

    # -- closing ---------------------------------------------------------------------------------

    def close(self) -> None:
        """A last snapshot, then release the directory. Idempotent."""
        with self._counting:
            if self._closed:
                return
            self._closed = True
            compactor = self._compactor
        self._wake.set()
        if compactor is not None:
            compactor.join()
        try:
            self.checkpoint()
        finally:
            self.directory.close()
