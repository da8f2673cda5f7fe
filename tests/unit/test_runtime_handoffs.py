"""Hand-offs between a caller's loop and the runtime's come in bursts, one wake-up each.

300 runs started at once made 300 writes to the runtime loop's wake-up socket, and their
ends as many to the caller's. Callbacks handed to a loop in a burst now share one
wake-up. Each still runs in the context it was handed over in, in order.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from orchestration_kernel.runtime import Runtime

pytestmark = pytest.mark.timeout(60)

TAG: contextvars.ContextVar[int] = contextvars.ContextVar("TAG", default=-1)


class CountingLoop(asyncio.SelectorEventLoop):
    """A loop that counts the callbacks other threads hand it."""

    handed = 0

    def call_soon_threadsafe(self, callback: Any, *args: Any, context: Any = None) -> Any:
        self.handed += 1
        return super().call_soon_threadsafe(callback, *args, context=context)


def test_calls_ending_together_wake_their_caller_once_between_them() -> None:
    runtime = Runtime("handoff-burst-test")
    loop = CountingLoop()
    try:

        async def main() -> list[int]:
            return await asyncio.gather(
                *(runtime.run(asyncio.sleep(0.05, result=i)) for i in range(200))
            )

        results = loop.run_until_complete(main())
    finally:
        loop.close()
        runtime.close()
    assert results == list(range(200))
    # Ends that land together share a wake-up (a busy machine may split a burst in a
    # few); one each would be 200.
    assert loop.handed < 50


def test_each_call_runs_in_its_own_callers_context() -> None:
    runtime = Runtime("handoff-context-test")

    async def read_tag() -> int:
        await asyncio.sleep(0)
        return TAG.get()

    async def one(i: int) -> int:
        TAG.set(i)
        return await runtime.run(read_tag())

    async def main() -> list[int]:
        return await asyncio.gather(*(one(i) for i in range(100)))

    try:
        assert asyncio.run(main()) == list(range(100))
    finally:
        runtime.close()


def test_calls_from_several_threads_at_once_all_complete() -> None:
    import threading

    runtime = Runtime("handoff-threads-test")
    out: dict[int, list[int]] = {}

    def caller(t: int) -> None:
        async def main() -> list[int]:
            return await asyncio.gather(
                *(runtime.run(asyncio.sleep(0, result=t * 1000 + i)) for i in range(100))
            )

        out[t] = asyncio.run(main())

    threads = [threading.Thread(target=caller, args=(t,)) for t in range(4)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
    finally:
        runtime.close()
    assert out == {t: [t * 1000 + i for i in range(100)] for t in range(4)}
