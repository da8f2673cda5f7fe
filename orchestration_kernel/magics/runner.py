"""Run work on the session's runtime loop while the cell blocks, showing events as they come.

This is how IPython's ``%%script`` magic runs a subprocess: the work happens on a loop
of its own (the session runtime's thread), and the cell's thread waits for it, so the
kernel's loop is never re-entered (no ``nest_asyncio``) and the cell does not go idle
before its output is complete (nbclient and nbval drop output that arrives later).

Observers are called on the runtime thread; they only enqueue. Every display update
happens here, on the cell's own thread, where ipykernel routes output to the right cell.
Ctrl-C (a kernel interrupt) cancels the run and waits briefly for it to record itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..errors import RunCancelled
from ..runtime import CANCEL_GRACE_S, Runtime

__all__ = ["run_blocking"]

T = TypeVar("T")

Observer = Callable[[Any], None]
Start = Callable[[Observer], Coroutine[Any, Any, T]]

_DONE = object()
#: How often the waiting thread wakes to let a display flush coalesced updates.
_TICK_S = 0.1


def run_blocking(
    runtime: Runtime,
    start: Start[T],
    on_event: Callable[[Any], None] | None = None,
    on_tick: Callable[[], None] | None = None,
    grace: float = CANCEL_GRACE_S,
    cancel: Callable[[], None] | None = None,
) -> T:
    """Run ``start(observer)`` on ``runtime`` and wait, passing each event to ``on_event``.

    ``on_tick`` is called about every 100 ms while waiting. A ``KeyboardInterrupt``
    cancels the run — with ``cancel()`` when given (e.g. ``pipeline.cancel``, so the run
    ends by its own rules), else by cancelling its task. What the run raises then
    (``RunCancelled`` with its partial result) is raised here, or a plain
    ``RunCancelled`` if it did not finish in time.
    """
    events: queue.SimpleQueue[Any] = queue.SimpleQueue()
    tasks: list[asyncio.Task[T]] = []

    async def main() -> T:
        task = asyncio.ensure_future(start(events.put))
        tasks.append(task)
        try:
            return await task
        finally:
            events.put(_DONE)

    future = runtime.submit(main())
    try:
        _pump(events, on_event, on_tick, deadline=None)
    except KeyboardInterrupt:
        if cancel is not None:
            cancel()
        else:
            _cancel(runtime, tasks, future)
        _pump(events, on_event, on_tick, deadline=time.monotonic() + grace)
        return _outcome(future, grace)
    return _outcome(future, None)


def _pump(
    events: queue.SimpleQueue[Any],
    on_event: Callable[[Any], None] | None,
    on_tick: Callable[[], None] | None,
    deadline: float | None,
) -> None:
    while deadline is None or time.monotonic() < deadline:
        try:
            item = events.get(timeout=_TICK_S)
        except queue.Empty:
            if on_tick is not None:
                on_tick()
            continue
        if item is _DONE:
            return
        if on_event is not None:
            on_event(item)


def _cancel(runtime: Runtime, tasks: list[asyncio.Task[Any]], future: Any) -> None:
    # Cancel the run's own task so it can record itself and raise RunCancelled with
    # its partial result; cancelling the outer future would throw that result away.
    if tasks and runtime.running:
        runtime.loop.call_soon_threadsafe(tasks[0].cancel)
    else:
        future.cancel()


def _outcome(future: concurrent.futures.Future[T], timeout: float | None) -> T:
    try:
        return future.result(timeout=timeout)
    except (concurrent.futures.CancelledError, asyncio.CancelledError):
        raise RunCancelled("run cancelled by an interrupt") from None
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise RunCancelled("run cancelled by an interrupt (it did not stop in time)") from None
