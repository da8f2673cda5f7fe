"""Where a one-step pipeline run's time goes: ``python -m bench.pipeline_budget [--runs 300]``.

A diagnostic, not a bench section: one OpenAI wire server (its own process, no added
latency, a 500-character reply), one engine with the Guardian and the audit on (the
defaults, ``synchronous=FULL``), and one-step pipelines on a 1 KB prompt, one at a time
from ``asyncio.run`` (so each run hops to the runtime loop and back, as a notebook's
would). The runner's phases and the audit writer's parts of the commit a run waits for
are timed by wrapping their methods (a few µs of timer each), and the median of each
part over the runs is printed: the per-run budget of issue 24.

The writer's parts run on its own thread while the run waits in ``aflush``: the wake-up,
encoding what was left for it (the run encodes its queued rows in its own thread just
before it waits; only a record with a very long text is left to the writer), chaining
and inserting them, the COMMIT (its fsync under ``synchronous=FULL``), then waking the
run. The high-water mark is written after the run is woken, so it is shown apart; the
time the run spent encoding its rows is shown last (it is inside the wait above).

The rows queued before the step's call is under way are encoded while it waits on the
network (``AuditTrail.encode_pending``): off the critical path, shown apart from the rows
encoded just before the wait (the call's row and those after it), which are on it.

The COMMIT is split three ways (Linux ``schedstat`` of the writer's thread): its thread
CPU (writing the WAL frames, and the kernel's side of the sync), the time it was runnable
but waiting for a CPU (the machine's load, not ours), and the rest, off CPU and not
runnable: waiting for the disk, i.e. the fsync no run may report success before.

``--synchronous NORMAL`` runs the same on a trail with the opt-in durability (a commit
survives a killed process, not a power cut). Last, the physical floor under the commit
the run waits for: one bare ``BEGIN IMMEDIATE``/3-row insert/``COMMIT`` in WAL mode on a
scratch database in the same home, under each setting (``synchronous=FULL``: the fsync
of the WAL that no run may report success before).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Runner phases: (label, start mark, end mark), in the order a run passes them.
PHASES = [
    ("hop to the runtime loop + Run()", "call0", "exec0"),
    ("audit check_writable + name checks", "exec0", "prep1"),
    ("run_start row", "prep1", "begin1"),
    ("to the step task, handoff, render", "begin1", "calls0"),
    ("engine.complete (HTTP + the call path)", "calls0", "calls1"),
    ("absorb the reply, publish on the bus", "calls1", "pub1"),
    ("step row, conversation queue, to the run's end", "pub1", "end0"),
    ("run_end row, totals", "end0", "flush0"),
    ("wait for the audit commit (aflush)", "flush0", "flush1"),
    ("conversation committed (bus, in parallel)", "mem0", "mem1"),
    ("end of run + hop back to the caller", "mem1", "call1"),
    ("TOTAL", "call0", "call1"),
]
#: The writer's parts of that commit, measured on its thread.
WRITER = [
    ("  writer wake-up (aflush -> drain starts)", "wake"),
    ("  encode rows left for the writer", "encode"),
    ("  chain + insert (head, HMACs, rows, anchor)", "chain"),
    ("  COMMIT (fsync under FULL)", "commit"),
    ("    of which: the writer's thread CPU (frames, the sync's kernel work)", "commit_cpu"),
    ("    of which: runnable, waiting for a CPU (the machine's load)", "commit_runq"),
    ("    of which: off CPU, not runnable (the disk: the fsync)", "commit_disk"),
    ("  writer -> runtime loop wake-up", "back"),
    ("  (after the wake-up) high-water mark write", "mark"),
]

#: Work the run does in its own thread: encoding the rows queued before the reply (while
#: the call waits on the network: off the critical path), and the rows queued after it
#: (just before it waits: inside the wait's figure), wall and thread CPU.
QUEUED = [
    ("(while the call waits) the run encodes its early rows", "encode_early"),
    ("(inside the wait) the run encodes its last rows", "encode_end"),
    ("  the same, thread CPU", "encode_end_cpu"),
]


def _schedstat() -> tuple[int, int]:
    """This thread's (CPU ns, ns runnable but waiting for a CPU), or zeros off Linux."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            on_cpu, waiting = f.read().split()[:2]
    except OSError:
        return 0, 0
    return int(on_cpu), int(waiting)


class _TimedCommit:
    """A connection whose ``COMMIT`` is timed: wall, thread CPU, run-queue wait."""

    def __init__(self, conn: Any, sums: dict[str, float]) -> None:
        self._conn = conn
        self._sums = sums

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, sql: str, *args: Any) -> Any:
        if sql != "COMMIT":
            return self._conn.execute(sql, *args)
        wall, cpu, (_, queued) = time.perf_counter(), time.thread_time(), _schedstat()
        try:
            return self._conn.execute(sql, *args)
        finally:
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            queued = (_schedstat()[1] - queued) / 1e9
            for k, v in (("commit_cpu", cpu), ("commit_runq", queued)):
                self._sums[k] = self._sums.get(k, 0.0) + v
            disk = max(0.0, wall - cpu - queued)
            self._sums["commit_disk"] = self._sums.get("commit_disk", 0.0) + disk


def _wrap(owner: Any, name: str, before: str | None, after: str, marks: dict[str, float]) -> None:
    """Record ``marks[before]``/``marks[after]`` around ``owner.name`` (sync or async)."""
    original = getattr(owner, name)
    if asyncio.iscoroutinefunction(original):

        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            if before:
                marks[before] = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                marks[after] = time.perf_counter()

        setattr(owner, name, timed_async)
        return

    def timed(*args: Any, **kwargs: Any) -> Any:
        if before:
            marks[before] = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            marks[after] = time.perf_counter()

    setattr(owner, name, timed)


def _instrument(marks: dict[str, float], sums: dict[str, float]) -> None:
    from orchestration_kernel.audit import mark, rows, store, writer
    from orchestration_kernel.pipeline import runner

    run = runner.Run
    _wrap(run, "execute", "exec0", "exec1", marks)
    _wrap(run, "_prepare", None, "prep1", marks)
    _wrap(run, "_begin", None, "begin1", marks)
    _wrap(run, "_run_calls", "calls0", "calls1", marks)
    _wrap(run, "_publish", None, "pub1", marks)
    _wrap(run, "_end", "end0", "end1", marks)
    _wrap(run, "_flush_audit", "flush0", "flush1", marks)
    _wrap(run, "_settle_memory", "mem0", "mem1", marks)

    def summed(owner: Any, name: str, key: str, elsewhere: bool = False) -> None:
        """Sum the time in ``owner.name`` under ``key`` (``elsewhere``: when it runs
        outside the writer's thread, under ``encode_early`` before the step's call
        returned, else ``encode_end`` and its thread CPU under ``encode_end_cpu``)."""
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                k = key
                if elsewhere and threading.current_thread().name != "audit-writer":
                    k = "encode_end" if "calls1" in marks else "encode_early"
                    if k == "encode_end":
                        used = time.thread_time() - cpu
                        sums["encode_end_cpu"] = sums.get("encode_end_cpu", 0.0) + used
                sums[k] = sums.get(k, 0.0) + time.perf_counter() - t

        setattr(owner, name, timed)

    opened = store.AuditStore.__init__

    def timed_commits(self: Any, *args: Any, **kwargs: Any) -> None:
        opened(self, *args, **kwargs)
        self.conn = _TimedCommit(self.conn, sums)

    store.AuditStore.__init__ = timed_commits  # type: ignore[method-assign]
    summed(rows.RowEncoder, "encode", "encode", elsewhere=True)
    summed(store.AuditStore, "_chain_in", "chain")
    summed(store.AuditStore, "append", "append")
    summed(mark.HighWaterMark, "advance", "mark")
    _wrap(writer.BatchWriter, "when_committed", "when", "when1", marks)
    _wrap(writer.BatchWriter, "_drain", "drain0", "drain1", marks)
    _wrap(writer.BatchWriter, "_settle_waiters", "settle0", "settle1", marks)


def commit_floor(folder: Path, synchronous: str, n: int = 300) -> float:
    """Median µs of one bare WAL commit of three ~1 KB rows in ``folder`` (no chain)."""
    import sqlite3

    path = Path(tempfile.mkdtemp(dir=folder, prefix="floor-")) / "floor.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT)")
        rows = [("x" * 1000,)] * 3
        times = []
        for _ in range(n):
            t = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO t (body) VALUES (?)", rows)
            conn.execute("COMMIT")
            times.append((time.perf_counter() - t) * 1e6)
    finally:
        conn.close()
    return statistics.median(times)


async def _runs(
    base_url: str,
    n: int,
    key: str,
    model: str,
    prompt: Callable[[str], str],
    synchronous: str = "FULL",
) -> Any:
    from orchestration_kernel import OrchestrationEngine
    from orchestration_kernel.audit import AuditTrail

    marks: dict[str, float] = {}
    sums: dict[str, float] = {}
    _instrument(marks, sums)
    trail = None
    if synchronous != "FULL":  # the default engine's trail is FULL
        home = Path(os.environ["ORCHESTRATION_HOME"])
        trail = AuditTrail(home / f"audit-{synchronous.lower()}.sqlite", synchronous=synchronous)
    engine = OrchestrationEngine(
        offline="off",
        keys={"openai": key},
        base_urls={"openai": base_url},
        **({"audit": trail} if trail is not None else {}),
    )
    pipe = engine.create_pipeline(
        [{"name": "answer", "model": f"openai:{model}", "prompt": "{input}"}]
    )
    for i in range(30):  # warm-up: imports, connections, the bus opening
        await pipe.execute(prompt(f"warm {i}"))
    table: dict[str, list[float]] = {}
    for i in range(n):
        marks.clear()
        sums.clear()
        marks["call0"] = time.perf_counter()
        await pipe.execute(prompt(f"run {i}"))
        marks["call1"] = time.perf_counter()
        for label, a, b in PHASES:
            if a in marks and b in marks:
                table.setdefault(label, []).append((marks[b] - marks[a]) * 1e6)
        # (a run whose commit another caller's flush made has no wake-up to show)
        hopped = "when" in marks and "drain0" in marks
        table.setdefault("hops", []).append(float(hopped))
        parts: dict[str, float | None] = {
            # aflush -> drain starts, less the run's own encoding in between
            "wake": marks["drain0"] - marks["when"] - sums.get("encode_end", 0.0)
            if hopped
            else None,
            "encode": sums.get("encode", 0.0),
            **{k: sums.get(k, 0.0) for k in ("encode_early", "encode_end", "encode_end_cpu")},
            **{k: sums.get(k, 0.0) for k in ("commit_cpu", "commit_runq", "commit_disk")},
            "chain": sums.get("chain", 0.0),
            "commit": sums.get("append", 0.0) - sums.get("chain", 0.0),
            "back": marks["flush1"] - marks["settle0"] if hopped else None,
            "mark": sums.get("mark", 0.0),
        }
        for label, k in WRITER + QUEUED:
            value = parts[k]
            if value is not None:
                table.setdefault(label, []).append(value * 1e6)
    engine.close()
    if trail is not None:
        trail.close()
    return table


def main(argv: list[str] | None = None) -> int:
    """Print the median of each part of a one-step pipeline run."""
    p = argparse.ArgumentParser(prog="python -m bench.pipeline_budget")
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("ORCHESTRATION_HOME", tempfile.mkdtemp(prefix="pipeline-budget-"))
    from bench.ab_callpath import KEY, MODEL, REPLY_CHARS, _prompt
    from tests.servers import spawn_server

    with spawn_server("openai", latency=0.0) as server:
        server.configure(reply_text=("The answer, in short: " + "x" * REPLY_CHARS)[:REPLY_CHARS])
        table = asyncio.run(
            _runs(server.base_url, args.runs, KEY, MODEL, _prompt, args.synchronous)
        )
    print(
        f"one-step pipeline, {args.runs} runs, Guardian + audit "
        f"(synchronous={args.synchronous}) on: median µs"
    )
    order = [label for label, _, _ in PHASES[:-4]] + [PHASES[-4][0]]
    order += [label for label, _ in WRITER] + [label for label, _, _ in PHASES[-3:]]
    order += [label for label, _ in QUEUED]
    for label in order:
        values = table.get(label)
        if values:
            print(f"  {label:64s} {statistics.median(values):8.0f}")
    hops = table.get("hops", [])
    print(f"  runs whose commit went through the writer's thread: {sum(hops):.0f} of {len(hops)}")
    home = Path(os.environ["ORCHESTRATION_HOME"])
    print("the floor: one bare WAL commit of 3 rows in the same home (median µs)")
    for setting in ("FULL", "NORMAL"):
        print(f"  {'synchronous=' + setting:64s} {commit_floor(home, setting):8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
