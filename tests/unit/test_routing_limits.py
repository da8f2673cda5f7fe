"""Circuit breakers and per-deployment limits, on a manual clock (nothing sleeps)."""

from __future__ import annotations

import asyncio

import pytest

from orchestration_kernel.errors import (
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    RateLimitError,
    ServerError,
)
from orchestration_kernel.routing import (
    BreakerPolicy,
    CircuitBreaker,
    Deployment,
    Limiter,
    ManualClock,
    counts_against_deployment,
)

pytestmark = pytest.mark.timeout(60)


def _breaker(threshold: int = 3, cooldown: float = 30.0) -> tuple[CircuitBreaker, ManualClock]:
    clock = ManualClock()
    return CircuitBreaker(BreakerPolicy(threshold, cooldown), clock), clock


def test_breaker_opens_after_consecutive_deployment_failures():
    breaker, _ = _breaker(threshold=3)
    for _ in range(2):
        breaker.record_failure(ServerError("boom"))
    assert breaker.state == "closed"
    breaker.record_success()  # a success resets the run
    for _ in range(2):
        breaker.record_failure(ServerError("boom"))
    assert breaker.state == "closed"
    breaker.record_failure(ServerError("boom"))
    assert breaker.state == "open"
    assert not breaker.available() and not breaker.acquire()


def test_request_faults_do_not_open_the_breaker():
    breaker, _ = _breaker(threshold=2)
    for _ in range(5):
        breaker.record_failure(BadRequestError("bad"))
        breaker.record_failure(ContentPolicyError("no"))
    assert breaker.state == "closed"
    assert counts_against_deployment(AuthenticationError("revoked"))
    assert counts_against_deployment(None)
    assert not counts_against_deployment(ValueError("bug"))


def test_half_open_lets_one_probe_through_then_closes_on_success():
    breaker, clock = _breaker(threshold=1, cooldown=10)
    breaker.record_failure(ServerError("down"))
    assert breaker.state == "open"
    clock.advance(9.9)
    assert breaker.state == "open" and breaker.seconds_until_half_open() == pytest.approx(0.1)
    clock.advance(0.1)
    assert breaker.state == "half_open"
    assert breaker.acquire()  # the probe
    assert not breaker.acquire()  # only one
    breaker.record_success()
    assert breaker.state == "closed" and breaker.acquire() and breaker.acquire()


def test_failed_probe_reopens_for_a_fresh_cooldown():
    breaker, clock = _breaker(threshold=2, cooldown=10)
    breaker.record_failure(ServerError("down"))
    breaker.record_failure(ServerError("down"))
    clock.advance(10)
    assert breaker.acquire()
    breaker.record_failure(ServerError("still down"))
    assert breaker.state == "open"
    assert breaker.seconds_until_half_open() == pytest.approx(10)
    assert breaker.times_opened == 2


def test_stale_or_released_probe_frees_the_slot():
    breaker, clock = _breaker(threshold=1, cooldown=10)
    breaker.record_failure(ServerError("down"))
    clock.advance(10)
    assert breaker.acquire()
    breaker.release()
    assert breaker.acquire()
    clock.advance(10)  # the probe never reported: after a cooldown another may go
    assert breaker.acquire()


def test_retry_after_extends_the_cooldown_up_to_a_cap():
    clock = ManualClock()
    breaker = CircuitBreaker(BreakerPolicy(1, 5, max_cooldown=60), clock)
    breaker.record_failure(RateLimitError("slow down", retry_after=45))
    assert breaker.seconds_until_half_open() == pytest.approx(45)
    breaker.record_success()
    breaker.record_failure(RateLimitError("slow down", retry_after=999))
    assert breaker.seconds_until_half_open() == pytest.approx(60)
    assert breaker.snapshot()["state"] == "open"


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def _dep(**limits) -> Deployment:
    return Deployment(id="d1", provider="openai", model="gpt-4o-mini", **limits)


async def test_no_limit_applies_unless_configured():
    limiter = Limiter(ManualClock())
    dep = _dep()
    async with asyncio.timeout(60):  # a hang guard
        entered = []

        async def call(i: int) -> None:
            async with limiter.acquire(dep, tokens=10**6):
                entered.append(i)
                await asyncio.sleep(0)

        await asyncio.gather(*(call(i) for i in range(200)))
    assert len(entered) == 200


async def test_requests_per_minute_queue_and_release_in_order():
    clock = ManualClock()
    limiter = Limiter(clock)
    dep = _dep(rpm=2)
    order: list[int] = []

    async def call(i: int) -> None:
        async with limiter.acquire(dep):
            order.append(i)

    tasks = [asyncio.create_task(call(i)) for i in range(5)]
    await _settle()
    assert order == [0, 1]  # the rest wait: queued, not failed
    assert limiter.waiting(dep) == 3
    assert not any(t.done() and t.exception() for t in tasks)
    clock.advance(60)
    await _settle()
    assert order == [0, 1, 2, 3]
    clock.advance(60)
    await _settle()
    assert order == [0, 1, 2, 3, 4]
    await asyncio.gather(*tasks)


async def test_in_flight_limit_releases_fifo():
    limiter = Limiter(ManualClock())
    dep = _dep(max_in_flight=1)
    release = {i: asyncio.Event() for i in range(4)}
    started: list[int] = []

    async def call(i: int) -> None:
        async with limiter.acquire(dep):
            started.append(i)
            await release[i].wait()

    tasks = [asyncio.create_task(call(i)) for i in range(4)]
    await _settle()
    assert started == [0] and limiter.in_flight(dep) == 1 and limiter.waiting(dep) == 3
    for i in range(4):
        release[i].set()
        await _settle()
    assert started == [0, 1, 2, 3]
    await asyncio.gather(*tasks)
    assert limiter.in_flight(dep) == 0


async def test_tokens_per_minute_and_settle():
    clock = ManualClock()
    limiter = Limiter(clock)
    dep = _dep(tpm=1000)
    order: list[str] = []

    async def call(name: str, tokens: int, actual: int | None = None) -> None:
        async with limiter.acquire(dep, tokens=tokens) as permit:
            order.append(name)
            if actual is not None:
                permit.settle(actual)

    first = asyncio.create_task(call("a", 900, actual=100))
    await _settle()
    second = asyncio.create_task(call("b", 800))
    third = asyncio.create_task(call("c", 150))  # 100 + 800 + 150 > 1000
    await _settle()
    assert order == ["a", "b"]  # a settled to 100, so b fits; c waits for the window
    clock.advance(59)
    await _settle()
    assert order == ["a", "b"]
    clock.advance(1)
    await _settle()
    assert order == ["a", "b", "c"]
    await asyncio.gather(first, second, third)


async def test_fifo_holds_even_when_a_later_call_would_fit():
    clock = ManualClock()
    limiter = Limiter(clock)
    dep = _dep(tpm=1000)
    order: list[str] = []

    async def call(name: str, tokens: int) -> None:
        async with limiter.acquire(dep, tokens=tokens):
            order.append(name)

    await call("a", 600)
    big = asyncio.create_task(call("big", 600))
    await _settle()
    small = asyncio.create_task(call("small", 10))
    await _settle()
    assert order == ["a"]  # small would fit but waits behind big
    clock.advance(60)
    await _settle()
    assert order == ["a", "big", "small"]
    oversized = asyncio.create_task(call("huge", 5000))  # larger than tpm: goes alone
    await _settle()
    assert order[-1] != "huge"
    clock.advance(60)
    await _settle()
    assert order[-1] == "huge"
    await asyncio.gather(big, small, oversized)
    snap = limiter.snapshot()["d1"]
    assert snap["tpm"] == 1000 and snap["waiting"] == 0


async def test_cancelled_waiter_leaves_the_queue():
    limiter = Limiter(ManualClock())
    dep = _dep(max_in_flight=1)
    gate = asyncio.Event()
    got: list[int] = []

    async def call(i: int) -> None:
        async with limiter.acquire(dep):
            got.append(i)
            await gate.wait()

    holder = asyncio.create_task(call(0))
    await _settle()
    doomed = asyncio.create_task(call(1))
    last = asyncio.create_task(call(2))
    await _settle()
    doomed.cancel()
    await _settle()
    assert limiter.waiting(dep) == 1
    gate.set()
    await asyncio.gather(holder, last)
    assert got == [0, 2]


async def test_clocks():
    clock = ManualClock(5)
    with pytest.raises(ValueError):
        clock.advance(-1)
    await clock.sleep(0)
    sleeper = asyncio.create_task(clock.sleep(3))
    await _settle()
    assert clock.sleepers == 1 and "now=5" in repr(clock)
    clock.advance(3)
    await sleeper
    from orchestration_kernel.routing import SystemClock

    real = SystemClock()
    before = real.now()
    await real.sleep(0)
    assert real.now() >= before and repr(real) == "SystemClock()"
