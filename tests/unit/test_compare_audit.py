"""A plain ``engine.compare()`` is a run like any other in the audit: its calls under one
run id, between a ``run_start`` and a ``run_end`` (done, blocked, failed or cancelled).
Before, its calls had no run id and no run rows at all. A matrix's items, which are
compares given the matrix's run id, still write the matrix's one pair only."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pandas as pd

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.matrix import MatrixResult

MODELS = ["gpt-4o", "claude-3"]


def engine_at(tmp_path: Path, **options: object) -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", audit=tmp_path / "audit.sqlite", **options)


def run_rows(engine: OrchestrationEngine, run_id: str | None) -> pd.DataFrame:
    assert engine.audit is not None and run_id
    engine.audit.flush()
    return engine.audit.to_dataframe(run=run_id)


def test_a_plain_compare_writes_its_run_pair(tmp_path: Path) -> None:
    engine = engine_at(tmp_path)
    table = engine.compare_sync(MODELS, "hi")
    rows = run_rows(engine, table.run_id)
    assert rows["event"].iloc[0] == "run_start" and rows["event"].iloc[-1] == "run_end"
    start, end = rows.iloc[0], rows.iloc[-1]
    assert start["detail"] == {"kind": "compare", "models": MODELS, "items": 1}
    assert end["status"] == "done"
    assert end["detail"]["cells"] == {"ok": 2, "failed": 0}
    assert end["input_tokens"] == sum(r.usage.input_tokens for r in table.ok.values())
    assert (rows.loc[rows["event"] == "call", "run_id"] == table.run_id).sum() == 2
    assert set(rows["pipeline"]) == {"compare"}


def test_a_failed_model_and_a_blocked_input_end_the_run_so(tmp_path: Path) -> None:
    engine = engine_at(tmp_path, retry=None)
    engine.simulator.script("bad_request", model="gpt-4o", times=None)
    table = engine.compare_sync(MODELS, "hi")
    end = run_rows(engine, table.run_id).iloc[-1]
    assert end["event"] == "run_end" and end["status"] == table.status == "failed"
    assert end["detail"]["cells"] == {"ok": 1, "failed": 1}
    engine.simulator.clear()
    key = "sk-proj-" + "Zy8xW7vU6tS5rQ4pO3nM2lK1jI0hG9fE8dC7bA6z"
    table = engine.compare_sync(MODELS, f"my key is {key}")
    end = run_rows(engine, table.run_id).iloc[-1]
    assert end["status"] == table.status == "blocked"


def test_a_cancelled_compare_ends_its_run_cancelled(tmp_path: Path) -> None:
    engine = engine_at(tmp_path, simulator={"latency": 30.0})

    async def cancel_soon() -> None:
        task = asyncio.ensure_future(engine.compare(MODELS, "slow"))
        assert engine.audit is not None
        deadline = time.monotonic() + 60  # a hang guard: the run has begun, then cancel it
        while engine.audit.to_dataframe(event="run_start").empty:
            assert time.monotonic() < deadline and not task.done()
            await asyncio.sleep(0.02)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(cancel_soon())
    assert engine.audit is not None
    engine.audit.flush()
    frame = engine.audit.to_dataframe(event=["run_start", "run_end"])
    assert list(frame["event"]) == ["run_start", "run_end"]
    assert frame["run_id"].nunique() == 1
    assert frame["status"].iloc[-1] == "cancelled"


def test_a_matrix_writes_one_pair_not_one_per_item(tmp_path: Path) -> None:
    engine = engine_at(tmp_path)
    result = engine.matrix_sync(MODELS, "Say {item}", ["a", "b", "c"])
    assert isinstance(result, MatrixResult)
    assert engine.audit is not None
    engine.audit.flush()
    pairs = engine.audit.to_dataframe(event=["run_start", "run_end"])
    assert list(pairs["event"]) == ["run_start", "run_end"]
    assert set(pairs["run_id"]) == {result.run_id}
    assert pairs["detail"].iloc[0]["kind"] == "matrix"


def test_a_compare_given_a_run_id_joins_that_run(tmp_path: Path) -> None:
    engine = engine_at(tmp_path)
    table = engine.compare_sync(MODELS, "hi", run_id="mine")
    assert table.run_id is None or table.run_id == "mine"
    rows = run_rows(engine, "mine")
    assert "run_start" not in set(rows["event"]) and (rows["event"] == "call").sum() == 2
