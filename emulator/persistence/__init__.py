"""Persistence (`--state-dir`): every acknowledged write kept in SQLite and brought back on
restart (docs/persistence.md, choice C55 in contract/README.md).

`database` holds the SQLite file and the directory's lock, `log` turns a Commit into a row of
the log, `replay` runs logged writes again through the service, `settings` captures and
restores what lives outside the store (signing key, clock, seed, behaviours), and `keeper`
ties them together: an observer of every commit, compaction, and start-up.
"""

from __future__ import annotations

from .database import StateDirBusy, StateDirectory
from .keeper import Persistence

__all__ = ["Persistence", "StateDirBusy", "StateDirectory"]
