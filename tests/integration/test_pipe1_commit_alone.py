"""A pipeline run alone on the runtime loop commits its own audit rows (no round trip
through the writer thread); runs in progress together still share the writer thread's
commits; and that commit never waits: a lock held elsewhere, or a record long enough to
be left to the writer thread, sends it back to the writer thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.store import ALL_COLUMNS
from orchestration_kernel.audit.writer import ENCODE_LATER_CHARS

pytestmark = pytest.mark.timeout(120)

STEP = [{"name": "a", "model": "gpt-4", "prompt": "say {input}"}]
EVENT = ALL_COLUMNS.index("event")
RUN_ID = ALL_COLUMNS.index("run_id")


def _watch(trail: AuditTrail) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each commit from now on: the committing thread's name, its (event, run_id) rows."""
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def listener(rows: list[tuple[object, ...]]) -> None:
        name = threading.current_thread().name
        seen.append((name, [(str(r[EVENT]), str(r[RUN_ID])) for r in rows]))

    trail._writer.listeners.append(listener)
    return seen


async def test_a_run_alone_commits_its_rows_on_the_runtime_thread(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s", flush_interval=60)
    engine = OrchestrationEngine(offline="on", audit=trail)
    pipeline = engine.create_pipeline(STEP)
    await pipeline.execute("warm")
    seen = _watch(trail)
    result = await pipeline.execute("alone", run_id="alone")
    ends = [name for name, rows in seen if ("run_end", "alone") in rows]
    assert ends == [engine.runtime.name]  # the run's own thread, not "audit-writer"
    # Every row of the run in that one commit, and the run's head hash covers it.
    events = [e for name, rows in seen for e, run in rows if run == "alone"]
    assert events[0] == "run_start" and events[-1] == "run_end" and "step" in events
    assert result.head_hash == trail.head_hash
    await result.committed
    assert trail.verify().ok
    engine.close()
    trail.close()


async def test_runs_in_progress_together_leave_the_commit_to_the_writer_thread(
    tmp_path: Path,
) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s", flush_interval=60)
    engine = OrchestrationEngine(offline="on", audit=trail)
    pipeline = engine.create_pipeline(STEP)
    await pipeline.execute("warm")
    seen = _watch(trail)
    results = await asyncio.gather(*(pipeline.execute(f"x{i}") for i in range(10)))
    assert {r.status for r in results} == {"done"}
    committers = {name for name, rows in seen for event, run in rows if event == "run_end"}
    assert "audit-writer" in committers  # runs ending while others run share its commits
    ended = {run for _, rows in seen for event, run in rows if event == "run_end"}
    assert {r.run_id for r in results} <= ended
    assert trail.verify().ok
    engine.close()
    trail.close()


def test_commit_here_does_not_wait_for_another_connections_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    trail = AuditTrail(db, session_id="s", flush_interval=60)
    trail.record("run_start", run_id="r1", status="running")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert trail.commit_here() is None  # at once: the store's wait would be 30 s
        assert trail.pending == 1 and trail.write_error is None  # queued, not stuck
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert trail.commit_here() == trail.head_hash
    assert trail.pending == 0
    assert [e for e in trail.to_dataframe()["event"]] == ["run_start"]
    assert trail.verify().ok
    trail.close()


def test_commit_here_leaves_a_long_record_to_the_writer_thread(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s", flush_interval=60)
    trail.record("call", run_id="r1", prompt="p" * ENCODE_LATER_CHARS, response="ok")
    assert trail.commit_here() is None  # its encoding is the writer thread's to do
    assert trail.pending == 1
    trail.flush()
    assert trail.pending == 0 and trail.verify().ok
    trail.close()


def test_commit_here_while_a_flush_holds_the_writer_commits_nothing(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s", flush_interval=60)
    trail.record("run_start", run_id="r1", status="running")
    with trail._writer._drain_lock:  # another commit of this process under way
        assert trail.commit_here() is None
        assert trail.pending == 1
    assert trail.commit_here() is not None and trail.pending == 0
    trail.close()
