"""The call path's promises at its edges (issue 15, items 5-7), against the wire servers.

* ``timeout`` is the deadline of the whole logical call: attempts, ``Retry-After`` sleeps
  and fallbacks; a ``Retry-After`` the deadline cannot hold fails at once, naming the wait.
* A stream that has sent anything and then goes silent fails after the idle limit, not
  the (long) first-token limit.
* Every attempt gives its deployment back to the router and writes its ``call`` row,
  whatever it raises.

Evidence is the servers' request logs and the audit; the hang guards are generous bounds,
far above what the fixed code takes and below what the old code took.
"""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy, Timeouts
from orchestration_kernel.errors import ProviderTimeout
from tests.conftest import fake_key
from tests.servers import AnthropicServer, Fault, OpenAIServer, PerplexityServer

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05)


def openai_engine(srv: OpenAIServer, **kw) -> OrchestrationEngine:
    kw.setdefault("retry", FAST)
    return OrchestrationEngine(
        offline="off", keys={"openai": fake_key("openai")}, base_urls={"openai": srv.base_url}, **kw
    )


async def warm(engine: OrchestrationEngine, *models: str) -> None:
    """One plain call per model first: importing an SDK and making its client (which count
    against a deadline too) stay out of the timed part on a busy machine."""
    for model in models:
        await engine.complete(model, "warm up")


@pytest.mark.timeout(30)  # the old code slept the whole 60 s Retry-After
async def test_a_retry_after_beyond_the_deadline_fails_at_once_naming_the_wait() -> None:
    with OpenAIServer() as srv:
        engine = openai_engine(srv)
        await warm(engine, "openai:gpt-4o-mini")
        srv.script(Fault.rate_limit(retry_after=60), times=None)
        with pytest.raises(ProviderTimeout) as info:
            await engine.complete("openai:gpt-4o-mini", "hello", timeout=5)
        assert len(srv.requests) == 2  # the warm-up, then no second try: the wait does not fit
    message = str(info.value)
    assert "60s" in message and "openai" in message and "5s timeout" in message
    assert info.value.phase == "overall"
    assert [a.status for a in info.value.attempts] == ["error"]


@pytest.mark.timeout(30)  # the old code gave the stalling fallback 5 s per attempt, 3 times
async def test_timeout_bounds_retries_sleeps_and_fallbacks_together() -> None:
    with OpenAIServer() as primary, AnthropicServer() as fallback:
        engine = OrchestrationEngine(
            offline="off",
            keys={"openai": fake_key("openai"), "anthropic": fake_key("anthropic")},
            base_urls={"openai": primary.base_url, "anthropic": fallback.base_url},
            retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
        )
        await warm(engine, "openai:gpt-4o-mini", "anthropic:claude-haiku-4-5")
        primary.script(Fault.rate_limit(retry_after=0.5), times=None)
        fallback.script(Fault.delay(60.0), times=None)
        with pytest.raises(ProviderTimeout) as info:
            await engine.complete(
                "openai:gpt-4o-mini", "hi", fallbacks=["anthropic:claude-haiku-4-5"], timeout=5,
                run_id="deadline",
            )  # fmt: skip
        assert len(primary.requests) == 4  # the warm-up and three tries
    assert info.value.phase == "overall"
    # The deadline leaves the fallback one (cut-short) try, and no retry of it.
    providers = [a.provider for a in info.value.attempts]
    assert providers == ["openai", "openai", "openai", "anthropic"]
    await engine.audit.aflush()
    calls = engine.audit.to_dataframe(run="deadline", event="call")
    assert len(calls) == 4


VENDORS = {
    "openai": (OpenAIServer, "gpt-4o-mini"),
    "anthropic": (AnthropicServer, "claude-haiku-4-5"),
    "perplexity": (PerplexityServer, "sonar"),
}


def streaming_engine(provider: str, srv, idle: float) -> OrchestrationEngine:
    """One try per call, a long first-token limit and a short idle one."""
    return OrchestrationEngine(
        offline="off",
        keys={provider: fake_key(provider)},
        base_urls={provider: srv.base_url},
        retry=RetryPolicy(max_attempts=1),
        timeouts=Timeouts(connect=5, first_token=60, idle=idle),
    )


@pytest.mark.timeout(30)  # the old code waited the 60 s first-token limit
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_stream_that_opens_then_goes_silent_fails_after_the_idle_limit(provider) -> None:
    server, model = VENDORS[provider]
    with server() as srv:
        engine = streaming_engine(provider, srv, idle=0.5)
        await warm(engine, f"{provider}:{model}")
        # The stream's opening events (role chunk / message_start) arrive, then nothing.
        srv.script(Fault.stall(60.0, after_chunks=0))
        with pytest.raises(ProviderTimeout) as info:
            await engine.stream(f"{provider}:{model}", "think hard").collect()
    assert info.value.phase == "idle"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("provider", list(VENDORS))
async def test_keep_alives_keep_a_thinking_stream_alive(provider: str) -> None:
    """A reasoning model that sends only keep-alives (SSE comments, Anthropic pings, which
    the SDKs drop) for longer than the idle limit before its first token still answers.
    (Gemini sends no keep-alives, and its SDK would not parse an SSE comment.)"""
    server, model = VENDORS[provider]
    with server() as srv:
        engine = streaming_engine(provider, srv, idle=0.6)
        srv.script(Fault.think(2.0, every=0.15))
        reply = await engine.stream(f"{provider}:{model}", "think, then answer").collect()
    assert "think, then answer" in reply.text and reply.finish_reason
    assert reply.ttft_ms is not None and reply.ttft_ms >= 1000  # it did think first


async def test_a_slow_first_event_still_gets_the_first_token_limit() -> None:
    """Headers alone are not a sign of life: reasoning models may think before any event."""
    with OpenAIServer() as srv:
        engine = openai_engine(
            srv, retry=RetryPolicy(max_attempts=1), timeouts=Timeouts(first_token=5, idle=0.2)
        )
        srv.script(Fault.first_token_delay(0.6))
        reply = await engine.stream("openai:gpt-4o-mini", "think first").collect()
    assert reply.text and reply.finish_reason


async def test_an_adapter_error_that_is_not_a_provider_error_releases_and_is_audited() -> None:
    def vault_down() -> tuple[str, float]:
        raise RuntimeError("the vault is unreachable")

    with OpenAIServer() as srv:
        engine = openai_engine(srv, credentials={"openai": vault_down})
        for _ in range(2):
            with pytest.raises(RuntimeError, match="vault"):
                await engine.complete("openai:gpt-4o-mini", "hello", run_id="vault")
        (deployment,) = engine.router.plan("openai:gpt-4o-mini")
        assert engine.router.in_flight(deployment) == 0
    await engine.audit.aflush()
    calls = engine.audit.to_dataframe(run="vault", event="call")
    assert list(calls["status"]) == ["error", "error"]
    assert list(calls["error_type"]) == ["RuntimeError", "RuntimeError"]


@pytest.mark.timeout(30)
async def test_a_slow_input_check_counts_against_the_deadline() -> None:
    """Time spent before any attempt (here a slow Guardian policy) is the call's time too."""
    import asyncio

    from orchestration_kernel import Guardian

    async def slow_review(text: str, ctx) -> None:
        await asyncio.sleep(60)

    guardian = Guardian()
    guardian.add_policy(slow_review, name="slow_review", stages=("input",))
    with OpenAIServer() as srv:
        engine = openai_engine(srv, guardian=guardian)
        with pytest.raises(ProviderTimeout) as info:
            await engine.complete("openai:gpt-4o-mini", "hello", timeout=1)
        assert srv.requests == []
    assert info.value.phase == "overall" and "1s timeout" in str(info.value)
    (deployment,) = engine.router.plan("openai:gpt-4o-mini")
    assert engine.router.in_flight(deployment) == 0
