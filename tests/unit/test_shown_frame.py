"""``ShownFrame``: the frame itself, displayed with credentials masked in what pandas
shows under the current display options (and only there: the values stay intact)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration_kernel.shown_frame import ShownFrame, shown_positions
from tests.unit.test_secrets_floor import openai_shaped_key


def displays(frame: pd.DataFrame) -> str:
    return repr(frame) + (frame._repr_html_() or "")


def test_every_display_masks_keys_in_cells_index_and_column_names() -> None:
    key = openai_shaped_key()
    frame = ShownFrame(
        {"q": ["plain", f"my key {key}"], f"col {key}": [{"k": key}, 1], "n": [1, 2]},
        index=pd.MultiIndex.from_arrays([["a", f"id {key}"], [1, 2]], names=["who", "num"]),
    )
    with pd.option_context("display.max_colwidth", None):
        shown = displays(frame)
        with pd.option_context("display.html.table_schema", True):
            schema = str(frame._repr_data_resource_())
    for text in (shown, schema):
        assert key not in text and key[8:40] not in text and "<OPENAI_API_KEY>" in text
    # The frame keeps every value; what is computed from it is a plain frame.
    assert frame.loc[("id " + key, 2), "q"] == f"my key {key}"
    assert frame.iloc[0, 1] == {"k": key} and f"col {key}" in frame.columns
    assert type(frame.head()) is pd.DataFrame and type(frame.copy()) is pd.DataFrame


@pytest.mark.parametrize("max_rows, min_rows", [(60, 10), (20, None), (None, 10)])
def test_a_long_frame_masks_the_rows_pandas_shows(
    max_rows: int | None, min_rows: int | None
) -> None:
    key = openai_shaped_key()
    n = 2_000
    frame = ShownFrame({"q": [f"row {i}" for i in range(n)], "n": np.arange(n)})
    for row in (0, 4, n - 1, n // 2):
        frame.iloc[row, 0] = f"key {key}"
    options = ("display.max_rows", max_rows, "display.min_rows", min_rows)
    with pd.option_context(*options, "display.max_colwidth", None):
        shown = displays(frame)
        masked = frame.shown()
    assert key not in shown and key[8:40] not in shown
    if max_rows is not None:  # the middle row is not shown, so it is not even read
        assert masked.iloc[n // 2, 0] == f"key {key}" and f"{n} rows" in repr(frame)
    assert frame.iloc[n // 2, 0] == f"key {key}"  # the frame itself is untouched


def test_shown_positions_cover_pandas_head_and_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    assert list(shown_positions(5, 60, 10)) == [0, 1, 2, 3, 4]
    # 0: pandas fits the terminal, never more rows than it has lines, nor columns than
    # it has characters.
    monkeypatch.setenv("LINES", "30")
    monkeypatch.setenv("COLUMNS", "90")
    assert list(shown_positions(1000, 0, None)) == [*range(30), *range(970, 1000)]
    assert list(shown_positions(1000, 0, 10)) == [*range(10), *range(990, 1000)]
    assert len(shown_positions(1000, 0, axis=1)) == 180
    assert list(shown_positions(100, 60, 10)) == [*range(10), *range(90, 100)]
    assert list(shown_positions(100, 20, None)) == [*range(20), *range(80, 100)]
    assert len(shown_positions(100, None, 10)) == 100  # max_rows None shows them all


def test_a_wide_frame_masks_the_columns_pandas_shows() -> None:
    key = openai_shaped_key()
    frame = ShownFrame({f"c{i}": [f"key {key}"] for i in range(50)})
    with pd.option_context("display.max_columns", 6, "display.max_colwidth", None):
        shown = displays(frame)
    assert key not in shown and key[8:40] not in shown
