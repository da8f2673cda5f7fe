"""1. Context handoff: a step's output published on the bus → the next step starting.

The pipeline runner measures it (``PipelineResult.handoffs_ms``, also fed to
``engine.bus.handoff_stats()``). We check it independently with the step gap: the
time from one step's ``ended_at`` to the next step's ``started_at`` in the result, which
also covers publishing, releasing the dependents and the ``when:``/render work.
Measured on the seed's three-step pipeline, simulator at zero latency, Guardian and
audit on (the defaults), one run at a time and with many runs at once.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from bench.common import THREE_STEPS, Unavailable, create_pipeline, engine
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["measure"]


def _handoffs(result: Any) -> tuple[list[float], list[float]]:
    """The runner's handoff times and our step gaps (both ms) for one finished run."""
    if not hasattr(result, "handoffs_ms"):
        raise Unavailable("PipelineResult.handoffs_ms is not available yet")
    steps = list(result.steps)
    gaps = [
        (b.started_at - a.ended_at) * 1000
        for a, b in itertools.pairwise(steps)
        if a.ended_at is not None and b.started_at is not None
    ]
    return list(result.handoffs_ms), gaps


async def _collect(pipeline: Any, sizes: Sizes) -> dict[str, Any]:
    for i in range(sizes.warmup):
        await pipeline.execute(f"warm-up {i}")
    seq_h: list[float] = []
    seq_g: list[float] = []
    for i in range(sizes.handoff_runs):
        h, g = _handoffs(await pipeline.execute(f"handoff input {i}"))
        seq_h += h
        seq_g += g
    runs = [pipeline.execute(f"concurrent input {i}") for i in range(sizes.handoff_concurrent)]
    con_h: list[float] = []
    con_g: list[float] = []
    for result in await asyncio.gather(*runs):
        h, g = _handoffs(result)
        con_h += h
        con_g += g
    return {
        "sequential_ms": summarize(seq_h),
        "sequential_gap_ms": summarize(seq_g),
        "concurrent_ms": summarize(con_h),
        "concurrent_gap_ms": summarize(con_g),
        "concurrent_runs": sizes.handoff_concurrent,
    }


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Handoff percentiles, one run at a time and ``handoff_concurrent`` at once."""
    eng = engine()
    pipeline = create_pipeline(eng, THREE_STEPS)
    figures = asyncio.run(_collect(pipeline, sizes))
    stats = getattr(eng.bus, "handoff_stats", None)
    figures["bus_handoff_stats_ms"] = stats() if stats else None
    eng.close()
    return figures
