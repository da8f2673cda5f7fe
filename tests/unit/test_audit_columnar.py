"""Typing in Arrow (``audit.columnar``) must give what the pandas path gives, or stand
aside: timestamps against pandas' own parse, and Parquet exports against the frame's."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration_kernel.audit import AuditTrail, columnar, export, frames, snapshot
from orchestration_kernel.audit.rows import format_timestamp

pytestmark = pytest.mark.timeout(300)


def _pandas_times(values: list[str | None]) -> pd.Series | Exception:
    """What ``frames._typed`` makes of a timestamp column (or what it raises)."""
    try:
        parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
        return parsed.astype("datetime64[us, UTC]")
    except Exception as exc:
        return exc


def _near_miss(rng: random.Random, text: str) -> str:
    """``text`` with one change a careless check would let through."""
    k = rng.randrange(len(text))
    change = rng.choice(["digit", "char", "drop", "insert", "zone", "year0"])
    if change == "digit":
        return text[:k] + rng.choice("0123456789") + text[k + 1 :]
    if change == "char":
        return text[:k] + rng.choice("T -:.+Z/é") + text[k + 1 :]
    if change == "drop":
        return text[:k] + text[k + 1 :]
    if change == "insert":
        return text[:k] + rng.choice("0 ") + text[k:]
    if change == "zone":
        return text[:26] + rng.choice(["Z", "+01:00", "-00:00", "+0000", " UTC"])
    return "0000" + text[4:]


@pytest.mark.parametrize("seed", range(6))
def test_timestamps_typed_in_arrow_are_pandas_own_or_left_to_pandas(seed: int) -> None:
    rng = random.Random(seed)
    first, span = datetime(1, 1, 1, tzinfo=UTC), (datetime.max - datetime.min).total_seconds()
    moments = [first + timedelta(seconds=rng.uniform(0, span)) for _ in range(400)]
    shaped = [format_timestamp(moment) for moment in moments]
    shaped += [format_timestamp(rng.uniform(0, 4e9)) for _ in range(400)]
    columns = [shaped, [None, *shaped[:50], None]]
    # Near misses, one column each (a column is typed whole or not at all).
    columns += [[*shaped[:20], _near_miss(rng, rng.choice(shaped))] for _ in range(60)]
    columns += [["2026-02-30T00:00:00.000000+00:00"], ["2026-01-01T23:59:60.000000+00:00"]]
    columns += [["2024-02-29T23:59:59.999999+00:00"], ["0001-01-01T00:00:00.000000+00:00"]]
    taken = 0
    for values in columns:
        for chunked in (
            pa.chunked_array([pa.array(values, pa.string())]),
            pa.chunked_array(
                [pa.array(values[:7], pa.string()), pa.array(values[7:], pa.string())]
            ),
        ):
            got = columnar.utc_times(chunked)
            if got is None:
                continue
            taken += 1
            want = _pandas_times(values)
            assert not isinstance(want, Exception), values
            as_pandas = got.to_pandas().astype("datetime64[us, UTC]")
            pd.testing.assert_series_equal(as_pandas, want, check_exact=True)
    assert taken >= 2 * 5  # the writer's own shapes are typed in Arrow


def _plain_trail(path: Path, rows: int) -> AuditTrail:
    trail = AuditTrail(path, session_id="s")
    for i in range(rows):
        trail.record(
            "call",
            run_id=f"run{i // 5}",
            attempt=None if i % 4 == 0 else i,
            latency_ms=[412.5, 0.1 + 0.2, 1e-05, -0.0, None][i % 5],
            input_tokens=[2**53 + 1, 2**63 - 1, -(2**63), None][i % 4],
            replayed=None if i % 2 else bool(i % 4),
            error_type="E" if i % 11 == 0 else None,
            prompt=f"é {i}",
            guardian_reasons=["pii"] if i % 6 == 0 else None,
            detail={"n": i, "nested": {"a": [1, None]}},
        )
    trail.flush()
    return trail


ODD_TIMES = [
    "2026-01-01T00:00:00Z",  # not the writer's shape: pandas types it
    "2026-02-30T00:00:00.000000+00:00",  # the shape, not a date
    "0000-01-01T00:00:00.000000+00:00",  # year 0
]


@pytest.mark.parametrize("odd", [None, *ODD_TIMES])
def test_a_parquet_export_from_arrow_is_the_frame_s_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str | None
) -> None:
    trail = _plain_trail(tmp_path / "a.sqlite", 40)
    with trail:
        if odd is not None:  # a row written behind the trail's back
            raw = sqlite3.connect(tmp_path / "a.sqlite")
            raw.execute(
                "INSERT INTO audit_events (seq, timestamp, prev_hash, hash) "
                "VALUES ((SELECT MAX(seq) + 1 FROM audit_events), ?, 'p', 'h')",
                (odd,),
            )
            raw.commit()
            raw.close()
        outcomes = []
        for min_rows in (10**9, 1):  # the stdlib path, then the snapshot
            monkeypatch.setattr(snapshot, "MIN_ROWS", min_rows)
            try:
                outcomes.append(trail.export(tmp_path / f"{min_rows}.parquet"))
            except Exception as exc:
                outcomes.append(exc)
        if odd is None:  # the plain trail does go from Arrow to the file
            table = trail._whole_table()
            assert table is not None
            assert export.parquet_from_arrow(table, tmp_path / "x.parquet") is not None
    before, after = outcomes
    if isinstance(before, Exception):
        assert type(after) is type(before) and str(after) == str(before)
        return
    assert isinstance(after, Path)
    old, new = pq.read_table(before), pq.read_table(after)
    assert new.equals(old) and new.schema.metadata == old.schema.metadata


JSON_CELLS = ['{"a": 1}', "[1, 2.5, null]", '"é\\u2028 🚀"', "null", "{}", "1, 2", "", "not json",
              '{"big": 1180591620717411303424}', "  7 ", '{"a": NaN}', "[", None]  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_json_decoded_from_arrow_is_decoded_as_cell_by_cell(seed: int) -> None:
    rng = random.Random(seed)
    taken = 0
    for _ in range(50):
        cells = [rng.choice(JSON_CELLS[:5] if rng.random() < 0.7 else JSON_CELLS) for _ in range(9)]
        cut = rng.randint(0, len(cells))
        column = pa.chunked_array(
            [pa.array(cells[:cut], pa.string()), pa.array(cells[cut:], pa.string())]
        )
        got = frames._decode_arrow(column)
        if got is not None:  # repr: NaN (which Python's JSON reads) equals itself there
            assert repr(got) == repr(frames._decode_all(cells))
            taken += 1
    assert taken >= 5  # plain columns are decoded in one parse
