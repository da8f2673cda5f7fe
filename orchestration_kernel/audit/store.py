"""The SQLite database behind the trail: schema, connections and chained appends.

* WAL mode, ``synchronous=FULL`` by default: a committed batch survives a killed process
  and a power cut; readers never block the writer. ``synchronous="NORMAL"`` is the
  opt-in (:data:`SYNCHRONOUS`): a committed batch survives a killed process, not a power
  cut (the WAL is fsynced at checkpoints, not at every commit).
* ``audit_events`` is append-only: triggers refuse UPDATE, and DELETE of any row the
  prune checkpoint does not cover. (A determined user can drop triggers; the hash
  chain is what makes that visible.)
* Every batch is one ``BEGIN IMMEDIATE`` transaction that reads the current head,
  chains its rows onto it, inserts them and rewrites the HMAC anchor, then commits.
  ``BEGIN IMMEDIATE`` takes the write lock up front, so writers in several processes
  queue up and the chain stays linear; rows and anchor commit together, so a crash
  can never leave them disagreeing.
* ``audit_fts`` (FTS5, external content) indexes prompt and response for search. Rows
  enter it lazily, before a search needs them (:mod:`.index`), not on every insert.
* A new file gets 16 KiB pages: about a quarter less CPU per appended row than 4 KiB
  (rows are ~1 KB), and fewer pages to walk when reading.
* Under the batch writer, WAL checkpoints run on a thread of their own (:mod:`.checkpoint`)
  rather than inside the commit that crosses SQLite's threshold.
* After each commit the high-water mark (:mod:`.mark`, a file beside the database) moves
  to the new head, so a database emptied or rolled back on its own is caught.
* The layout has a version (``audit_meta.schema_version``); opening a file runs the
  migrations it lacks (:data:`MIGRATIONS`) in the opening transaction.
* A rollback never hides the error that caused it, and every ``sqlite3`` error that
  reaches a user is a :class:`~orchestration_kernel.errors.StorageError` naming the file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import ConfigurationError, StorageError
from ..storage.files import private_dir
from ..storage.schema import Migration, migrate
from ..storage.sqlite import connect, storage_error, transaction
from .chain import GENESIS, ChainKey
from .checkpoint import CHECKPOINT_PAGES, WAL_LIMIT_PAGES, Checkpointer
from .events import COLUMN_NAMES, COLUMNS
from .index import DELETE_TRIGGER, TOKENIZE, start_lazy_index
from .mark import INVALID, HighWaterMark
from .sqlrow import Row

__all__ = ["ALL_COLUMNS", "SCHEMA_VERSION", "SYNCHRONOUS", "AuditStore", "Head"]

#: The layout this release writes (see ``MIGRATIONS`` in :class:`AuditStore`).
SCHEMA_VERSION = 4
#: Every column of ``audit_events``, in table order.
ALL_COLUMNS: tuple[str, ...] = ("seq", *COLUMN_NAMES, "prev_hash", "hash")
#: How long a writer waits for another process's write lock before giving up (seconds).
BUSY_TIMEOUT_S = 30.0
#: The page size of a new audit database (bytes).
PAGE_SIZE = 16384

Head = tuple[int, str]
#: Where a stored row (``ALL_COLUMNS`` order) has its long texts.
_PROMPT, _RESPONSE, _DETAIL = (ALL_COLUMNS.index(c) for c in ("prompt", "response", "detail"))

#: The durability settings a trail accepts (SQLite's ``PRAGMA synchronous``) and what
#: each promises for a committed batch.
SYNCHRONOUS: dict[str, str] = {
    "FULL": "survives a killed process and a power cut",
    "NORMAL": "survives a killed process, not a power cut",
}


def synchronous_setting(value: str) -> str:
    """``value`` as a key of :data:`SYNCHRONOUS`, or a :class:`ConfigurationError`."""
    setting = value.upper() if isinstance(value, str) else value
    if setting not in SYNCHRONOUS:
        raise ConfigurationError(
            f"synchronous={value!r} is not a durability setting of the audit trail; use "
            "'FULL' (the default: a commit survives a power cut) or 'NORMAL' (a commit "
            "survives a killed process, not a power cut)."
        )
    return str(setting)


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


def _add_later_columns(conn: sqlite3.Connection) -> None:
    """Migration 3: a table made before a column existed gains it (empty in old rows,
    which hash as before: see ``chain._hashed``); a new table has it already."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(audit_events)")}
    for column in COLUMNS:
        if column.name not in have:
            conn.execute(f"ALTER TABLE audit_events ADD COLUMN {column.name} {column.sql_type}")


_FTS_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS audit_fts USING fts5(prompt, response, "
    f"content='audit_events', content_rowid='seq', tokenize='{TOKENIZE}')"
)
#: The index triggers by name. A database whose trigger differs (made before it changed)
#: gets this one when opened; an up-to-date one is left alone. Rows enter the index
#: lazily (see :mod:`.index`), so there is no insert trigger.
_FTS_TRIGGERS = {"audit_fts_delete": DELETE_TRIGGER}

_INSERT = (
    f"INSERT INTO audit_events ({', '.join(ALL_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in ALL_COLUMNS)})"
)


class AuditStore:
    """One connection to the audit database, guarded by a lock, plus chained appends."""

    def __init__(self, path: str | Path, key: ChainKey, synchronous: str = "FULL") -> None:
        #: ``"FULL"`` or ``"NORMAL"`` (see :data:`SYNCHRONOUS`).
        self.synchronous = synchronous_setting(synchronous)
        self.memory = str(path) == ":memory:"
        self.path = str(path) if self.memory else str(Path(path).expanduser())
        self.key = key
        self.lock = threading.RLock()
        #: The high-water mark beside the database (``None`` for ``:memory:``).
        self.mark: HighWaterMark | None = None
        #: Set by the batch writer: :meth:`append` leaves the mark due, and the writer
        #: writes it (:meth:`advance_mark`) once it has woken the runs waiting for the
        #: commit. The mark is not a durability promise (it is not fsynced and may lag
        #: the database, which verifies), so it need not delay them.
        self.defer_mark = False
        self._mark_due: Head | None = None
        #: The head our last :meth:`append` committed, and the connection's
        #: ``PRAGMA data_version`` then (see :meth:`append`); ``None`` when unknown.
        self._known_head: tuple[int, Head] | None = None
        #: Runs the WAL checkpoints once :meth:`checkpoint_in_background` is called; and
        #: (an estimate of) the bytes our commits added to the WAL since the last one.
        self._checkpointer: Checkpointer | None = None
        self._wal_bytes = 0
        self._checkpoint_bytes = 0
        if not self.memory:
            try:
                private_dir(Path(self.path).parent)
            except OSError as exc:
                raise storage_error(exc, Path(self.path).parent, "create the folder") from None
            self.mark = HighWaterMark(Path(self.path + ".mark"), key)
        try:
            self.conn = _connect(self.path, synchronous=self.synchronous)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path, "open the audit database") from None
        try:
            self.has_fts = self._create_schema()
        except sqlite3.Error as exc:
            self.close()
            raise storage_error(exc, self.path, "prepare the audit database") from None
        except StorageError:
            self.close()
            raise

    # -- set-up --------------------------------------------------------------------
    def _create_schema(self) -> bool:
        with self.transaction() as conn:
            found = self._found_version(conn)
            version = migrate(conn, found, self._migrations(), self.path)
            has_fts = _try_fts(conn)
            conn.execute(
                "INSERT OR REPLACE INTO audit_meta VALUES ('schema_version', ?)", (str(version),)
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

    def _found_version(self, conn: sqlite3.Connection) -> int:
        """The file's layout version: 0 for a new (empty) file; refuses a foreign one."""
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return 0
        if "audit_events" not in tables or "audit_meta" not in tables:
            raise StorageError(
                f"{self.path} is a SQLite database but not an audit trail (its tables: "
                f"{', '.join(sorted(tables)[:5])}). Point AuditTrail(path=...) or "
                "ORCHESTRATION_HOME at the audit database, or move this file aside.",
                self.path,
                "not an audit database",
            )
        row = conn.execute("SELECT value FROM audit_meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 1

    def _migrations(self) -> list[Migration]:
        """Each step from one layout to the next, oldest first."""
        return [
            Migration(1, "the append-only chain, anchor, checkpoint and search", _create_v1),
            Migration(2, "the high-water mark outside the file", self._start_mark),
            Migration(3, "the Guardian's stage in a column of its own", _add_later_columns),
            Migration(
                4, "the search index filled lazily, not by an insert trigger", start_lazy_index
            ),
        ]

    def _start_mark(self, conn: sqlite3.Connection) -> None:
        """Upgrading a file written before marks existed: its current head becomes the
        first mark (trust on first use; the chain up to it is still verified)."""
        if self.mark is not None and self.mark.read() is None:
            seq, head = self.head_in(conn)
            if seq > 0:
                self.mark.advance(seq, head)

    # -- transactions --------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error), holding the lock."""
        with self.lock, transaction(self.conn) as conn:
            self._known_head = None  # a write of another kind: the next append looks
            yield conn

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
        try:
            conn = _connect(self.path, wal=False)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path, "read the audit database") from None
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:  # damaged since it was opened, disk errors
            raise storage_error(exc, self.path, "read the audit database") from exc
        finally:
            conn.close()

    # -- the chain -----------------------------------------------------------------
    def append(self, rows: Sequence[Row]) -> list[Row]:
        """Chain ``rows`` (values in ``COLUMNS`` order) onto the head and commit them.

        Returns the stored rows (``ALL_COLUMNS`` order: seq, values, prev_hash, hash).
        """
        with self.lock:
            known, self._known_head = self._known_head, None
            with transaction(self.conn) as conn:
                # ``data_version`` changes when any other connection (another trail, another
                # process, a tool) commits to the file, and only then: unchanged since our
                # last append, the write lock held, the head is the one that append left
                # (rows, anchor and mark all point at it), so it is not read again.
                version = conn.execute("PRAGMA data_version").fetchone()[0]
                known_head = known[1] if known is not None and known[0] == version else None
                chained, (seq, head) = self._chain_in(conn, rows, known_head)
            self._known_head = (version, (seq, head))  # committed: the next append's head
            self._grew(chained)
            if chained and self.mark is not None:
                if self.defer_mark:
                    self._mark_due = (seq, head)
                else:
                    self.mark.advance(seq, head)
            return chained

    def checkpoint_in_background(self) -> None:
        """Leave WAL checkpoints to a thread of their own (:mod:`.checkpoint`) instead of
        the commit that crosses SQLite's threshold; the batch writer asks for it."""
        if self.memory or self._checkpointer is not None:
            return
        with self.lock:
            page = int(self.conn.execute("PRAGMA page_size").fetchone()[0])
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_LIMIT_PAGES}")
        self._checkpoint_bytes = CHECKPOINT_PAGES * page
        self._checkpointer = Checkpointer(
            lambda: _connect(self.path, wal=False, synchronous=self.synchronous),
            self.path,
            self.lock,
        )

    def _grew(self, rows: list[Row]) -> None:
        """Count what a commit of ``rows`` added to the WAL; ask for a checkpoint every
        ``CHECKPOINT_PAGES`` pages or so. The estimate: each row's long texts (prompt,
        response, detail) and ~600 bytes for the rest of it and its index entries, plus
        the few pages every commit rewrites (the last leaves of the table and its
        indexes, the anchor)."""
        checkpointer = self._checkpointer
        if checkpointer is None:
            return
        size = self._checkpoint_bytes // CHECKPOINT_PAGES * 4 + 600 * len(rows)
        for row in rows:
            for text in (row[_PROMPT], row[_RESPONSE], row[_DETAIL]):
                if isinstance(text, str):
                    size += len(text)
        self._wal_bytes += size
        if self._wal_bytes >= self._checkpoint_bytes:
            self._wal_bytes = 0
            checkpointer.request()

    @property
    def mark_due(self) -> bool:
        """Whether an :meth:`append` left the high-water mark to write."""
        return self._mark_due is not None

    def advance_mark(self) -> None:
        """Write the high-water mark an :meth:`append` left due (see ``defer_mark``)."""
        with self.lock:
            due, self._mark_due = self._mark_due, None
            if due is not None and self.mark is not None:
                self.mark.advance(*due)

    def append_in(self, conn: sqlite3.Connection, rows: Sequence[Row]) -> list[Row]:
        """Chain and insert ``rows`` inside the caller's write transaction; re-anchor."""
        return self._chain_in(conn, rows)[0]

    def _chain_in(
        self, conn: sqlite3.Connection, rows: Sequence[Row], known: Head | None = None
    ) -> tuple[list[Row], Head]:
        """``append_in``, and the new head (the last stored row's seq and hash), chained
        onto ``known`` when the caller knows the head, else onto :meth:`head_in`."""
        seq, head = self.head_in(conn) if known is None else known
        chained: list[Row] = []
        append = chained.append
        key = self.key
        row_mac = key.row_mac
        for values in rows:
            seq += 1
            # An encoded row brings the text its hash covers: only the link is made here.
            body = getattr(values, "body", None)
            if body is not None:
                digest = row_mac(head, seq, body)
            else:
                digest = key.row_hash(head, seq, values)
            append((seq, *values, head, digest))
            head = digest
        conn.executemany(_INSERT, chained)
        conn.execute(
            "INSERT OR REPLACE INTO audit_anchor VALUES (1, ?, ?, ?)",
            (seq, head, self.key.anchor_mac(seq, head)),
        )
        return chained, (seq, head)

    def head_in(self, conn: sqlite3.Connection) -> Head:
        """The (seq, hash) new rows chain onto.

        A valid anchor or high-water mark ahead of the last row means the tail was cut
        (or the file emptied): we chain from the furthest of them, so the gap stays
        visible to ``verify()`` instead of being papered over.
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
            head = anchor[0], anchor[1]
        # known(): not read and verified again while the file is as our last write left it.
        mark = self.mark.known() if self.mark is not None else None
        if mark is not None and mark is not INVALID and mark.seq > head[0]:
            head = mark.seq, mark.head
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
        """Close the connection (idempotent), after the checkpoint thread's."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        with self.lock, contextlib.suppress(sqlite3.Error):
            self.conn.close()


def _create_v1(conn: sqlite3.Connection) -> None:
    for statement in _schema():
        conn.execute(statement)


def _connect(path: str, wal: bool = True, synchronous: str = "FULL") -> sqlite3.Connection:
    if path == ":memory:":
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    else:
        conn = connect(path, timeout=BUSY_TIMEOUT_S, what="open the audit database")
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    # Takes effect only on a file with no tables yet (before WAL is set); else ignored.
    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    if wal and path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit is on disk when it returns, so "committed" means durable. NORMAL
    # (opt-in): in the OS's hands when it returns, so a power cut can lose it.
    conn.execute(f"PRAGMA synchronous = {synchronous_setting(synchronous)}")
    return conn


def _try_fts(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SAVEPOINT fts")
        conn.execute(_FTS_TABLE)
        for name, sql in _FTS_TRIGGERS.items():
            found = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
            ).fetchone()
            if found is None or found[0] != sql:
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")
                conn.execute(sql)
        conn.execute("RELEASE fts")
    except sqlite3.OperationalError:
        conn.execute("ROLLBACK TO fts")
        conn.execute("RELEASE fts")
        return False  # this SQLite was built without FTS5; search() says so
    return True
