"""Items bridged to another loop in bursts (issue 24: one wake-up per burst, not per item).

A stream's chunks often arrive several to one network read; the bridge then wakes the
consumer's loop once for the lot. Whatever the timing, every item arrives once, in
order, and the end and errors come after the last item.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from orchestration_kernel.runtime import Runtime


@pytest.fixture
def runtime():
    rt = Runtime(name="bursts")
    yield rt
    rt.close()


async def _bursts(n: int, seed: int, fail: bool = False):
    rng = random.Random(seed)
    for i in range(n):
        if rng.random() < 0.2:  # now and then let the consumer catch up; mostly bursts
            await asyncio.sleep(rng.choice((0, 0.0005)))
        yield i
    if fail:
        raise LookupError("after the last item")


@pytest.mark.parametrize("seed", range(5))
async def test_every_item_arrives_once_in_order(runtime: Runtime, seed: int) -> None:
    got = []
    async for item in runtime.iterate(_bursts(2000, seed)):
        got.append(item)
        if item % 97 == 0:
            await asyncio.sleep(0.0005)  # a consumer slower than the producer, at times
    assert got == list(range(2000))


async def test_an_error_comes_after_every_item_before_it(runtime: Runtime) -> None:
    got = []
    with pytest.raises(LookupError, match="after the last item"):
        async for item in runtime.iterate(_bursts(500, 7, fail=True)):
            got.append(item)
    assert got == list(range(500))


def _endless(produced: list[int]):
    async def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1
            if i % 50 == 0:
                await asyncio.sleep(0)

    return endless()


async def test_leaving_early_stops_the_producer_before_aclose_returns(runtime: Runtime) -> None:
    produced: list[int] = []
    it = runtime.iterate(_endless(produced))
    async for item in it:
        if item == 300:
            break
    await it.aclose()
    count = len(produced)  # read at once: a busy machine must not make this pass or fail
    await asyncio.sleep(0.05)
    assert len(produced) == count  # nothing more is produced once aclose has returned


def test_closing_from_a_thread_stops_the_producer_before_close_returns(runtime: Runtime) -> None:
    produced: list[int] = []
    it = runtime.iterate(_endless(produced))
    for item in it:
        if item == 300:
            break
    it.close()
    count = len(produced)
    time.sleep(0.05)
    assert len(produced) == count


async def test_an_iterator_closed_before_its_producer_ran_returns_at_once(runtime: Runtime) -> None:
    """A producer cancelled before its first step never runs its body; closing must not
    wait out the grace period for it."""
    for _ in range(20):
        it = runtime.iterate(_endless([]))
        it._start_for_loop(asyncio.get_running_loop())
        await it.aclose()
        # aclose returned because the producer was seen to stop, not because the grace
        # period ran out (a wall-clock bound here would fail on a busy machine).
        assert it._stopped.is_set()


def test_one_drain_moves_only_what_was_there_when_it_began() -> None:
    """A producer faster than the consumer's loop must not keep one drain going forever
    (the consumer would never run: a full suite once hung here with 3.6 GB queued)."""
    from orchestration_kernel.runtime import _coalescing_put

    scheduled: list = []

    class Loop:
        def call_soon_threadsafe(self, callback) -> None:
            scheduled.append(callback)

        call_soon = call_soon_threadsafe

    class Racing(asyncio.Queue):
        """Each item moved lets the producer add another, as a busy thread would."""

        def put_nowait(self, item) -> None:
            super().put_nowait(item)
            if item < 1000:
                put(item + 1000)

    queue = Racing()
    put = _coalescing_put(Loop(), queue)  # type: ignore[arg-type]
    for i in range(5):
        put(i)
    assert len(scheduled) == 1
    scheduled.pop()()  # one drain: the five that were there, and no more
    assert [queue.get_nowait() for _ in range(queue.qsize())] == [0, 1, 2, 3, 4]
    assert len(scheduled) == 1  # what came meanwhile scheduled the next drain
    scheduled.pop()()
    assert [queue.get_nowait() for _ in range(queue.qsize())] == [1000, 1001, 1002, 1003, 1004]


def test_a_long_burst_is_moved_in_batches_with_the_consumer_between() -> None:
    from orchestration_kernel.runtime import _DRAIN_BATCH, _coalescing_put

    scheduled: list = []

    class Loop:
        def call_soon_threadsafe(self, callback) -> None:
            scheduled.append(callback)

        call_soon = call_soon_threadsafe

    queue: asyncio.Queue = asyncio.Queue()
    put = _coalescing_put(Loop(), queue)  # type: ignore[arg-type]
    for i in range(3 * _DRAIN_BATCH + 1):
        put(i)
    moved = []
    while scheduled:
        scheduled.pop(0)()
        moved.append(queue.qsize() - sum(moved))
    assert moved == [_DRAIN_BATCH, _DRAIN_BATCH, _DRAIN_BATCH, 1]
    assert [queue.get_nowait() for _ in range(queue.qsize())] == list(range(3 * _DRAIN_BATCH + 1))
