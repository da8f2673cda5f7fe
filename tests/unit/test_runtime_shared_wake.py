"""Many calls awaited at once from a main-thread loop share one wake timer.

A main-thread loop waiting on the runtime is woken every ``WAKE_S`` so that Ctrl-C lands
(``interrupt_wake``). Each waiting call used to schedule a timer of its own: 300 runs
awaited at once kept 300 timers in the loop's heap, ordered on every wake. Now one timer
per loop serves every call waiting on it (``test_interrupt_wake`` checks that it keeps
waking the loop while any of them waits).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orchestration_kernel.runtime import Runtime

pytestmark = pytest.mark.timeout(60)


class CountingLoop(asyncio.SelectorEventLoop):
    """A loop that counts the timers scheduled on it."""

    timers = 0

    def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> Any:
        self.timers += 1
        return super().call_at(when, callback, *args, context=context)


def run_on_counting_loop(main: Any) -> tuple[Any, int]:
    loop = CountingLoop()
    try:
        result = loop.run_until_complete(main())
        return result, loop.timers
    finally:
        loop.close()


def test_calls_awaited_at_once_schedule_one_timer_between_them() -> None:
    runtime = Runtime("shared-wake-test")
    try:

        async def main() -> list[int]:
            return await asyncio.gather(
                *(runtime.run(asyncio.sleep(0.35, result=i)) for i in range(200))
            )

        results, timers = run_on_counting_loop(main)
    finally:
        runtime.close()
    assert results == list(range(200))
    # One timer re-armed every 0.1 s for about 0.35 s (a busy machine may add a few
    # more ticks); one per call would be 200 or more.
    assert timers < 40


def test_calls_one_after_another_reuse_the_running_timer() -> None:
    runtime = Runtime("shared-wake-seq-test")
    try:

        async def main() -> int:
            total = 0
            for i in range(300):
                total += await runtime.run(asyncio.sleep(0, result=i))
            return total

        total, timers = run_on_counting_loop(main)
    finally:
        runtime.close()
    assert total == sum(range(300))
    assert timers < 100  # one per call before: at least 300
