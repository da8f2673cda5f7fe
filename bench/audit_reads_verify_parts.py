"""``python -m bench.audit_reads_verify_parts [--rows 100000] [--rounds 5] [--trail FOLDER]``:
the CPU time of each part of ``verify()``'s snapshot walk, one part at a time on one thread.

One trail of ``--rows`` typical ``call`` rows (``bench.audit._row``, written as
``bench.audit_reads_ab`` writes it; or the trail in ``--trail``, written if missing) is
taken apart as ``verify()`` walks it (``audit/verify.py``, ``_walk_snapshot``), each part
alone on the calling thread, where ``verify()`` spreads them over threads (so its wall time
is less than the sum): the private copy of the database (``snapshot.copy_into``), the
driver's read of the walk's query over every ``seq`` range (``verify._SNAPSHOT_MESSAGES``:
SQLite renders the JSON), the messages built from each batch in Arrow
(``verify._prepare``), their MACs compared as hex (``verify._macs_hex``), and the SHA-256
of the columnar sidecar's segments that ``VerifyReport.sidecar`` reports on (when the
trail has one). Then ``verify()`` whole: its wall time and the process's CPU time (every
thread). Each figure is the median over ``--rounds`` (after one warm-up round).

Use it to see where a change to the walk moves CPU time; compare commits with
``bench.audit_reads_ab``, which runs each in a process of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.audit_reads_ab import trail_folder

__all__ = ["main"]


def _parts(folder: Path, rounds: int) -> dict[str, list[float]]:
    import adbc_driver_sqlite.dbapi as adbc

    from orchestration_kernel.audit import AuditTrail, sidecar, snapshot, verify

    trail = AuditTrail(folder / "audit.sqlite", key_path=folder / "audit.key")
    store, key = trail._store, trail._key
    got: dict[str, list[float]] = {}

    @contextlib.contextmanager
    def part(name: str) -> Iterator[None]:
        cpu = time.thread_time()
        yield
        got.setdefault(name, []).append(time.thread_time() - cpu)

    paths = sidecar.SidecarPaths.of(store.path)
    for r in range(rounds + 1):
        with snapshot.private_copy() as copy:
            with store.reading() as conn:
                top = conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]
                with part("private copy (copy_into)"):
                    assert snapshot.copy_into(conn, copy), "the copy failed"
            ranges = verify._parts(1, top, snapshot.stream_rows())
            with (
                part("driver reads the walk's query (SQLite renders)"),
                adbc.connect(str(copy)) as reader,
                reader.cursor() as cursor,
            ):
                cursor.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": str(snapshot.stream_rows())}
                )
                batches = []
                for bounds in ranges:
                    cursor.execute(verify._SNAPSHOT_MESSAGES, bounds)
                    batches.extend(cursor.fetch_record_batch())
        with part("messages built in Arrow (_prepare)"):
            found = [verify._prepare(batch) for batch in batches]
        assert all(f is not None for f in found), "a batch left to the exact walk"
        with part("MACs, compared as hex (_macs_hex)"):
            for f in found:
                assert f is not None and verify._macs_hex(key, f) == f.hashes
        record = sidecar._load_record(paths.record, key)
        if isinstance(record, sidecar.Record):
            with part("sidecar segments' SHA-256 (status)"):
                sidecar._file_matches(paths.data, record)
        wall, cpu = time.perf_counter(), time.process_time()
        assert trail.verify().ok
        got.setdefault("verify(): wall", []).append(time.perf_counter() - wall)
        got.setdefault("verify(): process CPU (all threads)", []).append(time.process_time() - cpu)
        if r == 0:
            got.clear()  # the warm-up round
    trail.close()
    return got


def main(argv: list[str] | None = None) -> int:
    """Write (or take) the trail, time the parts, print the table."""
    p = argparse.ArgumentParser(
        prog="python -m bench.audit_reads_verify_parts", description=__doc__
    )
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--trail", type=Path, help="a folder to keep the trail in between runs")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-verify-parts-") as tmp:
        folder = trail_folder(args.trail, Path(tmp), args.rows)
        got = _parts(folder, args.rounds)
    print(f"`python -m bench.audit_reads_verify_parts` ({args.rounds} rounds; median)\n")
    print("| part | seconds (thread CPU unless named) |\n|---|---|")
    for name, times in got.items():
        print(f"| {name} | {statistics.median(times):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
