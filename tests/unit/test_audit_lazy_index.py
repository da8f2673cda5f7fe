"""The search index is filled lazily (before a search), never by a trigger per insert:
every committed row is still found, exactly once, and the FTS5 index stays consistent
through upgrades, other writers and prunes."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.index import indexed_sql


def _fts_intact(path: Path, against_rows: bool = True) -> None:
    """FTS5's own check: raises if the index is damaged or (``against_rows``, when every
    row belongs in it) disagrees with the rows."""
    conn = sqlite3.connect(path)
    try:
        rank = 1 if against_rows else 0
        conn.execute(
            "INSERT INTO audit_fts(audit_fts, rank) VALUES ('integrity-check', ?)", (rank,)
        )
    finally:
        conn.close()


def _triggers(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    finally:
        conn.close()


def test_writing_does_not_index_and_search_finds_every_row(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    trail = AuditTrail(path)
    for i in range(12):
        trail.record("call", run_id=f"r{i}", prompt=f"wombat number {i}", response="ok")
    trail.flush()
    assert "audit_fts_insert" not in _triggers(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM audit_fts_docsize").fetchone()[0] == 0
    conn.close()
    assert len(trail.search("wombat")) == 12  # indexed on the way in
    trail.record("call", run_id="late", prompt="wombat late")
    assert list(trail.search("late")["run_id"]) == ["late"]  # recorded, then searched
    _fts_intact(path)
    trail.close()


def test_rows_from_another_writer_are_found(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    mine, other = AuditTrail(path), AuditTrail(path)
    other.record("call", run_id="theirs", prompt="platypus from elsewhere")
    other.flush()
    assert list(mine.search("platypus")["run_id"]) == ["theirs"]
    other.close()
    mine.close()


def test_catching_up_in_batches_indexes_each_row_once(tmp_path: Path) -> None:
    from orchestration_kernel.audit import index

    path = tmp_path / "a.sqlite"
    trail = AuditTrail(path)
    for i in range(25):
        trail.record("call", prompt=f"echidna {i}", detail={"fts": i % 5 != 0})
    trail.flush()
    assert index.catch_up(trail._store, rows=4) == 25
    assert index.catch_up(trail._store, rows=4) == 0
    assert len(trail.search("echidna")) == 20  # the fts-false rows stay out
    _fts_intact(path, against_rows=False)
    trail.close()


def test_a_file_indexed_by_the_old_trigger_is_upgraded_without_duplicates(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.sqlite"
    trail = AuditTrail(path)
    trail.record("call", run_id="old", prompt="numbat before the upgrade")
    trail.flush()
    trail.close()
    # Make it the layout before lazy indexing: version 3, an insert trigger, all indexed.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM audit_meta WHERE key = 'fts_seq'")
    conn.execute("UPDATE audit_meta SET value = '3' WHERE key = 'schema_version'")
    conn.execute(
        "CREATE TRIGGER audit_fts_insert AFTER INSERT ON audit_events "
        f"WHEN {indexed_sql('new')} BEGIN INSERT INTO audit_fts(rowid, prompt, response) "
        "VALUES (new.seq, new.prompt, new.response); END"
    )
    conn.execute("INSERT INTO audit_fts(audit_fts) VALUES ('rebuild')")
    conn.close()
    upgraded = AuditTrail(path)
    assert "audit_fts_insert" not in _triggers(path)
    conn = sqlite3.connect(path)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    conn.close()
    assert "audit_events_request" not in indexes  # replay has its own table now
    upgraded.record("call", run_id="new", prompt="numbat after the upgrade")
    assert sorted(upgraded.search("numbat")["run_id"]) == ["new", "old"]
    _fts_intact(path)
    assert upgraded.verify().ok
    upgraded.close()


def test_prune_removes_indexed_and_unindexed_rows_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    trail = AuditTrail(path)
    trail.record("call", run_id="seen", prompt="quoll indexed")
    assert len(trail.search("quoll")) == 1  # this row is in the index now
    trail.record("call", run_id="unseen", prompt="quoll never indexed")
    trail.flush()
    assert trail.prune(timedelta(0)) == 2  # one indexed row, one not: both go cleanly
    _fts_intact(path, against_rows=False)  # the prune row has no text, so is not indexed
    assert trail.search("quoll").empty and trail.verify().ok
    trail.close()


def _replay_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM audit_replay").fetchone()[0])
    finally:
        conn.close()


def test_replay_finds_the_latest_call_whether_indexed_or_not(tmp_path: Path) -> None:
    from orchestration_kernel.audit import trail as trail_module

    path = tmp_path / "a.sqlite"
    trail = AuditTrail(path)
    digest = trail.request_hash("same request")
    trail.record("call", status="ok", response="first", request_hash=digest)
    trail.record("call", status="error", error_type="X", response="bad", request_hash=digest)
    found = trail.find_replay(digest)
    assert found is not None and found["response"] == "first"
    assert _replay_rows(path) == 0  # a short lag is scanned, not indexed
    for i in range(trail_module.REPLAY_LAG_ROWS + 5):
        trail.record("call", status="ok", response=f"filler {i}", request_hash=f"h{i}")
    trail.record("call", status="ok", response="second", request_hash=digest)
    assert trail.find_replay(digest)["response"] == "second"  # type: ignore[index]
    assert _replay_rows(path) == trail_module.REPLAY_LAG_ROWS + 7  # caught up afterwards
    trail.record("call", status="ok", response="third", request_hash=digest)
    assert trail.find_replay(digest)["response"] == "third"  # type: ignore[index]
    assert trail.find_replay(trail.request_hash("never asked")) is None
    trail.prune(timedelta(0))
    assert _replay_rows(path) == 0 and trail.find_replay(digest) is None
    trail.close()
