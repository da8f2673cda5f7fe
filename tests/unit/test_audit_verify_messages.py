"""The snapshot walk's messages, built in Arrow (``audit.verify_messages``), are byte for
byte the messages the row-by-row walk builds in Python: floats as ``repr`` writes them,
non-ASCII text escaped as ``json.dumps`` escapes it, NULL floats as ``null``."""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from orchestration_kernel.audit import AuditTrail, snapshot, verify
from orchestration_kernel.audit.verify_messages import float_texts, messages


def _floats(n: int, seed: int) -> list[float]:
    """Floats of every shape ``repr`` writes: random bit patterns (any exponent), plain
    decimals, whole numbers, both sides of ``repr``'s switches to exponent notation."""
    rng = random.Random(seed)
    edges = [0.0, -0.0, 1e-4, 9.999e-5, 1e16, 9999999999999998.0, 1e15, 5e-324, 1e22]
    edges += [1.7976931348623157e308, 0.1 + 0.2, 412.5, 1 / 3, -2.5, 3.0, math.inf, -math.inf]
    out = list(edges)
    while len(out) < n:
        shape = rng.randrange(5)
        if shape == 0:
            value = struct.unpack("<d", rng.randbytes(8))[0]
        elif shape == 1:
            value = rng.uniform(-1, 1) * 10.0 ** rng.randint(-8, 20)
        elif shape == 2:
            value = round(rng.uniform(0, 5000), rng.randint(0, 6))
        elif shape == 3:
            value = float(rng.randint(-(10**17), 10**17))
        else:
            value = math.nextafter(rng.choice(edges[:7]), rng.choice([-math.inf, math.inf]))
        if not math.isnan(value):
            out.append(value)
    return out


@pytest.mark.parametrize("seed", range(3))
def test_floats_are_written_as_repr_writes_them(seed: int) -> None:
    values = _floats(20_000, seed)
    nulls = np.array([k % 11 == 0 for k in range(len(values))])
    texts = float_texts(pa.array(values, pa.float64()), nulls).to_pylist()
    expected = ["null" if null else repr(v) for v, null in zip(values, nulls, strict=True)]
    assert texts == expected


def _trail(path: Path, floats: list[float]) -> AuditTrail:
    trail = AuditTrail(path, session_id="s", flush_interval=60)
    texts = ["plain", "café ☕ 😀", 'q"uo\\te', "tab\there\x01", "日本語のテキスト"]
    for i, value in enumerate(floats):
        trail.record(
            "call",
            latency_ms=value,
            ttft_ms=None if i % 3 else floats[-1 - i],
            cost_usd=floats[(i * 7) % len(floats)],
            prompt=texts[i % len(texts)] + str(i) if i % 4 else None,
            detail={"n": i, "é": "ü"} if i % 5 == 0 else None,
            input_tokens=2**63 - 1 if i % 9 == 0 else i,
        )
    trail.flush()
    return trail


def test_each_message_is_the_one_the_row_by_row_walk_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    floats = [v for v in _floats(1500, 7) if math.isfinite(v)]
    trail = _trail(tmp_path / "a.sqlite", floats)
    try:
        with trail._store.reading() as conn:
            expected = [
                verify._FORM.format(*row).encode("ascii", verify._JSON_ESCAPES)
                for row in conn.execute(verify._MESSAGES, (1, 2**62)).fetchall()
            ]
            with snapshot.batches_of(
                conn,
                verify._SNAPSHOT_MESSAGES,
                verify._parts(1, len(floats), 400),
                lambda b: messages(b, verify._FLOAT_CELLS, verify._JSON_ESCAPES),
            ) as batches:
                assert batches is not None
                found = [batch for batch in batches]
        assert all(batch is not None for batch in found)
        got = [bytes(body) for batch in found if batch is not None for body in batch.bodies]
        assert got == expected
        seqs = [int(s) for batch in found if batch is not None for s in batch.seqs]
        assert seqs == list(range(1, len(floats) + 1))
        # and the walk vouches for every row, as the exact walk does
        monkeypatch.setattr(verify, "PARALLEL_ROWS", 10)
        monkeypatch.setattr(snapshot, "_STREAM_ROWS", "97")
        with trail._store.reading() as conn:
            walk = verify._walk_snapshot(
                conn, trail._key, (1, verify.GENESIS), len(floats), 5, None
            )
        assert walk is not None and walk.broken is None
        assert (walk.rows, walk.prev, walk.expected) == (
            len(floats),
            trail.head_hash,
            len(floats) + 1,
        )
        assert trail.verify().status == "intact"
    finally:
        trail.close()


def test_a_part_without_rows_is_a_batch_without_rows(tmp_path: Path) -> None:
    trail = _trail(tmp_path / "a.sqlite", [1.5] * 30)
    try:
        with trail._store.reading() as conn, snapshot.batches_of(
            conn, "SELECT seq FROM audit_events WHERE seq BETWEEN ? AND ?",
            [(1, 10), (100, 200), (11, 30)], lambda b: b.num_rows,
        ) as batches:  # fmt: skip
            assert batches is not None
            assert list(batches) == [10, 0, 20]
    finally:
        trail.close()


@pytest.mark.parametrize("rows", [1, 2, 98])  # parts of one row, of two, a full part
def test_a_chain_of_any_length_is_walked_whole_from_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    trail = _trail(tmp_path / "a.sqlite", [2.5] * (rows + 97))
    monkeypatch.setattr(snapshot, "_STREAM_ROWS", str(rows))
    try:
        with trail._store.reading() as conn:
            top = rows + 97
            walk = verify._walk_snapshot(conn, trail._key, (1, verify.GENESIS), top, None, None)
        assert walk is not None and (walk.rows, walk.prev) == (top, trail.head_hash)
    finally:
        trail.close()
