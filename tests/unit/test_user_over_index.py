"""``--over`` a grouped frame: the named levels of its index are names in the prompt.

``df.groupby("cat").agg(...)`` keeps ``cat`` as the index, so ``{cat}`` failed with
"unknown name 'cat'" and a hint to escape the braces, which does not help.
"""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.matrix import matrix_prompts
from orchestration_kernel.pipeline_matrix import pipeline_rows


@pytest.fixture
def sales() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cat": ["toys", "food", "toys"],
            "day": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"]),
            "stars": [1, 2, 3],
        }
    )


def test_a_grouped_frames_index_name_fills_its_placeholder(sales: pd.DataFrame) -> None:
    grouped = sales.groupby("cat").agg(n=("stars", "sum"))
    rendered = matrix_prompts("{cat}: {n}", grouped)
    assert rendered.prompts == ["food: 2", "toys: 4"]
    assert rendered.index == ["food", "toys"]


def test_a_grouped_series_fills_every_named_level_dates_as_dates(sales: pd.DataFrame) -> None:
    grouped = sales.groupby(["cat", "day"]).stars.sum()
    rendered = matrix_prompts("{cat} on {day}: {stars}", grouped)
    assert rendered.prompts == ["food on 2024-01-02: 2", "toys on 2024-01-01: 4"]


def test_a_column_wins_over_an_index_level_of_the_same_name() -> None:
    frame = pd.DataFrame({"k": ["column"]}, index=pd.Index(["level"], name="k"))
    assert matrix_prompts("{k}", frame).prompts == ["column"]


def test_the_row_as_item_stays_its_columns_only(sales: pd.DataFrame) -> None:
    grouped = sales.groupby("cat").agg(n=("stars", "sum"))
    rendered = matrix_prompts("{cat} {item}", grouped)
    assert rendered.prompts == ['food {\n  "n": 2\n}', 'toys {\n  "n": 4\n}']


def test_an_unnamed_index_is_still_no_name(sales: pd.DataFrame) -> None:
    with pytest.raises(ConfigurationError, match="unknown name 'cat'"):
        matrix_prompts("{cat}", sales.set_index("cat").rename_axis(None)[["stars"]])


def test_a_pipeline_over_a_grouped_frame_reads_the_index_name(sales: pd.DataFrame) -> None:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    pipeline = engine.create_pipeline([{"name": "a", "model": "gpt-4o", "prompt": "{cat}: {n}"}])
    grouped = sales.groupby("cat").agg(n=("stars", "sum"))
    rows = pipeline_rows(pipeline, grouped)
    assert [(ns["cat"], ns["n"]) for ns in rows.namespaces] == [("food", 2), ("toys", 4)]
