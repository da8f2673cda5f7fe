"""The runtime's thread tells sniffio it runs asyncio (issue 24: the HTTP stack asks
about fifteen times per call): the answer there is ``asyncio`` as before, from a task
or a plain callback; other threads are left as they were."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import sniffio

from orchestration_kernel.runtime import Runtime

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    made = Runtime("sniffio-test")
    yield made
    made.close()


async def test_the_runtime_thread_answers_asyncio(runtime: Runtime) -> None:
    async def ask() -> str:
        return sniffio.current_async_library()

    assert await runtime.run(ask()) == "asyncio"


def test_a_callback_on_the_runtime_loop_answers_asyncio_too(runtime: Runtime) -> None:
    answer: list[str] = []
    done = threading.Event()

    def callback() -> None:  # no task: sniffing alone would not know
        answer.append(sniffio.current_async_library())
        done.set()

    runtime.loop.call_soon_threadsafe(callback)
    assert done.wait(10)
    assert answer == ["asyncio"]


def test_other_threads_are_left_alone(runtime: Runtime) -> None:
    _ = runtime.loop  # the runtime's thread is running
    with pytest.raises(sniffio.AsyncLibraryNotFoundError):
        sniffio.current_async_library()  # this thread runs no async library
    assert asyncio.run(_ask_here()) == "asyncio"


async def _ask_here() -> str:
    return sniffio.current_async_library()
