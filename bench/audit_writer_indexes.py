"""``python -m bench.audit_writer_indexes [--rows 100000] [--commits 60] [--rounds 3]``:
what each secondary index of ``audit_events`` costs a commit, in WAL pages and thread CPU.

The writer keeps two B-tree indexes up to date on every insert: ``audit_events_run``
(``run_id``) and ``audit_events_time`` (``timestamp``). This measures, on a trail that
already holds ``--rows`` typical ``call`` rows (``bench.audit._row``), one commit
(``AuditStore.append``, ``synchronous=FULL``) of 13 rows (a sequential three-step run's)
and of 260 (twenty runs committed together, as the group commit does when runs end at
once), with both indexes, without one of them, and without either (dropped on a copy of
the trail). Run ids are random, as ``new_run_id`` makes them (the bench's own rows number
theirs in order, which keeps every new key on the index's last leaf).

Two figures per case, the median over ``--rounds`` rounds (each case once per round, in
rotating order):

* **WAL frames per commit**: pages the commit wrote (the ``-wal`` file's growth over
  ``--commits`` commits, with checkpoints held off). Deterministic for given data:
  the load on the machine does not move it.
* **thread CPU µs per commit** (user + system, the fsync's share included): moves with
  the load; compare within one run only.

The rows are encoded before the clock starts (that is the encoder's cost, not the
commit's). Each case's trail is a copy of one prefilled file, so all start alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

#: Each case: its label and the indexes dropped from the copy.
_CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("both indexes", ()),
    ("no run_id index", ("audit_events_run",)),
    ("no timestamp index", ("audit_events_time",)),
    ("neither", ("audit_events_run", "audit_events_time")),
)
_RUN_ROWS = 13  # rows of one sequential three-step run


def _rows(encoder: Any, start: int, count: int, runs: list[str]) -> list[Any]:
    """``count`` encoded ``call`` rows from number ``start``, 13 to a random run id."""
    from bench.audit import _row

    out = []
    for i in range(start, start + count):
        given = _row(i)
        given["run_id"] = runs[i // _RUN_ROWS % len(runs)]
        out.append(encoder.encode((time.time(), "call", given, None, True)))
    return out


def _prefill(path: Path, key: Path, rows: int, runs: list[str]) -> None:
    from orchestration_kernel.audit import AuditTrail

    trail = AuditTrail(path, key_path=key)
    store, encoder = trail._store, trail._encoder
    for start in range(0, rows, 5000):
        store.append(_rows(encoder, start, min(5000, rows - start), runs))
    trail.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _case(
    source: Path, folder: Path, key: Path, drop: tuple[str, ...], size: int, args: Any
) -> tuple[float, float]:
    """(WAL frames per commit, thread CPU µs per commit) for one case on a fresh copy."""
    from orchestration_kernel.audit import AuditTrail

    path = folder / f"case-{len(drop)}-{'-'.join(drop)}-{size}.sqlite"
    for suffix in ("", ".mark"):
        if Path(str(source) + suffix).exists():
            shutil.copyfile(str(source) + suffix, str(path) + suffix)
    trail = AuditTrail(path, key_path=key)
    store, encoder = trail._store, trail._encoder
    with store.lock:
        store.conn.execute("PRAGMA wal_autocheckpoint = 0")  # the WAL only grows
        for name in drop:
            store.conn.execute(f"DROP INDEX {name}")
    store._checkpointer = None  # no background checkpoints either
    runs = [os.urandom(8).hex() for _ in range(args.commits * size // _RUN_ROWS + 40)]
    batches = [_rows(encoder, args.rows + b * size, size, runs) for b in range(args.commits + 10)]
    for batch in batches[:10]:
        store.append(batch)
    wal = Path(str(path) + "-wal")
    page = int(store.conn.execute("PRAGMA page_size").fetchone()[0])
    before = wal.stat().st_size
    start = time.thread_time()
    for batch in batches[10:]:
        store.append(batch)
    cpu = (time.thread_time() - start) / args.commits * 1e6
    frames = (wal.stat().st_size - before) / (page + 24) / args.commits
    trail.close()
    for suffix in ("", "-wal", "-shm", ".mark"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return frames, cpu


def _table(size: int, got: dict[str, list[tuple[float, float]]]) -> None:
    """One commit size's table: each case's median frames and CPU per commit."""
    lines = [f"| commits of {size} rows | WAL frames per commit | thread CPU µs per commit |"]
    lines.append("|---|---|---|")
    for label, values in got.items():
        frames, cpu = (statistics.median(v[i] for v in values) for i in (0, 1))
        lines.append(f"| {label} | {frames:.1f} | {cpu:,.0f} |")
    print("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Print one table per commit size."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_writer_indexes", description=__doc__)
    p.add_argument("--rows", type=int, default=100_000, help="rows the trail holds first")
    p.add_argument("--commits", type=int, default=60, help="commits measured per case")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-writer-indexes-") as tmp:
        folder = Path(tmp)
        key, source = folder / "audit.key", folder / "prefilled.sqlite"
        runs = [os.urandom(8).hex() for _ in range(args.rows // _RUN_ROWS + 1)]
        _prefill(source, key, args.rows, runs)
        shown = " ".join(sys.argv[1:] if argv is None else argv)
        print(f"`python -m bench.audit_writer_indexes {shown}`".replace(" `", "`"))
        print(f"(a trail of {args.rows:,} rows first; median of {args.rounds} rounds)\n")
        for size in (_RUN_ROWS, 20 * _RUN_ROWS):
            got: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in _CASES}
            for r in range(args.rounds):
                order = _CASES[r % len(_CASES) :] + _CASES[: r % len(_CASES)]
                for label, drop in order:
                    got[label].append(_case(source, folder, key, drop, size, args))
            _table(size, got)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
