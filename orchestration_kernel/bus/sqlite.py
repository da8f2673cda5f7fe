"""The embedded bus store: one SQLite file (WAL) under ``ORCHESTRATION_HOME``.

All SQL runs on one dedicated worker thread, so the runtime loop never blocks on disk
and the connection is only ever used by the thread that made it. Each write is one
``BEGIN IMMEDIATE`` transaction and is committed before the awaiting coroutine resumes
(``synchronous=NORMAL`` in WAL: a killed process loses nothing committed; a power cut
may lose the last commits). WAL lets other processes (a second kernel, a restarted
one) read and write the same file.

The file is created owner-only (0600). Its layout has a version (``bus_meta``) and
opening runs the migrations it lacks; contexts are stored as changes (see
:mod:`.context_log`). Every ``sqlite3`` error reaches the caller as a
:class:`~orchestration_kernel.errors.StorageError` naming the file and the cause.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar, TypeVarTuple

from ..errors import StorageError
from ..storage.files import private_dir
from ..storage.schema import Migration, migrate
from ..storage.sqlite import connect, storage_error, transaction
from . import context_log
from .group_commit import GroupCommit
from .message import BusMessage
from .store import ContextVersion, Turn, decode, encode, encode_plain, merge_context

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

T = TypeVar("T")
Args = TypeVarTuple("Args")
#: One SQLite cell, as the sqlite3 module gives it back.
_Cell = str | int | float | bytes | None
#: One row of the ``turns`` table: session id, role, content, model, ts.
_TurnRow = tuple[str, str, str, str | None, float]

#: The layout this release writes.
SCHEMA_VERSION = 2

# Version 1: the layout of commit 540279b (contexts as full copies, no bus_meta).
_SCHEMA_V1 = [
    "CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "topic TEXT NOT NULL, session_id TEXT, ts REAL NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS offsets (consumer TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
    "ts REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS turns (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "session_id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, model TEXT, "
    "ts REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS turns_by_session ON turns (session_id, id)",
]
#: Sessions whose current context is cached (checked against the version on every use).
_CACHED_SESSIONS = 64
_OURS = {"messages", "offsets", "turns", "contexts", "context_changes", "bus_meta"}


def _create_v1(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V1:
        db.execute(statement)


MIGRATIONS = [
    Migration(1, "messages, offsets and turns", _create_v1),
    Migration(2, "contexts stored as changes", context_log.migrate_v1_contexts),
]


class SQLiteStore:
    """A :class:`~.store.Store` in one SQLite database file, in WAL mode."""

    kind = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        # The current context per session, used only while its version is still the
        # latest in the file (touched only by the worker thread).
        self._contexts: dict[str, ContextVersion] = {}
        # Conversation appends that arrive together commit together (see group_commit).
        self._turns: GroupCommit[_TurnRow] = GroupCommit(self._append_turns_sync, self._error)

    # -- lifecycle -----------------------------------------------------------------
    async def open(self) -> None:
        """Create the file, switch to WAL and create the tables."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(1, "bus-sqlite")
        await self._call(self._open_sync)

    def _open_sync(self) -> None:
        if self._conn is not None:
            return
        try:
            private_dir(self.path.parent)
        except OSError as exc:
            raise storage_error(exc, self.path.parent, "create the folder") from None
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a write is committed
        # exactly when its function returns.
        conn = connect(self.path, timeout=self._busy_timeout_s, what="open the bus database")
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a process crash (what a kernel restart is); FULL
            # would add an fsync per commit for power-loss safety we do not promise.
            conn.execute("PRAGMA synchronous=NORMAL")
            vacuum = self._migrate(conn)
            if vacuum:  # the old full-copy contexts are gone: give the space back
                conn.execute("VACUUM")
        except sqlite3.Error as exc:
            conn.close()
            raise storage_error(exc, self.path, "prepare the bus database") from None
        except StorageError:
            conn.close()
            raise
        self._conn = conn

    def _migrate(self, conn: sqlite3.Connection) -> bool:
        """Bring the file to :data:`SCHEMA_VERSION`; True when old contexts were compacted."""
        with transaction(conn):
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            tables.discard("sqlite_sequence")
            if tables and not tables & _OURS:
                raise StorageError(
                    f"{self.path} is a SQLite database but not a bus store (its tables: "
                    f"{', '.join(sorted(tables)[:5])}). Pass ContextBus(store=...) the bus "
                    "file, or move this one aside.",
                    str(self.path),
                    "not a bus database",
                )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS bus_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            row = conn.execute("SELECT value FROM bus_meta WHERE key = 'schema_version'").fetchone()
            found = int(row[0]) if row else (1 if tables else 0)
            version = migrate(conn, found, MIGRATIONS, self.path)
            conn.execute(
                "INSERT OR REPLACE INTO bus_meta VALUES ('schema_version', ?)", (str(version),)
            )
        return "contexts" in tables

    async def close(self) -> None:
        """Close the connection and stop the worker thread."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        await asyncio.get_running_loop().run_in_executor(executor, self._close_sync)
        executor.shutdown(wait=False)

    def _close_sync(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _call(self, fn: Callable[[*Args], T], *args: *Args) -> T:
        if self._executor is None:
            raise RuntimeError(f"the bus store {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path, "use the bus database") from None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"the bus store {self.path} is not open")
        return self._conn

    # -- durable log ---------------------------------------------------------------
    async def append_message(
        self, topic: str, data: object, session_id: str | None, ts: float
    ) -> int:
        """Insert a durable message (committed on return); returns its seq."""
        text = encode(data, f"data for durable topic {topic!r}")
        return await self._call(self._append_sync, topic, text, session_id, ts)

    def _append_sync(self, topic: str, text: str, session_id: str | None, ts: float) -> int:
        with transaction(self._db()) as db:
            cur = db.execute(
                "INSERT INTO messages (topic, session_id, ts, data) VALUES (?, ?, ?, ?)",
                (topic, session_id, ts, text),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def read_messages(self, after_seq: int, limit: int) -> list[BusMessage]:
        """Up to ``limit`` messages with seq > ``after_seq``, oldest first."""
        rows = await self._call(self._read_sync, after_seq, limit)
        return [BusMessage(seq, t, decode(d), s, ts, durable=True) for seq, t, s, ts, d in rows]

    def _read_sync(
        self, after_seq: int, limit: int
    ) -> list[tuple[int, str, str | None, float, str]]:
        return (
            self._db()
            .execute(
                "SELECT seq, topic, session_id, ts, data FROM messages WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (after_seq, limit),
            )
            .fetchall()
        )

    async def get_offset(self, consumer: str) -> int:
        """The consumer's last acknowledged seq, or 0."""
        return await self._call(self._get_offset_sync, consumer)

    def _get_offset_sync(self, consumer: str) -> int:
        row = self._db().execute("SELECT seq FROM offsets WHERE consumer = ?", (consumer,))
        first = row.fetchone()
        return int(first[0]) if first else 0

    async def set_offset(self, consumer: str, seq: int) -> None:
        """Move the consumer's offset forward (committed on return)."""
        await self._call(
            self._fetch,
            "INSERT INTO offsets (consumer, seq, ts) VALUES (?, ?, ?) "
            "ON CONFLICT (consumer) DO UPDATE SET seq = max(seq, excluded.seq), ts = excluded.ts",
            (consumer, seq, time.time()),
        )

    # -- session context -----------------------------------------------------------
    async def write_context(
        self, session_id: str, data: dict[str, object], *, merge: bool, ts: float
    ) -> ContextVersion:
        """Add a context version in one IMMEDIATE transaction (no lost updates)."""
        # Fail fast, before touching the database; cache what a reader will get back.
        _, plain = encode_plain(data, "context data")
        return await self._call(self._write_context_sync, session_id, plain, merge, ts)

    def _write_context_sync(
        self, session_id: str, data: dict[str, object], merge: bool, ts: float
    ) -> ContextVersion:
        # IMMEDIATE takes the write lock before the read, so two processes merging into
        # the same session serialise instead of overwriting each other.
        with transaction(self._db()) as db:
            base = self._current(db, session_id)
            version = context_log.write(db, session_id, data, merge, ts)
        if base is not None and merge:
            base.data.update(data)  # the cached dict, updated in place: O(len(data))
            new = base.data
        else:
            new = merge_context({}, data, merge)
        self._remember(ContextVersion(version, ts, new), session_id)
        return ContextVersion(version, ts, dict(new))  # the caller's own copy

    def _current(self, db: sqlite3.Connection, session_id: str) -> ContextVersion | None:
        """The latest version: from the cache when no one (no process) wrote since."""
        head = context_log.version_of(db, session_id)
        cached = self._contexts.get(session_id)
        if head is None:
            return None
        if cached is not None and cached.version == head[0]:
            return cached
        latest = context_log.latest(db, session_id)
        if latest is not None:
            self._remember(latest, session_id)
        return latest

    def _remember(self, current: ContextVersion, session_id: str) -> None:
        if len(self._contexts) >= _CACHED_SESSIONS and session_id not in self._contexts:
            self._contexts.pop(next(iter(self._contexts)))
        self._contexts[session_id] = current

    async def read_context(self, session_id: str) -> ContextVersion | None:
        """The latest version, or None."""
        return await self._call(self._read_context_sync, session_id)

    def _read_context_sync(self, session_id: str) -> ContextVersion | None:
        with transaction(self._db(), "DEFERRED") as db:  # keys and version from one snapshot
            current = self._current(db, session_id)
        return ContextVersion(current.version, current.ts, dict(current.data)) if current else None

    async def context_history(self, session_id: str) -> list[ContextVersion]:
        """All versions, oldest first."""
        return await self._call(self._history_sync, session_id)

    def _history_sync(self, session_id: str) -> list[ContextVersion]:
        with transaction(self._db(), "DEFERRED") as db:
            return context_log.history(db, session_id)

    async def sessions(self) -> list[str]:
        """Sessions with a context or a conversation."""
        rows = await self._call(
            self._fetch,
            "SELECT session_id FROM context_changes UNION SELECT session_id FROM turns ORDER BY 1",
            (),
        )
        return [str(r[0]) for r in rows]

    # -- conversation --------------------------------------------------------------
    async def append_turns(self, session_id: str, turns: Sequence[Turn]) -> None:
        """Append turns in one transaction (committed on return; appends that arrive
        while one commits share the next transaction)."""
        if self._executor is None:
            raise RuntimeError(f"the bus store {self.path} is closed")
        rows = [(session_id, t.role, t.content, t.model, t.ts) for t in turns]
        await self._turns.append(rows, self._executor)

    def _error(self, exc: Exception) -> BaseException:
        """What a caller raises for a failed write: a StorageError naming the file."""
        if isinstance(exc, sqlite3.Error):
            return storage_error(exc, self.path, "use the bus database")
        return exc

    def _append_turns_sync(self, rows: list[_TurnRow]) -> None:
        # One explicit transaction: on an autocommit connection ``with conn:`` would not
        # begin one, and each row would commit on its own.
        with transaction(self._db()) as conn:
            conn.executemany(
                "INSERT INTO turns (session_id, role, content, model, ts) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    async def conversation(self, session_id: str) -> list[Turn]:
        """The session's turns, oldest first."""
        return await self._call(self._conversation_sync, session_id)

    def _conversation_sync(self, session_id: str) -> list[Turn]:
        rows = self._db().execute(
            "SELECT role, content, model, ts FROM turns WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [Turn(*row) for row in rows.fetchall()]

    def _fetch(self, sql: str, params: tuple[_Cell, ...]) -> list[tuple[_Cell, ...]]:
        rows: list[tuple[_Cell, ...]] = self._db().execute(sql, params).fetchall()
        return rows

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"
