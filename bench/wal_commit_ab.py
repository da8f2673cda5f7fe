"""``python -m bench.wal_commit_ab BASE [--rounds 4] [--commits 1200]``: the durable
commit one run waits for, before and after, interleaved commit by commit.

``--aflush``: each commit is ``await trail.aflush()`` on an event loop of this thread
instead of ``flush()`` (a run's end: the commit is made on the writer's thread);
``--synchronous NORMAL``: trails with the opt-in durability; ``--gap S``: sleep S seconds
before each commit (a run's call between two runs' commits; not timed).

One process loads the library as it was at ``BASE`` (unpacked with ``git archive``,
imported under another name) beside the working tree's. Each round opens a fresh trail
with each (``synchronous=FULL``, the default, unless ``--synchronous``) in
``ORCHESTRATION_HOME`` (or a temporary folder under the home directory: the file system
the audit lives on) and, ``--commits`` times, commits on both in a random order what a
one-step pipeline run commits: a ``run_start`` row, a ``call`` row with a 1 KB prompt
and a 500-character reply, a ``run_end`` row, then ``flush()``. So an fsync of one side
and the next of the other meet the same load on the disk.

Reported per side: the wall time of a ``flush()`` (encoding, chaining, inserting, the
COMMIT and its fsync: what the run waits for), median over the first ``--early`` commits
and over the rest apart (the WAL of a fresh trail grows during its first cycle whatever
the code does), and commits per second (the rows' ``record()`` included); each the median
over the rounds, with min–max, and the median over rounds of the paired ratio.

The figure is wall time: an fsync is time spent waiting for the disk, not CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.compare import _extract

__all__ = ["main"]

_PROMPT = ("Summarise the quarterly report for the board, with the risks first. " * 16)[:1024]
_REPLY = ("Revenue grew 12% quarter on quarter; supplier concentration is the risk. " * 8)[:500]


def _commit(trail: Any, i: int) -> float:
    """One run's rows and the flush that commits them; the flush's wall time (s)."""
    run = f"run{i:08d}"
    trail.record("run_start", run_id=run, pipeline="bench", detail={"steps": 1})
    trail.record(
        "call", run_id=run, pipeline="bench", step="ask", provider="openai",
        model="openai:gpt-4o-mini", status="ok", latency_ms=412.5, input_tokens=256,
        output_tokens=120, cost_usd=0.000123, prompt=f"{_PROMPT} #{i}", response=_REPLY,
        request_material=f"material {i}",
    )  # fmt: skip
    trail.record("run_end", run_id=run, pipeline="bench", status="ok", cost_usd=0.000123)
    start = time.perf_counter()
    trail.flush()
    return time.perf_counter() - start


def _committing(loop: asyncio.AbstractEventLoop | None) -> Any:
    """``_commit``, or with ``loop``: the same rows, then ``await trail.aflush()`` on it
    (what a run's end waits for), its wall time."""
    if loop is None:
        return _commit

    def commit(trail: Any, i: int) -> float:
        flush = trail.flush
        trail.flush = lambda: loop.run_until_complete(trail.aflush())
        try:
            return _commit(trail, i)
        finally:
            trail.flush = flush

    return commit


def _library(folder: Path, name: str) -> Any:
    """The package unpacked in ``folder``, imported as ``name`` (beside this tree's)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        name, folder / "orchestration_kernel" / "__init__.py",
        submodule_search_locations=[str(folder / "orchestration_kernel")],
    )  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return importlib.import_module(f"{name}.audit")


def _round(
    sides: dict[str, Any], folder: Path, commits: int, early: int, how: argparse.Namespace
) -> dict[str, Any]:
    trails = {
        label: audit.AuditTrail(
            folder / f"{label}.sqlite", key_path=folder / f"{label}.key",
            synchronous=how.synchronous,
        )
        for label, audit in sides.items()
    }  # fmt: skip
    loop = asyncio.new_event_loop() if how.aflush else None
    _commit = _committing(loop)
    took: dict[str, list[float]] = {label: [] for label in sides}
    spent = dict.fromkeys(sides, 0.0)
    for trail in trails.values():
        _commit(trail, 0)  # the first page of each table
    for i in range(1, commits + 1):
        for label in random.sample(list(trails), len(trails)):
            if how.gap:
                time.sleep(how.gap)  # the run's call, between two commits
            start = time.perf_counter()
            took[label].append(_commit(trails[label], i))
            spent[label] += time.perf_counter() - start
    if loop is not None:
        loop.close()
    out: dict[str, Any] = {}
    for label, trail in trails.items():
        trail.close()
        times = took[label]
        out[label] = {
            "early_us": statistics.median(times[:early]) * 1e6,
            "later_us": statistics.median(times[early:]) * 1e6,
            "later_p25_us": statistics.quantiles(times[early:], n=4)[0] * 1e6,
            "commits_per_s": commits / spent[label],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the rounds, print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.wal_commit_ab", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--commits", type=int, default=1200)
    p.add_argument("--early", type=int, default=300)
    p.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    p.add_argument("--aflush", action="store_true", help="commit with await trail.aflush()")
    p.add_argument("--gap", type=float, default=0.0, help="seconds slept before each commit")
    args = p.parse_args(argv)
    home = Path(os.environ.get("ORCHESTRATION_HOME") or Path.home())
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-wal-", dir=home) as tmp:
        _extract(args.base, Path(tmp) / "base")
        sys.path.insert(0, str(ROOT))
        sides = {
            "base": _library(Path(tmp) / "base", "base_kernel"),
            "now": _library(ROOT, "orchestration_kernel"),
        }
        for r in range(args.rounds):
            folder = Path(tmp) / f"round{r}"
            folder.mkdir(mode=0o700)
            rounds.append(_round(sides, folder, args.commits, args.early, args))
            print(f"[wal] round {r + 1}: {rounds[-1]}", file=sys.stderr)
    print(f"`python -m bench.wal_commit_ab {' '.join(argv or sys.argv[1:])}` "
          f"({args.rounds} rounds; median over rounds, min–max)\n")  # fmt: skip
    print("| figure | base | now | now / base (paired, per round) |\n|---|---|---|---|")
    for figure in ("early_us", "later_us", "later_p25_us", "commits_per_s"):
        b = [r["base"][figure] for r in rounds]
        n = [r["now"][figure] for r in rounds]
        ratio = statistics.median(x / y for x, y in zip(n, b, strict=True))
        mb, mn = statistics.median(b), statistics.median(n)
        print(f"| {figure} | {mb:,.0f} ({min(b):,.0f}–{max(b):,.0f}) | "
              f"{mn:,.0f} ({min(n):,.0f}–{max(n):,.0f}) | {ratio:.2f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
