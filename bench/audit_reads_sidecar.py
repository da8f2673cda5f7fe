"""``python -m bench.audit_reads_sidecar [--rows 100000] [--rounds 5] [--trail FOLDER]``:
what the whole-trail reads would cost if the trail's rows were also kept in columnar form.

An estimate for a design choice of issue 24, not a feature: the reads' floor today is
SQLite handing every cell to a reader (``bench.audit_reads_readers``: ADBC, connectorx and
DuckDB alike, about 0.4-0.6 s of CPU for 100,000 rows on the Intel Xeon of 2026-12-07).
Here the trail's rows, read once through the private snapshot
(``snapshot.read_whole_trail``), are written to an uncompressed Arrow IPC file; then, in
turn, round after round (the first a warm-up): the file memory-mapped and read, the
DataFrame typed from it as ``to_dataframe()`` types the snapshot's table
(``frames.typed_in_part`` and ``frames.frame_from_arrow``), and the Parquet export written
from it as ``export(.parquet)`` writes the snapshot's table (``export.parquet_from_arrow``,
``export.write_parquet``), beside the real ``to_dataframe()`` and ``export(.parquet)``
(and whether the two Parquet files are the same bytes).
Each figure is the median of wall time and process CPU time (every thread).

Not measured: keeping such a file in step with the writer (its cost to each flush), and
checking it against the database before trusting it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.audit_reads_ab import trail_folder

__all__ = ["main"]


def _reads(folder: Path, scratch: Path) -> dict[str, Callable[[], Any]]:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from orchestration_kernel.audit import AuditTrail, export, frames, snapshot

    trail = AuditTrail(folder / "audit.sqlite", key_path=folder / "audit.key")
    table = snapshot.read_whole_trail(trail._store)
    if table is None:
        raise SystemExit("the trail is not read through the snapshot (too small?)")
    columnar = scratch / "rows.arrow"
    with ipc.new_file(columnar, table.schema) as writer:
        writer.write_table(table)

    def read() -> pa.Table:
        with pa.memory_map(str(columnar)) as source:
            return ipc.open_file(source).read_all()

    def frame() -> Any:
        rows = read()
        return frames.frame_from_arrow(rows, True, frames.typed_in_part(rows))

    def parquet() -> None:
        direct = export.parquet_from_arrow(read(), scratch / "out.parquet")
        assert direct is not None
        export.write_parquet(direct, scratch / "out.parquet")

    return {
        "Arrow IPC file read (memory-mapped)": read,
        "DataFrame from the IPC file": frame,
        "Parquet from the IPC file": parquet,
        "to_dataframe() (today)": trail.to_dataframe,
        "export(.parquet) (today)": lambda: trail.export(scratch / "today.parquet"),
    }


def _same_file(scratch: Path) -> bool:
    """Whether the Parquet written from the IPC file is byte for byte the export's."""
    return (scratch / "out.parquet").read_bytes() == (scratch / "today.parquet").read_bytes()


def main(argv: list[str] | None = None) -> int:
    """Write (or take) the trail, time the reads, print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_reads_sidecar", description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--trail", type=Path, help="a folder to keep the trail in between runs")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-sidecar-") as tmp:
        folder = trail_folder(args.trail, Path(tmp), args.rows)
        reads = _reads(folder, Path(tmp))
        got: dict[str, list[tuple[float, float]]] = {name: [] for name in reads}
        for r in range(args.rounds + 1):
            for name, read in reads.items():
                wall, cpu = time.perf_counter(), time.process_time()
                read()
                if r:
                    got[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        same = _same_file(Path(tmp))
    print(f"`python -m bench.audit_reads_sidecar` ({args.rounds} rounds; median)\n")
    print("| read | wall s | process CPU s |\n|---|---|---|")
    for name, times in got.items():
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")
    print(f"\nThe Parquet file from the IPC file is the export's, byte for byte: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
