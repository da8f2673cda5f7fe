"""How the SQLite bus store keeps session contexts: current keys plus a log of changes.

Version 1 (up to commit 540279b) stored the whole merged context at every version, so
n small updates cost O(n²) bytes. Now each version stores only its change:

* ``context_keys``: the current context, one row per key (``pos`` keeps dict order);
  an update upserts its keys, a replace deletes the session's keys and inserts anew;
* ``context_changes``: one row per version — ``kind`` is ``merge`` (the update dict)
  or ``set`` (the whole new context) — from which any version is rebuilt.

``get_context`` reads the keys (cost: the context's own size); a write touches only
the keys it changes (flat per update); history replays the changes in order.
"""

from __future__ import annotations

import sqlite3

from .store import ContextVersion, decode, decode_context, encode, merge_context

__all__ = [
    "CONTEXT_SCHEMA_V2",
    "history",
    "latest",
    "migrate_v1_contexts",
    "version_of",
    "write",
]

CONTEXT_SCHEMA_V2 = [
    "CREATE TABLE IF NOT EXISTS context_changes (session_id TEXT NOT NULL, "
    "version INTEGER NOT NULL, ts REAL NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL, "
    "PRIMARY KEY (session_id, version))",
    "CREATE TABLE IF NOT EXISTS context_keys (session_id TEXT NOT NULL, key TEXT NOT NULL, "
    "pos INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (session_id, key))",
    # The next key's place is MAX(pos) + 1: an index keeps that one look-up, not a scan.
    "CREATE INDEX IF NOT EXISTS context_keys_order ON context_keys (session_id, pos)",
]


def version_of(db: sqlite3.Connection, session_id: str) -> tuple[int, float] | None:
    """The session's current ``(version, ts)`` (one index look-up), or None."""
    row = db.execute(
        "SELECT version, ts FROM context_changes WHERE session_id = ? "
        "ORDER BY version DESC LIMIT 1",
        (session_id,),
    ).fetchone()
    return (row[0], row[1]) if row else None


def latest(db: sqlite3.Connection, session_id: str) -> ContextVersion | None:
    """The current version of a session's context, or None."""
    head = version_of(db, session_id)
    if head is None:
        return None
    rows = db.execute(
        "SELECT key, value FROM context_keys WHERE session_id = ? ORDER BY pos", (session_id,)
    )
    return ContextVersion(head[0], head[1], {k: decode(v) for k, v in rows})


def write(
    db: sqlite3.Connection, session_id: str, data: dict[str, object], merge: bool, ts: float
) -> int:
    """Record one change (inside the caller's write transaction); return its version.

    Touches only the keys in ``data`` (a replace also deletes the session's keys), so
    the cost of an update does not grow with the context.
    """
    head = version_of(db, session_id)
    version = (head[0] if head else 0) + 1
    if not merge:
        db.execute("DELETE FROM context_keys WHERE session_id = ?", (session_id,))
    top = db.execute(
        "SELECT COALESCE(MAX(pos), 0) FROM context_keys WHERE session_id = ?", (session_id,)
    ).fetchone()[0]
    for i, (key, value) in enumerate(data.items(), start=1):
        # A key already there keeps its place (its pos), as in a merged dict.
        db.execute(
            "INSERT INTO context_keys (session_id, key, pos, value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value",
            (session_id, key, top + i, encode(value, f"context value {key!r}")),
        )
    db.execute(
        "INSERT INTO context_changes (session_id, version, ts, kind, data) VALUES (?, ?, ?, ?, ?)",
        (session_id, version, ts, "merge" if merge else "set", encode(data, "context data")),
    )
    return version


def history(db: sqlite3.Connection, session_id: str) -> list[ContextVersion]:
    """Every version, oldest first, rebuilt from the changes."""
    out: list[ContextVersion] = []
    data: dict[str, object] = {}
    for version, ts, kind, text in db.execute(
        "SELECT version, ts, kind, data FROM context_changes WHERE session_id = ? ORDER BY version",
        (session_id,),
    ):
        data = merge_context(data, decode_context(text), kind == "merge")
        out.append(ContextVersion(version, ts, data))
    return out


def migrate_v1_contexts(db: sqlite3.Connection) -> None:
    """Turn version-1 full copies into changes: a version that only adds or changes keys
    becomes a ``merge`` of those keys, one that drops keys a ``set``."""
    for statement in CONTEXT_SCHEMA_V2:
        db.execute(statement)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "contexts" not in tables:
        return
    sessions = [r[0] for r in db.execute("SELECT DISTINCT session_id FROM contexts")]
    for sid in sessions:
        previous: dict[str, object] = {}
        for _version, ts, text in db.execute(
            "SELECT version, ts, data FROM contexts WHERE session_id = ? ORDER BY version",
            (sid,),
        ).fetchall():
            full = decode_context(text)
            dropped = set(previous) - set(full)
            if dropped or list(previous) != list(full)[: len(previous)]:
                write(db, sid, full, False, ts)
            else:
                changed = {k: v for k, v in full.items() if k not in previous or previous[k] != v}
                write(db, sid, changed, True, ts)
            previous = full
    db.execute("DROP TABLE contexts")
