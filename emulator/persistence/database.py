"""The state directory: one SQLite database (the standard library's sqlite3) and a lock file.

`state.sqlite3` runs in WAL mode with `synchronous=FULL`, so a transaction is on disk when its
COMMIT returns, and a process killed at any moment leaves the committed prefix readable: SQLite
rolls a torn WAL tail back on the next open. Three tables:

- `log`: one row per logged write (sequence, account, region, action, arguments as JSON, the
  emulator time, the ids it drew as JSON, whether it failed), appended in one transaction each;
- `snapshot`: at most one row, the whole state as GET /_emulator/export writes it, with the
  log position it includes for each account and region (`positions`);
- `settings`: name -> JSON text, for what lives outside the store
  (emulator/persistence/settings.py).

`lock` is held with fcntl.flock for as long as an emulator uses the directory: a second emulator
on it is refused with StateDirBusy, and the kernel releases the lock when the holder dies,
kill -9 included.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..tokens import TokenSigner

DATABASE = "state.sqlite3"
LOCK = "lock"
SCHEMA_VERSION = 1
SIGNING_KEY = "signing_key"
"""The setting that holds the signing key's PEM (emulator/persistence/settings.py)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    action TEXT NOT NULL,
    arguments TEXT NOT NULL,
    now TEXT NOT NULL,
    drawn TEXT NOT NULL,
    failed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    document TEXT NOT NULL,
    positions TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

Region = tuple[str, str]
"""(account, region)."""


class StateDirBusy(OSError):
    """Another emulator holds the state directory."""


class StateDirUnreadable(ValueError):
    """The state directory holds something this emulator cannot use; the message says what."""


@dataclass(frozen=True)
class LogRow:
    seq: int
    account: str
    region: str
    action: str
    arguments: str
    now: str
    drawn: str
    failed: bool


class StateDirectory:
    """An open state directory: its lock held, its database open. Thread-safe."""

    def __init__(self, path: Path, lock_fd: int, connection: sqlite3.Connection) -> None:
        self.path = path
        self._lock_fd = lock_fd
        self._db = connection
        self._mutex = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, path: str | Path) -> StateDirectory:
        """Lock `path` (created if missing) and open its database; StateDirBusy when another
        emulator holds it."""
        directory = Path(path)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StateDirBusy(
                f"the state directory {directory} is in use by another emulator (pid {holder}); "
                "stop it or give this one another --state-dir"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            connection = _connect(directory / DATABASE)
        except BaseException:
            os.close(fd)  # releases the lock
            raise
        return cls(directory, fd, connection)

    # -- the log ---------------------------------------------------------------------------------

    def append(self, row: LogRow) -> int:
        """Append one write to the log in its own transaction; returns its sequence number.
        `row.seq` is ignored: the database numbers rows, never reusing a number."""
        with self._mutex:
            cursor = self._db.execute(
                "INSERT INTO log (account, region, action, arguments, now, drawn, failed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    row.account,
                    row.region,
                    row.action,
                    row.arguments,
                    row.now,
                    row.drawn,
                    int(row.failed),
                ),
            )
            seq = cursor.lastrowid
        assert seq is not None
        return seq

    def log(self) -> Iterator[LogRow]:
        """Every row of the log, in order."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT seq, account, region, action, arguments, now, drawn, failed "
                "FROM log ORDER BY seq"
            ).fetchall()
        for seq, account, region, action, arguments, now, drawn, failed in rows:
            yield LogRow(seq, account, region, action, arguments, now, drawn, bool(failed))

    def log_length(self) -> int:
        with self._mutex:
            (count,) = self._db.execute("SELECT count(*) FROM log").fetchone()
        return int(count)

    def last_seq(self) -> int:
        """The highest sequence number handed out so far (0 before the first)."""
        with self._mutex:
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'log'").fetchone()
        return int(row[0]) if row else 0

    # -- the snapshot ----------------------------------------------------------------------------

    def snapshot(self) -> tuple[str | None, dict[Region, int]]:
        """The snapshot's document (JSON text) and the log position it includes per region."""
        with self._mutex:
            row = self._db.execute("SELECT document, positions FROM snapshot").fetchone()
        if row is None:
            return None, {}
        document, positions = row
        try:
            return document, {(a, r): int(seq) for a, r, seq in json.loads(positions)}
        except (ValueError, TypeError) as error:
            raise StateDirUnreadable(
                f"the snapshot's log positions are unreadable: {error}"
            ) from None

    def checkpoint(self, document: str, positions: Mapping[Region, int], upto: int) -> None:
        """In one transaction: keep `document` as the snapshot, and drop the log rows it
        includes: those of each region up to its position, and those up to `upto` of the
        regions the snapshot does not have (they were reset or replaced away)."""
        encoded = json.dumps([[a, r, seq] for (a, r), seq in sorted(positions.items())])
        with self._mutex, self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO snapshot (id, document, positions) VALUES (1, ?, ?)",
                (document, encoded),
            )
            for (account, region), seq in positions.items():
                self._db.execute(
                    "DELETE FROM log WHERE account = ? AND region = ? AND seq <= ?",
                    (account, region, seq),
                )
            stale = self._db.execute(
                "SELECT DISTINCT account, region FROM log WHERE seq <= ?", (upto,)
            ).fetchall()
            for account, region in stale:
                if (account, region) not in positions:
                    self._db.execute(
                        "DELETE FROM log WHERE account = ? AND region = ? AND seq <= ?",
                        (account, region, upto),
                    )

    # -- settings --------------------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        with self._mutex:
            return dict(self._db.execute("SELECT name, value FROM settings").fetchall())

    def kept_signer(self) -> TokenSigner | None:
        """The signer of the key kept here, if one is."""
        pem = self.settings().get(SIGNING_KEY)
        return None if pem is None else TokenSigner.from_pem(json.loads(pem).encode("ascii"))

    def save_settings(self, values: Mapping[str, str]) -> None:
        """Replace the named settings, in one transaction."""
        with self._mutex, self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", values.items()
            )

    # -- closing ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (folding the WAL into it) and release the directory."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
            os.close(self._lock_fd)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _connect(file: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(file, isolation_level=None, check_same_thread=False)
        (mode,) = connection.execute("PRAGMA journal_mode=WAL").fetchone()
        if str(mode).lower() != "wal":
            raise StateDirUnreadable(f"{file}: SQLite would not use WAL mode (it said {mode!r})")
        connection.execute("PRAGMA synchronous=FULL")
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise StateDirUnreadable(
                f"{file} was written by a newer emulator (schema {version}; this one reads "
                f"{SCHEMA_VERSION})"
            )
        connection.executescript(SCHEMA)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError as error:
        raise StateDirUnreadable(
            f"{file} is not a database this emulator can use: {error}"
        ) from None
    return connection
