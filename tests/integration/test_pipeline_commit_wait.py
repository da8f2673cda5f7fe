"""A pipeline run returns only once its rows are committed: awaited from another event
loop or on the runtime loop, observed or not, alone or forty at once, ``execute`` does
not return while another connection holds the audit file's write lock, and once it
returns every row of the run is visible to another connection with the head hash that
covers them."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail

pytestmark = pytest.mark.timeout(120)

STEP = [{"name": "a", "model": "gpt-4", "prompt": "say {input}"}]


def _rows(db: Path, run_id: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        found = conn.execute(
            "SELECT event FROM audit_events WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        return [row[0] for row in found.fetchall()]
    finally:
        conn.close()


async def test_a_run_returns_only_once_its_rows_are_committed(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    trail = AuditTrail(db, session_id="s", flush_interval=60)  # no commit but the run's
    engine = OrchestrationEngine(offline="on", audit=trail)
    pipeline = engine.create_pipeline(STEP)
    await pipeline.execute("warm")
    # Another process's writer holds the file's write lock: the run's commit waits for it.
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    task = asyncio.ensure_future(pipeline.execute("held", run_id="held"))
    try:
        for _ in range(100):  # the run has ended on the runtime loop, and waits to commit
            await asyncio.sleep(0.02)
            if pipeline.last_result is not None and pipeline.last_result.run_id == "held":
                break
        await asyncio.sleep(0.3)
        assert not task.done()  # no "done" before the rows are committed
    finally:
        holder.execute("COMMIT")
        holder.close()
    result = await task
    assert result.status == "done"
    # Committed when it returned: another connection sees every row of the run.
    events = _rows(db, "held")
    assert events[0] == "run_start" and events[-1] == "run_end" and "step" in events
    assert result.head_hash == trail.head_hash
    await result.committed
    engine.close()
    trail.close()


async def test_many_runs_at_once_each_return_committed(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    trail = AuditTrail(db, session_id="s", flush_interval=60)
    engine = OrchestrationEngine(offline="on", audit=trail)
    pipeline = engine.create_pipeline(STEP)
    results = await asyncio.gather(*(pipeline.execute(f"x{i}") for i in range(40)))
    assert {r.status for r in results} == {"done"}
    conn = sqlite3.connect(db)
    ended = {
        row[0] for row in conn.execute("SELECT run_id FROM audit_events WHERE event = 'run_end'")
    }
    conn.close()
    assert {r.run_id for r in results} <= ended
    assert all(r.head_hash for r in results)
    assert trail.verify().ok
    engine.close()
    trail.close()


async def test_an_observed_run_and_a_run_on_the_runtime_loop_still_commit_first(
    tmp_path: Path,
) -> None:
    db = tmp_path / "audit.sqlite"
    trail = AuditTrail(db, session_id="s", flush_interval=60)
    engine = OrchestrationEngine(offline="on", audit=trail)
    pipeline = engine.create_pipeline(STEP)
    events: list[str] = []
    observed = await pipeline.execute(
        "seen", run_id="seen", observer=lambda e: events.append(e.kind)
    )
    assert events[-1] == "run_end" and _rows(db, "seen")[-1] == "run_end"
    assert observed.head_hash is not None

    async def on_the_runtime_loop() -> str | None:
        result = await pipeline.execute("inside", run_id="inside")
        return result.head_hash

    head = await engine.runtime.run(on_the_runtime_loop())
    assert head is not None and _rows(db, "inside")[-1] == "run_end"
    engine.close()
    trail.close()
