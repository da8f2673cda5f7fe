"""Integers pandas made floats for a missing value (``[5, None, 3]`` is ``5.0, NaN, 3.0``)
read as integers in prompts ("5-star", not "5.0-star") and show as integers in every
frame of results we display (``5`` and ``<NA>``), while the frames keep the dtypes the
user gave. Before, the prompt, the echo and every view said ``5.0``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.whole_numbers import (
    as_integers_where_whole,
    whole_float_positions,
    whole_values,
)
from tests.unit.magic_shell import magic_shell

FLOAT_LOOK = re.compile(r"\b[0-9]\.0\b|\bNaN\b")


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A shell with the extension loaded, every model on the offline simulator."""
    yield from magic_shell(monkeypatch, ("df", "m", "graded"))


def reviews() -> pd.DataFrame:
    return pd.DataFrame({"stars": [5, None, 3], "review": ["good", "meh", "ok"]})


def test_which_columns_are_integers_with_a_gap() -> None:
    frame = pd.DataFrame(
        {
            "ints_with_gap": [5, None, 3],
            "halves": [5.5, None, 3.0],
            "floats_no_gap": [5.0, 4.0, 3.0],
            "all_missing": [np.nan, np.nan, np.nan],
            "too_big": [1e20, None, 1.0],
            "infinite": [np.inf, None, 1.0],
            "nullable": pd.array([1.0, None, 2.0], dtype="Float64"),
            "ints": [1, 2, 3],
            "text": ["a", None, "c"],
        }
    )
    assert [frame.columns[k] for k in whole_float_positions(frame)] == [
        "ints_with_gap",
        "nullable",
    ]
    assert whole_values(frame["ints_with_gap"]) == [5, None, 3]
    assert whole_values(frame["halves"]) is None
    shown = as_integers_where_whole(frame)
    assert str(shown["ints_with_gap"].dtype) == "Int64" and frame["halves"].dtype == "float64"
    assert frame["ints_with_gap"].dtype == "float64"  # the given frame is untouched
    only_halves = frame[["halves"]]
    assert as_integers_where_whole(only_halves) is only_halves  # nothing to show otherwise


def test_a_compare_over_rows_reads_and_shows_integers(ip: Any) -> None:
    ip.user_ns["df"] = reviews()
    result = ip.run_cell(
        "%%orchestrate --compare gpt-4o --over df --out m\nA {stars}-star: {review}"
    )
    assert result.success, result.error_in_exec
    matrix = ip.user_ns["m"]
    assert matrix.prompts[0] == "A 5-star: good" and matrix.prompts[2] == "A 3-star: ok"
    assert "5.0" not in matrix._repr_markdown_()
    frame = matrix.to_dataframe()
    assert frame["stars"].dtype == "float64"  # the user's dtype, as given
    assert pd.isna(frame["stars"].iloc[1]) and frame["stars"].iloc[0] == 5.0
    for shown in (repr(frame), frame._repr_html_()):
        assert "<NA>" in shown or "&lt;NA&gt;" in shown
        assert not FLOAT_LOOK.search(shown.split("gpt-4o")[0]), shown


def test_an_over_pipeline_cell_shows_integers_and_returns_the_users_dtypes(ip: Any) -> None:
    ip.user_ns["df"] = reviews()
    pipeline = "- name: grade\n  model: gpt-4o\n  prompt: 'A {stars}-star: {review}'\n"
    result = ip.run_cell(f"%%orchestrate --over df --out graded\n{pipeline}")
    assert result.success, result.error_in_exec
    shown = repr(result.result)
    assert "5-star" in shown and "5.0" not in shown and "NaN" not in shown
    frame = ip.user_ns["graded"].to_dataframe()
    assert frame["stars"].dtype == "float64"
    assert "5.0" not in repr(frame)


def test_a_compare_frame_shows_token_counts_as_integers_beside_an_error(tmp_path: Path) -> None:
    engine = OrchestrationEngine(offline="on", audit=tmp_path / "a.sqlite")
    engine.simulator.script("bad_request", model="gpt-4o", times=None)
    frame = engine.compare_sync(["gpt-4o", "claude-3"], "hi").to_dataframe()
    assert frame["input_tokens"].dtype == "float64"  # NaN for the failed model, as before
    row = repr(frame.set_index("model")[["input_tokens", "output_tokens"]])
    assert "NaN" in row  # a derived frame is plain pandas: the user's own display
    shown = frame._repr_html_()
    assert not re.search(r">\d+\.0<", shown), shown


def test_the_models_frame_shows_context_windows_as_integers(ip: Any) -> None:
    result = ip.run_cell("%orchestrate models claude --out m")
    assert result.success, result.error_in_exec
    frame = ip.user_ns["m"]
    assert frame["context_window"].isna().any()  # ids listed with no known window
    assert not re.search(r"\b\d{5,}\.0\b", repr(frame) + frame._repr_html_())
