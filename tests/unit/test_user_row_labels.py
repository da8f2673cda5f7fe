"""A matrix row is named as a person reads it (session 16).

A MultiIndex row read ``('a', Timestamp('2024-01-01 00:00:00'))`` in the live view, the
notes, the summary table and the audit's ``step`` column: ``str()`` of a tuple is the
``repr()`` of its parts. Now it reads ``a · 2024-01-01``; a timestamp at midnight is its
date (as pandas shows an index of dates), any other keeps its time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.matrix import matrix_prompts
from orchestration_kernel.pipeline_matrix import pipeline_rows


@pytest.fixture
def frame() -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples(
        [("a", pd.Timestamp("2024-01-01")), ("b", pd.Timestamp("2024-02-01 13:30"))],
        names=["grp", "day"],
    )
    return pd.DataFrame({"review": ["good", None]}, index=index)


@pytest.fixture
def engine() -> OrchestrationEngine:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    return engine


def test_multiindex_labels_read_as_their_parts(frame: pd.DataFrame) -> None:
    made = matrix_prompts("Rate: {review}", frame)
    assert made.labels == ["a · 2024-01-01", "b · 2024-02-01 13:30:00"]
    assert "(b · 2024-02-01 13:30:00)" in made.notes()[0]  # the note names the row so


def test_every_view_of_the_matrix_names_rows_the_same_way(
    frame: pd.DataFrame, engine: OrchestrationEngine
) -> None:
    result = engine.matrix_sync(["gpt-4o"], "Rate: {review}", frame.fillna("none"))
    shown = result._repr_markdown_()
    assert "| a · 2024-01-01 |" in shown and "Timestamp(" not in shown
    assert result.row_labels() == ["a · 2024-01-01", "b · 2024-02-01 13:30:00"]
    steps = engine.audit.to_dataframe(run=result.run_id, event="call")["step"]
    assert set(steps) == {"a · 2024-01-01", "b · 2024-02-01 13:30:00"}
    assert list(result.to_dataframe().index) == list(frame.index)  # the data keeps its index


def test_plain_and_other_labels() -> None:
    from orchestration_kernel.matrix_labels import row_label

    assert row_label("r1") == "r1" and row_label(7) == "7"
    assert row_label(pd.Timestamp("2024-01-01")) == "2024-01-01"
    assert row_label(dt.datetime(2024, 1, 1, 9, 5)) == "2024-01-01 09:05:00"
    assert row_label(pd.Timestamp("2024-01-01", tz="UTC")) == "2024-01-01 00:00:00+00:00"
    assert row_label((np.int64(3), np.float64(1.5), None)) == "3 · 1.5 · None"


def test_a_pipeline_over_rows_names_its_rows_the_same_way(
    frame: pd.DataFrame, engine: OrchestrationEngine
) -> None:
    pipeline = engine.create_pipeline([{"name": "s", "model": "gpt-4o", "prompt": "{review}"}])
    rows = pipeline_rows(pipeline, frame.fillna("none"))
    assert rows.labels == ["a · 2024-01-01", "b · 2024-02-01 13:30:00"]
