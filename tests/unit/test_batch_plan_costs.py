"""A simulated batch job's plan says its per-model figures are estimates if real (session
10, fixes). Before: ``| gpt-4o-mini | concurrent calls (simulated) | ... | $0.00062 |``
above ``total **$0.00**``, as if a price were paid per line and the total were wrong."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.batch import submit_sync

pytestmark = pytest.mark.timeout(120)


def test_a_simulated_plan_labels_its_line_costs_and_its_total(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    engine = OrchestrationEngine(offline="on")
    frame = pd.DataFrame({"text": ["good tea", "bad", "fine"]})
    job = submit_sync(engine, ["gpt-4o-mini", "claude-3"], "Rate {text}", frame, name="plan")
    plan = job.plan
    assert plan is not None and plan.cost == 0
    rows = plan.rows_table()
    assert all(r["cost"].endswith(" est. if real") for r in rows)
    assert all(r["interactive cost"].endswith(" est. if real") for r in rows)
    for shown in (str(plan), plan._repr_markdown_()):
        assert "$0.00" in shown and "; simulated: $" in shown and "est. if real" in shown
    job.wait_sync()


def test_a_misspelt_job_name_suggests_the_near_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration_kernel.batch import BatchJob
    from orchestration_kernel.errors import BatchJobError

    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    engine = OrchestrationEngine(offline="on")
    submit_sync(engine, ["gpt-4o-mini"], "Say {item}", ["a"], name="first-run").wait_sync()
    with pytest.raises(BatchJobError) as caught:
        BatchJob.resume("frist-run", engine)
    assert "Did you mean 'first-run'?" in str(caught.value)
    assert "Known jobs: first-run" in str(caught.value)
