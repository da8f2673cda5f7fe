"""verify(): each way a chain can break is reported at its first broken link, in process.

(The integration tests do the same from a fresh process for the issue's tamper list.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail, VerifyReport
from orchestration_kernel.audit.store import ALL_COLUMNS


@pytest.fixture
def trail(tmp_path: Path):
    t = AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60)
    for i in range(10):
        t.record("call", attempt=i, prompt=f"p{i}")
    t.flush()
    yield t
    t.close()


def tamper(trail: AuditTrail, *statements: str, params: tuple = ()) -> VerifyReport:
    conn = sqlite3.connect(trail.path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    for sql in statements:
        conn.execute(sql, params if "?" in sql else ())
    conn.close()
    return trail.verify()


def test_intact(trail: AuditTrail):
    report = trail.verify()
    assert report and report.rows == 10 and report.first_broken is None
    assert report.raise_if_broken() is report
    assert report.head_hash == trail.head_hash


def test_empty_database_verifies(tmp_path: Path):
    with AuditTrail(tmp_path / "e.sqlite", session_id="s") as empty:
        assert empty.verify().ok and empty.verify().rows == 0


CASES: dict[str, tuple[Callable[[AuditTrail], VerifyReport], int, str]] = {
    "edited": (lambda t: tamper(t, "UPDATE audit_events SET attempt = 99 WHERE seq = 4"),
               4, "edited"),
    "deleted range": (lambda t: tamper(t, "DELETE FROM audit_events WHERE seq IN (4, 5)"),
                      4, "4..5 missing"),
    "relinked": (lambda t: tamper(t, "UPDATE audit_events SET prev_hash = 'x' WHERE seq = 6"),
                 6, "does not link"),
    "anchor missing": (lambda t: tamper(t, "DELETE FROM audit_anchor"), 10, "missing"),
    "anchor mac": (lambda t: tamper(t, "UPDATE audit_anchor SET mac = 'x'"), 10, "MAC"),
    "unanchored rows": (lambda t: tamper(t, "UPDATE audit_anchor SET seq = 8"), 8, "MAC"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_breaks(trail: AuditTrail, case: str):
    make, first, words = CASES[case]
    report = make(trail)
    assert not report
    assert report.first_broken == first
    assert words in report.reason


def test_rows_after_the_anchor_and_a_head_mismatch(trail: AuditTrail):
    key = trail._key
    last = trail.to_dataframe()["hash"].iloc[-1]
    report = tamper(trail, "UPDATE audit_anchor SET seq = 9, head_hash = ?, mac = ?",
                    params=("h", key.anchor_mac(9, "h")))  # fmt: skip
    assert report.first_broken == 10 and "added without the key" in report.reason
    report = tamper(trail, "UPDATE audit_anchor SET seq = 10, head_hash = ?, mac = ?",
                    params=("h", key.anchor_mac(10, "h")))  # fmt: skip
    assert report.first_broken == 10 and "does not match the anchor" in report.reason
    assert last != "h"


def test_a_row_below_the_prune_checkpoint_is_out_of_order(trail: AuditTrail):
    from datetime import timedelta

    row = trail._rows(f"SELECT {', '.join(ALL_COLUMNS)} FROM audit_events WHERE seq = 1", [])[0]
    trail.prune(timedelta(0))
    marks = ", ".join("?" for _ in ALL_COLUMNS)
    report = tamper(trail, f"INSERT INTO audit_events VALUES ({marks})", params=row)
    assert report.first_broken == 1 and "out of order" in report.reason
