"""Order statistics for repeated measurements: never a single timing."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

__all__ = [
    "MIN_RUNS",
    "interval_label",
    "median_ci",
    "paired_overheads",
    "percentile",
    "summarize",
    "verdict",
]


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


def median_ci(samples: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """A distribution-free confidence interval for the median: ``(low, high, coverage)``.

    The interval runs between two order statistics, ``x(k)`` and ``x(n+1-k)``, with the
    largest ``k`` whose coverage (from the binomial distribution: each sample falls
    below the true median with probability 1/2) is at least ``level``. Timings are
    skewed and their spread on a shared machine is wide, so no normal shape is assumed.
    With too few samples for ``level`` (five give at most 93.8%), the interval is the
    whole range and ``coverage`` says what it really is.
    """
    if not samples:
        raise ValueError("median_ci of no samples")
    ordered = sorted(float(x) for x in samples)
    n = len(ordered)

    if n > _EXACT_UP_TO:  # the binomial is normal to well within a sample here
        z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
        k = max(1, math.floor((n - z * math.sqrt(n)) / 2))
        covered = 2 * statistics.NormalDist(n / 2, math.sqrt(n) / 2).cdf(n - k + 0.5) - 1
        return ordered[k - 1], ordered[n - k], covered

    def coverage(k: int) -> float:  # P(x(k) <= median <= x(n+1-k)), in exact integers
        return 1.0 - 2 * sum(math.comb(n, i) for i in range(k)) / (1 << n)

    k = 1
    while k + 1 <= (n + 1) // 2 and coverage(k + 1) >= level:
        k += 1
    return ordered[k - 1], ordered[n - k], coverage(k)


#: Above this many samples :func:`median_ci` uses the normal approximation of the binomial.
_EXACT_UP_TO = 500


def summarize(samples: Sequence[float]) -> dict[str, float | int]:
    """``n``, ``p50`` (the median), ``p95``, ``p99``, ``mean``, ``min``, ``max``, and the
    median's 95% confidence interval: ``ci_low``, ``ci_high`` and its true ``ci_level``
    (see :func:`median_ci`).

    With few samples p95/p99 sit near the maximum; ``n`` says how many there were.
    """
    if not samples:
        return {"n": 0}
    low, high, level = median_ci(samples)
    return {
        "n": len(samples),
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "mean": math.fsum(samples) / len(samples),
        "min": float(min(samples)),
        "max": float(max(samples)),
        "ci_low": low,
        "ci_high": high,
        "ci_level": level,
    }


def paired_overheads(
    rounds: Sequence[Mapping[str, Sequence[float]]], base: str
) -> dict[str, list[float]]:
    """Each client's overhead in each round: its median minus ``base``'s median in that round.

    ``rounds`` holds one mapping per round, client name → that round's timings. Pairing
    within a round cancels what drifts between rounds (other work on a shared machine),
    so the spread left over the rounds is the overhead's own; :func:`summarize` of a
    client's list then gives the median over rounds and its interval.
    """
    out: dict[str, list[float]] = {}
    for timings in rounds:
        floor = statistics.median(timings[base])
        for name, got in timings.items():
            out.setdefault(name, []).append(statistics.median(got) - floor)
    return out


#: Fewer runs than this give no verdict: five is the fewest issue 24 accepts (their range
#: covers the median with probability 93.75%).
MIN_RUNS = 5


def verdict(
    summary: Mapping[str, float | int], limit: float, *, at_most: bool = True
) -> bool | None:
    """Issue 24's rule: a target is met only when the median's whole confidence interval is
    on its side — the upper bound at most ``limit`` (``at_most``), else the lower bound at
    least ``limit``. ``None`` (no verdict) when ``summary`` has no interval or fewer than
    :data:`MIN_RUNS` runs: the range of two or three runs says almost nothing."""
    bound = summary.get("ci_high" if at_most else "ci_low")
    if bound is None or int(summary.get("n", 0)) < MIN_RUNS:
        return None
    return bound <= limit if at_most else bound >= limit


def interval_label(summary: Mapping[str, float | int]) -> str:
    """``"95% CI"``, or the lower level the sample size allows (``"94% CI"`` for five runs):
    an interval is never called 95% when its true coverage is less."""
    level = float(summary.get("ci_level") or 0.0)
    return "95% CI" if level >= 0.95 else f"{math.floor(level * 1000) / 10:g}% CI"
