"""Routing through the engine against the wire servers: strategies, cooldown, failover,
limits and config-file pools.

Every deployment is its own server (or its own key on one server), so the servers'
request logs say which deployment served each call, and in which order. Breakers and
limiters run on a :class:`ManualClock` handed to the engine's router, so cooldowns and
minute windows pass when the test says, not after a sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import openai  # noqa: F401  -- import the SDK up front so no call pays for it
import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import ConfigurationError, MissingKeyError
from orchestration_kernel.routing import BreakerPolicy, Catalogue, ManualClock, Router
from tests.conftest import fake_key
from tests.servers import AnthropicServer, Fault, LoggedRequest, OpenAIServer

pytestmark = pytest.mark.timeout(60)

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
MINI = "openai:gpt-4o-mini"

# -- helpers (also used by test_routing_engine_auto.py) --------------------------------


def make_engine(
    *,
    clock: ManualClock | None = None,
    policy: BreakerPolicy | None = None,
    catalogue: Any = None,
    **kw: Any,
) -> OrchestrationEngine:
    """A real-provider engine whose router runs on ``clock`` (a ManualClock by default)."""
    router = Router(
        Catalogue.load(catalogue),
        clock=clock or ManualClock(),
        breaker_policy=policy or BreakerPolicy(failure_threshold=2, cooldown=30),
    )
    kw.setdefault("retry", FAST)
    return OrchestrationEngine(offline="off", router=router, **kw)


def chat(srv: Any) -> list[LoggedRequest]:
    """The model calls a server answered (not control or moderation requests)."""
    return [r for r in srv.requests if r.model is not None]


def timeline(**servers: Any) -> list[str]:
    """Which server received each model call, in order of arrival."""
    rows = [(r.t_start, name) for name, srv in servers.items() for r in chat(srv)]
    return [name for _, name in sorted(rows)]


def failed(srv: Any) -> int:
    """How many of a server's model calls it answered with an error status."""
    return sum(1 for r in chat(srv) if r.status is None or r.status >= 400)


async def on_runtime(engine: OrchestrationEngine, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on the engine's loop (a ManualClock must be advanced where it sleeps)."""

    async def call() -> Any:
        return fn()

    return await engine.runtime.run(call())


async def advance(engine: OrchestrationEngine, clock: ManualClock, seconds: float) -> None:
    """Move the router's clock on, waking sleepers on the engine's loop."""
    await on_runtime(engine, lambda: clock.advance(seconds))


async def advance_until(
    engine: OrchestrationEngine, clock: ManualClock, seconds: float, condition: Callable[[], bool]
) -> None:
    """Advance the clock until ``condition`` holds.

    A queued call that was woken for another reason (a call ending) re-arms its sleep
    from a delay it read just before; if the clock moved in between, that sleep ends a
    step later. Advancing again covers it without a race in the test.
    """
    try:
        async with asyncio.timeout(60):  # a hang guard
            while not condition():
                await advance(engine, clock, seconds)
                await asyncio.sleep(0.01)
    except TimeoutError:
        pytest.fail("advancing the clock never released the queued call")


async def until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll until ``condition`` holds (a wait for a state, not an assertion about time)."""
    try:
        async with asyncio.timeout(timeout):
            # The state lives on other threads (runtime, servers): nothing to await but time.
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.005)
    except TimeoutError:
        pytest.fail(f"never reached: {what}")


async def route_details(engine: OrchestrationEngine) -> list[dict[str, Any]]:
    """The ``detail`` of every audit ``route`` row, decoded, oldest first."""
    await engine.audit.aflush()
    frame = engine.audit.to_dataframe(event="route")
    return [json.loads(d) if isinstance(d, str) else d for d in frame.detail]


def member(srv: Any, dep_id: str, model: str = MINI, **kw: Any) -> dict[str, Any]:
    """A pool member served by ``srv`` with a key of its own."""
    return {
        "id": dep_id,
        "model": model,
        "base_url": srv.base_url,
        "api_key": fake_key(dep_id),
        **kw,
    }


@pytest.fixture
def trio() -> Iterator[tuple[OpenAIServer, OpenAIServer, OpenAIServer]]:
    """Three OpenAI-compatible servers: three deployments of one model."""
    with OpenAIServer() as a, OpenAIServer() as b, OpenAIServer() as c:
        yield a, b, c


# -- strategies ------------------------------------------------------------------------


async def test_round_robin_takes_turns_across_servers(trio) -> None:
    a, b, c = trio
    engine = make_engine()
    engine.add_pool("rr", [member(a, "a"), member(b, "b"), member(c, "c")])
    replies = [await engine.complete("rr", f"turn {i}") for i in range(6)]
    assert timeline(a=a, b=b, c=c) == ["a", "b", "c"] * 2
    assert [r.deployment for r in replies] == ["a", "b", "c"] * 2
    details = await route_details(engine)
    assert [d["deployment"] for d in details] == ["a", "b", "c"] * 2
    assert {d["strategy"] for d in details} == {"round_robin"} and details[0]["why"]
    assert [m["id"] for m in details[0]["candidates"]] == ["a", "b", "c"]


async def test_round_robin_over_keys_on_one_server() -> None:
    keys = [fake_key(f"k{i}") for i in range(3)]
    with OpenAIServer() as srv:
        engine = make_engine()
        members = [
            {"id": f"k{i}", "model": MINI, "base_url": srv.base_url, "api_key": key}
            for i, key in enumerate(keys)
        ]
        engine.add_pool("keys", members)
        for i in range(6):
            await engine.complete("keys", f"key turn {i}")
        assert [r.credential for r in chat(srv)] == keys * 2
    stored = json.dumps(await route_details(engine))
    assert not any(key in stored for key in keys)


async def test_weighted_sends_exact_proportions_interleaved() -> None:
    with OpenAIServer() as heavy, OpenAIServer() as light:
        engine = make_engine()
        engine.add_pool(
            "w", [member(heavy, "heavy", weight=3), member(light, "light", weight=1)],
            strategy="weighted",
        )  # fmt: skip
        for i in range(8):
            await engine.complete("w", f"weighted {i}")
        order = timeline(heavy=heavy, light=light)
    assert order.count("heavy") == 6 and order.count("light") == 2
    # Smooth weighted round-robin: the light member has a turn in every cycle of four.
    assert all("light" in order[i : i + 4] for i in range(0, 8, 4))


async def test_least_latency_settles_on_the_faster_server() -> None:
    with OpenAIServer() as slow, OpenAIServer() as quick:
        slow.latency = 0.4
        engine = make_engine()
        engine.add_pool(
            "ll", [member(slow, "slow"), member(quick, "quick")], strategy="least_latency"
        )
        for i in range(6):
            await engine.complete("ll", f"latency {i}")
        # Each member is measured once (the slow one first, as listed), then the faster wins.
        assert timeline(slow=slow, quick=quick) == ["slow"] + ["quick"] * 5
    last = (await route_details(engine))[-1]
    measured = {m["id"]: m["latency_p50_ms"] for m in last["candidates"]}
    assert measured["quick"] < measured["slow"]
    assert last["candidates"][0]["id"] == "quick"


async def test_least_cost_prefers_the_cheapest_priced_member() -> None:
    with OpenAIServer() as big, OpenAIServer() as small, OpenAIServer() as house:
        engine = make_engine()
        engine.add_pool(
            "lc",
            [
                member(big, "big", model="openai:gpt-4o"),
                member(house, "house", model="openai:house-model"),  # no price known
                member(small, "small", model=MINI),
            ],
            strategy="least_cost",
        )
        cheaper = min(("openai:gpt-4o", MINI), key=lambda m: engine.estimate_cost(m, 100, 100))
        for i in range(3):
            await engine.complete("lc", f"cost {i}")
        served = {"big": len(chat(big)), "small": len(chat(small)), "house": len(chat(house))}
        winner = "small" if cheaper == MINI else "big"
        assert served[winner] == 3 and sum(served.values()) == 3
        # Make the winner dear: the next call moves to the other priced member.
        engine.router.load_config({"models": {cheaper: {"input_price": 900, "output_price": 900}}})
        await engine.complete("lc", "after the price change")
        other = chat(big if winner == "small" else small)
        assert len(other) == 1 and not chat(house)
    last = (await route_details(engine))[-1]
    assert last["candidates"][-1]["id"] == "house"  # unknown price goes last
    assert last["candidates"][-1]["est_cost_usd"] is None


async def test_least_busy_avoids_the_member_with_a_call_in_flight() -> None:
    with OpenAIServer() as a, OpenAIServer() as b:
        engine = make_engine()
        engine.add_pool("lb", [member(a, "a"), member(b, "b")], strategy="least_busy")
        a.script(Fault.delay(1.0), times=1)
        held = asyncio.ensure_future(engine.complete("lb", "hold a"))
        await until(lambda: engine.router.in_flight("a") == 1, "a call in flight on a")
        for i in range(3):
            reply = await engine.complete("lb", f"while a is busy {i}")
            assert reply.deployment == "b"
        assert (await held).deployment == "a"
        assert len(chat(a)) == 1 and len(chat(b)) == 3
        # Every call to b arrived while a's call was still open.
        assert all(r.t_start < chat(a)[0].t_end for r in chat(b))


# -- cooldown --------------------------------------------------------------------------


async def test_breaker_opens_cools_down_and_probes_once() -> None:
    clock = ManualClock()
    with OpenAIServer() as sick, OpenAIServer() as well:
        engine = make_engine(clock=clock)
        engine.add_pool("cb", [member(sick, "sick"), member(well, "well")])
        sick.script(Fault.server_error(503), times=None)
        for i in range(6):
            reply = await engine.complete("cb", f"cooling {i}")
            assert reply.deployment == "well"
        # Two failures (the threshold) opened the breaker; no call reached it after that.
        assert len(chat(sick)) == 2 and failed(sick) == 2
        assert engine.router.breaker_state("sick") == "open"

        await advance(engine, clock, 30)
        assert engine.router.breaker_state("sick") == "half_open"
        for i in range(4):
            await engine.complete("cb", f"half open {i}")
        assert len(chat(sick)) == 3  # exactly one probe; it failed, so open again
        assert engine.router.breaker_state("sick") == "open"

        sick.clear()
        await advance(engine, clock, 30)
        for i in range(4):
            await engine.complete("cb", f"recovered {i}")
        assert engine.router.breaker_state("sick") == "closed"
        assert len(chat(sick)) == 2  # the probe succeeded and turns resumed
    details = await route_details(engine)
    cooled = [d for d in details if _candidate(d, "sick")["breaker"] == "open"]
    assert cooled and all(d["deployment"] == "well" for d in cooled)


def _candidate(detail: dict[str, Any], dep_id: str) -> dict[str, Any]:
    """One member's entry in a route decision's candidates."""
    return next(m for m in detail["candidates"] if m["id"] == dep_id)


async def test_half_open_lets_one_probe_through_among_concurrent_calls() -> None:
    clock = ManualClock()
    with OpenAIServer() as sick, OpenAIServer() as well:
        engine = make_engine(clock=clock, policy=BreakerPolicy(failure_threshold=1, cooldown=30))
        engine.add_pool("probe", [member(sick, "sick"), member(well, "well")])
        sick.script(Fault.server_error(500), times=1)
        await engine.complete("probe", "open it")
        assert engine.router.breaker_state("sick") == "open"
        await advance(engine, clock, 30)
        sick.script(Fault.delay(0.5), times=1)  # the probe stays out while the others go
        replies = await asyncio.gather(*(engine.complete("probe", f"p{i}") for i in range(5)))
        assert len(chat(sick)) == 2  # the opening failure and a single probe
        assert sum(r.deployment == "sick" for r in replies) == 1
        assert engine.router.breaker_state("sick") == "closed"


# -- failover --------------------------------------------------------------------------


@pytest.fixture
def primary_and_fallback() -> Iterator[tuple[OpenAIServer, AnthropicServer, OrchestrationEngine]]:
    with OpenAIServer() as primary, AnthropicServer() as fallback:
        engine = make_engine(
            keys={"openai": fake_key("openai"), "anthropic": fake_key("anthropic")},
            base_urls={"openai": primary.base_url, "anthropic": fallback.base_url},
        )
        yield primary, fallback, engine


async def test_fallback_after_retries_are_exhausted(primary_and_fallback) -> None:
    primary, fallback, engine = primary_and_fallback
    primary.script(Fault.server_error(503), times=None)
    reply = await engine.complete(MINI, "fail over", fallbacks=["anthropic:claude-haiku-4-5"])
    assert reply.provider == "anthropic" and "fail over" in reply.text
    assert len(chat(primary)) == FAST.max_attempts and failed(primary) == FAST.max_attempts
    assert timeline(p=primary, f=fallback) == ["p"] * FAST.max_attempts + ["f"]
    assert [a.status for a in reply.attempts] == ["error"] * FAST.max_attempts + ["ok"]
    assert [a.deployment for a in reply.attempts][-1] == "anthropic:claude-haiku-4-5"


@pytest.mark.parametrize(
    ("message", "error_type"),
    [
        ("maximum context length exceeded", "ContextWindowExceeded"),
        ("the request was rejected by our content policy", "ContentPolicyError"),
    ],
    ids=["context-overflow", "content-policy"],
)
async def test_fallback_at_once_on_overflow_or_refusal(
    primary_and_fallback, message, error_type
) -> None:
    primary, fallback, engine = primary_and_fallback
    primary.script(Fault.status(400, message), times=None)
    reply = await engine.complete(MINI, "no retry", fallbacks=["anthropic:claude-haiku-4-5"])
    assert timeline(p=primary, f=fallback) == ["p", "f"]  # not retried on the same model
    assert [(a.status, a.error_type) for a in reply.attempts] == [
        ("error", error_type),
        ("ok", None),
    ]
    # The request's fault, not the deployment's: the breaker stays closed.
    assert engine.router.breaker_state(MINI) == "closed"


async def test_a_pool_retries_on_the_next_member() -> None:
    with OpenAIServer() as a, OpenAIServer() as b:
        engine = make_engine()
        engine.add_pool("pair", [member(a, "a"), member(b, "b")])
        a.script(Fault.rate_limit(retry_after=0.01), times=1)
        reply = await engine.complete("pair", "move on")
        assert [(x.deployment, x.status) for x in reply.attempts] == [("a", "error"), ("b", "ok")]
        assert timeline(a=a, b=b) == ["a", "b"]


# -- limits ----------------------------------------------------------------------------


async def test_requests_per_minute_queue_not_fail() -> None:
    clock = ManualClock()
    with OpenAIServer() as srv:
        engine = make_engine(clock=clock)
        engine.add_pool("rpm", [member(srv, "only", rpm=2)])
        calls = [asyncio.ensure_future(engine.complete("rpm", f"r{i}")) for i in range(3)]
        limiter = engine.router.limiter
        await until(lambda: len(chat(srv)) == 2, "two calls served")
        await until(lambda: limiter.waiting("only") == 1 and clock.sleepers, "one call queued")
        pending = [c for c in calls if not c.done()]
        assert pending and not any(c.exception() for c in calls if c.done())
        assert len(chat(srv)) == 2  # the third is held back, not failed
        await advance_until(engine, clock, 60, lambda: len(chat(srv)) == 3)  # the window moves
        replies = await asyncio.gather(*calls)
        assert len(chat(srv)) == 3 and all(r.text for r in replies)
        first_two_end = max(r.t_end for r in chat(srv)[:2])
        assert sorted(r.t_start for r in chat(srv))[-1] > first_two_end


async def test_tokens_per_minute_queue_not_fail() -> None:
    clock = ManualClock()
    prompt = "tokens " * 60
    with OpenAIServer() as srv:
        engine = make_engine(clock=clock)
        budget = engine.estimate_tokens(prompt) + 10  # room for one call, not two
        engine.add_pool("tpm", [member(srv, "only", tpm=budget)])
        first = await engine.complete("tpm", prompt)
        window = engine.router.limiter.snapshot()["only"]
        assert window["tokens_last_minute"] == first.usage.total_tokens  # settled to the real count
        second = asyncio.ensure_future(engine.complete("tpm", prompt))
        await until(lambda: engine.router.limiter.waiting("only") == 1, "second call queued")
        await until(lambda: clock.sleepers > 0, "queued call sleeping on the clock")
        assert len(chat(srv)) == 1 and not second.done()
        await advance_until(engine, clock, 60, second.done)
        assert (await second).text and len(chat(srv)) == 2


async def test_tokens_per_minute_counts_real_usage_not_the_reservation() -> None:
    with OpenAIServer() as srv:
        engine = make_engine()
        # Each call reserves max_tokens up front; the tiny real replies free the room again.
        engine.add_pool("settle", [member(srv, "only", tpm=450)])
        for i in range(3):
            await asyncio.wait_for(engine.complete("settle", f"s{i}", max_tokens=400), 60)
        assert len(chat(srv)) == 3


async def test_max_in_flight_serialises_calls_of_one_deployment() -> None:
    with OpenAIServer() as srv:
        srv.latency = 0.1
        engine = make_engine()
        engine.add_pool("one", [member(srv, "only", max_in_flight=1)])
        replies = await asyncio.gather(*(engine.complete("one", f"q{i}") for i in range(4)))
        assert len(replies) == 4
        logged = sorted(chat(srv), key=lambda r: r.t_start)
        assert all(nxt.t_start >= prev.t_end for prev, nxt in itertools.pairwise(logged))
        assert engine.router.limiter.snapshot()["only"]["in_flight"] == 0


async def test_no_limit_applies_unless_configured() -> None:
    with OpenAIServer() as srv:
        srv.latency = 0.3
        engine = make_engine()
        engine.add_pool("free", [member(srv, "only")])
        await asyncio.gather(*(engine.complete("free", f"f{i}") for i in range(6)))
        assert _peak_concurrency(chat(srv)) == 6
        limits = engine.router.limiter.snapshot()["only"]
        assert limits["rpm"] is None and limits["tpm"] is None and limits["max_in_flight"] is None


def _peak_concurrency(logged: list[LoggedRequest]) -> int:
    """The most requests the server held open at one moment."""
    edges = sorted([(r.t_start, 1) for r in logged] + [(r.t_end or r.t_start, -1) for r in logged])
    peak = level = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


# -- pools from a config file ----------------------------------------------------------


async def test_pools_from_a_config_file_read_keys_from_the_environment(
    tmp_path, monkeypatch
) -> None:
    east_key, west_key = fake_key("east"), fake_key("west")
    monkeypatch.setenv("OK_TEST_EAST_KEY", east_key)
    monkeypatch.setenv("OK_TEST_WEST_KEY", west_key)
    with OpenAIServer() as east, OpenAIServer() as west:
        path = tmp_path / "routing.yaml"
        path.write_text(
            "aliases:\n"
            "  house: openai:gpt-4o-mini\n"
            "pools:\n"
            "  filed:\n"
            "    strategy: weighted\n"
            "    deployments:\n"
            "      - id: east\n"
            "        model: house\n"
            f"        base_url: {east.base_url}\n"
            "        api_key_env: OK_TEST_EAST_KEY\n"
            "        weight: 2\n"
            "      - id: west\n"
            "        model: gpt-4o-mini\n"
            f"        base_url: {west.base_url}\n"
            "        api_key_env: OK_TEST_WEST_KEY\n"
        )
        engine = OrchestrationEngine(offline="off", pools=path, retry=FAST)
        assert engine.router.is_pool("filed")
        for i in range(3):
            await engine.complete("filed", f"from the file {i}")
        assert {r.credential for r in chat(east)} == {east_key} and len(chat(east)) == 2
        assert {r.credential for r in chat(west)} == {west_key} and len(chat(west)) == 1
        assert {r.model for r in chat(east) + chat(west)} == {"gpt-4o-mini"}
    assert east_key not in path.read_text()
    stored = json.dumps(await route_details(engine))
    assert east_key not in stored and west_key not in stored


async def test_a_pool_key_variable_that_is_unset_is_named_not_replaced(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", fake_key("default"))  # must not be used instead
    monkeypatch.delenv("OK_TEST_UNSET_KEY", raising=False)
    with OpenAIServer() as srv:
        path = tmp_path / "routing.yaml"
        path.write_text(
            "pools:\n"
            "  keyed:\n"
            "    deployments:\n"
            "      - id: only\n"
            "        model: openai:gpt-4o-mini\n"
            f"        base_url: {srv.base_url}\n"
            "        api_key_env: OK_TEST_UNSET_KEY\n"
        )
        engine = OrchestrationEngine(offline="off", pools=path, retry=FAST)
        with pytest.raises(MissingKeyError, match="OK_TEST_UNSET_KEY"):
            await engine.complete("keyed", "which key?")
        assert chat(srv) == []
        offline = OrchestrationEngine(offline="on", pools=path, retry=FAST)
        assert (await offline.complete("keyed", "simulated")).simulated


async def test_pools_given_to_the_engine_as_a_mapping() -> None:
    keys = [fake_key("m0"), fake_key("m1")]
    with OpenAIServer() as srv:
        members = [
            {"id": f"m{i}", "model": MINI, "base_url": srv.base_url, "api_key": key}
            for i, key in enumerate(keys)
        ]
        spec = {"strategy": "round_robin", "deployments": members}
        bare = OrchestrationEngine(offline="off", pools={"mapped": spec}, retry=FAST)
        whole = OrchestrationEngine(
            offline="off", pools={"aliases": {"house": MINI}, "pools": {"mapped": spec}}, retry=FAST
        )
        for engine in (bare, whole):
            for i in range(2):
                await engine.complete("mapped", f"mapped {i}")
        assert [r.credential for r in chat(srv)] == keys * 2
    assert whole.resolve("house") == MINI


def test_an_engine_router_takes_no_second_catalogue() -> None:
    with pytest.raises(ConfigurationError, match="catalogue"):
        OrchestrationEngine(offline="off", router=Router(), catalogue={})
    engine = OrchestrationEngine(offline="off", router=Router(), aliases={"mine": MINI})
    assert engine.resolve("mine") == MINI
