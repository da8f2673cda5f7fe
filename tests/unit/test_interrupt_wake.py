"""Ctrl-C while a main-thread loop awaits one long call on the runtime.

The OS may deliver SIGINT to any thread; Python runs the handler in the main thread only
when that thread next runs bytecode. Here the signal is sent to the runtime's own thread
(as the kernel's SIGINT may land there) while the main loop awaits a long call: the
handler must run, and cancel the call, long before the call would have ended.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable

import pytest

from orchestration_kernel.runtime import Runtime

pytestmark = pytest.mark.timeout(60)

LONG_S = 20.0


async def long_call(ended: list[str], on_start: Callable[[], object] = lambda: None) -> None:
    """Sleep LONG_S; say in ``ended`` whether it completed or was cancelled. ``on_start``
    is called as it begins: a call cancelled before its first step never runs its body,
    so the test's interrupt is timed from here, not from when the call was handed over."""
    on_start()
    try:
        await asyncio.sleep(LONG_S)
        ended.append("completed")
    except asyncio.CancelledError:
        ended.append("cancelled")
        raise


@pytest.mark.parametrize("short_call_meanwhile", [False, True])
def test_sigint_on_another_thread_cancels_a_long_runtime_call(short_call_meanwhile: bool) -> None:
    """With ``short_call_meanwhile``, a short call awaited alongside ends while the long
    one still waits: the loop's wake timer, which they share, must keep waking it."""
    runtime = Runtime("interrupt-test")
    ended: list[str] = []

    async def cell() -> str:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def handler(signum: int, frame: object) -> None:  # ipykernel's: cancel the cell
            loop.call_soon_threadsafe(task.cancel)

        previous = signal.signal(signal.SIGINT, handler)
        try:
            assert runtime.loop.is_running()  # started: its thread exists
            assert runtime._thread is not None
            target = runtime._thread.ident
            assert target is not None
            interrupt = threading.Timer(0.3, signal.pthread_kill, (target, signal.SIGINT))
            long = asyncio.ensure_future(runtime.run(long_call(ended, interrupt.start)))
            if short_call_meanwhile:
                await runtime.run(asyncio.sleep(0.05))
            try:
                await long
            except asyncio.CancelledError:
                return "cell cancelled"
            return "cell finished"
        finally:
            signal.signal(signal.SIGINT, previous)

    try:
        outcome = asyncio.run(cell())
    finally:
        runtime.close()
    # Before: the main loop slept until the call ended by itself (LONG_S later), so the
    # call completed and only then was the cell cancelled.
    assert (outcome, ended) == ("cell cancelled", ["cancelled"])


def test_a_loop_off_the_main_thread_is_not_stirred() -> None:
    from orchestration_kernel.interrupt_wake import stir

    seen: list[object] = []

    async def probe() -> None:
        seen.append(stir(asyncio.get_running_loop()))

    thread = threading.Thread(target=asyncio.run, args=(probe(),))
    thread.start()
    thread.join(10)
    assert seen == [None]


def test_sigint_on_another_thread_stops_a_blocking_runtime_call() -> None:
    """``run_sync`` (the magics' and the ``*_sync`` twins' wait) on the main thread: a
    SIGINT delivered to another thread raises KeyboardInterrupt within a wake, not when
    the call ends (the main thread's lock wait is not cut short by it)."""
    runtime = Runtime("interrupt-sync-test")
    ended: list[str] = []

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        runtime.run_sync(asyncio.sleep(0))  # started: its thread exists
        assert runtime._thread is not None and runtime._thread.ident is not None
        target = runtime._thread.ident
        interrupt = threading.Timer(0.3, signal.pthread_kill, (target, signal.SIGINT))
        with pytest.raises(KeyboardInterrupt):
            runtime.run_sync(long_call(ended, interrupt.start))
    finally:
        signal.signal(signal.SIGINT, previous)
        runtime.close()
    assert ended == ["cancelled"]  # before: the call completed, then the interrupt came


def test_a_timeout_and_the_works_own_timeout_error_are_kept() -> None:
    runtime = Runtime("wait-test")

    async def raises_timeout() -> None:
        raise TimeoutError("the work's own")

    try:
        with pytest.raises(TimeoutError, match="the work's own"):
            runtime.run_sync(raises_timeout())
        with pytest.raises(TimeoutError):
            runtime.run_sync(asyncio.sleep(5), timeout=0.25)
        assert runtime.run_sync(asyncio.sleep(0.15, result=7), timeout=5) == 7
    finally:
        runtime.close()
