"""CompareView, MatrixView, AuditView, the display seam and the throttle."""

from __future__ import annotations

from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.compare import CompareTable
from orchestration_kernel.errors import ProviderError
from orchestration_kernel.models import Decision, Reply, Usage
from orchestration_kernel.widgets import AuditView, CompareView, MatrixView, RunView
from orchestration_kernel.widgets.frontend import WIDGET_MIME, View, widget_frontend
from orchestration_kernel.widgets.throttle import Throttle

MODELS = ["gpt-4", "claude-3", "gemini-pro"]


@pytest.fixture
def engine() -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", simulator={"latency": (0.0, 0.02)})


def reply(model: str, latency: float, cost: float | None, **kw: Any) -> Reply:
    return Reply(
        text=f"answer from {model}", model=model, resolved_model=f"p:{model}", provider="p",
        latency_ms=latency, cost_usd=cost, usage=Usage(input_tokens=2, output_tokens=3), **kw,
    )  # fmt: skip


def test_one_compare_is_one_sample_and_marks_nobody() -> None:
    table = CompareTable("q", {"a": reply("a", 500, 0.002), "b": reply("b", 20, 0.001),
                               "c": reply("c", 900, None)})  # fmt: skip
    view = CompareView(table)
    assert all(c.marks == () for c in view.columns)  # one sample each: no winner
    text = view._text()
    assert "b → p:b" in text and "[fastest" not in text
    assert "unknown" in text  # c's price is unknown, not free
    assert ">fastest<" not in view._html()
    assert view.to_dataframe()["model"].tolist() == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("samples", "floor", "winner"),
    [
        ({"a": [100, 110, 90], "b": [300, 310, 290]}, 50, "a"),  # clear lead
        ({"a": [0.4, 0.5, 0.3], "b": [0.9, 0.8, 0.9]}, 50, None),  # sub-ms noise
        ({"a": [100, 100, 100], "b": [115, 115, 115]}, 0, None),  # 13%: under 20%
        ({"a": [100, 100], "b": [300, 300]}, 50, None),  # two samples only
        ({"a": [1.0, 1.0, 1.0], "b": [2.0, None, 2.0]}, 0, None),  # an unknown sample
    ],
)
def test_clear_winner_needs_a_real_lead(samples, floor, winner) -> None:
    from orchestration_kernel.widgets.compare_view import clear_winner

    assert clear_winner(samples, floor=floor) == winner


def test_compare_ties_and_errors_mark_nobody() -> None:
    table = CompareTable("q", {"a": reply("a", 10, 0.0), "b": reply("b", 10, 0.0),
                               "c": ProviderError("boom")})  # fmt: skip
    view = CompareView(table)
    assert all(c.marks == () for c in view.columns)
    assert "error: ProviderError: boom" in view._text()
    assert "boom" in view._html()
    box = view.widget
    assert len(box.children) == 3  # one column per model, the failed one too
    assert "boom" in box.children[2].children[1].value


def test_compare_shows_decisions_and_simulated(engine: OrchestrationEngine) -> None:
    warn = Decision(action="redact", policy="pii", stage="input", reasons=["1 email"])
    table = CompareTable("q", {"a": reply("a", 1, 0.0, decisions=[warn], simulated=True)})
    view = CompareView(table)
    assert "guardian: redact by pii (input): 1 email" in view._text()
    assert "(simulated)" in view._text()
    real = CompareView(engine.compare_sync(MODELS, "Name a colour"))
    assert [c.model for c in real.columns] == MODELS
    assert all(c.simulated for c in real.columns)


def test_matrix_rows_totals_and_dataframe(engine: OrchestrationEngine) -> None:
    items = ["one", "two"]
    tables = [engine.compare_sync(MODELS[:2], f"Answer {i}") for i in items]
    view = MatrixView.from_tables(MODELS[:2], items, tables)
    frame = view.to_dataframe()
    assert list(frame.columns) == ["item", *MODELS[:2]] and len(frame) == 2
    cells = view.cells()
    assert [item for item, _ in cells] == items
    assert all(len(row) == 2 and not any(c.error for c in row) for _, row in cells)
    totals = view.totals()
    assert totals["gpt-4"]["answers"] == 2 and totals["gpt-4"]["errors"] == 0
    assert view._text().count("2 answered, 0 failed") == 2
    grid = view.widget
    assert len(grid.children) == (1 + len(items) + 1) * 3  # header, items, totals × 3 columns
    assert "<b>total</b>" in view._html()


def test_matrix_marks_a_clear_lead_over_three_items() -> None:
    items = ["x", "y", "z"]
    tables = [CompareTable(i, {"a": reply("a", 290, 0.01), "b": reply("b", 10, 0.02)})
              for i in items]  # fmt: skip
    view = MatrixView.from_tables(["a", "b"], items, tables)
    assert view.winners() == {"fastest": "b", "cheapest": "a"}
    lines = view._text().splitlines()
    assert lines[-2].endswith("[cheapest]") and lines[-1].endswith("[fastest]")
    close = [CompareTable(i, {"a": reply("a", 10.4, 0.01), "b": reply("b", 10.1, 0.01)})
             for i in items]  # fmt: skip
    assert MatrixView.from_tables(["a", "b"], items, close).winners() == {
        "fastest": None, "cheapest": None,
    }  # fmt: skip


def test_matrix_missing_reply_is_an_error() -> None:
    view = MatrixView.from_tables(["a", "b"], ["x"], [CompareTable("x", {"a": reply("a", 1, 0)})])
    assert "error: LookupError: no reply from b" in view._text()


async def test_audit_view_of_a_run(engine: OrchestrationEngine) -> None:
    steps = [{"model": "gpt-4", "task": "a"}, {"model": "claude-3", "task": "b"}]
    pipeline = engine.create_pipeline(steps)
    result = await pipeline.execute("mail " + "bo" + "@example.org" + " now")
    view = AuditView(engine.audit, run=result)
    assert set(view.frame["run_id"]) == {result.run_id}
    steps = view.steps()
    assert steps["step"].tolist() == ["a", "b"] and (steps["start_ms"] >= 0).all()
    findings = view.findings()
    assert set(findings["policy"]) == {"pii"}  # the Guardian's overall rows are folded in
    assert view.per_model()["calls"].sum() == 2
    text = view._text()
    assert f"run {result.run_id}" in text and "(simulated)" in text and "redact" in text
    assert "<table" in view._html() and "</table>" in view._html()
    png = view.chart().png()
    assert png.startswith(b"\x89PNG")
    assert "image/png" in view.chart()._repr_mimebundle_()
    tabs = view.widget
    assert [tabs.get_title(i) for i in range(len(tabs.children))] == [
        "per model", "steps", "guardian findings", "chart", "rows"]  # fmt: skip
    again = AuditView(view.to_dataframe(), run=result.run_id)
    assert len(again.frame) == len(view.frame)


def test_audit_view_without_rows() -> None:
    import pandas as pd

    frame = pd.DataFrame(columns=["run_id", "event", "step", "model", "status", "latency_ms",
                                  "cost_usd", "timestamp", "guardian_action", "guardian_policy",
                                  "guardian_reasons", "provider", "error_type", "input_tokens",
                                  "output_tokens", "replayed", "ttft_ms"])  # fmt: skip
    view = AuditView(frame)
    assert "(none)" in view._text() and "all runs" in view._text()
    assert view.chart().png().startswith(b"\x89PNG")


def test_static_views_send_html_unless_a_widget_frontend_is_known() -> None:
    table = CompareTable("q", {"a": reply("a", 1, 0.0)})
    assert not widget_frontend()
    assert set(CompareView(table)._repr_mimebundle_()) == {"text/plain", "text/html"}
    forced = CompareView(table, widget=True)._repr_mimebundle_()
    assert forced[WIDGET_MIME]["model_id"]


def test_live_view_sends_the_widget_until_final() -> None:
    view = RunView("t")
    view.use_widget = True
    assert WIDGET_MIME in view._repr_mimebundle_()
    view.finish()
    assert WIDGET_MIME not in view._repr_mimebundle_()


def test_show_outside_ipython_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython

    # Other tests may have started a global InteractiveShell in this process.
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    view = RunView("t")
    assert view.show() is None and not view.shown
    view.refresh()  # nothing to replace: no error


def test_view_base_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        View()._repr_mimebundle_()
    with pytest.raises(NotImplementedError):
        View().widget  # noqa: B018


def test_throttle_holds_back_and_releases() -> None:
    now = [0.0]
    throttle = Throttle(0.1, clock=lambda: now[0])
    assert throttle.ready("a")
    assert not throttle.ready("a")  # too soon: pending
    assert throttle.due() == []
    now[0] = 0.2
    assert throttle.due() == ["a"]
    assert not throttle.ready("a")
    assert throttle.ready("a", force=True)
    assert throttle.ready("b")  # another key has its own clock
    throttle.ready("a")
    assert throttle.drain() == ["a"] and throttle.drain() == []


def test_costs_read_as_money_and_tiny_costs_are_not_zero() -> None:
    from orchestration_kernel.widgets.render import fmt_cost

    tiny = fmt_cost(0.0000421)
    assert tiny.startswith("$0.0000") and tiny.rstrip("0").endswith("42")  # not "$0.00"
    assert fmt_cost(0.0) == "$0.00" and fmt_cost(12.5) == "$12.50"
    assert fmt_cost(None, unknown=True) == "unknown" and fmt_cost(None) == ""


def test_guardian_reasons_are_readable_without_hovering() -> None:
    from orchestration_kernel.widgets.render import decisions_html

    block = Decision(action="block", policy="secrets", stage="input", reasons=["a credential"])
    allow = Decision(action="allow", policy="guardian", stage="output")
    html = decisions_html([block, allow])
    assert "block · secrets" in html
    assert "<small>a credential</small>" in html  # shown beside the badge, not only a tooltip
    assert "allow" in decisions_html([allow]) and decisions_html([]) == ""


async def test_audit_view_prices_simulated_calls_as_if_real(engine: OrchestrationEngine) -> None:
    reply = await engine.complete("gpt-4o", "price me", run_id="priced")
    view = AuditView(engine.audit, run="priced")
    table = view.per_model()
    assert table["cost_usd"].sum() == 0  # the audit keeps the true cost
    expected = reply.extras["cost_if_real_usd"]
    assert expected > 0 and table["cost_if_real_usd"].tolist() == [pytest.approx(expected)]
    chart = view.chart()
    titles = [ax.get_title() for ax in chart.figure.axes]
    assert "cost per model (est. if real)" in titles
