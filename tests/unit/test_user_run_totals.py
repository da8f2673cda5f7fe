"""The run view's foot line counts what its step rows show.

A step whose model answered but whose JSON missed the schema twice fails after two
billed calls: its row said "$0.0034 est. if real" while the foot line said "$0.00".
"""

from __future__ import annotations

import pytest

from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.errors import PipelineError
from orchestration_kernel.widgets.run_render import step_cells, totals_text
from orchestration_kernel.widgets.state import RunState

SPEC = """
steps:
  - name: draft
    model: gpt-4
    prompt: "Draft a reply to: {input}"
  - name: verdict
    model: gpt-4
    format: json
    schema: {type: object, required: [verdict]}
    prompt: "Judge {draft} as JSON"
"""


def _state(result: object) -> RunState:
    state = RunState()
    state.absorb(result)
    state.end()
    return state


def test_a_step_failed_after_its_calls_counts_in_the_foot_line() -> None:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    with pytest.raises(PipelineError) as failed:
        engine.create_pipeline(SPEC).run("the parcel is late")
    result = failed.value.result
    assert result.step("verdict").status == "failed"
    state = _state(result)
    rows = [state.steps[name] for name in ("draft", "verdict")]
    prices = [r.cost_if_real_usd for r in rows]
    assert all(p is not None and p > 0 for p in prices)  # both rows show a price
    assert step_cells(rows[1]).cost.endswith("est. if real")
    foot = totals_text(state)
    shown = foot.split(" · ")[3]
    assert shown.endswith("est. if real"), foot
    assert float(shown.split()[0].lstrip("$")) == pytest.approx(sum(prices), rel=0.05)
