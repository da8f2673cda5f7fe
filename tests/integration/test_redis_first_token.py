"""On a shared (Redis) limiter, waiting for a slot is not the provider's silence.

A call waits for its rate-limit slot before its stream starts, and that wait does not
count against the stream's ``first_token`` limit. A stream held up between its permit
and its request books again just before the request leaves
(``SharedLimits.confirm``) and waits for the new start -- at the back of the shared
queue, a window or more away. That wait is queueing too: the first-token limit stands
still meanwhile, and the call is answered rather than failed as a silent provider.

Real engine, redis-server and wire server; the limit forces a rebooking wait several
times the first-token limit. No timed assertion: the outcome is asserted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy, Timeouts
from orchestration_kernel.redis_link import RedisSettings
from tests.conftest import fake_key
from tests.redis_server import RedisServer
from tests.servers import OpenAIServer
from tests.waiting import until

pytestmark = [pytest.mark.timeout(90)]

#: One request per WINDOW seconds: the rebooked call starts about 2 * WINDOW - HOLD later.
WINDOW = 2.0
#: The first call's hold-up after its permit: past start_slack, inside FIRST_TOKEN.
HOLD = 0.5
FIRST_TOKEN = 1.5


async def test_a_rebooking_wait_does_not_eat_the_first_token_limit(
    redis_server: RedisServer,
) -> None:
    with OpenAIServer() as server:
        await _two_streams_one_held_up(redis_server, server)


async def _two_streams_one_held_up(redis_server: RedisServer, server: Any) -> None:
    engine = OrchestrationEngine(
        offline="off",
        keys={"openai": fake_key("sk")},
        base_urls={"openai": server.base_url},
        audit=False,
        redis=RedisSettings(redis_server.url, window=WINDOW),
        retry=RetryPolicy(max_attempts=1),
        timeouts=Timeouts(first_token=FIRST_TOKEN, idle=30),
    )
    await engine.complete("openai:gpt-4o-mini", "warm up")  # the SDK client is made
    server.clear()
    engine.add_pool("team", [{"model": "openai:gpt-4o-mini", "rpm": 1}])

    adapter = engine.providers.adapter("openai")
    base: Any = type(adapter)
    held: list[str] = []

    async def held_up_stream(
        self: Any, client: Any, request: Any, timeouts: Any
    ) -> AsyncIterator[Any]:
        if not held:  # the first call: held up after its permit, before its request
            held.append(request.messages[-1].content)
            await asyncio.sleep(HOLD)
        async for chunk in base._stream(self, client, request, timeouts):
            yield chunk

    adapter.__class__ = type("HeldUp", (base,), {"_stream": held_up_stream})
    shared = engine.router.limiter.shared
    assert shared is not None
    before = len(shared.booked)
    first = asyncio.ensure_future(engine.complete("team", "first", stream=True))
    await until(lambda: len(shared.booked) > before or first.done(), "the first call booked")
    assert len(shared.booked) == before + 1
    second = asyncio.ensure_future(engine.complete("team", "second", stream=True))
    replies = await asyncio.wait_for(asyncio.gather(first, second), 60)

    assert held == ["first"]
    assert all(reply.text and reply.finish_reason for reply in replies)
    assert shared.rebooked >= 1  # the first call did book again
    # ... and so reached the provider after the second, a window later than it booked.
    prompts = [str(r.json["messages"][-1]["content"]) for r in server.requests]
    assert prompts == ["second", "first"]
    await engine.runtime.run(engine.bus.store.close())
