"""The magics' parts on their own: the load-time imports, the display, the runner, rendering."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from orchestration_kernel.errors import RunCancelled, SpecError
from orchestration_kernel.magics.args import evaluate_input, suggest
from orchestration_kernel.magics.display import LiveRunDisplay
from orchestration_kernel.magics.errors import clean_errors, is_clean, yaml_error_to_spec
from orchestration_kernel.magics.namespace import ErrorLog, interpolation_namespace
from orchestration_kernel.magics.render import extract_code, output_text, to_jsonable
from orchestration_kernel.magics.runner import run_blocking
from orchestration_kernel.models import Delta
from orchestration_kernel.pipeline.events import PipelineEvent
from orchestration_kernel.runtime import Runtime
from orchestration_kernel.widgets.state import RunState

HEAVY = ("openai", "anthropic", "google.genai", "perplexity", "pandas", "ipywidgets", "pyarrow")
#: Ours, but not needed until the first cell runs (the session brings the runtime loop).
FIRST_USE = ("orchestration_kernel.session", "orchestration_kernel.runtime")


def test_load_ext_imports_nothing_heavy() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from IPython.testing.globalipapp import start_ipython
        ip = start_ipython()
        ip.run_line_magic("load_ext", "orchestration_kernel")
        assert ip.find_cell_magic("orchestrate") is not None
        print(sorted(m for m in {FIRST_USE!r} if m in sys.modules))
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip().splitlines()[-2:] == ["[]", "[]"]


class _Publisher:
    """Stands in for IPython.display.display: records what would be shown."""

    def __init__(self) -> None:
        self.shown: list[dict[str, str]] = []
        self.updates: list[dict[str, str]] = []

    def __call__(self, bundle: dict[str, str], **kwargs: Any) -> _Publisher:
        assert kwargs == {"raw": True, "display_id": True}
        self.shown.append(bundle)
        return self

    def update(self, bundle: dict[str, str], raw: bool = False) -> None:
        self.updates.append(bundle)


class _Step:
    def __init__(self, name: str, status: str, output: str | None = None) -> None:
        self.name, self.status, self.output = name, status, output
        self.model, self.provider, self.simulated = "gpt-4", "sim", True
        self.latency_ms, self.ttft_ms, self.cost_usd = 12.0, 3.0, 0.0
        self.usage = None
        self.outputs = None
        self.guardian = "warn"
        self.reason = None
        self.error = None


def test_live_display_updates_and_ends_final() -> None:
    pub = _Publisher()
    view = LiveRunDisplay("demo", publish=pub, min_interval=3600)
    view.show()
    view.on_event(
        PipelineEvent(
            "run_start",
            "r1",
            data=[{"name": "a", "model": "gpt-4"}, {"name": "b", "model": "claude-3"}],
        )
    )
    view.on_event(PipelineEvent("step_start", "r1", "a", "gpt-4"))
    view.on_event(PipelineEvent("delta", "r1", "a", None, Delta(kind="text", text="hel")))
    view.on_event(PipelineEvent("delta", "r1", "a", None, Delta(kind="text", text="lo")))
    assert len(pub.updates) == 2  # structural events now; text waits for the clock
    view.tick()
    view.on_event(PipelineEvent("step_end", "r1", "a", "gpt-4", _Step("a", "done", "hello")))
    assert "hello" in pub.updates[-1]["text/plain"]
    view.finish(None, RunCancelled("stopped"))
    final = pub.updates[-1]
    assert "cancelled" in final["text/plain"]  # step b never ran: it is not left pending
    assert "pending" not in final["text/html"]
    assert "simulated" in final["text/html"] and "(simulated)" in final["text/plain"]


def test_text_only_display_and_terminal_mode() -> None:
    pub = _Publisher()
    view = LiveRunDisplay("t", publish=pub, html_output=False, live=False)
    view.on_event(PipelineEvent("step_start", "r", "a", "m"))
    assert not pub.shown  # a terminal cannot update in place: only the end is shown
    view.finish(None, None)
    assert len(pub.shown) == 1 and "text/html" not in pub.shown[0]


def test_run_state_applies_reset_and_replace() -> None:
    state = RunState("x")
    for kind, text in [("text", "abc"), ("reset", ""), ("text", "de"), ("replace", "[redacted]")]:
        state.apply(PipelineEvent("delta", "r", "s", "m", Delta(kind=kind, text=text)))
    assert state.steps["s"].text == "[redacted]"
    state.apply(PipelineEvent("delta", "r", "fan", "m1", Delta(kind="text", text="one")))
    state.apply(PipelineEvent("delta", "r", "fan", "m2", Delta(kind="text", text="two")))
    assert "[m1] one" in state.steps["fan"].text and "[m2] two" in state.steps["fan"].text


def test_runner_pumps_events_in_order() -> None:
    runtime = Runtime("test-runner")
    seen: list[int] = []

    async def work(observer: Any) -> str:
        for i in range(5):
            observer(i)
            await asyncio.sleep(0)
        return "ok"

    try:
        assert run_blocking(runtime, work, seen.append) == "ok"
        assert seen == [0, 1, 2, 3, 4]
    finally:
        runtime.close()


def test_runner_interrupt_cancels_the_run() -> None:
    runtime = Runtime("test-runner")
    cancelled = []

    async def work(observer: Any) -> None:
        observer("started")
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    def on_event(event: Any) -> None:
        raise KeyboardInterrupt  # what Ctrl-C does to the waiting cell

    try:
        with pytest.raises(RunCancelled):
            run_blocking(runtime, work, on_event, grace=5)
        assert cancelled == [True]
    finally:
        runtime.close()


def test_clean_errors_only_for_domain_errors() -> None:
    import yaml

    with pytest.raises(SpecError) as info, clean_errors():
        yaml.safe_load("a: [1\nb: 2")
    assert is_clean(info.value) and "line" in str(info.value)
    with pytest.raises(ZeroDivisionError) as bug, clean_errors():
        _ = 1 / 0
    assert not is_clean(bug.value)


def test_yaml_error_without_mark() -> None:
    import yaml

    assert "YAML" in str(yaml_error_to_spec(yaml.YAMLError("odd")))


def test_error_log_records_and_bounds() -> None:
    log = ErrorLog(limit=2)
    for n in range(1, 4):
        try:
            raise ValueError(f"bad {n}")
        except ValueError as exc:
            log.record(n, exc, f"cell {n}")
    assert sorted(log.records) == [2, 3]
    assert log.last is not None and log.last.cell == 3 and "bad 3" in str(log.last)
    ns = interpolation_namespace({"x": 1}, log)
    assert ns["x"] == 1 and ns["Err"] is log.records

    class Result:
        error_in_exec = RuntimeError("boom")
        error_before_exec = None
        execution_count = 9
        info = None

    log.post_run_cell(Result())
    assert "boom" in log.records[9]


def test_render_helpers() -> None:
    assert extract_code("Here:\n```python\nx = 1\n```\nand\n```\ny = 2\n```") == "x = 1\n\ny = 2"
    assert extract_code("plain") == "plain"
    assert to_jsonable(type("R", (), {"output": '{"a": 1}'})()) == {"a": 1}
    assert output_text(None) == ""


def test_evaluate_input() -> None:
    assert evaluate_input("[x, x]", {"x": 2}) == [2, 2]
    assert evaluate_input("two words", {}) == "two words"
    with pytest.raises(Exception, match="1/0"):
        evaluate_input("1/0", {})
    assert suggest("modles", ["models", "run"]) == ["models"]
