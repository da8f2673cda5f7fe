"""A shared quota holds where the provider counts it: at the requests' arrivals.

The shared limiter books starts exactly (tests/integration/test_redis_limits.py), but a
booking only bounds when a call is *admitted*. Work between the permit and the request —
a cold process importing the SDK and making its client, a first request held up — used
to move the first window's requests into the next one, already booked full by other
calls (a Dask cluster of fresh workers showed 19 arrivals in a 2-second window of 10).
Here that work is made slow on purpose, on a real engine, Redis and wire server.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.redis_link import KERNELS_VAR, RedisSettings
from orchestration_kernel.routing import Deployment, Limiter
from orchestration_kernel.routing.shared_limits import SharedLimits, SharedLimitsWarning
from tests.conftest import fake_key
from tests.ports import refused_port
from tests.redis_server import RedisServer
from tests.servers import OpenAIServer

pytestmark = [pytest.mark.timeout(60)]

WINDOW, LIMIT, CALLS = 2.0, 4, 8
#: Arrivals are counted over a window this much shorter than the limiter's (as in
#: test_redis_team.py): scheduling moves a request by milliseconds, the held-up
#: requests below by a second, which a second window's worth of calls would fill.
JITTER = 0.5
#: How long the injected set-up takes: the cold import of an SDK on a busy machine.
SLOW = 1.0


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def _busiest(starts: list[float], span: float) -> int:
    starts = sorted(starts)
    return max(sum(1 for t in starts if s <= t < s + span) for s in starts)


def _engine(server: OpenAIServer, redis: Any) -> OrchestrationEngine:
    key = fake_key("sk")
    server.require_bearer = lambda token: token == key
    engine = OrchestrationEngine(
        offline="off", keys={"openai": key}, base_urls={"openai": server.base_url},
        audit=False, redis=redis,
    )  # fmt: skip
    return engine


def _warm(server: OpenAIServer) -> None:
    """The server builds its first reply from the SDK's types, imported then with its loop
    held: requests arriving meanwhile would be stamped all at once. One request first."""
    _engine(server, False).complete_sync("openai:gpt-4o-mini", "warm up")
    server.clear()


def _slow_adapter(engine: OrchestrationEngine, **overrides: Any) -> Any:
    """The engine's OpenAI adapter, its class swapped for one with ``overrides``."""
    adapter = engine.providers.adapter("openai")
    adapter.__class__ = type("Held", (type(adapter),), overrides)
    return adapter


async def _run_calls(engine: OrchestrationEngine, server: OpenAIServer) -> list[float]:
    engine.add_pool("team", [{"model": "openai:gpt-4o-mini", "rpm": LIMIT}])
    replies = await asyncio.gather(*(engine.complete("team", f"call {i}") for i in range(CALLS)))
    assert all(reply.text for reply in replies)
    arrivals = [r.t_start for r in server.requests if r.path.endswith("/chat/completions")]
    assert len(arrivals) == CALLS
    return arrivals


async def test_a_cold_sdk_is_set_up_before_the_call_books_its_slot(
    redis_server: RedisServer, server: OpenAIServer
) -> None:
    _warm(server)
    engine = _engine(server, RedisSettings(redis_server.url, window=WINDOW))

    async def make_client_slowly(self: Any) -> Any:  # a cold process importing the SDK
        await asyncio.sleep(SLOW)
        return await type(self).__mro__[1]._make_client(self)

    _slow_adapter(engine, _make_client=make_client_slowly)
    arrivals = await _run_calls(engine, server)
    # Made after the permit, the client held the first LIMIT requests back by SLOW, into
    # the window the next LIMIT were booked in: 2 * LIMIT arrived within WINDOW - JITTER.
    assert _busiest(arrivals, WINDOW - JITTER) <= LIMIT
    await engine.runtime.run(engine.bus.store.close())


async def test_a_call_held_up_after_its_permit_books_again(
    redis_server: RedisServer, server: OpenAIServer
) -> None:
    _warm(server)
    engine = _engine(server, RedisSettings(redis_server.url, window=WINDOW))
    held: list[int] = []

    async def complete_held_up(self: Any, client: Any, request: Any, timeouts: Any) -> Any:
        if len(held) < LIMIT:  # the first window's calls: their first request is slow
            held.append(1)
            await asyncio.sleep(SLOW)
        return await type(self).__mro__[1]._complete(self, client, request, timeouts)

    _slow_adapter(engine, _complete=complete_held_up)
    arrivals = await _run_calls(engine, server)
    assert _busiest(arrivals, WINDOW - JITTER) <= LIMIT
    shared = engine.router.limiter.shared
    # The held ones booked again (on a busy machine an on-time call may be late too).
    assert shared is not None and shared.rebooked >= LIMIT
    # Each call is listed once, at the start it kept; those hold the quota exactly.
    starts = [at for _, at in shared.booked]
    assert len(starts) == CALLS and _busiest(starts, WINDOW - 0.001) <= LIMIT
    await engine.runtime.run(engine.bus.store.close())


_DEP = Deployment(id="n", provider="openai", model="m", rpm=6)


async def _two_calls_unreached(**options: Any) -> tuple[Limiter, SharedLimits, list[str]]:
    """Two calls on a limiter whose Redis is never reached; the warnings it gave."""
    limiter = Limiter()
    with refused_port() as port, warnings.catch_warnings(record=True) as caught:
        url = f"redis://127.0.0.1:{port}/0"  # Redis is never reached there
        shared = SharedLimits(
            RedisSettings(url, window=30.0, timeout=0.3, retry_after=30.0, **options)
        )
        limiter.share(shared)
        warnings.simplefilter("always")
        for _ in range(2):
            async with limiter.acquire(_DEP):
                pass
    return limiter, shared, [str(w.message) for w in caught if w.category is SharedLimitsWarning]


async def test_redis_never_reached_divides_by_the_expected_team_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KERNELS_VAR, raising=False)
    limiter, shared, shown = await _two_calls_unreached(kernels=3)
    assert len(shown) == 1, shown
    assert "1/3 of each quota" in shown[0] and "expected size" in shown[0]
    assert KERNELS_VAR in shown[0] and "not been reached" in shown[0]
    # 6 per window shared by an expected 3: this kernel has had its 2, the third waits.
    assert limiter._gate(_DEP).delay(0) > 20
    await shared.aclose()


async def test_with_no_expected_size_a_never_reached_redis_keeps_the_whole_quota(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KERNELS_VAR, raising=False)
    limiter, shared, shown = await _two_calls_unreached()
    assert shared.mode == "local" and "1/1 of each quota" in shown[0]
    assert limiter._gate(_DEP).delay(0) == 0.0
    await shared.aclose()


def test_the_expected_team_size_comes_from_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KERNELS_VAR, "4")
    assert RedisSettings("redis://localhost").kernels == 4
    assert RedisSettings("redis://localhost", kernels=2).kernels == 2  # the argument wins
    monkeypatch.setenv(KERNELS_VAR, "four")
    with pytest.raises(ConfigurationError, match=KERNELS_VAR):
        RedisSettings("redis://localhost")
    monkeypatch.delenv(KERNELS_VAR)
    assert RedisSettings("redis://localhost").kernels == 1
    with pytest.raises(ConfigurationError, match=r"RedisSettings\.kernels"):
        RedisSettings("redis://localhost", kernels=0)
