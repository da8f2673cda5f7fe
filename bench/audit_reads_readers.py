"""``python -m bench.audit_reads_readers [--rows 100000] [--rounds 7] [--trail FOLDER]``:
SQLite -> Arrow readers side by side on one copy of a trail, in process CPU time.

Issue 24 asks whether a faster reader than ADBC's SQLite driver would bring the whole-trail
reads (``to_dataframe()``, ``export(.parquet)``) under their targets. Each reader here reads
every row and column of ``audit_events`` from a plain copy of the trail (as the private
snapshot does, ``audit.snapshot``) into one Arrow table, materialized (a lazy reader is
drained), in alternating order round after round; the table shows the median and range
over the rounds (the first round is a warm-up) of the process's CPU time (every thread,
the readers' own threads included) and wall time:

* ``adbc``: ADBC's SQLite driver, one connection (the project's dependency);
* ``adbc x2``: the same on two threads, two ``seq`` ranges (what the snapshot does);
* ``connectorx``: ``connectorx.read_sql(..., return_type="arrow")``, when importable;
* ``duckdb``: DuckDB's ``sqlite_scan`` on one thread and on two, when ``duckdb`` and its
  SQLite extension are importable. DuckDB's wheel does not carry that extension and
  ``INSTALL sqlite`` downloads it, so it is taken from the PyPI package
  ``duckdb-extension-sqlite-scanner`` (it must match ``duckdb``'s version); the time to
  open a DuckDB connection and load the extension is shown on its own row as well.

Neither candidate is a dependency. To measure them, install them outside the venv, e.g.
``python3 -m uv pip install --python .venv/bin/python --target DIR connectorx duckdb==1.5.5
duckdb-extension-sqlite-scanner==1.5.5`` with ``DIR`` =
``~/.cache/orchestration-kernel-bench/readers``, and pass ``--extra-path DIR``.

Last, whether the ADBC read holds the GIL: the main thread sleeps 1 ms at a time while a
worker reads; a reader holding the GIL would keep it from waking (its wake-ups would be
few and late, as they are beside ``sum(range(...))``, shown for contrast).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.audit_reads_ab import trail_folder

__all__ = ["main"]


def _readers(db: Path) -> dict[str, Callable[[], Any]]:
    """Each available reader, reading the whole table of ``db`` into Arrow."""
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    columns = [r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(audit_events)")]
    select = f"SELECT {', '.join(columns)} FROM audit_events"
    top = sqlite3.connect(db).execute("SELECT max(seq) FROM audit_events").fetchone()[0]

    def adbc_range(bounds: tuple[int, int], out: list[Any], at: int) -> None:
        with adbc.connect(str(db)) as conn, conn.cursor() as cursor:
            cursor.execute(f"{select} WHERE seq BETWEEN ? AND ?", bounds)
            out[at] = cursor.fetch_arrow_table()

    def adbc_one() -> Any:
        out: list[Any] = [None]
        adbc_range((-(2**63), 2**63 - 1), out, 0)
        return out[0]

    def adbc_two() -> Any:
        out: list[Any] = [None, None]
        halves = [(-(2**63), top // 2), (top // 2 + 1, 2**63 - 1)]
        threads = [
            threading.Thread(target=adbc_range, args=(bounds, out, k))
            for k, bounds in enumerate(halves)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return pa.concat_tables(out)

    found: dict[str, Callable[[], Any]] = {"adbc": adbc_one, "adbc x2": adbc_two}
    try:
        import connectorx as cx

        found["connectorx"] = lambda: cx.read_sql(f"sqlite://{db}", select, return_type="arrow")
    except ImportError:
        pass
    scan = f"FROM sqlite_scan('{db}', 'audit_events')"
    found.update(_duckdb(db, select.replace("FROM audit_events", scan)))
    return found


def _duckdb(db: Path, select: str) -> dict[str, Callable[[], Any]]:
    try:
        import duckdb
        import duckdb_extension_sqlite_scanner as ext  # type: ignore[import-not-found]
    except ImportError:
        return {}
    path = Path(ext.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path /= "sqlite_scanner.duckdb_extension"

    def connect(threads: int) -> Any:
        config = {"threads": threads, "autoinstall_known_extensions": False}
        conn = duckdb.connect(":memory:", config={**config, "autoload_known_extensions": False})
        conn.load_extension(str(path))
        return conn

    def read(threads: int) -> Any:
        conn = connect(threads)
        try:
            return conn.execute(select).to_arrow_table()  # materialized (.arrow() is lazy)
        finally:
            conn.close()

    return {
        "duckdb connect + load extension": lambda: connect(1).close(),
        "duckdb (1 thread)": lambda: read(1),
        "duckdb (2 threads)": lambda: read(2),
    }


def _gil_probe(work: Callable[[], Any]) -> tuple[float, int, float]:
    """Wall time of ``work`` on a worker, the main thread's 1 ms wake-ups meanwhile, and
    the longest delay of one (ms)."""
    done, delays = threading.Event(), []

    def run() -> None:
        work()
        done.set()

    worker = threading.Thread(target=run)
    start = time.perf_counter()
    worker.start()
    while not done.is_set():
        t = time.perf_counter()
        time.sleep(0.001)
        delays.append(time.perf_counter() - t - 0.001)
    worker.join()
    return time.perf_counter() - start, len(delays), max(delays) * 1000


def main(argv: list[str] | None = None) -> int:
    """Copy (or write) the trail, time the readers, print the tables."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_reads_readers", description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--trail", type=Path, help="a folder to keep the trail in between runs")
    p.add_argument("--extra-path", type=Path, action="append", default=[])
    args = p.parse_args(argv)
    sys.path[:0] = [str(x.expanduser()) for x in args.extra_path]
    with tempfile.TemporaryDirectory(prefix="bench-readers-") as tmp:
        folder = trail_folder(args.trail, Path(tmp), args.rows)
        db = Path(tmp) / "copy.sqlite"
        with sqlite3.connect(folder / "audit.sqlite") as source, sqlite3.connect(db) as target:
            source.backup(target)
        readers = _readers(db)
        got: dict[str, list[tuple[float, float]]] = {name: [] for name in readers}
        for r in range(args.rounds + 1):
            order = list(readers.items())
            for name, read in order if r % 2 else reversed(order):
                wall, cpu = time.perf_counter(), time.process_time()
                read()
                if r:
                    got[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        probes = [("adbc", readers["adbc"]), ("sum(range(3e7)) (holds the GIL)", _hold)]
        gil = [(name, _gil_probe(work)) for name, work in probes]
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    print(f"`python -m bench.audit_reads_readers` ({args.rounds} rounds, {rows:,} rows; "
          "median, min–max)\n")  # fmt: skip
    print("| reader | process CPU s | wall s |\n|---|---|---|")
    for name, times in got.items():
        cpu, wall = [t[1] for t in times], [t[0] for t in times]
        print(f"| {name} | {statistics.median(cpu):.3f} ({min(cpu):.3f}–{max(cpu):.3f}) | "
              f"{statistics.median(wall):.3f} |")  # fmt: skip
    print("\n| on a worker | its wall s | main thread's 1 ms wake-ups | longest delay ms |")
    print("|---|---|---|---|")
    for name, (wall, wakes, longest) in gil:
        print(f"| {name} | {wall:.3f} | {wakes} | {longest:.1f} |")
    return 0


def _hold() -> None:
    sum(range(30_000_000))


if __name__ == "__main__":
    raise SystemExit(main())
