"""What a new user reads and types in the first hour: counts agree with their nouns, results
print as tables in plain text, frames keep their types, a misnamed filter is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.formatting import counted

ONE = '- name: only\n  model: gpt-4o-mini\n  prompt: "Say hi to {input}"\n'


def test_counted_keeps_one_singular() -> None:
    assert [counted(n, "step") for n in (0, 1, 2)] == ["0 steps", "1 step", "2 steps"]


def test_a_one_step_plan_and_result_say_one_step() -> None:
    engine = OrchestrationEngine(offline="on")
    try:
        pipeline = engine.create_pipeline(ONE)
        plan = pipeline.plan("Ada")._repr_markdown_()
        assert "· 1 step ·" in plan and "1 steps" not in plan
        shown = pipeline.run("Ada")._repr_markdown_()
        assert "· 1 step ·" in shown and "1 steps" not in shown
        two = engine.create_pipeline(ONE + ONE.replace("only", "again"))
        assert "· 2 steps ·" in two.plan("Ada")._repr_markdown_()
    finally:
        engine.close()


def test_a_plain_text_frontend_shows_results_as_their_tables() -> None:
    from IPython.lib.pretty import pretty

    engine = OrchestrationEngine(offline="on")
    try:
        result = engine.create_pipeline(ONE).run("Ada")
        table = engine.compare_sync(["gpt-4o", "claude-3"], "Say hi")
        matrix = engine.matrix_sync(["gpt-4o"], "Q: {item}", ["one", "two"])
    finally:
        engine.close()
    for value, head in [
        (result, "| step | model | status |"),
        (table, "| model | output |"),
        (matrix, "| item | gpt-4o |"),
    ]:
        text = pretty(value)  # what IPython puts in text/plain
        assert head in text, text[:200]
        assert "Reply(" not in text and "StepResult(" not in text and len(text) < 2_000
        assert repr(value).startswith(type(value).__name__ + "(")  # repr() is still the repr


def test_a_results_frame_has_utc_timestamps_like_the_audit_frame() -> None:
    engine = OrchestrationEngine(offline="on")
    try:
        result = engine.create_pipeline(ONE + ONE.replace("only", "again")).run("Ada")
        frame = result.to_dataframe()
        audit = engine.audit.to_dataframe()
    finally:
        engine.close()
    for column in ("started_at", "ended_at"):
        assert str(frame[column].dtype) == str(audit["timestamp"].dtype), frame[column].dtype
    first = result.steps[0]
    seconds = frame["started_at"].iloc[0].timestamp()
    assert abs(seconds - first.started_at) < 1e-5  # the same instant, to the microsecond
    assert (frame["ended_at"] >= frame["started_at"]).all()
    assert frame["started_at"].iloc[0].year >= 2024  # wall-clock time, not a monotonic clock


def test_a_compare_frame_with_a_failed_model_keeps_its_types() -> None:
    engine = OrchestrationEngine(offline="on")
    try:
        claude = engine.resolve("claude-3").rsplit(":", 1)[-1]
        engine.simulator.script("bad_request", model=claude, times=None)
        frame = engine.compare_sync(["gpt-4o", "claude-3"], "hi").to_dataframe()
    finally:
        engine.close()
    assert frame["simulated"].dtype == "boolean"
    assert list(frame[frame["simulated"].fillna(False)]["model"]) == ["gpt-4o"]
    assert frame.loc[0, "input_tokens"] >= 1 and frame["input_tokens"].isna().tolist() == [
        False,
        True,
    ]  # (tokens stay float64 with NaN, shown as integers: tests/unit/test_whole_numbers)
    assert frame.loc[1, "error"].startswith("BadRequestError")
    assert frame["ttft_ms"].dtype == "float64" and frame["latency_ms"].dtype == "float64"


def test_export_with_a_column_name_for_a_filter_names_the_filter(tmp_path: Path) -> None:
    from orchestration_kernel.errors import UsageError

    engine = OrchestrationEngine(offline="on")
    try:
        run = engine.create_pipeline(ONE).run("Ada").run_id
        with pytest.raises(UsageError) as info:
            engine.audit.export(tmp_path / "run.csv", run_id=run)
        assert "export() takes no filter 'run_id'. Did you mean 'run'?" in str(info.value)
        assert "select_sql" not in str(info.value) and not (tmp_path / "run.csv").exists()
        assert engine.audit.export(tmp_path / "run.csv", run=run).exists()
        with pytest.raises(UsageError, match=r"summary_by_model\(\) takes no filter 'models'"):
            engine.audit.summary_by_model(models="gpt-4o-mini")
        assert len(engine.audit.summary_by_model(homes=[])) == 1
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("value", "conversion"),
    [
        ("frame", 'df.to_dict(orient="records")'),
        ("moment", "value.isoformat()"),
        ("tags", "sorted(value)"),
    ],
)
def test_publishing_a_notebook_value_says_how_to_convert_that_value(
    value: str, conversion: str
) -> None:
    import datetime

    import pandas as pd

    from orchestration_kernel import ContextBus
    from orchestration_kernel.errors import ConfigurationError

    values = {
        "frame": pd.DataFrame({"stars": [5, 1]}),
        "moment": datetime.datetime(2026, 1, 31, tzinfo=datetime.UTC),
        "tags": {"q3", "sales"},
    }
    bus = ContextBus(session_id="first-hour")
    with pytest.raises(ConfigurationError) as info:
        bus.publish_sync("context.updated", {value: values[value]})
    assert f"Convert it first, e.g. {conversion}." in str(info.value)
    assert bus.get_context_sync() == {}  # nothing half-stored


@pytest.mark.parametrize("name", ["claude-3", "anthropic:claude-sonnet-4-6", "claude-sonnet-4-6"])
def test_a_fault_scripted_on_an_alias_fails_that_models_calls(name: str) -> None:
    from orchestration_kernel import RetryPolicy
    from orchestration_kernel.errors import OrchestrationError

    engine = OrchestrationEngine(offline="on", retry=RetryPolicy(max_attempts=1))
    try:
        engine.simulator.script("server_error", model=name, times=None)  # never matched
        with pytest.raises(OrchestrationError):
            engine.complete_sync("claude-3", "hi")
        assert engine.complete_sync("gpt-4o", "hi").text  # other models unaffected
        engine.simulator.script("bad_request", model="no-such-model-zz", times=None)
        assert engine.complete_sync("gpt-4o", "hi").text  # an unknown name matches nothing
    finally:
        engine.close()
