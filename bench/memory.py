"""5. Memory per pipeline: N pipelines alive at once, each with a call in flight.

Each pipeline is its own ``Pipeline`` object (the seed's three steps, Guardian and audit
on) with one run held in its first step by a simulator that answers after an hour.
Once every run has reached the simulator, the change in RSS and in ``tracemalloc``'s
traced memory since before they were created, divided by N, is the cost of one live
pipeline. RSS and tracemalloc are measured in separate fresh processes (tracing itself
costs memory), ``memory_repeats`` times each.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from typing import Any

from bench.common import (
    THREE_STEPS,
    Unavailable,
    create_pipeline,
    engine,
    rss_bytes,
    settle_memory,
)
from bench.runner import run_section
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["measure", "probe"]

_HOLD_S = 3600.0


async def _wait_for_calls(simulator: Any, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while simulator.calls < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {simulator.calls} of {count} runs reached the simulator")
        await asyncio.sleep(0.05)


async def _hold(eng: Any, warm: Any, n: int, traced: bool) -> dict[str, Any]:
    for i in range(3):  # imports, caches, the audit file and the bus are warm before we start
        await create_pipeline(warm, THREE_STEPS).execute(f"warm-up {i}")
    settle_memory()
    if traced:
        tracemalloc.start()
    rss0, tm0 = rss_bytes(), tracemalloc.get_traced_memory()[0]
    pipelines = [create_pipeline(eng, THREE_STEPS) for _ in range(n)]
    tasks = [asyncio.ensure_future(p.execute(f"held input {i}")) for i, p in enumerate(pipelines)]
    await _wait_for_calls(eng.simulator, n, timeout=120 + n * 0.1)
    settle_memory()
    rss1, tm1 = rss_bytes(), tracemalloc.get_traced_memory()[0]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    figures: dict[str, Any] = {"pipelines": n, "rss_delta_mib": (rss1 - rss0) / 2**20}
    figures["rss_per_pipeline_kib"] = (rss1 - rss0) / n / 1024
    if traced:
        figures["traced_per_pipeline_kib"] = (tm1 - tm0) / n / 1024
        tracemalloc.stop()
    return figures


def probe(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """One measurement in this (fresh) process; ``options["traced"]`` turns tracemalloc on."""
    warm = engine()
    held = engine(simulator={"latency": _HOLD_S})
    try:
        return asyncio.run(_hold(held, warm, sizes.memory_pipelines, bool(options.get("traced"))))
    finally:
        warm.close()
        held.close()


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """RSS and tracemalloc per live pipeline, each from ``memory_repeats`` fresh processes."""
    size = sizes.name
    rss, traced, errors = [], [], []
    for _ in range(sizes.memory_repeats):
        for flag in (False, True):
            got = run_section("memory_probe", size, {"traced": flag}, timeout=600)
            if got.get("status") == "unavailable":
                raise Unavailable(str(got.get("reason")))
            if got.get("status") != "ok":
                errors.append(got.get("reason"))
            elif flag:
                traced.append(got["traced_per_pipeline_kib"])
            else:
                rss.append(got["rss_per_pipeline_kib"])
    if not rss and not traced:
        raise RuntimeError(f"every memory probe failed: {errors[:1]}")
    return {
        "pipelines": sizes.memory_pipelines,
        "rss_per_pipeline_kib": summarize(rss),
        "traced_per_pipeline_kib": summarize(traced),
        "probe_errors": errors,
    }
