"""The high-water mark outside the database: emptying, truncating or rolling back
``audit.sqlite`` alone is caught; a missing mark reads "unverifiable", never "intact";
a head hash kept elsewhere catches a database restored with its old mark (issue 14,
item 3)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.errors import AuditIntegrityError


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "audit.sqlite"
    with AuditTrail(path, key_path=tmp_path / "audit.key", session_id="s") as trail:
        for i in range(10):
            trail.record("call", run_id=f"r{i}", prompt=f"prompt {i}")
            trail.flush()  # ten commits: ten marks, each after the last
    return path


def verify(db: Path, **kwargs):
    with AuditTrail(db, key_path=db.parent / "audit.key", session_id="v") as trail:
        return trail.verify(**kwargs)


def tamper(db: Path, *statements: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    for sql in statements:
        conn.execute(sql, params if "?" in sql else ())
    conn.close()


def test_an_intact_database_verifies_against_its_mark(db: Path) -> None:
    report = verify(db)
    assert report.ok and report.status == "intact" and report.rows == 10
    assert Path(str(db) + ".mark").exists()


def test_every_row_and_the_anchor_deleted_is_broken_not_intact(db: Path) -> None:
    tamper(db, "DELETE FROM audit_events", "DELETE FROM audit_anchor")
    report = verify(db)
    assert not report.ok and report.status == "broken"
    assert "high-water mark records 10" in report.reason
    with pytest.raises(AuditIntegrityError, match="missing"):
        report.raise_if_broken()


def test_newer_rows_deleted_with_an_older_anchor_put_back_is_broken(db: Path) -> None:
    conn = sqlite3.connect(db)
    old_anchor = conn.execute("SELECT id, seq, head_hash, mac FROM audit_anchor").fetchone()
    conn.close()
    with AuditTrail(db, key_path=db.parent / "audit.key", session_id="s") as trail:
        for i in range(5):
            trail.record("call", run_id=f"later{i}")
    tamper(
        db,
        f"DELETE FROM audit_events WHERE seq > {old_anchor[1]}",
        "INSERT OR REPLACE INTO audit_anchor VALUES (?, ?, ?, ?)",
        params=old_anchor,
    )
    report = verify(db)
    assert not report.ok and report.first_broken == 11
    assert "rows 11..15 are missing" in report.reason


def test_a_zero_byte_database_does_not_silently_start_a_fresh_chain(db: Path) -> None:
    for side in ("-wal", "-shm"):
        Path(str(db) + side).unlink(missing_ok=True)
    db.write_bytes(b"")
    assert not verify(db).ok
    with AuditTrail(db, key_path=db.parent / "audit.key", session_id="s") as trail:
        trail.record("call", run_id="after")  # new rows chain on from the mark...
    report = verify(db)
    assert not report.ok and report.first_broken == 1  # ...so the gap stays visible
    assert "1..10 missing" in report.reason


def test_a_missing_mark_is_unverifiable_never_intact(db: Path) -> None:
    Path(str(db) + ".mark").unlink()
    report = verify(db)
    assert not report.ok and report.status == "unverifiable"
    assert "mark" in report.reason and report.first_broken is None


def test_an_edited_mark_is_broken(db: Path) -> None:
    mark = Path(str(db) + ".mark")
    text = mark.read_text()
    newest = max(text.split("\n")[:2], key=lambda slot: '"seq": 10,' in slot)
    mark.write_text(text.replace(newest, newest.replace('"seq": 10,', '"seq": 11,')))
    report = verify(db)
    assert not report.ok and "does not verify" in report.reason


def test_a_database_restored_with_its_old_mark_is_caught_by_a_head_kept_elsewhere(
    db: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    for name in ("audit.sqlite", "audit.sqlite.mark"):
        shutil.copy(db.parent / name, saved / name)
    with AuditTrail(db, key_path=db.parent / "audit.key", session_id="s") as trail:
        trail.record("run_end", run_id="later", status="done")
        later_head = trail.head_hash  # what a notebook keeps in its output metadata
    assert verify(db, expect_head=later_head).ok
    for name in ("audit.sqlite", "audit.sqlite.mark"):
        shutil.copy(saved / name, db.parent / name)
    assert verify(db).ok  # the files agree with each other: out of the mark's reach
    report = verify(db, expect_head=later_head)
    assert not report.ok and "rolled back" in report.reason
