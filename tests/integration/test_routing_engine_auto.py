"""``model: auto``, monitoring and compare through the engine, against all four vendors'
wire servers at once.

Keys are set for every vendor, each pointing at its own server, so the server that
logged a request is the vendor ``auto`` chose. Each test shows the choice flip on one
ground: price, a required capability, context size, a deployment in cooldown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine, Reply
from orchestration_kernel.errors import BadRequestError
from orchestration_kernel.routing import BreakerPolicy, ManualClock
from tests.conftest import fake_key
from tests.integration.test_routing_engine import (
    MINI,
    advance,
    chat,
    failed,
    make_engine,
    member,
    route_details,
)
from tests.servers import (
    AnthropicServer,
    Fault,
    GeminiServer,
    OpenAIServer,
    PerplexityServer,
)

pytestmark = pytest.mark.timeout(60)

Servers = dict[str, Any]
HAIKU = "anthropic:claude-haiku-4-5"


@pytest.fixture
def servers() -> Iterator[Servers]:
    """One wire server per vendor, keyed by provider name."""
    with (
        OpenAIServer() as o,
        AnthropicServer() as a,
        GeminiServer() as g,
        PerplexityServer() as p,
    ):
        yield {"openai": o, "anthropic": a, "gemini": g, "perplexity": p}


def vendor_engine(servers: Servers, **kw: Any) -> OrchestrationEngine:
    """An engine with a key for every vendor, each vendor served by its wire server."""
    return make_engine(
        keys={p: fake_key(p) for p in servers},
        base_urls={p: s.base_url for p, s in servers.items()},
        **kw,
    )


def served(servers: Servers) -> list[tuple[str, str]]:
    """``(provider, model)`` of every model call the servers logged, in arrival order."""
    rows = [(r.t_start, p, r.model) for p, srv in servers.items() for r in chat(srv)]
    return [(p, m) for _, p, m in sorted(rows)]


def wire(reply: Reply) -> tuple[str, str]:
    """Where a reply should have been served: ``(provider, the provider's model id)``."""
    provider, model = reply.resolved_model.split(":", 1)
    assert reply.provider == provider and not reply.simulated
    return provider, model


async def auto_detail(engine: OrchestrationEngine) -> dict[str, Any]:
    """The ``auto`` grounds of the latest route decision in the audit."""
    return (await route_details(engine))[-1]["auto"]


async def test_auto_flips_on_price(servers) -> None:
    engine = vendor_engine(servers)
    first = await engine.complete("auto", "pick for me")
    assert served(servers) == [wire(first)]
    assert first.provider != "anthropic"  # the catalogue's cheapest is not Claude Haiku
    grounds = await auto_detail(engine)
    assert grounds["candidates"][0]["id"] == first.resolved_model and "cheapest" in grounds["why"]
    # Make Claude Haiku nearly free: the next call goes to the Anthropic server.
    engine.router.load_config({"models": {HAIKU: {"input_price": 0.001, "output_price": 0.001}}})
    second = await engine.complete("auto", "pick again")
    assert second.resolved_model == HAIKU
    assert served(servers) == [wire(first), ("anthropic", "claude-haiku-4-5")]
    assert (await auto_detail(engine))["candidates"][0]["id"] == HAIKU


async def test_auto_flips_on_a_required_capability(servers) -> None:
    engine = vendor_engine(servers)
    plain = await engine.complete("auto", "what happened today")
    searched = await engine.complete("auto", "what happened today", needs=["search"])
    grounds = await auto_detail(engine)
    by_task = await engine.complete("auto", "what happened today", step="web research")
    assert plain.provider != "perplexity"
    assert searched.provider == "perplexity" and by_task.provider == "perplexity"
    assert "search" in engine.catalogue.get(searched.resolved_model).capabilities
    assert served(servers) == [wire(plain), wire(searched), wire(by_task)]
    assert plain.resolved_model in grounds["rejected"]["lacks search"]
    assert grounds["needs"] == ["search"]


async def test_auto_flips_on_context_size(servers) -> None:
    engine = vendor_engine(servers)
    small = await engine.complete("auto", "short")
    window = 2048
    engine.router.load_config({"models": {small.resolved_model: {"context_window": window}}})
    fits = await engine.complete("auto", "short")
    big_prompt = "context " * 1500
    assert engine.estimate_tokens(big_prompt) + engine.router.expected_output_tokens > window
    big = await engine.complete("auto", big_prompt)
    assert fits.resolved_model == small.resolved_model
    assert big.resolved_model != small.resolved_model
    assert served(servers) == [wire(small), wire(fits), wire(big)]
    rejected = (await auto_detail(engine))["rejected"]
    assert small.resolved_model in rejected["context: too small"]


async def test_auto_flips_away_from_a_deployment_in_cooldown(servers) -> None:
    clock = ManualClock()
    engine = vendor_engine(
        servers, clock=clock, policy=BreakerPolicy(failure_threshold=1, cooldown=30)
    )
    first = await engine.complete("auto", "healthy")
    provider, model = wire(first)
    sick = servers[provider]
    sick.script(Fault.server_error(503), model=model, times=None)

    moved = await engine.complete("auto", "one fails")
    assert [(a.deployment, a.status) for a in moved.attempts] == [
        (first.resolved_model, "error"),
        (moved.resolved_model, "ok"),
    ]
    assert moved.resolved_model != first.resolved_model
    assert engine.router.breaker_state(first.resolved_model) == "open"
    again = await engine.complete("auto", "still cooling")
    assert again.resolved_model == moved.resolved_model
    assert served(servers) == [(provider, model), (provider, model), wire(moved), wire(again)]
    assert first.resolved_model in (await auto_detail(engine))["rejected"]["cooling down"]

    sick.clear()
    await advance(engine, clock, 30)  # half-open: the cheapest gets its probe
    back = await engine.complete("auto", "recovered")
    assert back.resolved_model == first.resolved_model
    assert served(servers)[-1] == (provider, model) and chat(sick)[-1].status == 200
    assert engine.router.breaker_state(first.resolved_model) == "closed"


async def test_stats_reflect_the_calls_made() -> None:
    with OpenAIServer() as a, OpenAIServer() as b:
        engine = make_engine(policy=BreakerPolicy(failure_threshold=5, cooldown=30))
        engine.add_pool("mon", [member(a, "a"), member(b, "b")])
        a.script(Fault.server_error(503), times=2)
        replies = [await engine.complete("mon", f"m{i}") for i in range(4)]
        replies.append(await engine.stream("mon", "streamed").collect())
        stats = engine.stats()
        for dep, srv in (("a", a), ("b", b)):
            numbers = stats["deployments"][dep]
            mine = [r for r in replies if r.deployment == dep]
            assert numbers["calls"] == len(chat(srv))
            assert numbers["errors"] == failed(srv)
            assert numbers["error_rate"] == pytest.approx(failed(srv) / len(chat(srv)))
            assert numbers["error_types"] == ({"ServerError": failed(srv)} if failed(srv) else {})
            assert numbers["input_tokens"] == sum(r.usage.input_tokens for r in mine)
            assert numbers["output_tokens"] == sum(r.usage.output_tokens for r in mine)
            assert numbers["cost_usd"] == pytest.approx(sum(r.cost_usd for r in mine))
            assert (
                numbers["latency_p50_ms"] <= numbers["latency_p95_ms"] <= numbers["latency_p99_ms"]
            )
        assert failed(a) == 2  # the scripted faults, retried on b
        streamed = stats["deployments"][replies[-1].deployment]
        assert streamed["ttft_p50_ms"] is not None
        model = stats["models"][MINI]
        assert model["calls"] == len(chat(a)) + len(chat(b))
        assert model["errors"] == failed(a) + failed(b)
        frame = engine.router.metrics.to_dataframe()
        assert set(frame.name) == {MINI, "a", "b"}


async def test_compare_across_vendors_with_one_failing(servers) -> None:
    engine = vendor_engine(servers)
    servers["anthropic"].script(Fault.status(400, "this request is refused"), times=None)
    models = [MINI, HAIKU, "gemini:gemini-2.5-flash", "perplexity:sonar"]
    table = await engine.compare(models, "same question for all")
    assert list(table.replies) == models
    assert set(table.errors) == {HAIKU} and isinstance(table.errors[HAIKU], BadRequestError)
    for name, reply in table.ok.items():
        assert wire(reply)[0] == name.split(":")[0] and "same question for all" in reply.text
    assert all(len(chat(srv)) == 1 for srv in servers.values())  # each vendor asked once
    rows = {row["model"]: row for row in table.rows()}
    assert rows[HAIKU]["error"] and all(rows[m]["error"] is None for m in table.ok)
