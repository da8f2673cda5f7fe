"""``print(result)`` in a plain script shows what a notebook shows: the summary table of a
compare or a matrix, the summary of a pipeline over rows. Before, it printed the
dataclass repr of every reply inside (a matrix of 2,000 items: megabytes on stdout)."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.pipeline_matrix import pipeline_rows, run_pipeline_matrix


@pytest.fixture(scope="module")
def engine() -> OrchestrationEngine:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    return engine


def test_a_printed_matrix_is_its_table(engine: OrchestrationEngine) -> None:
    result = engine.matrix_sync(["gpt-4o", "claude-3"], "Q {item}", ["first", "second"])
    printed = str(result)
    assert printed == result._repr_markdown_()
    assert printed.splitlines()[0] == "| item | gpt-4o | claude-3 |"
    assert "Reply(" not in printed and "CompareTable(" not in printed
    assert repr(result).startswith("MatrixResult(")  # the full repr is still there


def test_a_printed_compare_is_its_table(engine: OrchestrationEngine) -> None:
    table = engine.compare_sync(["gpt-4o", "claude-3"], "hello")
    printed = str(table)
    assert printed.startswith("| model | output |") and "Reply(" not in printed
    assert repr(table).startswith("CompareTable(")


def test_a_printed_pipeline_over_rows_is_its_summary(engine: OrchestrationEngine) -> None:
    pipeline = engine.create_pipeline([{"name": "a", "model": "gpt-4o", "prompt": "Q {input}"}])
    rows = pipeline_rows(pipeline, pd.Series(["x", "y"]))
    result = engine.runtime.run_sync(run_pipeline_matrix(pipeline, rows))
    assert str(result) == "**pipeline** over 2 rows: 2 done"


def test_a_key_in_a_printed_matrix_is_masked(engine: OrchestrationEngine) -> None:
    key = "sk-proj-" + "Hw3Zp8Kd5Nq1" * 4  # built at run time, never a literal
    result = engine.matrix_sync(["gpt-4o"], "Q {item}", [f"note {key}", "plain"])
    assert "Hw3Zp8" not in str(result)
