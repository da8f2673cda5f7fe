"""Results: aggregates, totals (unknown cost stays unknown), tables and displays."""

from __future__ import annotations

import json

import pytest

from orchestration_kernel.models import Attempt, Decision, Usage
from orchestration_kernel.pipeline.result import ModelCall, PipelineResult, StepResult


def call(model: str, cost: float | None, tokens: int = 10, **kw: object) -> ModelCall:
    attempt = Attempt(number=1, model=model, provider="sim", simulated=True)
    return ModelCall(
        model=model, provider="sim", output=f"out {model}", cost_usd=cost,
        usage=Usage(input_tokens=tokens, output_tokens=tokens), attempts=[attempt],
        latency_ms=5.0, ttft_ms=2.0, simulated=True, **kw,
    )  # fmt: skip


def result_with(*steps: StepResult) -> PipelineResult:
    return PipelineResult(
        run_id="r1",
        pipeline="demo",
        steps=list(steps),
        latency_ms=12.0,
        status="done",
        output="final",
    )


def test_absorb_aggregates_calls() -> None:
    step = StepResult(name="views", model=["a", "b"])
    warn = Decision(action="warn", policy="pii", stage="output")
    step.absorb([call("a", 0.01), call("b", 0.02, decisions=[warn])])
    assert step.provider == "sim"
    assert step.usage.total_tokens == 40
    assert step.cost_usd == pytest.approx(0.03)
    assert len(step.attempts) == 2
    assert step.guardian == "warn"
    assert step.simulated
    assert step.ttft_ms == 2.0


def test_unknown_cost_makes_totals_unknown() -> None:
    a = StepResult(name="a", status="done")
    a.absorb([call("a", 0.01)])
    b = StepResult(name="b", status="done")
    b.absorb([call("b", None)])
    res = result_with(a, b)
    assert b.cost_usd is None
    assert res.cost_usd is None
    assert res.cost_known_usd == pytest.approx(0.01)
    assert res.totals["cost_usd"] is None
    assert res.totals["total_tokens"] == 40


def test_calls_that_never_ran_do_not_make_cost_unknown() -> None:
    a = StepResult(name="a", status="done")
    a.absorb([call("a", 0.01), ModelCall(model="b", status="cancelled")])
    assert a.cost_usd == pytest.approx(0.01)
    assert result_with(a).cost_usd == pytest.approx(0.01)


def test_lookup_and_outputs() -> None:
    a = StepResult(name="a", status="done", output="x")
    res = result_with(a)
    assert res["a"] is a
    assert res.outputs == {"a": "x"}
    with pytest.raises(KeyError, match="Known: a"):
        res.step("b")
    assert str(res) == "final"


def test_records_dataframe_and_json() -> None:
    a = StepResult(name="a", model=["m1", "m2"], status="done", output="x")
    a.absorb([call("m1", 0.0), call("m2", 0.0)])
    res = result_with(a)
    rows = res.to_records()
    assert rows[0]["model"] == "m1, m2"
    assert rows[0]["attempts"] == 2
    df = res.to_dataframe()
    assert list(df["step"]) == ["a"]
    assert json.loads(res.to_json())["run_id"] == "r1"


def test_displays_show_steps_and_escape_html() -> None:
    a = StepResult(name="a", model="gpt-4", status="done", output="<b>x</b>", simulated=True)
    res = result_with(a)
    res.output = "<script>"
    md = res._repr_markdown_()
    assert "| a | gpt-4 (simulated) | done" in md
    html = res._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert res.simulated
    assert res.decisions == []


@pytest.mark.parametrize(
    "one",
    [
        call("a", 0.01),
        call("a", None),
        ModelCall(model="a", status="failed", error="boom"),  # never ran: no cost, no latency
        ModelCall(model="a", status="blocked", latency_ms=None, ttft_ms=None),
        call("a", 0.0, decisions=[Decision(action="warn", policy="pii", stage="input")]),
    ],
)
def test_a_one_call_step_aggregates_as_the_general_rule_does(one: ModelCall) -> None:
    """The one-call shortcut (issue 24) gives what the sums over several calls give; a
    cancelled call that never ran adds nothing to those sums but itself."""
    fast = StepResult(name="s", latency_ms=7.0)
    fast.absorb([one])
    general = StepResult(name="s", latency_ms=7.0)
    general.absorb([one, ModelCall(model="b", status="cancelled", cost_usd=0.0)])
    skip = {"calls"}
    assert fast.model_dump(exclude=skip) == general.model_dump(exclude=skip)
    assert fast.calls == [one]


def test_a_step_shows_one_summary_line_and_its_output_once() -> None:
    # Before: a notebook showed repr(step): the prompt, every call's and attempt's repr,
    # the output three times over (362 KB of text/plain for one long step).
    from IPython.lib.pretty import pretty

    long = "word " * 5000
    step = StepResult(name="summary", model="gpt-4o", status="done", prompt=long, output=long)
    step.absorb([call("gpt-4o", 0.5).model_copy(update={"output": long})])
    shown = pretty(step)
    assert shown.startswith("step summary · ") and "20 tokens" in shown
    assert "guardian allow" in shown and shown.count(long) == 1
    assert len(shown) < len(repr(step)) / 2
    failed = StepResult(name="s", status="skipped", reason="condition was false")
    assert pretty(failed).splitlines()[1] == "condition was false"
