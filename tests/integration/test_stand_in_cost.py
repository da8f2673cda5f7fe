"""The local model standing in for a model the catalogue has no price for: wherever a
cost is shown (views, frames, summaries) it says the real cost is unknown, never "$0.00",
which would read as that model's price; a priced model's shows its real price as an
estimate. Numeric columns stay numeric (NaN where unknown), with the reason beside them.
The real embedded model (llama.cpp on the loopback) answers; nothing is mocked."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.providers.local_server import local_model_available
from orchestration_kernel.widgets import AuditView, CompareView, MatrixView
from orchestration_kernel.widgets.run_render import run_html, run_text
from orchestration_kernel.widgets.state import RunState

pytestmark = [
    pytest.mark.skipif(not local_model_available(), reason="the [local] extra is absent"),
    pytest.mark.timeout(240),
]

UNPRICED, PRICED = "ollama:llama3", "gpt-4o-mini"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> OrchestrationEngine:
    home = tmp_path_factory.mktemp("stand-in")
    made = OrchestrationEngine(offline="on", guardian=False, audit=Path(home) / "audit.sqlite")
    made.providers.set_offline_model("local")
    yield made
    made.close()


def shows(*texts: str) -> str:
    joined = "\n".join(texts)
    assert not re.search(r"\$0\.00(?!\d)", joined), joined  # a stand-in's 0 is no price
    return joined


def test_compare_shows_unknown_if_real_and_a_numeric_frame_with_the_reason(
    engine: OrchestrationEngine,
) -> None:
    table = engine.compare_sync([UNPRICED, PRICED], "Say hi", max_tokens=4)
    assert all(r.provider == "local" for r in table.ok.values()), table.errors
    view = CompareView(table)
    text = shows(view._text(), view._html(), table._repr_markdown_())
    assert "unknown if real" in text and "est. if real" in text
    reply = table.replies[UNPRICED]
    assert "unknown if real" in shows(reply._repr_markdown_())
    frame = table.to_dataframe().set_index("model")
    assert frame["cost_usd"].dtype == "float64" and frame["cost_if_real_usd"].dtype == "float64"
    assert frame.loc[UNPRICED, "cost_usd"] == 0.0  # what was spent: the local model is free
    assert pd.isna(frame.loc[UNPRICED, "cost_if_real_usd"])
    assert "no price is known for ollama:llama3" in frame.loc[UNPRICED, "cost_note"]
    assert frame.loc[PRICED, "cost_if_real_usd"] > 0
    assert "estimated at openai:gpt-4o-mini's price" in frame.loc[PRICED, "cost_note"]


def test_matrix_and_pipeline_summaries_and_the_audit_view_say_unknown(
    engine: OrchestrationEngine,
) -> None:
    matrix = engine.matrix_sync([UNPRICED], "Say {item}", ["a", "b"], max_tokens=4)
    totals = matrix.totals()[UNPRICED]
    assert totals["stood_in"] == 2 and totals["cost_if_real_usd"] is None
    view = MatrixView(matrix)
    assert "unknown if real" in shows(view._text(), view._html(), matrix._repr_markdown_())

    pipeline = engine.create_pipeline(
        [{"name": "hi", "model": UNPRICED, "prompt": "Say {input}", "max_tokens": 4}]
    )
    result = pipeline.run("hello")
    assert "unknown if real" in shows(result._repr_markdown_(), result._repr_html_())
    steps = result.to_dataframe().set_index("step")
    assert steps["cost_if_real_usd"].dtype == "float64" and steps.loc["hi", "cost_usd"] == 0.0
    assert pd.isna(steps.loc["hi", "cost_if_real_usd"])
    assert "no price is known for ollama:llama3" in steps.loc["hi", "cost_note"]
    state = RunState("run")
    state.absorb(result)
    state.end(None)
    assert "unknown if real" in shows(run_text(state), run_html(state))

    engine.audit.flush()
    audit = AuditView(engine.audit, run=result.run_id)
    assert "unknown if real" in shows(audit._text())
