"""The collector's first threshold is raised while a burst of calls is in flight, and put
back after it (issue 24: 1,000 held pipelines spent a quarter of the loop's CPU in it).

The change is process-wide, so what matters most is that it ends: the thresholds found
come back once the burst is over, a threshold someone set meanwhile is left alone, and
a collector turned off stays off.
"""

from __future__ import annotations

import asyncio
import gc

import pytest

from orchestration_kernel import burst_gc
from orchestration_kernel.runtime import Runtime


@pytest.fixture
def runtime():
    found = gc.get_threshold()
    rt = Runtime(name="burst-gc")
    yield rt
    rt.close()
    gc.set_threshold(*found)


async def _burst(rt: Runtime, n: int, during) -> None:
    """``n`` calls in flight on ``rt`` at once; ``during()`` runs while they all are."""
    release = rt.loop.create_future()  # on the runtime loop: the calls wait there for it
    caller = asyncio.get_running_loop()
    all_in = caller.create_future()
    started = 0

    async def call() -> None:
        nonlocal started
        started += 1
        if started == n:
            caller.call_soon_threadsafe(all_in.set_result, None)
        await asyncio.shield(release)

    tasks = [asyncio.ensure_future(rt.run(call())) for _ in range(n)]
    await all_in
    during()
    rt.loop.call_soon_threadsafe(release.set_result, None)
    await asyncio.gather(*tasks)


async def test_a_burst_raises_the_first_threshold_and_its_end_restores_it(
    runtime: Runtime,
) -> None:
    gc.set_threshold(700, 10, 10)
    seen: list[tuple[int, ...]] = []
    await _burst(runtime, burst_gc.BURST, lambda: seen.append(gc.get_threshold()))
    assert seen == [(700 * burst_gc.SCALE, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


async def test_fewer_calls_than_a_burst_leave_the_collector_alone(runtime: Runtime) -> None:
    gc.set_threshold(700, 10, 10)
    seen: list[tuple[int, ...]] = []
    await _burst(runtime, burst_gc.BURST // 2, lambda: seen.append(gc.get_threshold()))
    assert seen == [(700, 10, 10)]


async def test_a_threshold_set_during_the_burst_is_left_as_set(runtime: Runtime) -> None:
    gc.set_threshold(700, 10, 10)
    await _burst(runtime, burst_gc.BURST, lambda: gc.set_threshold(5000, 20, 20))
    assert gc.get_threshold() == (5000, 20, 20)


async def test_a_collector_turned_off_by_threshold_stays_off(runtime: Runtime) -> None:
    gc.set_threshold(0, 10, 10)
    seen: list[tuple[int, ...]] = []
    await _burst(runtime, burst_gc.BURST, lambda: seen.append(gc.get_threshold()))
    assert seen == [(0, 10, 10)]
    assert gc.get_threshold() == (0, 10, 10)
