"""The runtime: one loop in a daemon thread, awaitable from any loop or thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from orchestration_kernel.runtime import Runtime


@pytest.fixture
def runtime():
    rt = Runtime(name="test-runtime")
    yield rt
    rt.close()


async def _where() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_run_sync_executes_on_the_runtime_thread(runtime: Runtime) -> None:
    assert runtime.run_sync(_where()) == "test-runtime"
    assert runtime.running


def test_awaitable_from_asyncio_run_in_another_thread(runtime: Runtime) -> None:
    results: list[str] = []

    def worker() -> None:
        results.append(asyncio.run(runtime.run(_where())))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == ["test-runtime"] * 3


async def test_awaitable_from_pytest_asyncio_loop(runtime: Runtime) -> None:
    assert await runtime.run(_where()) == "test-runtime"


async def test_nested_run_on_own_loop_is_direct(runtime: Runtime) -> None:
    async def outer() -> str:
        return await runtime.run(_where())  # already on the loop: no hop, no deadlock

    assert await runtime.run(outer()) == "test-runtime"


def test_run_sync_inside_loop_is_refused(runtime: Runtime) -> None:
    async def bad() -> None:
        runtime.run_sync(_where())

    with pytest.raises(RuntimeError, match="use 'await'"):
        runtime.run_sync(bad())


async def test_cancelling_the_caller_cancels_the_work(runtime: Runtime) -> None:
    state: dict[str, bool] = {}
    started = threading.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            state["cancelled"] = True
            raise

    task = asyncio.ensure_future(runtime.run(slow()))
    # Cancelled before its first step, the work never runs its body: wait until it runs
    # (a fixed short sleep was not always enough on a busy machine).
    assert await asyncio.to_thread(started.wait, 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert state == {"cancelled": True}


def test_errors_propagate(runtime: Runtime) -> None:
    async def boom() -> None:
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        runtime.run_sync(boom())


async def _count(n: int):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def test_iterate_from_another_loop(runtime: Runtime) -> None:
    assert [i async for i in runtime.iterate(_count(5))] == [0, 1, 2, 3, 4]


def test_iterate_from_a_plain_thread(runtime: Runtime) -> None:
    assert list(runtime.iterate(_count(4))) == [0, 1, 2, 3]


def test_iterate_propagates_errors(runtime: Runtime) -> None:
    async def broken():
        yield 1
        raise KeyError("gone")

    it = runtime.iterate(broken())
    assert next(it) == 1
    with pytest.raises(KeyError):
        next(it)


def test_close_runs_closers_and_stops_thread() -> None:
    rt = Runtime(name="closing")
    closed: list[bool] = []

    async def closer() -> None:
        closed.append(True)

    rt.add_closer(closer)
    rt.run_sync(_where())
    rt.close()
    assert closed == [True]
    assert not rt.running
    with pytest.raises(RuntimeError, match="closed"):
        rt.submit(_where())
