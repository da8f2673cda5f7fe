"""``python -m bench.audit_reads_stages [--rows 100000] [--rounds 5] [--trail FOLDER]``:
where the whole-trail reads spend their time, stage by stage, on one thread.

One trail of ``--rows`` typical ``call`` rows (``bench.audit._row``, written as
``bench.audit_reads_ab`` writes it; or the trail in ``--trail``, written if missing) is
read stage by stage, each stage alone on the calling thread (the reads themselves run
the driver on worker threads, so their wall time is less than the sum): the private
copy (``snapshot._snapshot``: span query, copy, witness row), the driver's read of the
whole copy into Arrow, the checks on it (``snapshot._plain``), the typing of timestamps
and JSON (``frames.typed_in_part``), the DataFrame (``frames.frame_from_arrow``), the
Parquet typing (``export.parquet_from_arrow``) and the Parquet encoding
(``pq.write_table`` as the one-row-group export wrote it), then each whole read
(``to_dataframe()``, ``export(.parquet)``, ``verify()``) for scale. Each figure is the
median over ``--rounds`` (after one warm-up round) of wall time and the thread's CPU time.
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


def _stages(folder: Path, rounds: int) -> dict[str, list[tuple[float, float]]]:
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow.parquet as pq

    from orchestration_kernel.audit import AuditTrail, frames
    from orchestration_kernel.audit import export as ex
    from orchestration_kernel.audit import snapshot as snap

    trail = AuditTrail(folder / "audit.sqlite", key_path=folder / "audit.key")
    got: dict[str, list[tuple[float, float]]] = {}

    @contextlib.contextmanager
    def stage(name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        yield
        got.setdefault(name, []).append((time.perf_counter() - wall, time.thread_time() - cpu))

    for r in range(rounds + 1):
        with snap.private_copy() as copy:
            with stage("private copy (span query, copy, witness)"):
                span = snap._snapshot(trail._store, copy)
            assert span is not None, "the trail is too small for the snapshot"
            with (
                stage("driver reads the copy into Arrow (one thread)"),
                adbc.connect(str(copy)) as reader,
                reader.cursor() as cursor,
            ):
                cursor.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": snap._BATCH_ROWS}
                )
                cursor.execute(snap._QUERY, span)
                raw = cursor.fetch_arrow_table()
            with stage("checks (_plain: types, order, UTF-8)"):
                table = snap._plain(raw)
            assert table is not None
        with stage("timestamps and JSON typed (typed_in_part)"):
            typed = frames.typed_in_part(table)
        with stage("DataFrame from Arrow (frame_from_arrow)"):
            frames.frame_from_arrow(table, True, typed)
        with stage("Parquet typing (parquet_from_arrow)"):
            direct = ex.parquet_from_arrow(table, folder / "x.parquet")
        assert direct is not None
        with stage("Parquet encoding, one row group (write_table)"):
            pq.write_table(direct, folder / "stages.parquet", compression="snappy")
        with stage("whole to_dataframe()"):
            trail.to_dataframe()
        with stage("whole export(.parquet)"):
            trail.export(folder / "stages-export.parquet")
        with stage("whole verify()"):
            trail.verify()
        if r == 0:
            got.clear()  # the warm-up round
    trail.close()
    return got


def main(argv: list[str] | None = None) -> int:
    """Write (or take) the trail, time the stages, print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_reads_stages", description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--trail", type=Path, help="a folder to keep the trail in between runs")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-stages-") as tmp:
        folder = trail_folder(args.trail, Path(tmp), args.rows)
        got = _stages(folder, args.rounds)
    print(f"`python -m bench.audit_reads_stages` ({args.rounds} rounds; median)\n")
    print("| stage | wall s | thread CPU s |\n|---|---|---|")
    for name, times in got.items():
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
