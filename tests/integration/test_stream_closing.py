"""A streamed call closes its own async generators, whatever ends it.

An ``async for`` that stops early leaves the generator it read suspended; Python then
hands it to the loop's async-generator *finalizer* when it is garbage collected, which
closes it later, in another task (or complains, when the loop is gone). Every layer of
ours (the adapter's stream, the provider's relay, the SDK-body wrapper) closes the layer
below it on the way out, so none of them ever reaches the finalizer: not after a
complete stream, a provider error mid-stream, a cancellation, nor when the reader stops
early (here ``on_delta`` raising, as a Guardian block or a user's break does).

What the SDK itself leaves behind is not ours: the OpenAI SDK breaks out of its own SSE
reader at ``[DONE]`` without closing it (those generators hold a response the SDK has
already closed). The evidence is the runtime thread's async-generator hooks.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import orchestration_kernel
from orchestration_kernel import OrchestrationEngine, RetryPolicy
from tests.conftest import fake_key
from tests.servers import Fault, OpenAIServer

pytestmark = pytest.mark.timeout(60)

OURS = str(Path(orchestration_kernel.__file__).parent)


class Unfinished:
    """The async generators the runtime thread's finalizer was given (not closed by
    their reader), installed on and removed from the runtime loop's thread."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._saved: Any = None

    async def install(self) -> None:
        self._saved = firstiter, finalizer = sys.get_asyncgen_hooks()

        def noting(agen: Any) -> None:
            self.names.append(f"{agen.ag_code.co_filename}:{agen.__qualname__}")
            if finalizer is not None:
                finalizer(agen)

        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=noting)

    async def uninstall(self) -> None:
        sys.set_asyncgen_hooks(*self._saved)

    async def settle(self) -> None:
        """Let the collector find what is unreachable (cycles through tracebacks too)."""
        for _ in range(3):
            gc.collect()
            await asyncio.sleep(0.05)

    def ours(self) -> list[str]:
        return [n for n in self.names if n.startswith(OURS)]


@pytest.fixture
def served() -> Iterator[tuple[Any, OrchestrationEngine, Unfinished]]:
    # What exists before the test is frozen out of the collector's work (a suite's heap
    # is large, and ``settle`` collects six times a test); what the test makes is not.
    gc.freeze()
    try:
        with OpenAIServer() as srv:
            engine = OrchestrationEngine(
                offline="off",
                keys={"openai": fake_key("openai")},
                base_urls={"openai": srv.base_url},
                retry=RetryPolicy(max_attempts=1),
            )
            unfinished = Unfinished()
            engine.runtime.run_sync(unfinished.install())
            try:
                yield srv, engine, unfinished
            finally:
                engine.runtime.run_sync(unfinished.uninstall())
    finally:
        gc.unfreeze()


class Enough(Exception):
    """The reader's own reason to stop after the first delta."""


def stop_reading(delta: object) -> None:
    raise Enough("seen enough")


MODEL = "openai:gpt-4o-mini"
PROMPT = "tell me a long story about rivers and the sea"


async def end(engine: OrchestrationEngine, srv: OpenAIServer, how: str) -> str:
    """Stream one call that ends ``how``; what it ended with."""
    if how == "error":
        srv.script(Fault.drop_mid_stream(after_chunks=2))
    if how == "cancel":
        srv.script(Fault.stall(30, after_chunks=2))
        started = threading.Event()  # set on the runtime's thread
        task = asyncio.ensure_future(
            engine.complete(MODEL, PROMPT, stream=True, on_delta=lambda d: started.set())
        )
        assert await asyncio.to_thread(started.wait, 20), "no delta before the stall"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return "cancelled"
    try:
        reply = await engine.complete(
            MODEL, PROMPT, stream=True, on_delta=stop_reading if how == "stop" else None
        )
    except Exception as exc:
        return type(exc).__name__
    assert reply.text and reply.finish_reason
    return "ok"


@pytest.mark.parametrize(
    ("how", "outcome"),
    [("ok", "ok"), ("error", "IncompleteStreamError"), ("cancel", "cancelled"), ("stop", "Enough")],
)
async def test_no_generator_of_ours_is_left_to_the_finalizer(
    served: tuple[OpenAIServer, OrchestrationEngine, Unfinished], how: str, outcome: str
) -> None:
    srv, engine, unfinished = served
    await engine.complete(MODEL, "warm up", stream=True)  # the SDK's client is made
    assert await end(engine, srv, how) == outcome
    await engine.runtime.run(unfinished.settle())
    assert unfinished.ours() == []
    # The connection was given back: the next call is answered (and every call got one).
    again = await asyncio.wait_for(engine.complete(MODEL, "again", stream=True), 20)
    assert again.text and again.finish_reason
    await engine.runtime.run(unfinished.settle())
    assert unfinished.ours() == []


async def test_a_complete_stream_gives_its_connection_back_for_the_next_call(
    served: tuple[OpenAIServer, OrchestrationEngine, Unfinished],
) -> None:
    srv, engine, _ = served
    await engine.complete(MODEL, "warm up", stream=True)
    before = srv.connection_count
    for i in range(3):
        await engine.complete(MODEL, f"{PROMPT} {i}", stream=True)
    assert srv.connection_count == before  # each stream's connection was reused
