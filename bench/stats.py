"""Order statistics for repeated measurements: never a single timing."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile", "summarize"]


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between ranks."""
    if not samples:
        raise ValueError("percentile of no samples")
    ordered = sorted(samples)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    frac = rank - low
    return float(ordered[low] + (ordered[high] - ordered[low]) * frac)


def summarize(samples: Sequence[float]) -> dict[str, float | int]:
    """``n``, ``p50`` (the median), ``p95``, ``p99``, ``mean``, ``min`` and ``max``.

    With few samples p95/p99 sit near the maximum; ``n`` says how many there were.
    """
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "mean": math.fsum(samples) / len(samples),
        "min": float(min(samples)),
        "max": float(max(samples)),
    }
