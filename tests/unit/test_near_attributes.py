"""A mistyped attribute of a result names the near ones (session 10, explore): before,
``result.cost`` was a bare ``'PipelineResult' object has no attribute 'cost'`` after two
frames of pydantic, and IPython never shows Python's own "Did you mean"."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    engine = OrchestrationEngine(offline="on", audit=False)
    step = [{"name": "a", "model": "gpt-4o", "prompt": "say {input}"}]
    rows = engine.pipeline_matrix_sync(step, ["x", "y"])
    return {
        "PipelineResult": rows.runs[0],
        "PipelineMatrixResult": rows,
        "CompareTable": engine.compare_sync(["gpt-4o"], "hi"),
        "MatrixResult": engine.matrix_sync(["gpt-4o"], "say {item}", ["x"]),
    }


@pytest.mark.parametrize(
    "kind", ["PipelineResult", "PipelineMatrixResult", "CompareTable", "MatrixResult"]
)
def test_a_mistyped_name_says_the_near_ones(results: dict[str, Any], kind: str) -> None:
    result = results[kind]
    with pytest.raises(AttributeError) as info:
        result.cost  # noqa: B018
    said = str(info.value)
    assert said.startswith(f"'{kind}' object has no attribute 'cost'. Did you mean 'cost_usd'")
    assert "construct" not in said  # pydantic's own names are never offered
    with pytest.raises(AttributeError, match="Did you mean 'to_dataframe'"):
        result.to_df()
    # Shown by IPython as that one line, no frames; still an AttributeError everywhere.
    assert info.value._render_traceback_() == [f"\x1b[0;31mAttributeError\x1b[0m: {said}"]
    assert not hasattr(result, "cost") and getattr(result, "cost", 7) == 7
    with pytest.raises(AttributeError) as plain:
        result._nothing_here  # noqa: B018
    assert "Did you mean" not in str(plain.value)


def test_results_still_copy_and_pickle(results: dict[str, Any]) -> None:
    run = results["PipelineResult"]
    again = pickle.loads(pickle.dumps(run))
    assert again.output == run.output and copy.deepcopy(run).run_id == run.run_id
    table = pickle.loads(pickle.dumps(results["CompareTable"]))
    assert table.replies.keys() == results["CompareTable"].replies.keys()
