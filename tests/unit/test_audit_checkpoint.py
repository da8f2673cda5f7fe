"""WAL checkpoints run on the store's own thread, not inside the commit a caller waits for."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.checkpoint import CHECKPOINT_PAGES, WAL_LIMIT_PAGES

_TEXT = "a typical prompt of a few hundred characters, written again and again. " * 4


def _record(trail: AuditTrail, start: int, n: int) -> None:
    for i in range(start, start + n):
        trail.record(
            "call", run_id=f"r{i}", model="m", prompt=f"{_TEXT} #{i}", response=_TEXT,
            detail={"n": i},
        )  # fmt: skip


def _wait_for(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_commits_leave_the_checkpoint_to_the_store_thread(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    store = trail._store
    # The writer's connection keeps SQLite's own checkpoint only as a distant bound.
    limit = store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert limit == WAL_LIMIT_PAGES > CHECKPOINT_PAGES
    checkpointer = store._checkpointer
    assert checkpointer is not None
    assert checkpointer.runs == 0
    # ~20 MB of rows: more than CHECKPOINT_PAGES pages of 16 KiB reach the WAL.
    for batch in range(4):
        _record(trail, batch * 4000, 4000)
        trail.flush()
    assert _wait_for(lambda: checkpointer.runs >= 1)
    assert store.head()[0] == 16000
    trail.close()
    assert not Path(str(tmp_path / "audit.sqlite") + "-wal").exists()  # closed cleanly
    reopened = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    report = reopened.verify()
    assert report.ok and report.rows == 16000
    reopened.close()


def test_a_checkpoint_thread_copies_the_wal_into_the_file(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    checkpointer = trail._store._checkpointer
    assert checkpointer is not None
    _record(trail, 0, 500)
    trail.flush()
    before = checkpointer.runs
    checkpointer.request()
    assert _wait_for(lambda: checkpointer.runs > before)
    # Nothing is left to copy: a PASSIVE checkpoint now finds every frame backfilled.
    conn = sqlite3.connect(tmp_path / "audit.sqlite")
    try:
        busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        conn.close()
    assert busy == 0 and log == done
    # Read straight from the database file (the WAL ignored): the rows are there.
    uri = f"file:{tmp_path / 'audit.sqlite'}?immutable=1"
    conn = sqlite3.connect(uri, uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 500
    finally:
        conn.close()
    trail.close()


def test_memory_trails_have_no_checkpoint_thread() -> None:
    trail = AuditTrail(":memory:")
    assert trail._store._checkpointer is None
    _record(trail, 0, 10)
    trail.flush()
    assert trail.verify().ok
    trail.close()


def test_closing_stops_the_checkpoint_thread(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    checkpointer = trail._store._checkpointer
    assert checkpointer is not None
    checkpointer.request()
    assert _wait_for(lambda: checkpointer.runs >= 1)
    thread = checkpointer._thread
    assert thread is not None and thread.is_alive()
    trail.close()
    assert not thread.is_alive()
    checkpointer.request()  # after close: nothing starts
    assert checkpointer._thread is None


def test_the_wal_starts_over_after_each_checkpoint_while_commits_go_on(tmp_path: Path) -> None:
    # A checkpoint that leaves no frame uncopied lets the next commit start the WAL over
    # at its beginning, so the file stays about one checkpoint's worth long and commits
    # overwrite blocks it already has; commits made while the checkpoint copies must not
    # keep it from getting there (before, the WAL grew to SQLite's own bound, 128 MB).
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    store = trail._store
    checkpointer = store._checkpointer
    assert checkpointer is not None
    store._checkpoint_bytes = 256 * 1024  # a checkpoint every ~256 KB, not every 16 MB
    wal = Path(str(tmp_path / "audit.sqlite") + "-wal")
    for batch in range(200):  # commit after commit, with no pause: ~14 MB of WAL frames
        _record(trail, batch * 20, 20)
        trail.flush()
    assert checkpointer.runs >= 10
    assert wal.stat().st_size < 6 * 1024 * 1024
    report = trail.verify()
    assert report.ok and report.rows == 4000
    trail.close()
