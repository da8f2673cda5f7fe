"""Retention: prune rows older than an age, keep the chain verifiable, compact the file.

Pruning removes a *prefix* of the chain (every row up to the first one that is young
enough; a younger row is never removed, so the remaining chain has no holes). In the
same transaction it

1. writes the checkpoint: the ``seq`` and hash of the last pruned row, the running
   count of pruned rows, and an HMAC over them — the remaining chain starts there;
2. deletes the rows (their full-text entries go with them, by trigger, and their
   replay entries with them);
3. appends a ``prune`` event, chained and anchored like any other row, saying what
   was removed.

Then it compacts: FTS optimise, ``VACUUM`` and a WAL checkpoint.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from datetime import UTC, datetime, timedelta

from .rows import RowEncoder, format_timestamp
from .store import AuditStore

__all__ = ["prune"]


def prune(
    store: AuditStore,
    encoder: RowEncoder,
    older_than: timedelta,
    identity: str | None = None,
) -> int:
    """Delete rows recorded more than ``older_than`` ago; return how many went."""
    cutoff = format_timestamp(datetime.now(UTC) - older_than)
    with store.transaction() as conn:
        removed = _remove_prefix(store, conn, cutoff)
        if removed:
            detail = {
                "rows_removed": removed[0],
                "through_seq": removed[1],
                "cutoff": cutoff,
                "older_than_s": older_than.total_seconds(),
            }
            row = encoder.encode(
                (
                    time.time(),
                    "prune",
                    {"status": "ok", "identity": identity, "detail": detail},
                    None,
                    True,
                )
            )
            store.append_in(conn, [row])
    if removed:
        _compact(store)
    return removed[0] if removed else 0


def _remove_prefix(
    store: AuditStore, conn: sqlite3.Connection, cutoff: str
) -> tuple[int, int] | None:
    """Checkpoint and delete the old prefix; return (rows removed, last removed seq)."""
    young = conn.execute(
        "SELECT MIN(seq) FROM audit_events WHERE timestamp >= ?", (cutoff,)
    ).fetchone()[0]
    bound = conn.execute(
        "SELECT MAX(seq) FROM audit_events" + (" WHERE seq < ?" if young is not None else ""),
        (young,) if young is not None else (),
    ).fetchone()[0]
    if bound is None:
        return None
    last_hash = conn.execute("SELECT hash FROM audit_events WHERE seq = ?", (bound,)).fetchone()[0]
    count = conn.execute("SELECT COUNT(*) FROM audit_events WHERE seq <= ?", (bound,)).fetchone()[0]
    before = conn.execute("SELECT pruned FROM audit_checkpoint").fetchone()
    pruned = (before[0] if before else 0) + count
    conn.execute(
        "INSERT OR REPLACE INTO audit_checkpoint VALUES (1, ?, ?, ?, ?)",
        (bound, last_hash, pruned, store.key.checkpoint_mac(bound, last_hash, pruned)),
    )
    conn.execute("DELETE FROM audit_events WHERE seq <= ?", (bound,))
    conn.execute("DELETE FROM audit_replay WHERE seq <= ?", (bound,))
    return count, bound


def _compact(store: AuditStore) -> None:
    with store.lock, contextlib.suppress(sqlite3.OperationalError):
        if store.has_fts:
            store.conn.execute("INSERT INTO audit_fts(audit_fts) VALUES ('optimize')")
        store.conn.execute("VACUUM")
        if not store.memory:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
