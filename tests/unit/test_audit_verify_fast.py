"""verify()'s fast walk (rows rendered by SQLite, a long chain in two halves at once)
reports exactly what the exact walk reports, for intact chains and every kind of edit,
wherever it falls: first half, second half, at the seam, in text SQLite renders
differently from Python, in floats, and in values SQLite cannot render at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail, verify
from orchestration_kernel.audit.chain import ChainKey
from orchestration_kernel.audit.store import ALL_COLUMNS

ROWS = 40


@pytest.fixture
def trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(verify, "PARALLEL_ROWS", 10)  # 40 rows: walked in two halves
    t = AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60)
    for i in range(ROWS):
        t.record(
            "call",
            attempt=i,
            latency_ms=[412.5, 0.1 + 0.2, 1e-05, 1e16, -0.0, 5e-324][i % 6],
            cost_usd=None if i % 3 else 1.5e-05,
            prompt=[
                "plain",
                'q"uo\\te',
                "café ☕ 😀",
                "tab\there\x01",
                "\x7f del",
                "100% %s %(x)d",
            ][i % 6]
            + str(i),
            detail={"n": i, "é": "ü"} if i % 4 == 0 else None,
            stage="input" if i % 7 == 0 else None,
        )
    t.flush()
    yield t
    t.close()


def _tamper(trail: AuditTrail, sql: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(trail.path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    conn.execute(sql, params)
    conn.close()


def test_an_intact_chain_of_every_kind_of_value_verifies(trail: AuditTrail) -> None:
    conn = sqlite3.connect(trail.path)
    key: ChainKey = trail._key
    fast = [intact for *_, intact in verify._rows(conn, key, 1, None, exact=False)]
    exact = [intact for *_, intact in verify._rows(conn, key, 1, None, exact=True)]
    assert all(exact) and len(fast) == ROWS
    # SQLite's rendering, with the floats written by Python and non-ASCII characters
    # escaped as Python's JSON escapes them, is the exact message for the values the writer
    # stores: quotes, backslashes, control characters, '%', text beyond the BMP; only DEL
    # (which Python escapes and SQLite does not) is left to the exact check.
    prompts = conn.execute("SELECT prompt FROM audit_events ORDER BY seq").fetchall()
    conn.close()
    assert fast == ["\x7f" not in prompt for (prompt,) in prompts]
    report = trail.verify()
    assert report.ok and report.rows == ROWS and report.head_hash == trail.head_hash


@pytest.mark.parametrize("seq", [2, 20, 21, 22, 40])  # first half, the seam, second half
@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE audit_events SET attempt = attempt + 1 WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET latency_ms = latency_ms * (1 + 1e-15) WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET prompt = prompt || ' ' WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET prompt = CAST(prompt AS BLOB) WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET attempt = attempt + 0.5 WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET ttft_ms = 'null' WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET cost_usd = 'x' WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET prompt = prompt || '%' WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET prompt = prompt || char(233) WHERE seq = ?", "contents"),
        ("UPDATE audit_events SET prev_hash = 'x' WHERE seq = ?", "does not link"),
        ("DELETE FROM audit_events WHERE seq = ?", "missing"),
    ],
)
def test_each_edit_is_reported_at_its_row(trail: AuditTrail, seq: int, sql: str, reason: str):
    _tamper(trail, sql, (seq,))
    report = trail.verify()
    if seq == ROWS and "DELETE" in sql:  # the tail row: the anchor says it was cut
        assert not report.ok and report.first_broken == ROWS and "truncated" in report.reason
        return
    assert not report.ok and report.first_broken == seq, report
    assert reason in report.reason


def test_a_float_one_ulp_away_is_caught(trail: AuditTrail) -> None:
    import math

    conn = sqlite3.connect(trail.path)
    value = conn.execute("SELECT latency_ms FROM audit_events WHERE seq = 25").fetchone()[0]
    conn.close()
    _tamper(
        trail,
        "UPDATE audit_events SET latency_ms = ? WHERE seq = 25",
        (math.nextafter(value, 1e300),),
    )
    report = trail.verify()
    assert not report.ok and report.first_broken == 25


def test_the_columns_the_fast_walk_reads_are_the_rows_columns() -> None:
    assert ALL_COLUMNS[0] == "seq" and ALL_COLUMNS[-2:] == ("prev_hash", "hash")
