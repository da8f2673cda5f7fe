"""The SQLite database behind the trail: schema, connections and chained appends.

* WAL mode, ``synchronous=FULL``: a committed batch survives a killed process and a
  power cut; readers never block the writer.
* ``audit_events`` is append-only: triggers refuse UPDATE, and DELETE of any row the
  prune checkpoint does not cover. (A determined user can drop triggers; the hash
  chain is what makes that visible.)
* Every batch is one ``BEGIN IMMEDIATE`` transaction that reads the current head,
  chains its rows onto it, inserts them and rewrites the HMAC anchor, then commits.
  ``BEGIN IMMEDIATE`` takes the write lock up front, so writers in several processes
  queue up and the chain stays linear; rows and anchor commit together, so a crash
  can never leave them disagreeing.
* ``audit_fts`` (FTS5, external content) indexes prompt and response for search.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .chain import GENESIS, ChainKey
from .events import COLUMN_NAMES, COLUMNS

__all__ = ["ALL_COLUMNS", "SCHEMA_VERSION", "AuditStore", "Head"]

SCHEMA_VERSION = "1"
#: Every column of ``audit_events``, in table order.
ALL_COLUMNS: tuple[str, ...] = ("seq", *COLUMN_NAMES, "prev_hash", "hash")
#: How long a writer waits for another process's write lock before giving up (seconds).
BUSY_TIMEOUT_S = 30.0

Head = tuple[int, str]


def _schema() -> list[str]:
    """The schema as single statements (``executescript`` would commit our transaction)."""
    cols = ", ".join(f"{c.name} {c.sql_type}" for c in COLUMNS)
    return [
        f"CREATE TABLE IF NOT EXISTS audit_events (seq INTEGER PRIMARY KEY, {cols}, "
        "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS audit_events_run ON audit_events(run_id)",
        "CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events(timestamp)",
        "CREATE INDEX IF NOT EXISTS audit_events_request ON audit_events(request_hash) "
        "WHERE request_hash IS NOT NULL",
        "CREATE TABLE IF NOT EXISTS audit_anchor (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "seq INTEGER NOT NULL, head_hash TEXT NOT NULL, mac TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS audit_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "seq INTEGER NOT NULL, hash TEXT NOT NULL, pruned INTEGER NOT NULL, mac TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        # Only rows the prune checkpoint already vouches for may be deleted.
        "CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events "
        "WHEN old.seq > COALESCE((SELECT seq FROM audit_checkpoint WHERE id = 1), 0) "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only; use prune()'); END",
    ]


def _indexed(row: str) -> str:
    """Whether a row goes into the search index: it has text, and its ``detail`` does not
    say ``"fts": false`` (batch jobs' rows, by default). Both triggers test the same, so
    a row leaves the index only if it went in."""
    return (
        f"({row}.prompt IS NOT NULL OR {row}.response IS NOT NULL) AND CASE WHEN "
        f"json_valid({row}.detail) THEN COALESCE(json_extract({row}.detail, '$.fts'), 1) "
        "ELSE 1 END != 0"
    )


_FTS_SCHEMA = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS audit_fts USING fts5(prompt, response, "
    "content='audit_events', content_rowid='seq', tokenize='unicode61 remove_diacritics 2')",
    # Re-created on every open, so a database made before a trigger changed gets the new one.
    "DROP TRIGGER IF EXISTS audit_fts_insert",
    "DROP TRIGGER IF EXISTS audit_fts_delete",
    "CREATE TRIGGER audit_fts_insert AFTER INSERT ON audit_events "
    f"WHEN {_indexed('new')} "
    "BEGIN INSERT INTO audit_fts(rowid, prompt, response) "
    "VALUES (new.seq, new.prompt, new.response); END",
    "CREATE TRIGGER audit_fts_delete AFTER DELETE ON audit_events "
    f"WHEN {_indexed('old')} "
    "BEGIN INSERT INTO audit_fts(audit_fts, rowid, prompt, response) "
    "VALUES ('delete', old.seq, old.prompt, old.response); END",
]

_INSERT = (
    f"INSERT INTO audit_events ({', '.join(ALL_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in ALL_COLUMNS)})"
)


class AuditStore:
    """One connection to the audit database, guarded by a lock, plus chained appends."""

    def __init__(self, path: str | Path, key: ChainKey) -> None:
        self.memory = str(path) == ":memory:"
        self.path = str(path) if self.memory else str(Path(path).expanduser())
        self.key = key
        self.lock = threading.RLock()
        if not self.memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = _connect(self.path)
        self.has_fts = self._create_schema()

    # -- set-up --------------------------------------------------------------------
    def _create_schema(self) -> bool:
        with self.transaction() as conn:
            for statement in _schema():
                conn.execute(statement)
            has_fts = _try_fts(conn)
            conn.execute(
                "INSERT OR IGNORE INTO audit_meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
            )
            conn.execute(
                "INSERT OR IGNORE INTO audit_meta VALUES ('key_fingerprint', ?)",
                (self.key.fingerprint(),),
            )
            stored = conn.execute(
                "SELECT value FROM audit_meta WHERE key = 'key_fingerprint'"
            ).fetchone()[0]
        if stored != self.key.fingerprint():
            self.close()
            raise ConfigurationError(
                f"The audit database {self.path} was written under a different audit key. "
                "Pass key_path= pointing at the key file that belongs to it (by default "
                "audit.key beside the database in ORCHESTRATION_HOME)."
            )
        return has_fts

    # -- transactions --------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error), holding the lock."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads, inside one read transaction (a consistent snapshot).

        A file database gets a connection of its own, so reads never wait for this
        process's writer; ``:memory:`` shares the one connection.
        """
        if self.memory:
            with self.lock:
                yield self.conn
            return
        conn = _connect(self.path, wal=False)
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        finally:
            conn.close()

    # -- the chain -----------------------------------------------------------------
    def append(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Chain ``rows`` (values in ``COLUMNS`` order) onto the head and commit them.

        Returns the stored rows (``ALL_COLUMNS`` order: seq, values, prev_hash, hash).
        """
        with self.transaction() as conn:
            return self.append_in(conn, rows)

    def append_in(
        self, conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """Chain and insert ``rows`` inside the caller's write transaction; re-anchor."""
        seq, head = self.head_in(conn)
        chained = []
        for values in rows:
            seq += 1
            digest = self.key.row_hash(head, seq, values)
            chained.append((seq, *values, head, digest))
            head = digest
        conn.executemany(_INSERT, chained)
        conn.execute(
            "INSERT OR REPLACE INTO audit_anchor VALUES (1, ?, ?, ?)",
            (seq, head, self.key.anchor_mac(seq, head)),
        )
        return chained

    def head_in(self, conn: sqlite3.Connection) -> Head:
        """The (seq, hash) new rows chain onto.

        A valid anchor ahead of the last row means the tail was cut: we chain from the
        anchor, so the gap stays visible to ``verify()`` instead of being papered over.
        """
        row = conn.execute(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        head: Head = (row[0], row[1]) if row else self.checkpoint_head(conn)
        anchor = conn.execute("SELECT seq, head_hash, mac FROM audit_anchor").fetchone()
        if (
            anchor
            and anchor[0] > head[0]
            and anchor[2] == self.key.anchor_mac(anchor[0], anchor[1])
        ):
            return anchor[0], anchor[1]
        return head

    @staticmethod
    def checkpoint_head(conn: sqlite3.Connection) -> Head:
        """Where the chain starts: the prune checkpoint, or the genesis."""
        row = conn.execute("SELECT seq, hash FROM audit_checkpoint").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def head(self) -> Head:
        """The committed head (seq, hash) of the whole database, all writers included."""
        with self.reading() as conn:
            return self.head_in(conn)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock, contextlib.suppress(sqlite3.Error):
            self.conn.close()


def _connect(path: str, wal: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    if wal and path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit is on disk when it returns, so "committed" means durable.
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def _try_fts(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SAVEPOINT fts")
        for statement in _FTS_SCHEMA:
            conn.execute(statement)
        conn.execute("RELEASE fts")
    except sqlite3.OperationalError:
        conn.execute("ROLLBACK TO fts")
        conn.execute("RELEASE fts")
        return False  # this SQLite was built without FTS5; search() says so
    return True
