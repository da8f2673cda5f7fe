"""A live view of a big matrix sends a bounded amount to the frontend (found as a new user).

Every cell that started or ended redrew the whole view, and a view sends all of itself:
``%%orchestrate --compare gpt-4o claude-3 --over df`` on 500 rows sent 1.9 GB of widget
messages and took six minutes on the simulator in a real kernel (250 rows: 474 MB, 96 s;
after: 2 MB, 2 s). Whole redraws of a big view now wait ``size / rate`` seconds; a frozen
clock here makes the bound exact: once the view is big, only the end redraws it.
"""

from __future__ import annotations

from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.magics.display import LiveRunDisplay
from orchestration_kernel.matrix import matrix_prompts, run_matrix
from orchestration_kernel.widgets import RunView
from orchestration_kernel.widgets.throttle import RedrawBudget

ROWS = [f"question {i}" for i in range(300)]


@pytest.fixture(scope="module")
def engine() -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", audit=False)


def _run(engine: OrchestrationEngine, observer: Any) -> None:
    prepared = matrix_prompts("Answer {item}", ROWS)
    models = ["gpt-4o", "claude-3"]
    engine.runtime.run_sync(run_matrix(engine.compare, models, prepared, observer=observer))


def test_the_widget_view_of_a_big_matrix_sends_a_bounded_amount(
    engine: OrchestrationEngine,
) -> None:
    view = RunView("compare gpt-4o, claude-3 over 300 items")
    view.budget = RedrawBudget(clock=lambda: 0.0)  # time stands still: no budget refills
    _ = view.widget
    sent: list[int] = []
    view._table.observe(lambda change: sent.append(len(change["new"])), names="value")
    _run(engine, view.on_event)
    view.finish()
    final = len(view.html)
    assert final > 200_000 and "question 299" in view.html  # the end shows every cell
    assert sum(sent) < 5 * final  # before: about 300 times the final size


def test_a_small_view_still_redraws_on_every_step(engine: OrchestrationEngine) -> None:
    view = RunView("pipeline")
    view.budget = RedrawBudget(clock=lambda: 0.0)
    _ = view.widget
    result = view.run(engine.create_pipeline([{"model": "gpt-4", "task": "a"}]), "x")
    assert result.status == "done" and view.updates >= 3  # start, step start, step end


def test_the_html_fallback_of_a_big_matrix_sends_a_bounded_amount(
    engine: OrchestrationEngine,
) -> None:
    sent: list[int] = []

    class Handle:
        def update(self, bundle: dict[str, str], **_: Any) -> None:
            sent.append(sum(len(v) for v in bundle.values()))

    display = LiveRunDisplay("compare over 300 items", publish=lambda *a, **k: Handle())
    display._budget = RedrawBudget(clock=lambda: 0.0)
    display.show()
    _run(engine, display.on_event)
    display.finish()
    final = sent[-1]
    assert final > 200_000
    assert sum(sent) < 5 * final
