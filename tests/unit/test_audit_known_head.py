"""The head an append chains onto is not read again while nobody else wrote the file.

``AuditStore.append`` remembers the head its last commit left, with the connection's
``PRAGMA data_version``; any other connection's commit changes that version, so a write
by another trail (or tool) is always seen. These tests break if the remembered head is
used after someone else wrote.
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

from orchestration_kernel.audit import AuditTrail


def _chain(path: Path) -> list[tuple[int, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_two_trails_on_one_file_taking_turns_keep_one_linear_chain(tmp_path: Path) -> None:
    path, key = tmp_path / "audit.sqlite", tmp_path / "audit.key"
    first = AuditTrail(path, key_path=key, session_id="s")
    second = AuditTrail(path, key_path=key, session_id="s")
    try:
        for i in range(30):
            for trail, who in ((first, "a"), (second, "b")):
                trail.record("call", run_id=f"{who}{i}", prompt=f"turn {i} of {who}")
                trail.flush()
        assert first.verify().ok
    finally:
        first.close()
        second.close()
    rows = _chain(path)
    assert [r[0] for r in rows] == list(range(1, 61))
    for earlier, later in itertools.pairwise(rows):
        assert later[1] == earlier[2]  # each row chains onto the one before it


def test_a_trail_chains_onto_rows_another_connection_committed(tmp_path: Path) -> None:
    path, key = tmp_path / "audit.sqlite", tmp_path / "audit.key"
    trail = AuditTrail(path, key_path=key, session_id="s")
    try:
        trail.record("call", run_id="r1")
        trail.flush()
        other = AuditTrail(path, key_path=key, session_id="s")
        for i in range(3):
            other.record("call", run_id=f"other {i}")
        other.close()  # commits its three rows through its own connection
        trail.record("call", run_id="r2")
        trail.flush()
        assert trail.verify().ok
    finally:
        trail.close()
    rows = _chain(path)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[-1][1] == rows[-2][2]
