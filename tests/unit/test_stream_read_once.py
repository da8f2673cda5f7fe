"""A reply stream is read once, and says so when read again (session 10, fixes).

Before: a second ``for``/``async for`` over a stream that had been read yielded nothing,
silently, so a re-run notebook cell printed nothing and looked like an empty reply. Now
it raises ``StreamConsumed`` naming where the reply is; ``reply``, ``text`` and
``collect()`` keep working. Real engine on the simulator."""

from __future__ import annotations

import asyncio

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import OrchestrationError, StreamConsumed


@pytest.fixture
def engine() -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", audit=False)


def test_a_stream_read_to_its_end_says_so_when_read_again(engine: OrchestrationEngine) -> None:
    stream = engine.stream("gpt-4o-mini", "hello there")
    first = [d.text for d in stream]
    assert first and stream.reply is not None
    with pytest.raises(StreamConsumed, match=r"read to its end: its reply is in stream\.reply"):
        iter(stream)  # at the loop, before any item
    assert isinstance(StreamConsumed("x"), OrchestrationError)

    async def again() -> None:
        async for _ in stream:
            pass

    with pytest.raises(StreamConsumed):
        asyncio.run(again())
    # What was received stays available, and collect() returns it without a new call.
    assert stream.text == stream.reply.text == "".join(first)
    assert stream.collect_sync() is stream.reply
    assert asyncio.run(stream.collect()) is stream.reply


def test_a_stream_stopped_early_says_its_call_was_cancelled(engine: OrchestrationEngine) -> None:
    stream = engine.stream("gpt-4o-mini", "one two three four five six seven eight")

    async def first_delta_then_stop() -> None:
        async for _ in stream:
            break
        with pytest.raises(StreamConsumed, match="stopped before its end"):
            async for _ in stream:
                pass

    asyncio.run(first_delta_then_stop())
    assert stream.reply is None


def test_a_fresh_stream_collects_as_before(engine: OrchestrationEngine) -> None:
    reply = engine.stream("gpt-4o-mini", "hi").collect_sync()
    assert "hi" in reply.text
