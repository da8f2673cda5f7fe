"""A run alone on its event loop commits its audit rows on that loop's thread (issue 24):
no wake-up of the writer thread and back. Runs sharing a loop still wait for the writer
thread's group commit; the high-water mark is still written after the commit, by the
writer thread; what the writer thread encodes itself (a very long text) or a long queue
is left to it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.mark import HighWaterMark
from orchestration_kernel.audit.writer import COMMIT_HERE_MAX, ENCODE_LATER_CHARS

pytestmark = pytest.mark.timeout(120)

ONE_STEP = [{"name": "a", "model": "gpt-4", "prompt": "answer {input}"}]


def committing_threads(trail: AuditTrail) -> list[tuple[str, int]]:
    """Wrap the store's ``append``: (thread name, rows) of every commit."""
    store = trail._store
    original = store.append
    seen: list[tuple[str, int]] = []

    def append(rows: Sequence[object]) -> object:
        seen.append((threading.current_thread().name, len(rows)))
        return original(rows)  # type: ignore[arg-type]

    store.append = append  # type: ignore[method-assign]
    return seen


def committed_runs(trail: AuditTrail) -> set[str]:
    with trail._store.reading() as conn:
        return {r[0] for r in conn.execute("SELECT DISTINCT run_id FROM audit_events")}


def wait_for_mark(trail: AuditTrail) -> tuple[int, str]:
    """The mark file once it reaches the database's head (hang guard: 10 s)."""
    mark = HighWaterMark(Path(trail.path + ".mark"), trail._key)
    head = trail._store.head()
    for _ in range(200):
        found = mark.read()
        if found is not None and (found.seq, found.head) == head:
            return head
        time.sleep(0.05)
    raise AssertionError(f"the mark {mark.read()} never reached the head {head}")


async def test_a_run_alone_commits_on_its_loop_thread_and_the_mark_follows(
    tmp_path: Path,
) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s")
    engine = OrchestrationEngine(offline="on", audit=trail)
    pipeline = engine.create_pipeline(ONE_STEP)
    await pipeline.execute("warm-up")
    seen = committing_threads(trail)

    result = await pipeline.execute("alone", run_id="alone-run")

    assert result.status == "done"
    runtime_thread = engine.runtime._thread.name
    assert seen and seen[-1][0] == runtime_thread  # committed where the run ran
    assert "alone-run" in committed_runs(trail)  # before execute returned
    assert result.head_hash == trail._store.head()[1]
    assert wait_for_mark(trail)[1] == result.head_hash
    assert trail.verify().ok
    engine.close()
    trail.close()


async def test_runs_sharing_a_loop_wait_for_the_writer_threads_group_commit(
    tmp_path: Path,
) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s")
    engine = OrchestrationEngine(offline="on", audit=trail, simulator={"latency": 0.01})
    pipeline = engine.create_pipeline(ONE_STEP)
    await pipeline.execute("warm-up")
    seen = committing_threads(trail)

    results = await asyncio.gather(
        *(pipeline.execute(f"run {i}", run_id=f"together-{i}") for i in range(20))
    )

    assert all(r.status == "done" for r in results)
    assert {f"together-{i}" for i in range(20)} <= committed_runs(trail)
    assert "audit-writer" in {name for name, _ in seen}
    assert len(seen) < 20  # grouped: fewer commits than runs
    heads = [r.head_hash for r in results]
    assert all(heads)
    assert trail.verify().ok
    engine.close()
    trail.close()


def test_commit_here_leaves_a_long_queue_to_the_writer_thread(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s", flush_interval=60)
    for i in range(COMMIT_HERE_MAX + 1):
        trail.record("call", run_id=f"r{i}", prompt=f"p{i}")
    assert trail.commit_here() is None
    assert trail.pending == COMMIT_HERE_MAX + 1
    trail.flush()
    trail.record("call", run_id="short", prompt="short")
    head = trail.commit_here()
    assert head is not None and head == trail._store.head()[1]
    assert trail.pending == 0 and "short" in committed_runs(trail)
    trail.close()


def test_commit_here_leaves_a_very_long_text_to_the_writer_thread(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s", flush_interval=60)
    trail.record("call", run_id="long", prompt="x" * ENCODE_LATER_CHARS)
    assert trail.commit_here() is None
    assert trail.pending == 1
    trail.flush()
    assert "long" in committed_runs(trail)
    trail.close()
