"""A matrix (``engine.matrix``, a ``%%orchestrate --compare`` cell) leaves one
``run_start`` and one ``run_end`` row under its run id, as a pipeline run does: the
status (cancelled too), how many cells answered and failed, and the cost. An interrupted
``--compare --over`` cell is tested in a real kernel
(tests/integration/test_kernel.py::test_an_interrupted_compare_cell_over_rows_records_cancelled)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy, SimulatorConfig
from tests.unit.test_magics import cell, ip  # noqa: F401 - the shell fixture

FAST = RetryPolicy(max_attempts=1, base_delay=0.001, max_delay=0.01)
MODELS = ["gpt-4o", "claude-sonnet-4-6"]


def run_rows(engine: Any, run_id: str) -> pd.DataFrame:
    rows = engine.audit.to_dataframe(run=run_id)
    return rows[rows["event"].isin(["run_start", "run_end"])]


def cancel_once_a_call_is_audited(engine: Any, work: Any) -> None:
    """Run the coroutine ``work`` and cancel it once ``engine``'s audit holds a call row;
    the cancel must reach the caller as ``CancelledError``."""

    async def main() -> None:
        task = asyncio.ensure_future(work)
        deadline = time.monotonic() + 60  # a hang guard, not a timing assertion
        while engine.audit.to_dataframe(event="call").empty:
            assert time.monotonic() < deadline and not task.done()
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_a_finished_matrix_has_one_run_start_and_one_run_end() -> None:
    engine = OrchestrationEngine(offline="on", retry=FAST)
    engine.simulator.script("bad_request", times=1)
    result = engine.matrix_sync(MODELS, "{item}", ["x", "y", "z"], concurrency=1)
    # Returned only once committed: read straight from the database, no flush first.
    rows = run_rows(engine, result.run_id)
    assert list(rows["event"]) == ["run_start", "run_end"]
    start, end = rows.iloc[0], rows.iloc[1]
    assert start["detail"] == {"kind": "matrix", "models": MODELS, "items": 3}
    assert end["status"] == result.status == "failed"
    assert end["detail"]["cells"] == {"ok": 5, "failed": 1}
    replies = result.replies.values()
    assert end["cost_usd"] == pytest.approx(sum(r.cost_usd for r in replies))
    assert end["output_tokens"] == sum(r.usage.output_tokens for r in replies)
    assert engine.audit.verify()


def test_an_all_good_matrix_ends_done() -> None:
    engine = OrchestrationEngine(offline="on", retry=FAST)
    result = engine.matrix_sync(MODELS[:1], "{item}", ["x", "y"])
    end = run_rows(engine, result.run_id).iloc[-1]
    assert end["event"] == "run_end" and end["status"] == "done"
    assert end["detail"]["cells"] == {"ok": 2, "failed": 0}


def test_a_matrix_run_pair_carries_the_session_of_its_call_rows() -> None:
    engine = OrchestrationEngine(offline="on", retry=FAST)
    result = engine.matrix_sync(MODELS[:1], "{item}", ["x", "y"])
    rows = engine.audit.to_dataframe(run=result.run_id)
    assert {"run_start", "run_end", "call"} <= set(rows["event"])
    assert set(rows["session_id"]) == {engine.session_id}  # run_start/run_end as the calls


def test_a_cancelled_matrix_records_cancelled_before_the_cancel_returns() -> None:
    # A second a call: the cancel comes long before the 30 items could all be done,
    # however slowly a busy machine runs the test's polling.
    engine = OrchestrationEngine(offline="on", retry=FAST, simulator=SimulatorConfig(latency=1.0))
    items = [f"q{i}" for i in range(30)]

    cancel_once_a_call_is_audited(engine, engine.matrix(MODELS[:1], "{item}", items, concurrency=1))
    rows = engine.audit.to_dataframe()
    (run_id,) = set(rows.loc[rows["event"] == "run_start", "run_id"])
    ends = rows[(rows["event"] == "run_end") & (rows["run_id"] == run_id)]
    assert len(ends) == 1
    end = ends.iloc[0]
    assert end["status"] == "cancelled"
    cells = end["detail"]["cells"]
    assert 1 <= cells["ok"] < len(items) and cells["failed"] == 0
    assert engine.audit.verify()


def test_a_compare_cell_over_rows_is_one_audited_run(ip: Any) -> None:  # noqa: F811
    ip.user_ns["qs"] = pd.Series(["a?", "b?"])
    result = cell(ip, "%%orchestrate --compare gpt-4 claude-3 --over qs --out m\nAnswer {item}")
    assert result.success, result.error_in_exec
    from orchestration_kernel import Session

    engine = Session.current().engine
    rows = run_rows(engine, ip.user_ns["m"].run_id)
    assert list(rows["event"]) == ["run_start", "run_end"]
    assert list(rows["pipeline"]) == ["compare", "compare"]
    assert rows.iloc[1]["status"] == "done"
    assert rows.iloc[1]["detail"]["cells"] == {"ok": 4, "failed": 0}
    # %orchestrate audit --run shows them.
    ip.run_line_magic("orchestrate", f"audit --run {ip.user_ns['m'].run_id} --out rows")
    assert {"run_start", "run_end"} <= set(ip.user_ns.pop("rows")["event"])
