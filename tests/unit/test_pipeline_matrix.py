"""engine.pipeline_matrix in one kernel, on the simulator: what each kind of input becomes,
how the result lines up with it, and the mistakes refused before any call."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError, SpecError

STEPS = [
    {"name": "shout", "model": "gpt-4o", "prompt": "Shout {input}"},
    {"name": "review", "model": "claude-3", "prompt": "Review {shout.output}"},
]


@pytest.fixture
def engine() -> OrchestrationEngine:
    made = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    made.providers.set_offline_model("sim")
    return made


def test_a_list_runs_each_item_as_the_input(engine: OrchestrationEngine) -> None:
    result = engine.pipeline_matrix_sync(STEPS, ["hi", "bye"])
    frame = result.to_dataframe()
    assert list(frame.columns) == ["item", "shout", "review", "status", "error"]
    assert [r.steps[0].prompt for r in result.runs] == ["Shout hi", "Shout bye"]
    assert [r.run_id for r in result.runs] == [f"{result.run_id}-0", f"{result.run_id}-1"]
    assert result.status == "done" and result.errors == {} and result.cost_usd is not None
    assert "over 2 rows: 2 done" in result._repr_markdown_()


def test_a_named_series_keeps_its_index_and_a_clashing_column_is_renamed(
    engine: OrchestrationEngine,
) -> None:
    shout = pd.Series(["a", "b"], index=["x", "y"], name="shout")
    frame = engine.pipeline_matrix_sync(STEPS, shout).to_dataframe()
    assert list(frame.index) == ["x", "y"]
    assert list(frame.columns) == ["shout", "shout (output)", "review", "status", "error"]
    assert list(frame["shout"]) == ["a", "b"]


def test_a_pipeline_object_keeps_its_own_settings(engine: OrchestrationEngine) -> None:
    pipeline = engine.create_pipeline(
        [{"name": "only", "prompt": "Say {word}"}], default_model="gpt-4o", name="says"
    )
    result = engine.pipeline_matrix_sync(pipeline, pd.DataFrame({"word": ["one", "two"]}))
    assert result.pipeline == "says" and result.steps == ["only"]
    assert [r.steps[0].model for r in result.runs] == ["gpt-4o", "gpt-4o"]


def test_mistakes_are_refused_before_any_call(engine: OrchestrationEngine) -> None:
    with pytest.raises(ConfigurationError, match="items is empty"):
        engine.pipeline_matrix_sync(STEPS, [])
    with pytest.raises(ConfigurationError, match="partition_size: only with cluster="):
        engine.pipeline_matrix_sync(STEPS, ["a"], partition_size=2)
    with pytest.raises(ConfigurationError, match="takes no colour"):
        engine.pipeline_matrix_sync(STEPS, ["a"], colour="red")
    with pytest.raises(SpecError, match=r"unknown name 'colour'"):
        engine.pipeline_matrix_sync([{"model": "gpt-4o", "prompt": "{colour}"}], ["a"])
    with pytest.raises(ConfigurationError, match="must be a list"):
        engine.pipeline_matrix_sync(STEPS, "not rows")
    assert engine.audit.to_dataframe(event="call").empty  # nothing was sent


def test_a_pipeline_that_reads_nothing_of_the_rows_is_refused_before_any_call(
    engine: OrchestrationEngine,
) -> None:
    df = pd.DataFrame({"review": ["ok", "bad"], "stars": [3, 1]})
    jinja = [{"name": "s", "model": "gpt-4o", "prompt": "Summarise: {{review}}"}]
    with pytest.raises(ConfigurationError, match="same prompt") as caught:
        engine.pipeline_matrix_sync(jinja, df)
    assert "{{review}} is a literal" in str(caught.value)
    assert "{review}, {stars}, {input}" in str(caught.value)
    with pytest.raises(ConfigurationError, match="all 3 items"):
        engine.pipeline_matrix_sync([{"model": "gpt-4o", "prompt": "Tell a joke"}], [1, 2, 3])
    assert engine.audit.to_dataframe(event="call").empty  # nothing was sent
    # A later step may be the one reading the row; one row alone is one prompt.
    later = [
        {"name": "a", "model": "gpt-4o", "prompt": "Say hi"},
        {"name": "b", "model": "gpt-4o", "prompt": "{a.output} {input[stars]}"},
    ]
    assert engine.pipeline_matrix_sync(later, df).status == "done"
    assert engine.pipeline_matrix_sync(jinja, df.head(1)).status == "done"


def test_rows_neither_read_nor_extend_the_session_conversation(
    engine: OrchestrationEngine,
) -> None:
    """Rows are independent runs (any order, any worker): a plain run remembers its turns,
    a row does not, and a step that reads the conversation is refused over rows."""
    engine.create_pipeline(STEPS).run("once")
    before = engine.runtime.run_sync(engine.bus.conversation(engine.session_id))
    assert len(before) == 4  # the plain run: two steps, a prompt and a reply each
    result = engine.pipeline_matrix_sync(STEPS, ["a", "b", "c"])
    assert result.status == "done"
    after = engine.runtime.run_sync(engine.bus.conversation(engine.session_id))
    assert after == before
    reads = [{"name": "chat", "model": "gpt-4o", "prompt": "Go on: {input}", "context": "session"}]
    with pytest.raises(ConfigurationError, match=r"chat read the session's conversation"):
        engine.pipeline_matrix_sync(reads, ["a"])


def test_the_job_has_its_own_run_start_and_run_end(engine: OrchestrationEngine) -> None:
    # Each row's run had its pair; the job itself (status, rows ok/failed, cost) had none.
    result = engine.pipeline_matrix_sync(STEPS, ["hi", "bye", "why"])
    rows = engine.audit.to_dataframe(run=result.run_id)  # committed before it returned
    assert list(rows["event"]) == ["run_start", "run_end"]
    start, end = rows.iloc[0], rows.iloc[1]
    assert start["detail"] == {"kind": "pipeline_matrix", "steps": ["shout", "review"], "items": 3}
    assert end["status"] == result.status == "done"
    assert end["detail"]["rows"] == {"ok": 3, "failed": 0}
    assert end["cost_usd"] == pytest.approx(result.cost_usd)
    assert end["input_tokens"] == sum(r.usage.input_tokens for r in result.runs)
    assert engine.audit.verify()


def test_a_cancelled_job_records_cancelled() -> None:
    from tests.unit.test_matrix_audit import cancel_once_a_call_is_audited

    # A second a call: cancelled long before its 20 items could all be done.
    slow = OrchestrationEngine(offline="on", simulator={"latency": 1.0})
    slow.providers.set_offline_model("sim")
    items = [f"q{i}" for i in range(20)]
    cancel_once_a_call_is_audited(slow, slow.pipeline_matrix(STEPS[:1], items, concurrency=1))
    rows = slow.audit.to_dataframe()
    jobs = rows[
        (rows["event"] == "run_end")
        & rows["detail"].map(lambda d: isinstance(d, dict) and d.get("kind") == "pipeline_matrix")
    ]
    assert list(jobs["status"]) == ["cancelled"]
    assert slow.audit.verify()
    slow.close()
