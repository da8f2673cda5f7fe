"""The lookup indexes, filled lazily: rows are indexed when a search (or a replay)
needs them, not when they are written.

An FTS5 trigger on every insert cost the writer more than everything else it does per
row together (about 35 µs of CPU for a typical ``call`` row); the writer now only
appends, and ``audit_meta.fts_seq`` records how far the index reaches. Before every
search (and before a prune deletes rows) :func:`catch_up` indexes the rows after
``fts_seq`` in bounded batches, one write transaction each, so a search always sees
every row committed before it started. SQLite's ``INSERT … SELECT`` runs in C without
the GIL, and in bulk it is cheaper per row than the trigger was.

Replay look-ups work the same way (:data:`REPLAY`, ``audit_replay``), except that a
look-up never waits for a write: it reads the table plus the rows after its reach, and
brings it up to date afterwards once it lags by more than a few thousand rows.

The rule for what is indexed is the one the trigger had (:func:`indexed_sql`): rows with
text whose ``detail`` does not say ``"fts": false``. The delete trigger removes a row from
the index only if the row is in it (``seq <= fts_seq`` and the same rule), because
deleting an entry that was never added corrupts an external-content FTS5 index.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "CATCH_UP_ROWS",
    "REPLAY",
    "REPLAYABLE",
    "SEARCH",
    "TOKENIZE",
    "LazyIndex",
    "behind",
    "catch_up",
    "indexed_sql",
    "indexed_through",
    "start_lazy_index",
]

#: Rows indexed per write transaction while catching up (bounds how long the write lock
#: is held: a few tens of milliseconds).
CATCH_UP_ROWS = 5000

#: How the search index splits and folds words (also used for the in-memory tail index).
TOKENIZE = "unicode61 remove_diacritics 2"

_FTS_SEQ = "(SELECT CAST(value AS INTEGER) FROM audit_meta WHERE key = 'fts_seq')"


def indexed_sql(row: str) -> str:
    """SQL that is true when ``row`` (``new``, ``old`` or a table) belongs in the index: it
    has text, and its ``detail`` does not say ``"fts": false`` (batch jobs' rows)."""
    return (
        f"({row}.prompt IS NOT NULL OR {row}.response IS NOT NULL) AND CASE WHEN "
        f"json_valid({row}.detail) THEN COALESCE(json_extract({row}.detail, '$.fts'), 1) "
        "ELSE 1 END != 0"
    )


#: The delete trigger: only rows the index holds leave it.
DELETE_TRIGGER = (
    "CREATE TRIGGER audit_fts_delete AFTER DELETE ON audit_events "
    f"WHEN old.seq <= COALESCE({_FTS_SEQ}, 0) AND {indexed_sql('old')} "
    "BEGIN INSERT INTO audit_fts(audit_fts, rowid, prompt, response) "
    "VALUES ('delete', old.seq, old.prompt, old.response); END"
)


class AuditStore(Protocol):
    """What catching up needs of ``store.AuditStore`` (which imports this module)."""

    has_fts: bool
    lock: threading.RLock
    conn: sqlite3.Connection
    synchronous: str

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` holding the lock."""


@dataclass(frozen=True)
class LazyIndex:
    """A lookup structure filled from ``audit_events`` after the fact: ``meta_key`` in
    ``audit_meta`` holds the ``seq`` it reaches, ``fill`` inserts the rows of a ``seq``
    range (two parameters: after, up to)."""

    name: str
    meta_key: str
    fill: str


#: Full-text search over prompt and response (needs FTS5).
SEARCH = LazyIndex(
    "search",
    "fts_seq",
    "INSERT INTO audit_fts(rowid, prompt, response) SELECT seq, prompt, response "
    f"FROM audit_events WHERE seq > ? AND seq <= ? AND {indexed_sql('audit_events')}",
)

#: Which rows a replay may answer from (see :mod:`.replay`).
REPLAYABLE = (
    "request_hash IS NOT NULL AND event = 'call' AND status = 'ok' AND error_type IS NULL "
    "AND response IS NOT NULL"
)
#: Replayable calls by request hash. It replaces an index on ``request_hash``, whose
#: random keys cost the writer about 7 µs of CPU per row, for a mode that is opt-in.
REPLAY = LazyIndex(
    "replay",
    "replay_seq",
    "INSERT OR IGNORE INTO audit_replay(request_hash, seq) SELECT request_hash, seq "
    f"FROM audit_events WHERE seq > ? AND seq <= ? AND {REPLAYABLE}",
)


def indexed_through(conn: sqlite3.Connection, index: LazyIndex = SEARCH) -> int:
    """The ``seq`` up to which every row that belongs in ``index`` is in it."""
    row = conn.execute("SELECT value FROM audit_meta WHERE key = ?", (index.meta_key,)).fetchone()
    return int(row[0]) if row else 0


def start_lazy_index(conn: sqlite3.Connection) -> None:
    """Migration 4: stop indexing on insert. A file whose insert trigger existed has every
    row in the search index so far; one without (new, or SQLite without FTS5) has none.
    The index on ``request_hash`` gives way to ``audit_replay``, filled from the start."""
    trigger = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_fts_insert'"
    ).fetchone()
    top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]
    conn.execute(
        "INSERT OR IGNORE INTO audit_meta VALUES ('fts_seq', ?)", (str(top if trigger else 0),)
    )
    conn.execute("DROP TRIGGER IF EXISTS audit_fts_insert")
    conn.execute("DROP INDEX IF EXISTS audit_events_request")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS audit_replay (request_hash TEXT NOT NULL, "
        "seq INTEGER NOT NULL, PRIMARY KEY (request_hash, seq)) WITHOUT ROWID"
    )
    conn.execute("INSERT OR IGNORE INTO audit_meta VALUES ('replay_seq', '0')")


def behind(conn: sqlite3.Connection, index: LazyIndex) -> int:
    """How many ``seq`` values ``index`` lacks (on any connection, read or write)."""
    top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]
    return max(0, int(top) - indexed_through(conn, index))


def catch_up(store: AuditStore, index: LazyIndex = SEARCH, rows: int = CATCH_UP_ROWS) -> int:
    """Fill ``index`` with every committed row it lacks, ``rows`` at a time; returns how
    many ``seq`` values it covered (0 when up to date, or for search without FTS5).

    These transactions are committed with ``synchronous=NORMAL`` whatever the trail's
    setting: what they write is derived from committed rows, and a power cut that took
    them back would only make the next search or replay index those rows again.
    """
    if index is SEARCH and not store.has_fts:
        return 0
    covered = 0
    with store.lock:
        setting = store.synchronous
        store.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            while True:
                with store.transaction() as conn:
                    done = indexed_through(conn, index)
                    top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[
                        0
                    ]
                    if top <= done:
                        return covered
                    upper = min(top, done + rows)
                    conn.execute(index.fill, (done, upper))
                    conn.execute(
                        "INSERT OR REPLACE INTO audit_meta VALUES (?, ?)",
                        (index.meta_key, str(upper)),
                    )
                covered += upper - done
        finally:
            store.conn.execute(f"PRAGMA synchronous = {setting}")
