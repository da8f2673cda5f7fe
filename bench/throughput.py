"""3. Throughput at realistic latency: the simulator at 200–800 ms a call, 1,000 pipelines.

All runs of the seed's three-step pipeline start at once. The ideal wall time is the
critical path: the longest run's sum of its three simulated latencies (each call's
latency is recorded as the simulator draws it, so the ideal is exact, not estimated).
``wall / ideal`` is the cost of orchestrating 3,000 concurrent calls on this machine.
Peak memory is this process's peak RSS (it runs nothing else).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.common import THREE_STEPS, create_pipeline, engine, gather_all, peak_rss_bytes, rss_bytes
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["measure"]


class LatencyLog:
    """Records the latency the simulator draws for each request, by its last user message."""

    def __init__(self, simulator: Any) -> None:
        self.by_prompt: dict[str, float] = {}
        draw = getattr(simulator, "_latency", None)
        self.exact = draw is not None
        if draw is None:
            return

        def recording(request: Any) -> float:
            seconds = float(draw(request))
            self.by_prompt[request.messages[-1].content] = seconds
            return seconds

        # The simulator draws each call's latency from a seeded RNG; recording the draw
        # (not the measured time, which includes our overhead) gives the true ideal.
        simulator._latency = recording

    def critical_path(self, result: Any, bound: float) -> float:
        """The sum of this run's simulated latencies (``bound`` per step if unknown)."""
        total = 0.0
        for step in result.steps:
            seconds = self.by_prompt.get(step.prompt or "")
            total += bound if seconds is None else seconds
        return total


async def _round(pipeline: Any, log: LatencyLog, n: int, tag: str, bound: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    results, errors = await gather_all(pipeline.execute(f"{tag} {i}") for i in range(n))
    wall = time.perf_counter() - t0
    ideal = max((log.critical_path(r, bound) for r in results), default=float("nan"))
    return {"wall_s": wall, "ideal_s": ideal, "ratio": wall / ideal, "errors": len(errors)}


async def _run(pipeline: Any, log: LatencyLog, sizes: Sizes) -> list[dict[str, Any]]:
    high = sizes.throughput_latency[1]
    await _round(pipeline, log, sizes.warmup, "warm-up", high)
    return [
        await _round(pipeline, log, sizes.throughput_pipelines, f"r{rep}", high)
        for rep in range(sizes.throughput_repeats)
    ]


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Wall time against the ideal, steps/s and peak memory for N concurrent pipelines."""
    eng = engine(simulator={"latency": sizes.throughput_latency})
    pipeline = create_pipeline(eng, THREE_STEPS)
    log = LatencyLog(eng.simulator)
    rss0 = rss_bytes()
    rounds = asyncio.run(_run(pipeline, log, sizes))
    eng.close()
    steps = sizes.throughput_pipelines * len(THREE_STEPS)
    return {
        "pipelines": sizes.throughput_pipelines,
        "latency_s": list(sizes.throughput_latency),
        "rounds": rounds,
        "wall_s": summarize([r["wall_s"] for r in rounds]),
        "ideal_s": summarize([r["ideal_s"] for r in rounds]),
        "ratio": summarize([r["ratio"] for r in rounds]),
        "steps_per_s": summarize([steps / r["wall_s"] for r in rounds]),
        "errors": sum(r["errors"] for r in rounds),
        "ideal_exact": log.exact,
        "rss_before_mib": rss0 / 2**20,
        "peak_rss_mib": peak_rss_bytes() / 2**20,
    }
