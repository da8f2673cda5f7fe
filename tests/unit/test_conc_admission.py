"""Calls handed to the runtime loop in a burst start a few per pass of the loop (issue 24).

With 1,000 pipelines awaited at once from another loop, the runtime loop used to start
every one of them in one pass, so each call's every step waited behind every other
call's same step, and the requests reached the server all together at the end. Now a
pass starts ``ADMIT_PER_PASS`` of the calls handed over, after the work already waiting:
a call under way takes its next step before the rest of the burst starts. Every call
still runs, once, with its own result or error; cancelling and closing still reach the
calls not started yet.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from orchestration_kernel.runtime import Runtime
from tests.waiting import until


@pytest.fixture
def runtime():
    rt = Runtime(name="admission")
    yield rt
    rt.close()


def _hold_loop(rt: Runtime) -> threading.Event:
    """Block the runtime loop until the returned event is set (so a burst queues up)."""
    release, holding = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait(10)

    rt.loop.call_soon_threadsafe(hold)
    assert holding.wait(10)
    return release


async def _burst(rt: Runtime, n: int, body, release: threading.Event) -> list[object]:
    """Hand ``n`` calls of ``body(i)`` over while the loop is held, then let it go."""
    tasks = [asyncio.ensure_future(rt.run(body(i))) for i in range(n)]
    await asyncio.sleep(0)  # every task has handed its call over
    release.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_call_under_way_steps_on_before_the_rest_of_a_burst_starts(
    runtime: Runtime,
) -> None:
    events: list[tuple[str, int]] = []

    async def call(i: int) -> int:
        events.append(("start", i))
        await asyncio.sleep(0)  # its next step: one pass of the loop later
        events.append(("step", i))
        return i

    n = 40  # well over one pass's worth
    got = await _burst(runtime, n, call, _hold_loop(runtime))
    assert got == list(range(n))
    assert events.index(("step", 0)) < events.index(("start", n - 1))
    # ... and the burst starts in the order it was handed over, each call once
    assert [i for kind, i in events if kind == "start"] == list(range(n))
    assert sorted(i for kind, i in events if kind == "step") == list(range(n))


async def test_each_call_of_a_burst_gets_its_own_result_or_error(runtime: Runtime) -> None:
    async def call(i: int) -> int:
        await asyncio.sleep(0)
        if i % 3 == 0:
            raise LookupError(f"call {i}")
        return i * 10

    got = await _burst(runtime, 50, call, _hold_loop(runtime))
    for i, outcome in enumerate(got):
        if i % 3 == 0:
            assert isinstance(outcome, LookupError) and str(outcome) == f"call {i}"
        else:
            assert outcome == i * 10


async def test_cancelling_a_call_not_started_yet_never_runs_it(runtime: Runtime) -> None:
    ran: list[int] = []

    async def call(i: int) -> int:
        ran.append(i)
        return i

    release = _hold_loop(runtime)
    n = 30
    tasks = [asyncio.ensure_future(runtime.run(call(i))) for i in range(n)]
    await asyncio.sleep(0)
    tasks[-1].cancel()  # queued behind the rest of the burst
    await asyncio.sleep(0)
    release.set()
    got = await asyncio.gather(*tasks, return_exceptions=True)
    assert got[:-1] == list(range(n - 1))
    assert isinstance(got[-1], asyncio.CancelledError)
    assert ran == list(range(n - 1))


def test_closing_the_runtime_cancels_the_calls_still_queued() -> None:
    rt = Runtime(name="admission-close")
    started: list[int] = []

    async def call(i: int) -> int:
        started.append(i)
        await asyncio.sleep(30)
        return i

    async def main() -> list[object]:
        release = _hold_loop(rt)
        n = 30
        tasks = [asyncio.ensure_future(rt.run(call(i))) for i in range(n)]
        await asyncio.sleep(0)
        closing = threading.Thread(target=rt.close)
        closing.start()
        # The close's own hand-off must be queued behind the burst's before the loop goes
        # on (asyncio's ready queue, read only to wait for that: no timing involved).
        await until(lambda: len(rt.loop._ready) >= 2, "the close queued")  # type: ignore[attr-defined]
        release.set()
        got = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)
        closing.join(20)
        return got

    got = asyncio.run(main())
    assert len(got) == 30
    assert all(isinstance(x, asyncio.CancelledError) for x in got)
    assert len(started) < len(got)  # some never started, and still their callers heard
