"""The engine against every provider's wire server, through the public API.

Each fault from the foundation issue is scripted on the server and must end in a
retry or a clear error — never a hang or a half answer — the same way for every
vendor. Evidence comes from the servers' request logs, not from timings.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy, Timeouts
from orchestration_kernel.errors import (
    AllAttemptsFailed,
    AuthenticationError,
    BadRequestError,
    ContextWindowExceeded,
    ProviderTimeout,
)
from tests.conftest import fake_key
from tests.servers import AnthropicServer, Fault, GeminiServer, OpenAIServer, PerplexityServer

pytestmark = pytest.mark.timeout(60)


@dataclass(frozen=True)
class Vendor:
    provider: str
    server: type
    model: str  # the provider's own model id


VENDORS = [
    Vendor("openai", OpenAIServer, "gpt-4o-mini"),
    Vendor("anthropic", AnthropicServer, "claude-haiku-4-5"),
    Vendor("gemini", GeminiServer, "gemini-2.5-flash"),
    Vendor("perplexity", PerplexityServer, "sonar"),
]

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture(params=VENDORS, ids=[v.provider for v in VENDORS])
def vendor(request):
    spec: Vendor = request.param
    with spec.server() as srv:
        yield spec, srv


def engine_for(spec: Vendor, srv, **kw) -> tuple[OrchestrationEngine, str]:
    key = fake_key(spec.provider)
    kw.setdefault("retry", FAST)
    engine = OrchestrationEngine(
        offline="off",
        keys={spec.provider: key},
        base_urls={spec.provider: srv.base_url},
        **kw,
    )
    return engine, key


def model_of(spec: Vendor) -> str:
    return f"{spec.provider}:{spec.model}"


async def test_complete_reaches_the_server(vendor) -> None:
    spec, srv = vendor
    engine, key = engine_for(spec, srv)
    reply = await engine.complete(model_of(spec), "Hello wire", system="Be terse.")
    assert "Hello wire" in reply.text
    assert reply.provider == spec.provider and not reply.simulated
    assert reply.finish_reason and reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert not reply.usage.estimated
    logged = srv.requests
    assert len(logged) == 1 and logged[0].model == spec.model
    assert "Be terse." in str(logged[0].json)
    assert key not in repr(reply) and key not in reply.model_dump_json()


async def test_stream_reaches_the_server(vendor) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv)
    stream = engine.stream(model_of(spec), "Stream over the wire")
    deltas = [d async for d in stream]
    assert len([d for d in deltas if d.kind == "text"]) >= 2
    assert "".join(d.text for d in deltas) == stream.reply.text
    assert "Stream over the wire" in stream.reply.text
    assert srv.requests[-1].stream and stream.reply.ttft_ms is not None


@pytest.mark.parametrize(
    "fault",
    [
        Fault.rate_limit(retry_after=0.05),
        Fault.server_error(503),
        Fault.drop_mid_stream(after_chunks=2),
        Fault.no_finish_reason(),
        Fault.malformed_chunk(after_chunks=1),
    ],
    ids=["429", "503", "drop", "no-finish", "malformed"],
)
async def test_transient_faults_are_retried_in_streams(vendor, fault) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv)
    srv.script(fault, model=spec.model, times=1)
    stream = engine.stream(model_of(spec), "Survive the fault")
    deltas = [d async for d in stream]
    reply = stream.reply
    assert [a.status for a in reply.attempts] == ["error", "ok"]
    assert len(srv.requests) == 2
    shown = ""
    for d in deltas:
        shown = "" if d.kind == "reset" else (d.text if d.kind == "replace" else shown + d.text)
    assert shown == reply.text and "Survive the fault" in reply.text


@pytest.mark.parametrize(
    "fault",
    [Fault.rate_limit(retry_after=0.05), Fault.server_error(500), Fault.no_finish_reason()],
    ids=["429", "500", "no-finish"],
)
async def test_transient_faults_are_retried_in_plain_calls(vendor, fault) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv)
    srv.script(fault, model=spec.model, times=1)
    reply = await engine.complete(model_of(spec), "plain retry")
    assert len(srv.requests) == 2 and reply.attempts[-1].status == "ok"


async def test_retry_after_is_honoured(vendor) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv)
    srv.script(Fault.rate_limit(retry_after=0.4), model=spec.model, times=1)
    await engine.complete(model_of(spec), "wait for it")
    first, second = srv.requests
    assert first.status == 429
    # The second request may not start before the server's hint has passed.
    assert second.t_start - first.t_end >= 0.35


async def test_retries_are_bounded_with_a_clear_error(vendor) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv)
    srv.script(Fault.server_error(502), model=spec.model, times=None)
    with pytest.raises(AllAttemptsFailed) as info:
        await engine.complete(model_of(spec), "always failing")
    assert len(srv.requests) == FAST.max_attempts
    assert "502" in str(info.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequestError), (401, AuthenticationError), (403, AuthenticationError)],
)
async def test_client_errors_are_not_retried(vendor, status, error) -> None:
    spec, srv = vendor
    engine, key = engine_for(spec, srv)
    srv.script(Fault.status(status, "nope"), model=spec.model, times=None)
    with pytest.raises(error) as info:
        await engine.complete(model_of(spec), "bad")
    assert len(srv.requests) == 1
    assert key not in str(info.value)


async def test_context_overflow_fails_over_to_the_fallback(vendor) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv)
    srv.script(Fault.status(400, "maximum context length exceeded"), model=spec.model, times=None)
    engine.set_offline("off")
    with pytest.raises(ContextWindowExceeded):
        await engine.complete(model_of(spec), "too long")
    reply = await engine.complete(model_of(spec), "too long", fallbacks=["sim:backup"])
    assert reply.model == "sim:backup" and reply.simulated
    assert [a.status for a in reply.attempts] == ["error", "ok"]


async def test_stall_hits_the_idle_timeout_and_retries(vendor) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv, timeouts=Timeouts(connect=2, first_token=5, idle=0.3))
    srv.script(Fault.stall(3.0, after_chunks=1), model=spec.model, times=1)
    stream = engine.stream(model_of(spec), "do not stall")
    await stream.collect()
    first = stream.reply.attempts[0]
    assert first.status == "error" and first.error_type == "ProviderTimeout"
    assert "idle" in (first.error or "")
    assert len(srv.requests) == 2


async def test_slow_first_token_hits_the_first_token_timeout(vendor) -> None:
    spec, srv = vendor
    engine, _ = engine_for(
        spec, srv, timeouts=Timeouts(connect=2, first_token=0.3, idle=5),
        retry=RetryPolicy(max_attempts=1),
    )  # fmt: skip
    srv.script(Fault.first_token_delay(3.0), model=spec.model, times=1)
    with pytest.raises(ProviderTimeout) as info:
        await engine.stream(model_of(spec), "slow start").collect()
    assert info.value.phase == "first_token"


async def test_delay_beyond_overall_timeout_is_cancelled_at_the_limit(vendor) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv, retry=RetryPolicy(max_attempts=1))
    srv.script(Fault.delay(3.0), model=spec.model, times=1)
    with pytest.raises(ProviderTimeout):
        await engine.complete(model_of(spec), "too slow", timeout=0.3)


async def test_concurrent_calls_share_one_client(vendor) -> None:
    spec, srv = vendor
    engine, _ = engine_for(spec, srv)
    replies = await asyncio.gather(*(engine.complete(model_of(spec), f"n{i}") for i in range(8)))
    assert sorted(r.text.split(": ", 1)[1] for r in replies) == sorted(f"n{i}" for i in range(8))
    assert len(srv.requests) == 8


async def test_refreshable_token_is_refreshed_after_a_401() -> None:
    from orchestration_kernel.providers.credentials import OAuth2ClientCredentials
    from tests.servers import TokenServer

    with TokenServer(lifetime=3600) as tokens, OpenAIServer() as srv:
        srv.require_bearer = tokens.is_valid
        credential = OAuth2ClientCredentials(tokens.token_url, "client-id", "client-" + "s" * 8)
        engine = OrchestrationEngine(
            offline="off",
            credentials={"openai": credential},
            base_urls={"openai": srv.base_url},
            retry=FAST,
        )
        await engine.complete("openai:gpt-4o-mini", "first")
        tokens.expire_all()  # the provider now rejects the token the engine holds
        reply = await engine.complete("openai:gpt-4o-mini", "second")
        statuses = [(r.status, r.credential) for r in srv.requests]
        assert [s for s, _ in statuses] == [200, 401, 200]
        assert statuses[1][1] == statuses[0][1] != statuses[2][1]
        assert [a.status for a in reply.attempts] == ["error", "ok"]
        assert tokens.issued == 2
        assert not engine.is_simulated("openai:gpt-4o-mini")


async def test_missing_key_error_names_the_model() -> None:
    engine = OrchestrationEngine(offline="off")
    from orchestration_kernel.errors import MissingKeyError

    with pytest.raises(MissingKeyError) as info:
        await engine.complete("gemini-pro", "hi")
    assert "gemini-pro" in str(info.value) and "GEMINI_API_KEY" in str(info.value)


async def test_vertex_ai_bearer_token_over_the_wire() -> None:
    """Gemini through Vertex AI with a refreshable OAuth2 token: real HTTP, refreshed on 401."""
    from orchestration_kernel.providers.credentials import OAuth2ClientCredentials
    from tests.servers import TokenServer

    with TokenServer(lifetime=3600) as tokens, GeminiServer() as srv:
        srv.require_bearer = tokens.is_valid
        engine = OrchestrationEngine(
            offline="off",
            credentials={
                "gemini": OAuth2ClientCredentials(tokens.token_url, "app", "sec-" + "r" * 8)
            },
            base_urls={"gemini": srv.base_url},
            provider_options={
                "gemini": {"vertexai": True, "project": "proj", "location": "us-central1"}
            },
            retry=FAST,
        )
        first = await engine.complete("gemini:gemini-2.5-flash", "vertex hello")
        assert "vertex hello" in first.text
        assert "/projects/proj/locations/us-central1/" in srv.requests[0].path
        tokens.expire_all()
        second = await engine.complete("gemini:gemini-2.5-flash", "after expiry")
        assert [r.status for r in srv.requests] == [200, 401, 200]
        assert [a.status for a in second.attempts] == ["error", "ok"]
        assert srv.requests[0].credential != srv.requests[2].credential
