"""``python -m bench.audit_reads_ab BASE [--rows 100000] [--rounds 7]``: the audit reads
before and after, in CPU time as well as wall time.

On a shared machine under load, wall times mostly measure the load (``bench.compare``'s
intervals then span several times the median). CPU time moves far less with it. One
trail of ``--rows`` typical ``call`` rows (``bench.audit._row``) is written once; each
round then runs, in alternating order, a fresh child process with the library as it was at
``BASE`` and one with the working tree's, and each child times ``to_dataframe()``,
``export(.parquet)`` and ``verify()`` on that trail (one warm-up of each first): wall
time, the process's CPU time (every thread), the calling thread's, and the CPU time spent
in Python's garbage collector (``gc_s``, on whichever thread a collection ran: it holds
the GIL). The table shows the median over the rounds of each child's median.
"""

from __future__ import annotations

import argparse
import gc
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

__all__ = ["main", "trail_folder"]

_READS = ("to_dataframe", "export", "verify")
_FIGURES = ("wall_s", "cpu_s", "caller_cpu_s", "gc_s")


def _child(folder: Path, repeats: int) -> dict[str, dict[str, float]]:
    """In the child: time each read ``repeats`` times after a warm-up of each."""
    from orchestration_kernel.audit import AuditTrail

    trail = AuditTrail(folder / "audit.sqlite", key_path=folder / "audit.key")
    reads = {
        "to_dataframe": trail.to_dataframe,
        "export": lambda: trail.export(folder / f"out-{os.getpid()}.parquet"),
        "verify": trail.verify,
    }
    for read in reads.values():
        read()
    collecting = [0.0, 0.0]  # CPU time in the collector; when the running one started

    def collector(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting[1] = time.thread_time()
        else:
            collecting[0] += time.thread_time() - collecting[1]

    gc.callbacks.append(collector)
    out: dict[str, dict[str, float]] = {}
    for name, read in reads.items():
        got: dict[str, list[float]] = {f: [] for f in _FIGURES}
        for _ in range(repeats):
            wall, cpu, caller = time.perf_counter(), time.process_time(), time.thread_time()
            collecting[0] = 0.0
            read()
            got["wall_s"].append(time.perf_counter() - wall)
            got["cpu_s"].append(time.process_time() - cpu)
            got["caller_cpu_s"].append(time.thread_time() - caller)
            got["gc_s"].append(collecting[0])
        out[name] = {k: statistics.median(v) for k, v in got.items()}
    gc.callbacks.remove(collector)
    trail.close()
    return out


def _write(folder: Path, rows: int) -> None:
    from bench.audit import _row
    from orchestration_kernel.audit import AuditTrail

    trail = AuditTrail(folder / "audit.sqlite", key_path=folder / "audit.key")
    for start in range(0, rows, 10_000):
        for i in range(start, min(rows, start + 10_000)):
            trail.record("call", **_row(i))
        trail.flush()
    trail.close()


def trail_folder(given: Path | None, scratch: Path, rows: int) -> Path:
    """The folder of the trail the read benches read: ``given`` (``--trail``; the trail is
    written there first when it holds none), or a new one in ``scratch``."""
    folder = given or scratch / "trail"
    if not (folder / "audit.sqlite").exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write(folder, rows)
    return folder


def main(argv: list[str] | None = None) -> int:
    """Write the trail, run the rounds, print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_reads_ab", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--repeats", type=int, default=3, help="timings of each read per child")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        print(json.dumps(_child(args.child, args.repeats)))
        return 0
    samples: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp:
        folder, base = Path(tmp) / "trail", Path(tmp) / "base"
        folder.mkdir(mode=0o700)
        _extract(args.base, base)
        _write(folder, args.rows)
        for r in range(args.rounds):
            order = [("base", base), ("now", ROOT)]
            for label, library in order if r % 2 == 0 else reversed(order):
                env = {**os.environ, "PYTHONPATH": f"{library}{os.pathsep}{ROOT}"}
                argv_child = [sys.executable, "-m", "bench.audit_reads_ab", args.base]
                argv_child += ["--child", str(folder), "--repeats", str(args.repeats)]
                done = subprocess.run(
                    argv_child, cwd=library, env=env, capture_output=True, text=True, check=True
                )
                result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
                for read, figures in result.items():
                    for figure, value in figures.items():
                        samples.setdefault((read, figure, label), []).append(value)
                print(f"[reads] round {r + 1} {label}: done", file=sys.stderr)
    print(f"`python -m bench.audit_reads_ab {' '.join(argv or sys.argv[1:])}` "
          f"({args.rounds} rounds, {args.rows:,} rows; median over rounds, min–max)\n")  # fmt: skip
    print("| read | figure | base | now | now / base |\n|---|---|---|---|---|")
    for read in _READS:
        for figure in _FIGURES:
            b, n = samples[(read, figure, "base")], samples[(read, figure, "now")]
            mb, mn = statistics.median(b), statistics.median(n)
            ratio = f"{mn / mb:.2f}" if mb else "–"
            print(f"| {read} | {figure} | {mb:.3f} ({min(b):.3f}–{max(b):.3f}) | "
                  f"{mn:.3f} ({min(n):.3f}–{max(n):.3f}) | {ratio} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
