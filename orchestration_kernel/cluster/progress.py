"""Progress of a cluster matrix: partitions done, rows per second, time left.

``engine.matrix(..., cluster=..., progress=callback)`` calls ``callback`` with a
:class:`ClusterProgress` once when the job starts (skipped partitions counted) and after
each partition arrives; ``str(progress)`` is the one line a view shows. The rate counts
only rows computed in this run, so a resumed job does not look faster than it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["ClusterProgress", "ProgressClock"]


@dataclass(frozen=True)
class ClusterProgress:
    """Where a cluster job stands."""

    partitions_done: int
    partitions_total: int
    partitions_skipped: int
    rows_done: int
    rows_total: int
    elapsed_s: float
    #: Rows computed in this run per second of this run (0 before the first partition).
    rows_per_second: float
    #: Seconds left at the current rate; ``None`` until there is a rate.
    eta_s: float | None

    @property
    def finished(self) -> bool:
        """True once every partition is done."""
        return self.partitions_done >= self.partitions_total

    def __str__(self) -> str:
        eta = "—" if self.eta_s is None else f"{self.eta_s:,.0f} s"
        skipped = f" ({self.partitions_skipped} resumed)" if self.partitions_skipped else ""
        return (
            f"{self.partitions_done}/{self.partitions_total} partitions{skipped} · "
            f"{self.rows_done:,}/{self.rows_total:,} rows · "
            f"{self.rows_per_second:,.1f} rows/s · ETA {eta}"
        )


class ProgressClock:
    """Counts partitions and rows as they arrive and makes :class:`ClusterProgress`."""

    def __init__(self, partitions: int, rows: int, skipped: int, skipped_rows: int) -> None:
        self.partitions = partitions
        self.rows = rows
        self.skipped = skipped
        self.done = skipped
        self.rows_done = skipped_rows
        self._computed_rows = 0
        self._started = time.monotonic()

    def add(self, rows: int) -> ClusterProgress:
        """One more partition of ``rows`` rows computed."""
        self.done += 1
        self.rows_done += rows
        self._computed_rows += rows
        return self.now()

    def now(self) -> ClusterProgress:
        """The progress at this moment."""
        elapsed = time.monotonic() - self._started
        rate = self._computed_rows / elapsed if elapsed > 0 and self._computed_rows else 0.0
        left = self.rows - self.rows_done
        eta = (left / rate) if rate else (0.0 if left == 0 else None)
        return ClusterProgress(
            self.done, self.partitions, self.skipped, self.rows_done, self.rows,
            elapsed, rate, eta,
        )  # fmt: skip
