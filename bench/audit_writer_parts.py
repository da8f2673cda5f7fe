"""``python -m bench.audit_writer_parts [--runs 100] [--commits 150]``: where the audit's
share of a pipeline step goes, part by part, in thread CPU time.

1. **Encoding, per event kind.** The simulated three-step pipeline (``guardian=False``
   and the default Guardian) runs ``--runs`` times in this process; every record the
   trail is given is captured as queued, then encoded again (fresh request material
   each time: its canonical text is made on first use, as in a run) and timed per kind:
   what the caller's ``encode_pending`` and the writer spend per row, and per run.
2. **One commit**, as a sequential run makes it: ``AuditStore.append`` of 1 and of 13
   encoded ``call`` rows (a ``guardian=False`` run writes 13), ``synchronous`` FULL and
   NORMAL, ``--commits`` commits each after 20 of warm-up, thread CPU (user + system:
   the fsync's share is in the difference between the two settings).
3. **The high-water mark**: one ``HighWaterMark.advance``.

Each figure is the median over 5–7 repeats. CPU time moves less than wall time on a
busy machine, but caches and the scheduler still weigh on it: compare figures taken in
one run, and A/B a change with ``bench.audit_writer_ab`` / ``bench.sim_cpu_ab``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

_STEPS = [
    {"model": "gpt-4", "task": "analysis"},
    {"model": "claude-3", "task": "synthesis"},
    {"model": "gemini-pro", "task": "validation"},
]


def _cpu() -> float:
    """This thread's CPU time, user and system (precise, unlike ``getrusage``'s ticks)."""
    return time.thread_time()


def _captured(runs: int, guardian: bool, folder: Path) -> tuple[list[Any], Any]:
    """The records ``runs`` pipeline runs queue, and their trail's encoder."""
    from orchestration_kernel import OrchestrationEngine
    from orchestration_kernel.audit import writer

    got: list[Any] = []
    put = writer.BatchWriter.put

    def capture(self: Any, item: Any) -> None:
        got.append((item[0], item[1], dict(item[2]), item[3], item[4]))
        put(self, item)

    async def go() -> Any:
        eng = OrchestrationEngine(offline="on", guardian=guardian, audit=str(folder / "a.sqlite"))
        pipe = eng.create_pipeline(_STEPS)
        for i in range(10):
            await pipe.execute(f"warm {i}")
        writer.BatchWriter.put = capture  # type: ignore[method-assign]
        try:
            for i in range(runs):
                await pipe.execute(f"run {i}")
        finally:
            writer.BatchWriter.put = put  # type: ignore[method-assign]
        return eng

    eng = asyncio.run(go())
    encoder = eng.audit._encoder
    eng.close()
    return got, encoder


def _fresh(item: Any) -> Any:
    """``item`` with request material whose text is not made yet (as when queued)."""
    from orchestration_kernel.calls import RequestMaterial

    wall, event, given, redactor, logged = item
    material = given.get("request_material")
    if isinstance(material, RequestMaterial) and material._parts is not None:
        copy = RequestMaterial.__new__(RequestMaterial)
        copy._parts, copy._text = material._parts, None
        given = {**given, "request_material": copy}
    return (wall, event, given, redactor, logged)


def _encoding(runs: int, folder: Path) -> None:
    for guardian in (False, True):
        items, encoder = _captured(runs, guardian, folder / f"g{int(guardian)}")
        by_kind: dict[str, list[Any]] = collections.defaultdict(list)
        for item in items:
            by_kind[item[1]].append(item)
        per_run = 0.0
        label = "default Guardian" if guardian else "guardian=False"
        print(f"\nencode, {label} ({len(items) / runs:.0f} rows per run):")
        for kind, kind_items in by_kind.items():
            times = []
            for _ in range(7):
                batch = [_fresh(i) for i in kind_items]
                start = _cpu()
                for item in batch:
                    encoder.encode(item)
                times.append((_cpu() - start) / len(batch) * 1e6)
            us = statistics.median(times)
            per_run += us * len(kind_items) / runs
            print(f"  {kind:10s} {us:6.1f} µs/row  ×{len(kind_items) / runs:.0f} per run")
        print(f"  per run {per_run:.0f} µs, per step {per_run / len(_STEPS):.0f} µs")


def _commits(commits: int, folder: Path) -> None:
    from bench.audit import _row
    from orchestration_kernel.audit import AuditTrail

    print("\none commit (AuditStore.append), thread CPU µs per commit:")
    for synchronous in ("FULL", "NORMAL"):
        for size in (1, 13):
            times = []
            for rep in range(5):
                path = folder / f"c-{synchronous}-{size}-{rep}.sqlite"
                trail = AuditTrail(path, key_path=folder / "k", synchronous=synchronous)
                store, encoder = trail._store, trail._encoder
                batches = [
                    [encoder.encode((time.time(), "call", _row(b * size + i), None, True))
                     for i in range(size)]
                    for b in range(commits + 20)
                ]  # fmt: skip
                for batch in batches[:20]:
                    store.append(batch)
                start = _cpu()
                for batch in batches[20:]:
                    store.append(batch)
                times.append((_cpu() - start) / commits * 1e6)
                trail.close()
            print(f"  {synchronous:6s} {size:2d} row(s): {statistics.median(times):6.0f}")


def _mark(folder: Path) -> None:
    from orchestration_kernel.audit.chain import ChainKey
    from orchestration_kernel.audit.mark import HighWaterMark

    mark = HighWaterMark(folder / "m.mark", ChainKey(b"k" * 32))
    times, n = [], 2000
    for rep in range(5):
        start = _cpu()
        for i in range(n):
            mark.advance(rep * n + i + 1, "ab" * 32)
        times.append((_cpu() - start) / n * 1e6)
    print(f"\nhigh-water mark advance: {statistics.median(times):.1f} µs")


def main(argv: list[str] | None = None) -> int:
    """Print the three parts."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_writer_parts", description=__doc__)
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--commits", type=int, default=150)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-writer-parts-") as tmp:
        folder = Path(tmp)
        _encoding(args.runs, folder)
        _commits(args.commits, folder)
        _mark(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
