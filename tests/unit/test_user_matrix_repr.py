"""A matrix's table (``rated`` typed in a cell, text/markdown and text/plain) stays
readable at any size: as many rows as pandas would show of a frame, and each row named
by at most 80 characters of its item. A 2,000-review matrix was a 1 MB table whose every
row began with the whole review."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.matrix import MatrixResult


@pytest.fixture(scope="module")
def engine() -> OrchestrationEngine:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    return engine


def _matrix(engine: OrchestrationEngine, items: object) -> MatrixResult:
    result = engine.matrix_sync(["gpt-4o"], "Rate {item}", items)
    assert isinstance(result, MatrixResult)
    return result


def _body(markdown: str) -> list[str]:
    return markdown.splitlines()[2:-1]  # no header, no rule, no totals


def test_a_long_matrix_shows_its_first_and_last_rows_and_says_how_many_more(
    engine: OrchestrationEngine,
) -> None:
    result = _matrix(engine, [f"review number {i}" for i in range(200)])
    body = _body(result._repr_markdown_())
    shown = pd.get_option("display.min_rows")
    assert len(body) == 2 * shown + 1
    assert body[0].startswith("| review number 0 |")
    assert body[shown].startswith(f"| … {200 - 2 * shown:,} more rows")
    assert body[-1].startswith("| review number 199 |")
    assert "| 200 ok, 0 failed" in result._repr_markdown_()  # totals count every row


def test_a_matrix_pandas_would_show_whole_is_shown_whole(engine: OrchestrationEngine) -> None:
    result = _matrix(engine, [f"q{i}" for i in range(pd.get_option("display.max_rows"))])
    body = _body(result._repr_markdown_())
    assert len(body) == pd.get_option("display.max_rows")
    assert not any("more rows" in line for line in body)


def test_a_long_item_names_its_row_by_its_start_and_the_reply_stays_whole(
    engine: OrchestrationEngine,
) -> None:
    review = "The parcel came late and the box was crushed on one side. " * 10
    result = _matrix(engine, pd.Series([review, "short"], name="review"))
    first = _body(result._repr_markdown_())[0]
    label, reply = first.strip("| ").split(" | ")
    assert len(label) <= 80 and label.endswith("…")
    assert review.startswith(label[:-1])
    assert reply == result.reply(0, "gpt-4o").text.replace("\n", " ")  # not cut


def test_a_key_at_the_cut_is_masked_whole(engine: OrchestrationEngine) -> None:
    key = "sk-proj-" + "Tq7Lm2Vx9Rb4" * 4  # built at run time, never a literal
    item = "x" * 60 + " " + key + " rest"
    result = _matrix(engine, [item, "other"])
    shown = result._repr_markdown_()
    assert "Tq7Lm2" not in shown and "Tq7Lm2" not in str(result)
    assert result.items[0] == item  # the data itself is untouched
