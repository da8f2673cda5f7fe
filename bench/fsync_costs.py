"""``python -m bench.fsync_costs [--commits 400] [--bytes 82040]``: what a durable commit's
sync costs on the file system the audit lives on, in each case.

A diagnostic, not a bench section. Four files in ``ORCHESTRATION_HOME`` (or the home
directory): two that grow by each write (a WAL that is appended to) and two whose blocks
were written and synced beforehand (a WAL overwritten in place after a checkpoint let it
start over); one of each is synced with ``os.fsync``, the other with ``os.fdatasync``
(what SQLite uses where it exists). Each step writes ``--bytes`` (by default five 16 KiB
WAL frames with their headers: what a one-step pipeline's commit adds) to each of the four
in a random order and syncs it, so a busy disk weighs on all four alike. Printed: the
median and quartiles of the sync's wall time per case.

On ext4, a sync after an append also commits the file system's journal (the file's size
and blocks changed); after an overwrite, ``fdatasync`` flushes the data alone (``fsync``
also writes the inode when its timestamps moved).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["main"]

Sync = Callable[[int], None]


def measure(folder: Path, commits: int, size: int) -> dict[str, list[float]]:
    """Per case (``append``/``overwrite`` × ``fsync``/``fdatasync``), each sync's seconds."""
    chunk = os.urandom(size)
    syncs: dict[str, Sync] = {"fsync": os.fsync, "fdatasync": getattr(os, "fdatasync", os.fsync)}
    files: dict[str, tuple[int, Sync]] = {}
    for growth in ("append", "overwrite"):
        for name, sync in syncs.items():
            fd = os.open(folder / f"{growth}-{name}", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            if growth == "overwrite":  # the blocks exist and are on disk before we start
                for i in range(commits):
                    os.pwrite(fd, chunk, i * size)
                os.fsync(fd)
            files[f"{growth} + {name}"] = (fd, sync)
    took: dict[str, list[float]] = {case: [] for case in files}
    try:
        for i in range(commits):
            for case in random.sample(list(files), len(files)):
                fd, sync = files[case]
                os.pwrite(fd, chunk, i * size)
                start = time.perf_counter()
                sync(fd)
                took[case].append(time.perf_counter() - start)
    finally:
        for fd, _ in files.values():
            os.close(fd)
    return took


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.fsync_costs", description=__doc__)
    p.add_argument("--commits", type=int, default=400)
    p.add_argument("--bytes", type=int, default=5 * (16384 + 24))
    args = p.parse_args(argv)
    home = Path(os.environ.get("ORCHESTRATION_HOME") or Path.home())
    with tempfile.TemporaryDirectory(prefix="bench-fsync-", dir=home) as tmp:
        took = measure(Path(tmp), args.commits, args.bytes)
    print(f"{args.commits} syncs of {args.bytes:,} bytes per case, interleaved (µs)")
    print("| case | median | p25 | p75 |\n|---|---|---|---|")
    for case, seconds in took.items():
        q = statistics.quantiles(seconds, n=4)
        print(f"| {case} | {statistics.median(seconds) * 1e6:,.0f} | {q[0] * 1e6:,.0f} | "
              f"{q[2] * 1e6:,.0f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
