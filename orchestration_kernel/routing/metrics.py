"""Monitoring numbers per model and per deployment: latency percentiles, time to first
token, error rate, calls, tokens and cost.

Percentiles are over the most recent ``window`` samples so they follow current health;
counts and sums cover the whole life of the :class:`Metrics` object.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from ..models import Usage

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Metrics", "Series", "SeriesSummary", "percentile"]


class SeriesSummary(TypedDict):
    """The JSON-able numbers :meth:`Series.summary` gives for one model or deployment."""

    calls: int
    errors: int
    error_rate: float | None
    recent_error_rate: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    ttft_p99_ms: float | None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    unknown_cost_calls: int
    error_types: dict[str, int]


def percentile(samples: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation; ``None`` with no samples."""
    return percentile_of_sorted(sorted(samples), q)


def percentile_of_sorted(ordered: list[float], q: float) -> float | None:
    """:func:`percentile` of samples already in ascending order."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Series:
    """The running numbers of one model or one deployment."""

    window: int = 500
    calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    #: Calls whose cost was unknown (not counted in ``cost_usd``).
    unknown_cost_calls: int = 0
    error_types: dict[str, int] = field(default_factory=dict)
    latencies: deque[float] = field(init=False)
    ttfts: deque[float] = field(init=False)
    outcomes: deque[bool] = field(init=False)

    #: The latency window kept sorted too: routing asks for p50 on every call.
    _sorted_latencies: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.latencies = deque(maxlen=self.window)
        self.ttfts = deque(maxlen=self.window)
        self.outcomes = deque(maxlen=min(self.window, 50))

    def add(
        self,
        ok: bool,
        latency_ms: float | None,
        ttft_ms: float | None,
        usage: Usage | None,
        cost_usd: float | None,
        error_type: str | None,
    ) -> None:
        """Fold one call in."""
        self.calls += 1
        self.outcomes.append(ok)
        if not ok:
            self.errors += 1
            key = error_type or "unknown"
            self.error_types[key] = self.error_types.get(key, 0) + 1
        if latency_ms is not None:
            self._add_latency(float(latency_ms))
        if ttft_ms is not None:
            self.ttfts.append(float(ttft_ms))
        if usage is not None:
            self.input_tokens += usage.input_tokens
            self.output_tokens += usage.output_tokens
        if cost_usd is None:
            self.unknown_cost_calls += 1 if ok else 0
        else:
            self.cost_usd += cost_usd

    @property
    def error_rate(self) -> float | None:
        """Errors over calls, lifetime; ``None`` before the first call."""
        return self.errors / self.calls if self.calls else None

    @property
    def recent_error_rate(self) -> float | None:
        """Errors over the last (up to 50) calls: current health."""
        return self.outcomes.count(False) / len(self.outcomes) if self.outcomes else None

    def latency(self, q: float) -> float | None:
        """Latency percentile in ms over the recent window."""
        return percentile_of_sorted(self._sorted_latencies, q)

    def _add_latency(self, value: float) -> None:
        if len(self.latencies) == self.latencies.maxlen:
            oldest = self.latencies[0]
            del self._sorted_latencies[bisect.bisect_left(self._sorted_latencies, oldest)]
        self.latencies.append(value)
        bisect.insort(self._sorted_latencies, value)

    def summary(self) -> SeriesSummary:
        """JSON-able numbers."""
        lat, ttft = list(self.latencies), list(self.ttfts)
        return {
            "calls": self.calls,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "recent_error_rate": self.recent_error_rate,
            "latency_p50_ms": percentile(lat, 50),
            "latency_p95_ms": percentile(lat, 95),
            "latency_p99_ms": percentile(lat, 99),
            "ttft_p50_ms": percentile(ttft, 50),
            "ttft_p95_ms": percentile(ttft, 95),
            "ttft_p99_ms": percentile(ttft, 99),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "unknown_cost_calls": self.unknown_cost_calls,
            "error_types": dict(self.error_types),
        }


class Metrics:
    """Per model and per deployment numbers, fed by :meth:`observe`."""

    def __init__(self, window: int = 500) -> None:
        self.window = window
        self._models: dict[str, Series] = {}
        self._deployments: dict[str, Series] = {}

    def observe(
        self,
        *,
        model: str,
        deployment: str | None = None,
        ok: bool,
        latency_ms: float | None = None,
        ttft_ms: float | None = None,
        usage: Usage | None = None,
        cost_usd: float | None = None,
        error_type: str | None = None,
    ) -> None:
        """Record one call of ``model`` (``provider:model``) on ``deployment`` (its id)."""
        args = (ok, latency_ms, ttft_ms, usage, cost_usd, error_type)
        self._series(self._models, model).add(*args)
        if deployment is not None:
            self._series(self._deployments, deployment).add(*args)

    def _series(self, table: dict[str, Series], key: str) -> Series:
        series = table.get(key)
        if series is None:
            series = table[key] = Series(window=self.window)
        return series

    def model(self, model: str) -> Series | None:
        """The numbers of one ``provider:model``, if it was ever called."""
        return self._models.get(model)

    def deployment(self, deployment_id: str) -> Series | None:
        """The numbers of one deployment, if it was ever called."""
        return self._deployments.get(deployment_id)

    def snapshot(self) -> dict[str, dict[str, SeriesSummary]]:
        """``{"models": {ref: numbers}, "deployments": {id: numbers}}``, JSON-able."""
        return {
            "models": {k: s.summary() for k, s in self._models.items()},
            "deployments": {k: s.summary() for k, s in self._deployments.items()},
        }

    def to_dataframe(self) -> pd.DataFrame:
        """One row per model and per deployment (column ``scope``), as a pandas DataFrame."""
        import pandas as pd  # lazily: pandas is heavy

        rows = []
        for scope, table in (("model", self._models), ("deployment", self._deployments)):
            for key, series in table.items():
                numbers = series.summary()
                errors = ", ".join(f"{k}={v}" for k, v in numbers["error_types"].items())
                row = {"scope": scope, "name": key, **numbers, "error_types": errors}
                rows.append(row)
        return pd.DataFrame(rows, columns=_COLUMNS)

    def reset(self) -> None:
        """Forget everything."""
        self._models.clear()
        self._deployments.clear()


_COLUMNS = [
    "scope",
    "name",
    *Series().summary().keys(),
]
