"""The snapshot walk's cheaper cells (session 15): whole ``json_array`` runs whose
brackets become commas, floats as the columns themselves, and the MACs made as raw
digests in one loop (``ChainKey.mac_digests``). It vouches for exactly what the exact
walk vouches for, including where a float column's type or affinity is not the schema's."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail, snapshot, verify
from orchestration_kernel.audit.chain import ChainKey

ROWS = 40


def test_mac_digests_are_the_macs_of_each_message_end_to_end() -> None:
    key = ChainKey(bytes(range(40)))
    messages = [b"", b"row|a|1|[1]", bytes(range(256)) * 9, b"x" * 3000]
    data = b"".join(messages)
    bounds = [0]
    for message in messages:
        bounds.append(bounds[-1] + len(message))
    got = key.mac_digests(memoryview(data), bounds)
    expected = b"".join(hmac.digest(bytes(range(40)), m, hashlib.sha256) for m in messages)
    assert got == expected
    assert got.hex() == "".join(key.mac_bytes(m) for m in messages)
    assert key.mac_digests(data, [0]) == b"" and key.mac_digests(data, []) == b""
    assert key.mac_digests(data, bounds[1:3]) == expected[32:64]  # from anywhere


def _trail(path: Path, latency: list[float | None], ttft: list[float | None]) -> AuditTrail:
    trail = AuditTrail(path, session_id="s", flush_interval=60)
    for i in range(ROWS):
        trail.record(
            "call",
            latency_ms=latency[i % len(latency)],
            ttft_ms=ttft[i % len(ttft)],
            cost_usd=0.000123 if i % 2 else None,
            prompt=f"p{i}",
            stage="input" if i % 5 == 0 else None,
        )
    trail.flush()
    return trail


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "PARALLEL_ROWS", 10)  # 40 rows: the long-chain walks
    monkeypatch.setattr(snapshot, "_STREAM_ROWS", "8")  # five batches


def _snapshot_walk(trail: AuditTrail) -> verify._Walk | None:
    with trail._store.reading() as conn:
        return verify._walk_snapshot(conn, trail._key, (1, verify.GENESIS), ROWS, None, None)


def _without_snapshot(trail: AuditTrail, monkeypatch: pytest.MonkeyPatch) -> verify.VerifyReport:
    with monkeypatch.context() as m:
        m.setattr(verify, "_walk_snapshot", lambda *args: None)
        return trail.verify()


@pytest.mark.usefixtures("small_parts")
def test_batches_whose_float_columns_are_all_null_are_walked_from_the_snapshot(
    tmp_path: Path,
) -> None:
    """A batch whose float column holds only NULLs comes from the driver typed as
    integers: still every row's float is ``null``, and the walk takes the batch."""
    trail = _trail(tmp_path / "a.sqlite", [None] * 9 + [2.5] * 7, [None])
    try:
        walk = _snapshot_walk(trail)
        assert walk is not None and walk.broken is None
        assert (walk.rows, walk.prev) == (ROWS, trail.head_hash)
        assert trail.verify().status == "intact"
    finally:
        trail.close()


@pytest.mark.usefixtures("small_parts")
def test_a_float_column_without_real_affinity_is_left_to_the_exact_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Declared without REAL, a column gives a whole-number float back as an integer;
    a batch mixing it with reals would come from the driver as float64, and so pass for
    the float the writer hashed. The exact walk sees the integer: the report says so."""
    trail = _trail(tmp_path / "a.sqlite", [412.0, 1.5], [None, 0.25])
    trail.close()
    conn = sqlite3.connect(trail.path, isolation_level=None)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = replace(sql, 'latency_ms REAL', 'latency_ms ANY') "
        "WHERE name = 'audit_events'"
    )
    conn.close()
    trail = AuditTrail(trail.path, session_id="s", flush_interval=60)
    try:
        with sqlite3.connect(trail.path) as check:
            kinds = check.execute("SELECT DISTINCT typeof(latency_ms) FROM audit_events")
            assert {k for (k,) in kinds} == {"integer", "real"}
        assert _snapshot_walk(trail) is None
        report = trail.verify()
        assert not report.ok and report.first_broken == 1
        assert report == _without_snapshot(trail, monkeypatch)
    finally:
        trail.close()


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("beyond_ascii", [{0, 1, 7}, {3}, set(range(ROWS))])
def test_rows_beyond_ascii_anywhere_in_a_batch_are_walked_from_the_snapshot(
    tmp_path: Path, beyond_ascii: set[int]
) -> None:
    """Each message with characters beyond ASCII is MACed as ``json.dumps`` escapes it,
    wherever it falls in a batch (first, one after another, last, every row)."""
    trail = AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60)
    try:
        for i in range(ROWS):
            prompt = f"café ☕ 😀 {i}" if i in beyond_ascii else f"plain {i}"
            trail.record("call", latency_ms=1.5, prompt=prompt)
        trail.flush()
        walk = _snapshot_walk(trail)
        assert walk is not None and walk.broken is None
        assert (walk.rows, walk.prev) == (ROWS, trail.head_hash)
    finally:
        trail.close()


@pytest.mark.usefixtures("small_parts")
def test_a_part_left_without_rows_is_reported_as_the_exact_walk_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row of one of the walk's ``seq`` ranges deleted: the walk vouches for the
    rows before the gap only, and the report names the first missing row."""
    trail = _trail(tmp_path / "a.sqlite", [1.5], [None])
    try:
        conn = sqlite3.connect(trail.path, isolation_level=None)
        conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        conn.execute("DELETE FROM audit_events WHERE seq BETWEEN 9 AND 16")
        conn.close()
        walk = _snapshot_walk(trail)
        assert walk is None or walk.expected <= 9
        report = trail.verify()
        assert not report.ok and report.first_broken == 9
        assert report == _without_snapshot(trail, monkeypatch)
    finally:
        trail.close()


@pytest.mark.usefixtures("small_parts")
def test_batches_too_large_for_32_bit_offsets_are_joined_as_large_strings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages that could pass 2 GiB in a batch are joined with 64-bit offsets: made
    to apply to every batch here (a lower limit), the walk vouches for the same rows."""
    from orchestration_kernel.audit import verify_messages

    trail = _trail(tmp_path / "a.sqlite", [412.0, None, 1e-05], [None, 0.25])
    try:
        monkeypatch.setattr(verify_messages, "STRING_BYTES", 1)
        walk = _snapshot_walk(trail)
        assert walk is not None and walk.broken is None
        assert (walk.rows, walk.prev) == (ROWS, trail.head_hash)
    finally:
        trail.close()
