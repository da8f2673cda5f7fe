"""The embedded bus store: one SQLite file (WAL) under ``ORCHESTRATION_HOME``.

All SQL runs on one dedicated worker thread, so the runtime loop never blocks on disk
and the connection is only ever used by the thread that made it. Each write is its own
transaction and is committed before the awaiting coroutine resumes. WAL lets other
processes (a second kernel, a restarted one) read and write the same file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .message import BusMessage
from .store import ContextVersion, Turn, decode, encode, merge_context

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL, session_id TEXT, ts REAL NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offsets (
    consumer TEXT PRIMARY KEY, seq INTEGER NOT NULL, ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS contexts (
    session_id TEXT NOT NULL, version INTEGER NOT NULL, ts REAL NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (session_id, version));
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, role TEXT NOT NULL,
    content TEXT NOT NULL, model TEXT, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS turns_by_session ON turns (session_id, id);
"""


class SQLiteStore:
    """A :class:`~.store.Store` in one SQLite database file, in WAL mode."""

    kind = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    # -- lifecycle -----------------------------------------------------------------
    async def open(self) -> None:
        """Create the file, switch to WAL and create the tables."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(1, "bus-sqlite")
        await self._call(self._open_sync)

    def _open_sync(self) -> None:
        if self._conn is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a write is committed
        # exactly when its function returns.
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (what a kernel restart is); FULL
        # would add an fsync per commit for power-loss safety we do not promise.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        self._conn = conn

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

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise RuntimeError(f"the bus store {self.path} is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"the bus store {self.path} is not open")
        return self._conn

    # -- durable log ---------------------------------------------------------------
    async def append_message(self, topic: str, data: Any, session_id: str | None, ts: float) -> int:
        """Insert a durable message (committed on return); returns its seq."""
        text = encode(data, f"data for durable topic {topic!r}")
        return await self._call(self._append_sync, topic, text, session_id, ts)

    def _append_sync(self, topic: str, text: str, session_id: str | None, ts: float) -> int:
        cur = self._db().execute(
            "INSERT INTO messages (topic, session_id, ts, data) VALUES (?, ?, ?, ?)",
            (topic, session_id, ts, text),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def read_messages(self, after_seq: int, limit: int) -> list[BusMessage]:
        """Up to ``limit`` messages with seq > ``after_seq``, oldest first."""
        rows = await self._call(self._read_sync, after_seq, limit)
        return [BusMessage(seq, t, decode(d), s, ts, durable=True) for seq, t, s, ts, d in rows]

    def _read_sync(self, after_seq: int, limit: int) -> list[tuple[Any, ...]]:
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
        rows = self._fetch("SELECT seq FROM offsets WHERE consumer = ?", (consumer,))
        return int(rows[0][0]) if rows else 0

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
        self, session_id: str, data: dict[str, Any], *, merge: bool, ts: float
    ) -> ContextVersion:
        """Add a context version in one IMMEDIATE transaction (no lost updates)."""
        encode(data, "context data")  # fail fast, before touching the database
        return await self._call(self._write_context_sync, session_id, data, merge, ts)

    def _write_context_sync(
        self, session_id: str, data: dict[str, Any], merge: bool, ts: float
    ) -> ContextVersion:
        db = self._db()
        # IMMEDIATE takes the write lock before the read, so two processes merging into
        # the same session serialise instead of overwriting each other.
        db.execute("BEGIN IMMEDIATE")
        try:
            latest = self._latest_sync(session_id)
            version = (latest.version if latest else 0) + 1
            new = merge_context(latest.data if latest else {}, data, merge)
            db.execute(
                "INSERT INTO contexts (session_id, version, ts, data) VALUES (?, ?, ?, ?)",
                (session_id, version, ts, encode(new, "context data")),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return ContextVersion(version, ts, new)

    def _latest_sync(self, session_id: str) -> ContextVersion | None:
        row = (
            self._db()
            .execute(
                "SELECT version, ts, data FROM contexts WHERE session_id = ? "
                "ORDER BY version DESC LIMIT 1",
                (session_id,),
            )
            .fetchone()
        )
        return ContextVersion(row[0], row[1], decode(row[2])) if row else None

    async def read_context(self, session_id: str) -> ContextVersion | None:
        """The latest version, or None."""
        return await self._call(self._latest_sync, session_id)

    async def context_history(self, session_id: str) -> list[ContextVersion]:
        """All versions, oldest first."""
        rows = await self._call(
            self._fetch,
            "SELECT version, ts, data FROM contexts WHERE session_id = ? ORDER BY version",
            (session_id,),
        )
        return [ContextVersion(v, ts, decode(d)) for v, ts, d in rows]

    async def sessions(self) -> list[str]:
        """Sessions with a context or a conversation."""
        rows = await self._call(
            self._fetch,
            "SELECT session_id FROM contexts UNION SELECT session_id FROM turns ORDER BY 1",
            (),
        )
        return [r[0] for r in rows]

    # -- conversation --------------------------------------------------------------
    async def append_turns(self, session_id: str, turns: Sequence[Turn]) -> None:
        """Append turns in one transaction (committed on return)."""
        rows = [(session_id, t.role, t.content, t.model, t.ts) for t in turns]
        await self._call(self._append_turns_sync, rows)

    def _append_turns_sync(self, rows: list[tuple[Any, ...]]) -> None:
        conn = self._db()
        with conn:  # one commit for the batch
            conn.executemany(
                "INSERT INTO turns (session_id, role, content, model, ts) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    async def conversation(self, session_id: str) -> list[Turn]:
        """The session's turns, oldest first."""
        rows = await self._call(
            self._fetch,
            "SELECT role, content, model, ts FROM turns WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [Turn(*row) for row in rows]

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return self._db().execute(sql, params).fetchall()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"
