"""verify()'s walk over a private snapshot read into Arrow (``verify._walk_snapshot``)
vouches only for a clean chain, and verify() reports exactly what it reported without
it: on intact chains, on every kind of edit wherever it falls, and without the driver."""

from __future__ import annotations

import math
import sqlite3
import sys
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail, snapshot, verify
from tests.unit.test_audit_verify_fast import _tamper

ROWS = 60


@pytest.fixture
def trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(verify, "PARALLEL_ROWS", 10)  # 60 rows: the long-chain walks
    monkeypatch.setattr(snapshot, "_STREAM_ROWS", "7")  # many batches, edits in any
    t = AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60)
    for i in range(ROWS):
        t.record(
            "call",
            attempt=i,
            latency_ms=[412.5, 0.1 + 0.2, 1e-05, 1e16, -0.0, 5e-324, None][i % 7],
            ttft_ms=None if i % 2 else 1 / 3,
            cost_usd=None if i % 3 else 1.5e-05,
            prompt=["plain", 'q"uo\\te', "café ☕ 😀", "tab\there\x01", "100% %s"][i % 5] + str(i),
            detail={"n": i, "é": "ü", "big": 2**70} if i % 4 == 0 else None,
            stage="input" if i % 7 == 0 else None,
            input_tokens=2**63 - 1 if i % 9 == 0 else None,
        )
    t.flush()
    yield t
    t.close()


def _snapshot_walk(trail: AuditTrail) -> verify._Walk | None:
    with trail._store.reading() as conn:
        start = verify._start(conn, trail._key)
        assert not isinstance(start, verify.VerifyReport)
        top = conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]
        return verify._walk_snapshot(conn, trail._key, start[:2], top, None, None)


def _report_without_snapshot(trail: AuditTrail, monkeypatch: pytest.MonkeyPatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(verify, "_walk_snapshot", lambda *args: None)
        return trail.verify(**kw)


def test_an_intact_chain_is_walked_from_the_snapshot(
    trail: AuditTrail, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk = _snapshot_walk(trail)
    assert walk is not None and walk.broken is None
    assert (walk.rows, walk.prev, walk.expected) == (ROWS, trail.head_hash, ROWS + 1)
    middle = walk.prev
    report = trail.verify()
    assert report.ok and report.rows == ROWS and report.head_hash == trail.head_hash
    assert report == _report_without_snapshot(trail, monkeypatch)
    for head in (middle, "f" * 64):  # a head kept elsewhere: in the chain, or not
        assert trail.verify(expect_head=head) == _report_without_snapshot(
            trail, monkeypatch, expect_head=head
        )


EDITS = [
    "UPDATE audit_events SET attempt = attempt + 1 WHERE seq = ?",
    "UPDATE audit_events SET latency_ms = latency_ms * (1 + 1e-15) WHERE seq = ?",
    "UPDATE audit_events SET ttft_ms = 'null' WHERE seq = ?",
    "UPDATE audit_events SET cost_usd = 'x' WHERE seq = ?",
    "UPDATE audit_events SET latency_ms = NULL WHERE seq = ?",
    "UPDATE audit_events SET prompt = prompt || ' ' WHERE seq = ?",
    "UPDATE audit_events SET prompt = CAST(prompt AS BLOB) WHERE seq = ?",
    "UPDATE audit_events SET prompt = CAST(x'ff' AS TEXT) WHERE seq = ?",
    "UPDATE audit_events SET prompt = prompt || char(233) WHERE seq = ?",
    "UPDATE audit_events SET attempt = attempt + 0.5 WHERE seq = ?",
    "UPDATE audit_events SET input_tokens = '7' WHERE seq = ?",
    "UPDATE audit_events SET prev_hash = 'x' WHERE seq = ?",
    "UPDATE audit_events SET prev_hash = CAST(prev_hash AS BLOB) WHERE seq = ?",
    "UPDATE audit_events SET hash = upper(hash) WHERE seq = ?",
    "DELETE FROM audit_events WHERE seq = ?",
    "UPDATE audit_events SET seq = -seq WHERE seq = ?",
]


def _outcome(trail: AuditTrail, monkeypatch: pytest.MonkeyPatch, snapshot_walk: bool):
    try:
        return trail.verify() if snapshot_walk else _report_without_snapshot(trail, monkeypatch)
    except Exception as exc:  # e.g. text SQLite cannot decode: the same error both ways
        return type(exc), str(exc)


def _exact_walk(trail: AuditTrail) -> verify._Walk:
    with trail._store.reading() as conn:
        start = verify._start(conn, trail._key)
        assert not isinstance(start, verify.VerifyReport)
        return verify._walk(conn, trail._key, start[:2], None, None, None)


@pytest.mark.parametrize("seq", [1, 7, 8, 31, ROWS])  # the first, batch edges, the tail
@pytest.mark.parametrize("sql", EDITS)
def test_an_edit_is_never_vouched_for_and_reports_as_before(
    trail: AuditTrail, monkeypatch: pytest.MonkeyPatch, seq: int, sql: str
) -> None:
    _tamper(trail, sql, (seq,))
    walk = _snapshot_walk(trail)
    try:
        exact = _exact_walk(trail)
    except Exception:  # the exact walk cannot read row ``seq``: not vouched for either
        assert walk is None or walk.expected <= seq
    else:
        if exact.broken is not None:  # never vouched for: the walk stops before the row
            assert walk is None or walk.expected <= exact.broken[0]
        if walk is not None and walk.expected == exact.expected:  # e.g. a cut tail
            assert (walk.rows, walk.prev) == (exact.rows, exact.prev)
        assert walk is None or walk.expected <= exact.expected
    after = _outcome(trail, monkeypatch, snapshot_walk=True)
    assert after == _outcome(trail, monkeypatch, snapshot_walk=False)
    unchanged = seq == 7 and "SET latency_ms" in sql  # row 7's latency is NULL already
    assert getattr(after, "ok", False) == unchanged


def test_a_float_one_ulp_away_is_never_vouched_for(
    trail: AuditTrail, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(trail.path)
    value = conn.execute("SELECT latency_ms FROM audit_events WHERE seq = 30").fetchone()[0]
    conn.close()
    _tamper(
        trail, "UPDATE audit_events SET latency_ms = ? WHERE seq = 30", (math.nextafter(value, 1),)
    )
    walk = _snapshot_walk(trail)
    assert walk is None or walk.expected <= 30  # never past the edited row
    report = trail.verify()
    assert not report.ok and report.first_broken == 30
    assert report == _report_without_snapshot(trail, monkeypatch)


def test_rows_the_fast_rendering_cannot_give_are_left_to_the_exact_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "PARALLEL_ROWS", 10)
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        for i in range(30):
            trail.record("call", prompt=f"\x7f del {i}")  # DEL: Python escapes it, SQLite not
        trail.flush()
        assert _snapshot_walk(trail) is None  # not one row vouched for
        assert trail.verify().status == "intact"


def test_without_the_driver_verify_walks_as_before(
    trail: AuditTrail, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite.dbapi", None)  # import fails
    assert _snapshot_walk(trail) is None
    assert trail.verify() == _report_without_snapshot(trail, monkeypatch)
    assert trail.verify().ok


@pytest.mark.parametrize("kept", [10, 55])  # the head kept elsewhere: before or after the edit
def test_an_edit_after_a_clean_stretch_reports_as_before_with_a_head_kept_elsewhere(
    trail: AuditTrail, monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    conn = sqlite3.connect(trail.path)
    head = conn.execute("SELECT hash FROM audit_events WHERE seq = ?", (kept,)).fetchone()[0]
    conn.close()
    _tamper(trail, "UPDATE audit_events SET prompt = 'edited' WHERE seq = 50")
    walk = _snapshot_walk(trail)
    assert walk is not None and 8 <= walk.expected <= 50  # a clean stretch, then the rest
    report = trail.verify(expect_head=head)
    assert not report.ok and report.first_broken == 50
    assert report == _report_without_snapshot(trail, monkeypatch, expect_head=head)
