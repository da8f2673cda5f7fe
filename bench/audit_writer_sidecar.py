"""``python -m bench.audit_writer_sidecar [--rounds 7] [--rows 14257] [--cold]``: what the
columnar sidecar's appends cost the audit writer, in process CPU per row.

Two trails in one process write the audit section's typical ``call`` rows
(``bench.audit._row``), ``record()`` for a batch then ``flush()``: one as the library
makes it (after each WAL checkpoint, and every ``sidecar.APPEND_AT_ROWS`` rows, the
checkpoint thread appends the settled rows to ``audit.sqlite.cols``), one with the
sidecar's hooks removed (no append; reads then take every row from SQLite). Batches
alternate between the two, which goes first alternating each round; each batch is
followed by a 0.3 s pause so the checkpoint thread's work for it is counted in its own
batch. The first round is a warm-up. It prints each side's median process CPU µs per row
(every thread) and rows/s (wall, less the pause).

pandas and pyarrow are imported before the first batch (the steady state); ``--cold``
leaves them to the sidecar's first append, which imports them on the checkpoint thread
(pyarrow's ``pa.array`` imports pandas), inside whichever batch crosses the threshold.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

_SIDES = ("sidecar on", "sidecar off")


def _trail(folder: Path, side: str) -> Any:
    from orchestration_kernel.audit import AuditTrail

    trail = AuditTrail(folder / f"{side.replace(' ', '-')}.sqlite", key_path=folder / "k")
    if side == "sidecar off":
        checkpointer = trail._store._checkpointer
        if checkpointer is not None:
            checkpointer.after.clear()
        trail._writer.listeners.clear()
    return trail


def main(argv: list[str] | None = None) -> int:
    """Write the batches, print the medians."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_writer_sidecar", description=__doc__)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--rows", type=int, default=14_257)
    p.add_argument("--cold", action="store_true", help="leave pandas to the first append")
    args = p.parse_args(argv)
    from bench.audit import _row

    if not args.cold:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
    cpu: dict[str, list[float]] = {s: [] for s in _SIDES}
    rate: dict[str, list[float]] = {s: [] for s in _SIDES}
    start = 0
    with tempfile.TemporaryDirectory(prefix="bench-sidecar-") as tmp:
        trails = {side: _trail(Path(tmp), side) for side in _SIDES}
        try:
            for r in range(args.rounds + 1):
                for side in _SIDES if r % 2 == 0 else _SIDES[::-1]:
                    given = [_row(start + i) for i in range(args.rows)]
                    start += args.rows
                    trail = trails[side]
                    used, wall = time.process_time(), time.perf_counter()
                    for columns in given:
                        trail.record("call", **columns)
                    trail.flush()
                    time.sleep(0.3)  # the checkpoint thread's share of this batch
                    wall = time.perf_counter() - wall - 0.3
                    if r:  # round 0 warms both up
                        cpu[side].append((time.process_time() - used) * 1e6 / args.rows)
                        rate[side].append(args.rows / wall)
        finally:
            for trail in trails.values():
                trail.close()
    start_state = "cold" if args.cold else "pandas and pyarrow imported first"
    print(f"audit writer, {args.rows:,} rows a batch, {args.rounds} rounds ({start_state})")
    for side in _SIDES:
        shown = ", ".join(f"{v:.0f}" for v in cpu[side])
        print(f"  {side:11s} process CPU µs/row {statistics.median(cpu[side]):6.1f} ({shown})"
              f"  rows/s {statistics.median(rate[side]):,.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
