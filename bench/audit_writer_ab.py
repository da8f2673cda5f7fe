"""``python -m bench.audit_writer_ab BASE [--rounds 7]``: the audit writer before and
after, interleaved, in CPU time as well as rows/s.

The writer rows of the audit section (``bench.audit``): typical ``call`` rows
(``bench.audit._row``), ``record()`` for a batch plus the ``flush()`` that redacts,
hashes, chains and commits it (``synchronous=FULL``), the keyword arguments built before
the clock starts; once with the credential floor (no redactor given: a
``guardian=False`` engine's rows) in batches of ``--floor-rows``, once with a fresh
Guardian's redactor (the default engine's rows; each prompt new to its memo) in batches
of ``--guardian-rows`` (the audit section's sizes: 14,257 and 2,857).

Each round runs, in alternating order, a fresh child process with the library as it was
at ``BASE`` and one with the working tree's; each child writes one warm-up batch, then
``--batches`` batches, and reports per batch: rows/s (wall), the process's CPU time per
row (every thread: the caller's and the writer's) and the calling thread's; and
``rows_per_s_unqueued``: rows over the wall time less the time the calling thread spent
runnable but waiting for a CPU (Linux ``schedstat``) — roughly what an idle machine would
show, fsyncs and lock waits included. On a shared
machine under load the wall figure mostly measures the load; CPU time moves far less
with it. The table shows the median over the rounds of each child's median, min–max.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.compare import _extract

__all__ = ["main"]

_MODES = ("floor", "guardian")
_FIGURES = ("rows_per_s", "rows_per_s_unqueued", "cpu_us_per_row", "caller_cpu_us_per_row")


def _queued_s() -> float:
    """Seconds the calling thread has spent runnable but waiting for a CPU (Linux
    schedstat; 0 elsewhere): on a machine others keep busy, the part of the wall time
    that measures them rather than us."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _batch(trail: Any, start: int, rows: int) -> dict[str, float]:
    from bench.audit import _row

    given = [_row(i) for i in range(start, start + rows)]
    queued = _queued_s()
    wall, cpu, caller = time.perf_counter(), time.process_time(), time.thread_time()
    for columns in given:
        trail.record("call", **columns)
    trail.flush()
    wall = time.perf_counter() - wall
    queued = _queued_s() - queued
    return {
        "rows_per_s": rows / wall,
        "rows_per_s_unqueued": rows / max(wall - queued, 1e-9),
        "cpu_us_per_row": (time.process_time() - cpu) * 1e6 / rows,
        "caller_cpu_us_per_row": (time.thread_time() - caller) * 1e6 / rows,
    }


def _child(folder: Path, sizes: dict[str, int], batches: int) -> dict[str, dict[str, float]]:
    """In the child: each mode's batches on a fresh trail, after a warm-up batch."""
    from orchestration_kernel.audit import AuditTrail
    from orchestration_kernel.guardian import Guardian

    out: dict[str, dict[str, float]] = {}
    for mode in _MODES:
        options: dict[str, Any] = {"key_path": folder / "audit.key"}
        if mode == "guardian":
            options["redactor"] = Guardian().redact
        trail = AuditTrail(folder / f"{mode}-{os.getpid()}.sqlite", **options)
        rows = sizes[mode]
        _batch(trail, 0, min(rows, 1000))
        got = [_batch(trail, 10**6 * (b + 1), rows) for b in range(batches)]
        trail.close()
        out[mode] = {f: statistics.median(g[f] for g in got) for f in _FIGURES}
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the rounds, print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_writer_ab", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--batches", type=int, default=5, help="batches of each mode per child")
    p.add_argument("--floor-rows", type=int, default=14_257)
    p.add_argument("--guardian-rows", type=int, default=2_857)
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sizes = {"floor": args.floor_rows, "guardian": args.guardian_rows}
    if args.child is not None:
        print(json.dumps(_child(args.child, sizes, args.batches)))
        return 0
    samples: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-writer-") as tmp:
        folder, base = Path(tmp) / "trails", Path(tmp) / "base"
        folder.mkdir(mode=0o700)
        _extract(args.base, base)
        for r in range(args.rounds):
            order = [("base", base), ("now", ROOT)]
            for label, library in order if r % 2 == 0 else reversed(order):
                env = {**os.environ, "PYTHONPATH": f"{library}{os.pathsep}{ROOT}"}
                env.update(ORCHESTRATION_NO_DOTENV="1", ORCHESTRATION_NO_KEYRING="1")
                argv_child = [sys.executable, "-m", "bench.audit_writer_ab", args.base]
                argv_child += ["--child", str(folder), "--batches", str(args.batches)]
                argv_child += ["--floor-rows", str(args.floor_rows)]
                argv_child += ["--guardian-rows", str(args.guardian_rows)]
                done = subprocess.run(
                    argv_child, cwd=library, env=env, capture_output=True, text=True
                )
                if done.returncode:
                    raise SystemExit(f"{label} child failed:\n{done.stderr[-3000:]}")
                result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
                for mode, figures in result.items():
                    for figure, value in figures.items():
                        samples.setdefault((mode, figure, label), []).append(value)
                print(f"[writer] round {r + 1} {label}: done", file=sys.stderr)
    print(f"`python -m bench.audit_writer_ab {' '.join(argv or sys.argv[1:])}` "
          f"({args.rounds} rounds; median over rounds, min–max)\n")  # fmt: skip
    print("| rows | figure | base | now | now / base |\n|---|---|---|---|---|")
    for mode in _MODES:
        for figure in _FIGURES:
            b, n = samples[(mode, figure, "base")], samples[(mode, figure, "now")]
            mb, mn = statistics.median(b), statistics.median(n)
            ratio = f"{mn / mb:.2f}" if mb else "–"
            print(f"| {mode} | {figure} | {mb:,.1f} ({min(b):,.1f}–{max(b):,.1f}) | "
                  f"{mn:,.1f} ({min(n):,.1f}–{max(n):,.1f}) | {ratio} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
