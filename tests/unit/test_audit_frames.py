"""Typed audit frames: the fast column path must equal the cell-by-cell typing."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel.audit.frames import apply_types, frame_from_rows
from orchestration_kernel.audit.store import ALL_COLUMNS


def _row(seq: int, **values: object) -> tuple[object, ...]:
    base = dict.fromkeys(ALL_COLUMNS)
    base.update(
        seq=seq,
        timestamp="2026-11-25T10:00:00.000001+00:00",
        event="call",
        latency_ms=12.5,
        input_tokens=3,
        replayed=0,
        detail='{"a": 1}',
        guardian_reasons='["x"]',
        model="openai:gpt-4o",
        hash="h",
    )
    base.update(values)
    return tuple(base[c] for c in ALL_COLUMNS)


ODD_ROWS = [
    [_row(1), _row(2)],  # the plain SQLite shape
    [_row(1, latency_ms=None, input_tokens=None, detail=None)],  # missing values
    [_row(1, input_tokens="12"), _row(2, latency_ms=7)],  # numbers of the "wrong" type
    [_row(1, detail="not json"), _row(2, model=7)],  # invalid JSON, a number as text
    [],  # no rows at all
]


@pytest.mark.parametrize("rows", ODD_ROWS)
@pytest.mark.parametrize("decode_json", [True, False])
def test_fast_typing_matches_cell_by_cell_typing(rows, decode_json) -> None:
    fast = frame_from_rows(rows, decode_json=decode_json)
    slow = apply_types(pd.DataFrame.from_records(rows, columns=list(ALL_COLUMNS)), decode_json)
    pd.testing.assert_frame_equal(fast, slow)


BIG = [2**53 + 1, 2**63 - 1, -(2**63)]


@pytest.mark.parametrize("big", BIG)
def test_integers_beyond_float_precision_stay_exact_beside_missing_cells(big: int) -> None:
    rows = [_row(1, input_tokens=big, replayed=1), _row(2, input_tokens=None, replayed=None)]
    frame = frame_from_rows(rows)
    assert str(frame["input_tokens"].dtype) == "Int64"
    assert frame["input_tokens"][0] == big  # not rounded through float64, and no OverflowError
    assert frame["input_tokens"].isna().tolist() == [False, True]
    assert frame["replayed"].tolist()[0] is True and frame["replayed"].isna().tolist()[1]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_big_integers_survive_a_trail_and_its_exports(tmp_path, suffix: str) -> None:
    from orchestration_kernel.audit import AuditTrail
    from orchestration_kernel.audit.export import read_back

    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        for tokens in [*BIG, None]:
            trail.record("call", input_tokens=tokens)
        frame = trail.to_dataframe()
        exported = read_back(trail.export(tmp_path / f"rows{suffix}"))
    for got in (frame, exported):
        assert str(got["input_tokens"].dtype) == "Int64"
        assert got["input_tokens"].tolist()[:3] == BIG
        assert got["input_tokens"].isna().tolist() == [False, False, False, True]


@pytest.mark.parametrize(
    "cells",
    [
        ["12", None, "-3", 5],  # digit strings and integers: exact
        [" 7 ", None, "1e3"],  # anything else: pd.to_numeric decides, as before
        ["abc", 2**53 + 1],
        [float("nan"), "0012", pd.NA],
    ],
)
def test_cell_by_cell_integers_match_to_numeric_within_float_precision(cells) -> None:
    frame = apply_types(pd.DataFrame({"input_tokens": pd.Series(cells, dtype=object)}))
    before = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").astype("Int64")
    pd.testing.assert_series_equal(frame["input_tokens"], before, check_names=False)
