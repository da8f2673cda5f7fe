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
