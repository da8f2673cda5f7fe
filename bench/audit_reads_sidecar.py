"""``python -m bench.audit_reads_sidecar [--rows 100000] [--tail 0] [--rounds 5] [--trail DIR]``:
the whole-trail reads with the columnar sidecar (``audit/sidecar.py``) and without it, in
one process, interleaved.

The trail of ``--rows`` typical ``call`` rows (``bench.audit._row``) is written once (its
sidecar is appended by the checkpoint thread as the rows are committed, then brought up
to date), then ``--tail`` more rows are committed that the sidecar does not hold (what a
live kernel reads between two checkpoints; a read's own append of them is turned off
here, so every round reads the same tail from SQLite). Each round, in alternating order,
times ``to_dataframe()``, ``export(.parquet)`` and ``verify()`` with the sidecar and with
it turned off (the reads then go through the private snapshot, as before); each figure
is the median over the rounds (after a warm-up of each) of wall time, process CPU time
(every thread) and the calling thread's CPU time. It also says whether the Parquet files
written both ways are the same bytes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.audit_reads_ab import trail_folder

__all__ = ["main"]

_FIGURES = ("wall_s", "cpu_s", "caller_cpu_s")


def _timed(read: Callable[[], object]) -> dict[str, float]:
    wall, cpu, caller = time.perf_counter(), time.process_time(), time.thread_time()
    read()
    return {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "caller_cpu_s": time.thread_time() - caller,
    }


def main(argv: list[str] | None = None) -> int:
    """Write the trail, run the rounds, print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_reads_sidecar", description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--tail", type=int, default=0, help="rows committed after the sidecar")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--trail", type=Path, help="a folder to keep the trail in between runs")
    args = p.parse_args(argv)
    from bench.audit import _row
    from orchestration_kernel.audit import AuditTrail, sidecar
    from orchestration_kernel.audit import trail as trail_module

    with tempfile.TemporaryDirectory(prefix="bench-sidecar-") as tmp:
        scratch = Path(tmp)
        folder = trail_folder(args.trail, scratch, args.rows)
        trail = AuditTrail(folder / "audit.sqlite", key_path=folder / "audit.key")
        while sidecar.bring_up_to_date(trail._store):
            pass
        sidecar.append_tail = lambda *a, **k: 0  # type: ignore[assignment]
        checkpointer = trail._store._checkpointer
        if checkpointer is not None:
            checkpointer.after.clear()  # the tail stays a tail
        for i in range(args.tail):
            trail.record("call", **_row(args.rows + i))
        trail.flush()
        with_sidecar = trail_module.sidecar_table

        def reads(tag: str) -> dict[str, Callable[[], object]]:
            return {
                "to_dataframe": trail.to_dataframe,
                "export": lambda: trail.export(scratch / f"{tag}.parquet"),
                "verify": trail.verify,
            }

        modes = {"sidecar": with_sidecar, "snapshot": lambda store, conn: None}
        got: dict[tuple[str, str, str], list[float]] = {}
        for r in range(args.rounds + 1):
            for mode in modes if r % 2 == 0 else reversed(list(modes)):
                trail_module.sidecar_table = modes[mode]  # type: ignore[assignment]
                for name, read in reads(mode).items():
                    timed = _timed(read)
                    for figure, value in timed.items():
                        if r:  # the first round warms up
                            got.setdefault((name, figure, mode), []).append(value)
        trail_module.sidecar_table = with_sidecar  # type: ignore[assignment]
        report: Any = trail.verify()
        same = (scratch / "sidecar.parquet").read_bytes() == (
            scratch / "snapshot.parquet"
        ).read_bytes()
        trail.close()
    command = " ".join(argv or sys.argv[1:])
    print(
        f"`python -m bench.audit_reads_sidecar {command}` ({args.rounds} rounds, "
        f"{args.rows:,} rows + a tail of {args.tail:,}; median over rounds, min–max)\n"
    )
    print("| read | figure | without the sidecar | with it | with / without |")
    print("|---|---|---|---|---|")
    for name in ("to_dataframe", "export", "verify"):
        for figure in _FIGURES:
            b, n = got[(name, figure, "snapshot")], got[(name, figure, "sidecar")]
            mb, mn = statistics.median(b), statistics.median(n)
            print(
                f"| {name} | {figure} | {mb:.3f} ({min(b):.3f}–{max(b):.3f}) | "
                f"{mn:.3f} ({min(n):.3f}–{max(n):.3f}) | {mn / mb:.2f} |"
            )
    print(f"\nThe Parquet files written both ways are the same bytes: {same}")
    print(f"verify(): ok={report.ok}, sidecar={report.sidecar!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
