"""Under ``synchronous="NORMAL"`` a run alone commits its audit rows in its own thread;
anything else (and every commit under ``FULL``, whose fsync the event loop must not wait
for) waits for the writer's group commit (``BatchWriter.commit_here``, what
``AuditTrail.aflush`` tries first)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from orchestration_kernel.audit import AuditTrail


def _committed(path: Path) -> list[str]:
    """The events committed to ``path``, read as another process would."""
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT event FROM audit_events ORDER BY seq")]
    finally:
        conn.close()


async def test_a_lone_run_is_committed_by_the_thread_that_waits_for_it(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "a.sqlite", flush_interval=60, synchronous="NORMAL") as trail:
        committers: list[str] = []
        trail._writer.listeners.append(
            lambda rows: committers.append(threading.current_thread().name)
        )
        trail.record("run_start", run_id="r")
        trail.record("run_end", run_id="r", status="done")
        head = await trail.aflush()
        # Committed before aflush returned, by this thread: no hop to the writer's thread.
        assert _committed(tmp_path / "a.sqlite") == ["run_start", "run_end"]
        assert committers == [threading.current_thread().name]
        assert head == trail.head_hash and trail.verify().ok


async def test_a_write_lock_held_elsewhere_is_waited_for_off_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, flush_interval=60, synchronous="NORMAL") as trail:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process writing
        trail.record("run_end", run_id="r", status="done")
        flushing = asyncio.ensure_future(trail.aflush())
        ticks = 0
        while ticks < 20:  # the loop runs on while the writer's thread waits for the lock
            await asyncio.sleep(0.005)
            ticks += 1
        assert not flushing.done() and _committed(path) == []
        other.execute("COMMIT")
        other.close()
        head = await asyncio.wait_for(flushing, 30)
        assert _committed(path) == ["run_end"] and head == trail.head_hash


async def test_runs_ending_one_right_after_another_share_the_writers_commit(
    tmp_path: Path,
) -> None:
    with AuditTrail(tmp_path / "a.sqlite", flush_interval=60, synchronous="NORMAL") as trail:
        commits = 0
        append = trail._store.append

        def counting(rows):  # type: ignore[no-untyped-def]
            nonlocal commits
            commits += 1
            return append(rows)

        trail._store.append = counting  # type: ignore[method-assign]

        async def run(i: int) -> str:
            trail.record("run_end", run_id=f"r{i}", status="done")
            return await trail.aflush()

        await asyncio.gather(*(run(i) for i in range(40)))
        assert len(_committed(tmp_path / "a.sqlite")) == 40
        assert commits <= 5  # not one commit (and one fsync) per run on the event loop
        assert trail.verify().ok


async def test_under_full_the_fsync_is_left_to_the_writers_thread(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "a.sqlite", flush_interval=60) as trail:
        committers: list[str] = []
        trail._writer.listeners.append(
            lambda rows: committers.append(threading.current_thread().name)
        )
        trail.record("run_end", run_id="r", status="done")
        await trail.aflush()
        assert _committed(tmp_path / "a.sqlite") == ["run_end"]
        assert committers == ["audit-writer"]  # the event loop did not wait for the disk


def test_a_long_queue_is_left_to_the_writers_thread(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "a.sqlite", flush_interval=60, synchronous="NORMAL") as trail:
        for i in range(100):
            trail.record("call", run_id="r", attempt=i)
        assert trail._writer.commit_here() is False  # more than a run's worth: group commit
        assert _committed(tmp_path / "a.sqlite") == []
        trail.flush()
        assert len(_committed(tmp_path / "a.sqlite")) == 100
