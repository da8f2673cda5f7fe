"""What one call costs in hand-offs between the caller's loop and the runtime loop
(issue 24): one wake-up each way, one task on the runtime loop per call, and a stream
of any length is one task there too (its deltas go straight to the bridge, no queue and
no task in between). Counted, not timed: the runtime loop's task factory counts tasks,
a wrapped ``call_soon_threadsafe`` counts wake-ups of the caller's loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.runtime import Runtime

pytestmark = pytest.mark.timeout(120)


@contextlib.contextmanager
def _tasks_made_on(runtime: Runtime) -> Iterator[list[str]]:
    """The names of the coroutines each task made on ``runtime``'s loop in the block ran."""
    loop = runtime.loop
    made: list[str] = []
    previous = loop.get_task_factory()

    def factory(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kw: Any
    ) -> asyncio.Task[Any]:
        made.append(getattr(coro, "__qualname__", type(coro).__name__))
        return asyncio.Task(coro, loop=loop, **kw)

    loop.set_task_factory(factory)  # type: ignore[arg-type]
    try:
        yield made
    finally:
        loop.set_task_factory(previous)


@contextlib.contextmanager
def _wake_ups_of(loop: asyncio.AbstractEventLoop) -> Iterator[list[int]]:
    """How many times another thread scheduled work on ``loop`` in the block."""
    count = [0]
    original = loop.call_soon_threadsafe

    def counting(*args: Any, **kw: Any) -> Any:
        count[0] += 1
        return original(*args, **kw)

    loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
    try:
        yield count
    finally:
        del loop.call_soon_threadsafe  # back to the class's method


def _engine(**options: Any) -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", guardian=False, audit=False, **options)


async def test_a_call_from_another_loop_is_one_task_there_and_one_wake_up_back() -> None:
    engine = _engine()
    try:
        await engine.complete("gpt-4o", "warm up")  # the runtime and its clients exist now
        with (
            _tasks_made_on(engine.runtime) as tasks,
            _wake_ups_of(asyncio.get_running_loop()) as wakes,
        ):
            replies = [await engine.complete("gpt-4o", f"question {i}") for i in range(5)]
        assert [r.text for r in replies] and all(r.text for r in replies)
        assert len(tasks) == 5, tasks  # one task per call, nothing beside it
        assert wakes == [5]  # the reply comes back with one wake-up of the caller's loop
    finally:
        engine.close()


async def test_a_stream_of_any_length_is_one_task_on_the_runtime_loop() -> None:
    engine = _engine(simulator={"chunks": 40})
    try:
        await engine.complete("gpt-4o", "warm up")
        with _tasks_made_on(engine.runtime) as tasks:
            stream = engine.stream("gpt-4o", "tell me a long story")
            deltas = []
            async for delta in stream:
                assert stream.reply is None  # the reply is set once the reader is at the end
                deltas.append(delta)
        assert stream.reply is not None
        assert "".join(d.text for d in deltas) == stream.reply.text == stream.text
        assert len(deltas) > 10
        assert len(tasks) == 1, tasks  # the bridge's pump runs the call itself
    finally:
        engine.close()


def test_a_blocking_stream_reads_the_same_deltas_and_reply() -> None:
    engine = _engine(simulator={"chunks": 12})
    try:
        stream = engine.stream("gpt-4o", "tell me a story")
        deltas = list(stream)
        assert stream.reply is not None
        assert "".join(d.text for d in deltas) == stream.reply.text
        assert len(deltas) >= 6
    finally:
        engine.close()


async def test_cancelling_the_caller_of_a_remote_run_waits_for_it_to_end() -> None:
    runtime = Runtime(name="test-hops")
    ended = asyncio.Event()
    seen: list[str] = []
    started = threading.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)  # records itself, as a cancelled call does
            seen.append("recorded")
            raise

    async def caller() -> None:
        try:
            await runtime.run(slow())
        finally:
            ended.set()

    try:
        task = asyncio.create_task(caller())
        # Cancelled before its first step, slow() would never run its body: wait until it runs.
        assert await asyncio.to_thread(started.wait, 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert seen == ["recorded"]  # the caller saw CancelledError only after that
    finally:
        runtime.close()


async def test_an_error_of_a_remote_run_reaches_the_caller_with_its_type() -> None:
    runtime = Runtime(name="test-hops-errors")

    async def broken() -> None:
        await asyncio.sleep(0)
        raise KeyError("missing")

    try:
        with pytest.raises(KeyError, match="missing"):
            await runtime.run(broken())
        assert await runtime.run(asyncio.sleep(0, result=7)) == 7  # and the runtime goes on
    finally:
        runtime.close()
