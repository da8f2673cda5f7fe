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


def test_a_mistyped_audit_keyword_names_the_near_one(tmp_path: Any) -> None:
    from orchestration_kernel.audit import AuditTrail
    from orchestration_kernel.errors import UsageError

    trail = AuditTrail(tmp_path / "audit.db")
    try:
        with pytest.raises(UsageError) as info:
            trail.to_dataframe(modle="gpt-4o")
        message = str(info.value)
        assert "takes no argument 'modle'" in message and "Did you mean 'model'?" in message
        assert "It takes: run, since, model, event, session, limit, homes." in message
        assert isinstance(info.value, TypeError)  # ``except TypeError`` still catches it
        with pytest.raises(UsageError, match="Did you mean 'limit'"):
            trail.search("x", limt=3)
        with pytest.warns(UserWarning, match="No audit row names the model") as warned:
            assert trail.to_dataframe(model="gpt-4o").empty  # the real keywords still work
        assert warned[0].filename == __file__  # the warning still names the user's line
        with pytest.warns(UserWarning):
            assert trail.to_dataframe(None, None, "gpt-4o").empty  # and positions
    finally:
        trail.close()


@pytest.mark.parametrize(
    "kind", ["PipelineResult", "PipelineMatrixResult", "CompareTable", "MatrixResult"]
)
@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("to_csv", ".to_dataframe().to_csv(...)"),
        ("head", ".to_dataframe().head(...)"),
        ("describe", ".to_dataframe().describe(...)"),
        ("shape", ".to_dataframe().shape"),
        ("columns", ".to_dataframe().columns"),
    ],
)
def test_a_dataframe_name_on_a_result_says_where_the_frame_is(
    results: dict[str, Any], kind: str, name: str, says: str
) -> None:
    """Session 11, explore: ``matrix.to_csv("x.csv")`` was ``'MatrixResult' object has no
    attribute 'to_csv'.`` and nothing said the frame is ``.to_dataframe()``."""
    result = results[kind]
    with pytest.raises(AttributeError) as info:
        getattr(result, name)
    said = str(info.value)
    assert f"no attribute {name!r}" in said and says in said
    assert not hasattr(result, name)
    # A name that is neither near nor a DataFrame's stays a plain one-line error.
    with pytest.raises(AttributeError) as plain:
        result.wibble  # noqa: B018
    assert "DataFrame" not in str(plain.value)
