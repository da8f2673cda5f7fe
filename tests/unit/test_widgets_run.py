"""RunView: widget state driven by real PipelineEvents from a real engine on the simulator."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import PipelineError
from orchestration_kernel.models import Decision, Delta
from orchestration_kernel.pipeline import PipelineEvent
from orchestration_kernel.widgets import RunView, run_display
from orchestration_kernel.widgets.frontend import WIDGET_MIME

SEED = [
    {"model": "gpt-4", "task": "analysis"},
    {"model": "claude-3", "task": "synthesis"},
    {"model": "gemini-pro", "task": "validation"},
]


@pytest.fixture
def engine() -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", simulator={"latency": 0.0, "chunks": 6})


class Handle:
    """Stands in for IPython's DisplayHandle: records what replaced the display."""

    def __init__(self) -> None:
        self.bundles: list[dict[str, Any]] = []

    def update(self, obj: Any, **kwargs: Any) -> None:
        self.bundles.append(obj._repr_mimebundle_())


class Recorder:
    """Every value a traitlet took, in order."""

    def __init__(self, widget: Any, name: str = "value") -> None:
        self.values: list[Any] = []
        widget.observe(lambda change: self.values.append(change["new"]), names=name)


async def test_one_table_from_start_to_end(engine: OrchestrationEngine) -> None:
    view = RunView("seed", min_interval=0)  # no throttle: every delta reaches the widget
    box = view.widget
    shown = Recorder(box.children[0])

    def observer(event: PipelineEvent) -> None:
        view.on_event(event)
        if event.kind == "run_start":  # the rows exist from the plan on, all pending
            assert all(f"<b>{s}</b>" in view.html for s in ("analysis", "synthesis"))
            assert view.html.count(">pending<") == len(SEED)

    pipeline = engine.create_pipeline(SEED)
    result = await pipeline.execute("Revenue rose 12%.", observer=observer)
    view.finish(result)

    assert len(box.children) == 1  # one HTML table, the same layout live and final
    heads = [v.split("<thead>")[1].split("</thead>")[0] for v in shown.values]
    assert len(set(heads)) == 1 and "<th" in heads[0]  # headers visible from the start
    assert any(">running<" in v for v in shown.values)
    assert view.html == view._html()  # the live widget ends as what the notebook keeps
    for step in result.steps:
        assert step.model in view.html
    assert "simulated" in view.html
    assert "first token" in view.html and "white-space:nowrap" in view.html
    assert "est. if real" in view.html  # the simulator stood in: the real price, marked
    assert "3/3 steps done" in view.html
    assert view.updates >= len(SEED) * 2


async def test_guardian_badges_and_reasons(engine: OrchestrationEngine) -> None:
    view = RunView("pii")
    _ = view.widget  # built first: the events below update it
    pipeline = engine.create_pipeline([{"model": "gpt-4", "task": "summary"}])
    address = "ann" + "@" + "corp.example.com"
    result = await view.execute(pipeline, f"Write to {address} about the invoice.")
    assert "redact · pii" in view.html
    assert "personal data" in view.html  # the reasons beside the badge
    assert "redact by pii (input)" in view.html  # and every decision in its tooltip
    assert address not in view._html() and address not in view._text()
    assert "1 Guardian finding" in view._text()
    assert result.status == "done"


async def test_final_state_replaces_the_display(engine: OrchestrationEngine) -> None:
    view = RunView("seed")
    handle = Handle()
    view._handle = handle  # as if shown with a display_id
    pipeline = engine.create_pipeline(SEED)
    await view.execute(pipeline, "text")
    final = handle.bundles[-1]
    assert set(final) == {"text/plain", "text/html"}  # no widget view: static and final
    assert "pending" not in final["text/plain"] and "running" not in final["text/plain"]
    assert final["text/plain"].count("[done]") == len(SEED)
    assert "3/3 steps done" in final["text/html"]


async def test_failed_run_shows_partial_state_then_raises(engine: OrchestrationEngine) -> None:
    claude = engine.resolve("claude-3").split(":", 1)[1]
    engine.simulator.script("bad_request", model=claude, times=None)
    view = RunView("fails")
    view._handle = handle = Handle()
    pipeline = engine.create_pipeline(SEED)
    with pytest.raises(PipelineError):
        await view.execute(pipeline, "text")
    text = handle.bundles[-1]["text/plain"]
    assert "failed" in text.splitlines()[0]
    assert "analysis [done]" in text and "synthesis [failed" in text
    assert "validation [cancelled" in text
    assert "failed: failed" not in text  # the reason already says it failed


def test_blocking_run_and_fan_out(engine: OrchestrationEngine) -> None:
    view = RunView("fan")
    pipeline = engine.create_pipeline(
        [{"name": "views", "model": ["gpt-4", "claude-3"], "prompt": "View on {input}"}]
    )
    view.run(pipeline, "tides")
    state = view.state.steps["views"]
    assert set(state.texts) == {"gpt-4", "claude-3"}
    assert "[gpt-4]" in state.text and "[claude-3]" in state.text
    assert "openai:" in view._text() and "anthropic:" in view._text()


def test_delta_kinds_reset_and_replace() -> None:
    view = RunView("deltas")
    _ = view.widget  # built first: the events below update it
    plan = [{"name": "a", "model": "gpt-4"}]
    view.on_event(PipelineEvent("run_start", "r1", data=plan))
    for delta in (Delta(kind="text", text="secret draft"), Delta(kind="reset")):
        view.on_event(PipelineEvent("delta", "r1", "a", "gpt-4", delta))
    assert view.state.steps["a"].text == ""
    view.on_event(PipelineEvent("delta", "r1", "a", "gpt-4", Delta(kind="text", text="x")))
    view.on_event(PipelineEvent("delta", "r1", "a", "gpt-4", Delta(kind="replace", text="[ok]")))
    view.finish()
    assert view.state.steps["a"].text == "[ok]"
    assert "[ok]" in view.html
    assert view.state.status == "done"


def test_streaming_is_throttled_and_flushed() -> None:
    view = RunView("slow frontend", min_interval=3600)
    _ = view.widget  # built first: the events below update it
    view.on_event(PipelineEvent("run_start", "r1", data=[{"name": "a", "model": "m"}]))
    view.on_event(PipelineEvent("step_start", "r1", "a"))
    before = view.updates
    for i in range(50):
        view.on_event(PipelineEvent("delta", "r1", "a", "m", Delta(kind="text", text=f"{i} ")))
    assert view.updates == before  # 50 deltas inside one interval: nothing sent
    assert "49" not in view.html
    view.tick()  # not due yet either
    assert view.updates == before
    view.finish()  # the end shows everything
    assert "49" in view.html


def test_cost_unknown_and_decisions_from_a_result() -> None:
    decisions = [
        Decision(action="warn", policy="terms", stage="output", reasons=["banned term"]),
        Decision(action="allow", policy="guardian", stage="input"),
    ]
    step = SimpleNamespace(
        name="a", model="gpt-4", provider="openai", status="done", simulated=False, output="hi",
        outputs=None, reason=None, error=None, latency_ms=5.0, ttft_ms=1.0, cost_usd=None,
        attempts=[object()], decisions=decisions,
        usage=SimpleNamespace(input_tokens=3, output_tokens=4),
    )  # fmt: skip
    result = SimpleNamespace(
        run_id="r9", status="done", latency_ms=7.0, error=None, output="hi", steps=[step]
    )

    view = RunView("unknown cost")
    view.finish(result)
    text = view._text()
    assert "unknown" in text and "cost unknown" in text
    assert "warn by terms (output): banned term" in text
    assert "openai" in text and "simulated" not in text
    bundle = view._repr_mimebundle_()
    assert WIDGET_MIME not in bundle  # not in a kernel
    assert "title='warn by terms (output): banned term'" in bundle["text/html"]


def test_html_escapes_model_text() -> None:
    view = RunView("<script>")
    view.on_event(PipelineEvent("run_start", "r", data=[{"name": "a", "model": "m"}]))
    view.on_event(PipelineEvent("delta", "r", "a", "m", Delta(kind="text", text="<b>x</b>")))
    html = view._html()
    assert "<script>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_run_display_outside_a_kernel_is_none() -> None:
    assert run_display(title="x") is None
