"""The private snapshot copied file to file by the kernel (``audit.settled_copy``) only
when the database file alone holds the reader's snapshot; otherwise SQLite's backup API
copies it, as before. Either way the copy is the snapshot: no row committed after it,
none missing."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail, settled_copy, snapshot

pytestmark = pytest.mark.timeout(300)


def _record(trail: AuditTrail, rows: int, start: int = 0) -> None:
    for i in range(start, start + rows):
        trail.record("call", run_id=f"run{i}", prompt=f"prompt {i} é", detail={"n": i})
    trail.flush()


def _rows_in(copy: Path) -> list[int]:
    conn = sqlite3.connect(copy)
    try:
        return [r[0] for r in conn.execute("SELECT seq FROM audit_events ORDER BY seq")]
    finally:
        conn.close()


@pytest.fixture
def routes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each copy was made file to file (True) or by the backup API (False)."""
    taken: list[bool] = []

    def spy(conn: sqlite3.Connection, copy: Path, size: int) -> bool:
        made = settled_copy.copy_settled_file(conn, copy, size)
        taken.append(made)
        return made

    monkeypatch.setattr(snapshot, "copy_settled_file", spy)
    return taken


def test_a_settled_database_is_copied_file_to_file_into_the_same_snapshot(
    tmp_path: Path, routes: list[bool]
) -> None:
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record(trail, 40)
        with trail._store.reading() as conn, snapshot.private_copy() as copy:
            assert snapshot.copy_into(conn, copy, "SELECT 1")
            assert _rows_in(copy) == list(range(1, 41))
            assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # still the private file
            assert not os.path.exists(f"{copy}-wal")  # one file, as the backup leaves it
        assert trail.verify().status == "intact"
    assert routes == [True]


def test_rows_committed_after_the_snapshot_keep_the_backup_route_and_stay_out(
    tmp_path: Path, routes: list[bool]
) -> None:
    """A commit after the reader's snapshot leaves a frame in the log past its mark, which
    no checkpoint may copy into the file: the file is not the snapshot, so the backup API
    copies it, without that commit."""
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record(trail, 30)
        with trail._store.reading() as conn, snapshot.private_copy() as copy:
            assert conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 30
            _record(trail, 5, start=30)  # committed after the snapshot was set
            assert snapshot.copy_into(conn, copy)
            assert _rows_in(copy) == list(range(1, 31))
        assert routes == [False]
        with trail._store.reading() as conn, snapshot.private_copy() as copy:
            assert snapshot.copy_into(conn, copy)  # settled now: the kernel copies it
            assert _rows_in(copy) == list(range(1, 36))
    assert routes == [False, True]


def test_a_reader_of_a_read_only_file_gets_its_snapshot_by_either_route(
    tmp_path: Path, routes: list[bool]
) -> None:
    """Where no checkpoint may write to the file the backup API copies it; where one may
    (root ignores the file's mode), the kernel: the same rows either way."""
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s") as trail:
        _record(trail, 10)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        with snapshot.private_copy() as copy:
            path.chmod(0o400)
            assert snapshot.copy_into(conn, copy)
            assert _rows_in(copy) == list(range(1, 11))
    finally:
        conn.close()
        path.chmod(0o600)
    assert len(routes) == 1


def test_outside_a_transaction_the_backup_api_copies(tmp_path: Path, routes: list[bool]) -> None:
    """Without an open read transaction nothing keeps a checkpoint off the file while it is
    copied: the file route is not tried."""
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s") as trail:
        _record(trail, 10)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            with snapshot.private_copy() as copy:
                assert snapshot.copy_into(conn, copy)
                assert _rows_in(copy) == list(range(1, 11))
        finally:
            conn.close()
    assert routes == []


def test_copies_taken_while_the_writer_commits_are_each_one_snapshot(
    tmp_path: Path, routes: list[bool]
) -> None:
    with AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=0.01) as trail:
        _record(trail, 20)
        stop = threading.Event()

        def write() -> None:
            n = 20
            while not stop.is_set():
                _record(trail, 7, start=n)
                n += 7

        writer = threading.Thread(target=write)
        writer.start()
        try:
            for _ in range(20):
                with trail._store.reading() as conn, snapshot.private_copy() as copy:
                    count = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
                    assert snapshot.copy_into(conn, copy)
                    assert _rows_in(copy) == list(range(1, count + 1))  # that snapshot
        finally:
            stop.set()
            writer.join()
        assert trail.verify().status == "intact"
    assert len(routes) == 20
