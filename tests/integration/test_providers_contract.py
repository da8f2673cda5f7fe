"""Every adapter against its wire server: the same faults must mean the same errors.

One parametrized matrix (provider × fault × complete/stream) so that a 429 means a
RateLimitError with its retry-after from every vendor, a drop means a failed attempt, and
no key ever shows in an error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from orchestration_kernel.errors import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceeded,
    IncompleteStreamError,
    NotFoundError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
)
from orchestration_kernel.models import ChatRequest, Message, ProviderReply, StreamChunk
from orchestration_kernel.providers.base import Provider, Timeouts
from orchestration_kernel.providers.registry import create_provider
from tests.servers import (
    AnthropicServer,
    Fault,
    GeminiServer,
    OpenAIServer,
    PerplexityServer,
    WireServer,
)

pytestmark = pytest.mark.timeout(60)

#: Short limits so that a stall fails fast; long enough for a loaded CI machine.
FAST = Timeouts(connect=5.0, first_token=0.8, idle=0.8, overall=20.0)
NORMAL = Timeouts(connect=5.0, first_token=10.0, idle=10.0, overall=30.0)


def fake_key(prefix: str) -> str:
    """A key-shaped test value, built at run time (never a literal key in the repo)."""
    return prefix + "test-" + "k" * 24


@dataclass(frozen=True)
class Case:
    """One provider under test: its server class, a model, and how to build its adapter."""

    provider: str
    server: type[WireServer]
    model: str
    key_prefix: str


CASES = [
    Case("openai", OpenAIServer, "gpt-4o-mini", "sk-"),
    Case("anthropic", AnthropicServer, "claude-sonnet-4-6", "sk-ant-"),
    Case("gemini", GeminiServer, "gemini-2.5-flash", "AI"),
    Case("perplexity", PerplexityServer, "sonar", "pplx-"),
    Case("ollama", OpenAIServer, "llama3.2", "cmp-"),
]


@dataclass
class Setup:
    """A running server and an adapter pointed at it."""

    case: Case
    server: WireServer
    adapter: Provider
    key: str

    def request(self, text: str = "hello wire", **kw: Any) -> ChatRequest:
        return ChatRequest(
            model=self.case.model, messages=[Message(role="user", content=text)], **kw
        )


@pytest.fixture(scope="module", params=CASES, ids=[c.provider for c in CASES])
def server_case(request: pytest.FixtureRequest) -> Iterator[tuple[Case, WireServer]]:
    case: Case = request.param
    with case.server() as srv:
        yield case, srv


@pytest.fixture
async def setup(server_case: tuple[Case, WireServer]) -> AsyncIterator[Setup]:
    case, srv = server_case
    srv.clear()
    srv.require_bearer = None
    key = fake_key(case.key_prefix)
    adapter = create_provider(case.provider, api_key=key, base_url=srv.base_url)
    yield Setup(case, srv, adapter, key)
    await adapter.aclose()


async def run_stream(adapter: Provider, request: ChatRequest, t: Timeouts) -> list[StreamChunk]:
    return [chunk async for chunk in adapter.stream(request, t)]


async def call(setup: Setup, mode: str, t: Timeouts = NORMAL) -> ProviderReply | list[StreamChunk]:
    if mode == "complete":
        return await setup.adapter.complete(setup.request(), t)
    return await run_stream(setup.adapter, setup.request(), t)


def assert_no_secret(err: BaseException, key: str) -> None:
    """Neither the message, the repr, the body nor a chained cause shows the key."""
    texts = [str(err), repr(err), json.dumps(getattr(err, "body", None), default=str)]
    cause = err.__cause__ or (None if err.__suppress_context__ else err.__context__)
    assert cause is None, "SDK exceptions must not be chained into our errors"
    for text in texts:
        assert key not in text


# -- success ------------------------------------------------------------------------------


async def test_complete_returns_text_usage_and_finish(setup: Setup) -> None:
    reply = await setup.adapter.complete(setup.request(), NORMAL)
    assert "hello wire" in reply.text
    assert reply.finish_reason
    assert reply.usage is not None and reply.usage.input_tokens > 0
    assert reply.usage.output_tokens > 0
    assert reply.response_model


async def test_stream_last_chunk_carries_finish_and_usage(setup: Setup) -> None:
    chunks = await run_stream(setup.adapter, setup.request(), NORMAL)
    text = "".join(c.text for c in chunks)
    reply = await setup.adapter.complete(setup.request(), NORMAL)
    assert text == reply.text
    assert len([c for c in chunks if c.text]) > 1, "the reply should arrive in pieces"
    assert all(c.finish_reason is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.finish_reason == reply.finish_reason
    assert last.usage is not None and last.usage.output_tokens > 0


async def test_system_prompt_reaches_the_server(setup: Setup) -> None:
    await setup.adapter.complete(setup.request(system="SYSTEM-MARKER be terse"), NORMAL)
    body = setup.server.requests[-1].json
    assert "SYSTEM-MARKER" in json.dumps(body)
    user_turns = json.dumps(body.get("messages") or body.get("contents"))
    if setup.case.provider in ("anthropic", "gemini"):
        # Their own field, never a chat turn.
        assert "SYSTEM-MARKER" not in user_turns


async def test_parameters_reach_the_server(setup: Setup) -> None:
    request = setup.request(temperature=0.25, max_tokens=77, stop=["END"])
    await setup.adapter.complete(request, NORMAL)
    dumped = json.dumps(setup.server.requests[-1].json)
    assert "0.25" in dumped and "77" in dumped and "END" in dumped


async def test_the_key_is_sent(setup: Setup) -> None:
    await setup.adapter.complete(setup.request(), NORMAL)
    assert setup.server.requests[-1].credential == setup.key


async def test_client_is_reused_and_closed(setup: Setup) -> None:
    await setup.adapter.complete(setup.request(), NORMAL)
    first = setup.adapter._client  # type: ignore[attr-defined]
    await setup.adapter.complete(setup.request(), NORMAL)
    assert setup.adapter._client is first  # type: ignore[attr-defined]
    await setup.adapter.aclose()
    assert setup.adapter._client is None  # type: ignore[attr-defined]
    # A closed adapter makes a new client when used again.
    assert (await setup.adapter.complete(setup.request(), NORMAL)).text


def test_client_from_another_loop_is_replaced(server_case: tuple[Case, WireServer]) -> None:
    case, srv = server_case
    adapter = create_provider(
        case.provider, api_key=fake_key(case.key_prefix), base_url=srv.base_url
    )
    request = ChatRequest(model=case.model, messages=[Message(role="user", content="x")])
    asyncio.run(adapter.complete(request, NORMAL))
    first = adapter._client  # type: ignore[attr-defined]
    asyncio.run(adapter.complete(request, NORMAL))  # a new loop: a new client
    assert adapter._client is not first  # type: ignore[attr-defined]
    asyncio.run(adapter.aclose())


# -- faults -------------------------------------------------------------------------------

MODES = ["complete", "stream"]

FaultCase = tuple[str, Callable[[], Fault], type[ProviderError]]
STATUS_FAULTS: list[FaultCase] = [
    ("rate_limit", lambda: Fault.rate_limit(retry_after=2.5), RateLimitError),
    ("server_500", lambda: Fault.server_error(500), ServerError),
    ("server_503", lambda: Fault.server_error(503), ServerError),
    ("overloaded", lambda: Fault.overloaded(), ServerError),
    (
        "bad_request",
        lambda: Fault.status(400, "bad parameter"),
        BadRequestError,
    ),
    (
        "context",
        lambda: Fault.status(400, "maximum context length exceeded"),
        ContextWindowExceeded,
    ),
    (
        "unauthorized",
        lambda: Fault.status(401, "invalid key"),
        AuthenticationError,
    ),
    ("not_found", lambda: Fault.status(404, "no such model"), NotFoundError),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("label", "fault", "expected"), STATUS_FAULTS, ids=[f[0] for f in STATUS_FAULTS]
)
async def test_status_faults_map_to_error_classes(
    setup: Setup, mode: str, label: str, fault: Callable[[], Fault], expected: type[ProviderError]
) -> None:
    setup.server.script(fault())
    with pytest.raises(expected) as info:
        await call(setup, mode)
    err = info.value
    assert type(err) is expected or (expected is BadRequestError and type(err) is BadRequestError)
    assert err.provider == setup.case.provider
    assert err.model == setup.case.model
    assert err.status is not None and err.status >= 400
    if label == "rate_limit":
        assert err.retry_after == pytest.approx(2.5)
    assert_no_secret(err, setup.key)


STREAM_FAULTS: list[tuple[str, Callable[[], Fault], type[ProviderError]]] = [
    ("drop", lambda: Fault.drop_mid_stream(after_chunks=2), IncompleteStreamError),
    ("no_finish", lambda: Fault.no_finish_reason(), IncompleteStreamError),
    ("malformed", lambda: Fault.malformed_chunk(after_chunks=1), IncompleteStreamError),
    ("stall", lambda: Fault.stall(5.0, after_chunks=1), ProviderTimeout),
]


@pytest.mark.parametrize(
    ("label", "fault", "expected"), STREAM_FAULTS, ids=[f[0] for f in STREAM_FAULTS]
)
async def test_stream_faults_are_failed_attempts(
    setup: Setup, label: str, fault: Callable[[], Fault], expected: type[ProviderError]
) -> None:
    setup.server.script(fault())
    seen: list[StreamChunk] = []
    with pytest.raises(expected) as info:
        async for chunk in setup.adapter.stream(setup.request(), FAST):
            seen.append(chunk)
    assert all(c.finish_reason is None for c in seen), "never a finish before the failure"
    assert info.value.retryable
    if label == "stall":
        assert info.value.phase == "idle"  # type: ignore[attr-defined]
    assert_no_secret(info.value, setup.key)


@pytest.mark.parametrize(
    ("label", "fault", "expected"),
    [
        ("drop", lambda: Fault.drop_mid_stream(), ProviderError),
        ("no_finish", lambda: Fault.no_finish_reason(), IncompleteStreamError),
        ("malformed", lambda: Fault.malformed_chunk(), IncompleteStreamError),
        ("stall", lambda: Fault.delay(5.0), ProviderTimeout),
    ],
    ids=["drop", "no_finish", "malformed", "slow"],
)
async def test_complete_faults_are_retryable(
    setup: Setup, label: str, fault: Callable[[], Fault], expected: type[ProviderError]
) -> None:
    setup.server.script(fault())
    with pytest.raises(expected) as info:
        await setup.adapter.complete(setup.request(), FAST)
    assert info.value.retryable
    if label == "stall":
        assert info.value.phase == "first_token"  # type: ignore[attr-defined]


async def test_slow_first_token_within_limits_succeeds(setup: Setup) -> None:
    setup.server.script(Fault.first_token_delay(0.3))
    chunks = await run_stream(setup.adapter, setup.request(), NORMAL)
    assert chunks[-1].finish_reason


async def test_connection_refused_is_a_connection_failure(
    server_case: tuple[Case, WireServer],
) -> None:
    from orchestration_kernel.errors import ConnectionFailure

    case, _ = server_case
    # Port 9 (discard) on loopback: nothing listens there in a test sandbox.
    adapter = create_provider(
        case.provider, api_key=fake_key(case.key_prefix), base_url="http://127.0.0.1:9/v1?k=q"
    )
    request = ChatRequest(model=case.model, messages=[Message(role="user", content="x")])
    try:
        with pytest.raises(ConnectionFailure) as refused:
            await adapter.complete(request, FAST)
        # Where we looked, without the query (which may carry a key), and the likely cause.
        assert "(at http://127.0.0.1:9/v1: is the server running?)" in str(refused.value)
        with pytest.raises(ConnectionFailure):
            await run_stream(adapter, request, FAST)
    finally:
        await adapter.aclose()


async def test_key_echoed_by_the_server_is_scrubbed(setup: Setup) -> None:
    setup.server.script(Fault.status(401, f"Incorrect API key: {setup.key}"))
    with pytest.raises(AuthenticationError) as info:
        await setup.adapter.complete(setup.request(), NORMAL)
    assert_no_secret(info.value, setup.key)
    assert "********" in str(info.value)
