"""Handoff timing: how long from a step's output event to the next step's start."""

from __future__ import annotations

import math
import threading
from collections import deque

from ..errors import InvalidInputError

__all__ = ["HandoffStats", "percentile"]


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ascending values, interpolating linearly."""
    if not sorted_values:
        raise InvalidInputError("percentile of no values: pass at least one", what="values")
    rank = (len(sorted_values) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    frac = rank - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * frac


class HandoffStats:
    """A bounded window of recent handoff times (ms) and their percentiles.

    Safe to record from any thread; keeps the most recent ``window`` samples so a
    long-lived kernel does not grow without bound.
    """

    def __init__(self, window: int = 10_000) -> None:
        self._samples: deque[float] = deque(maxlen=window)
        self._count = 0
        self._lock = threading.Lock()

    def record(self, ms: float) -> None:
        """Add one handoff time in milliseconds (negative values are a caller bug)."""
        if ms < 0 or math.isnan(ms):
            raise InvalidInputError(
                f"a handoff time must be a non-negative number of ms, not {ms!r}", what="ms"
            )
        with self._lock:
            self._samples.append(float(ms))
            self._count += 1

    def stats(self) -> dict[str, float | int | None]:
        """``{"count", "p50", "p95", "p99"}`` in ms; percentiles are None before any sample.

        ``count`` is every handoff ever recorded; percentiles cover the recent window.
        """
        with self._lock:
            values = sorted(self._samples)
            count = self._count
        if not values:
            return {"count": 0, "p50": None, "p95": None, "p99": None}
        return {
            "count": count,
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
        }

    def reset(self) -> None:
        """Forget every sample (e.g. between benchmark phases)."""
        with self._lock:
            self._samples.clear()
            self._count = 0
