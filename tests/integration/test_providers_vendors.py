"""Vendor specifics against the Anthropic, Gemini and Perplexity wire servers: where the
system prompt goes, JSON mode, required fields, API versions, extras."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from orchestration_kernel.errors import ConfigurationError, MissingKeyError, ServerError
from orchestration_kernel.models import ChatRequest, Message
from orchestration_kernel.providers.anthropic import DEFAULT_MAX_TOKENS, JSON_INSTRUCTION
from orchestration_kernel.providers.base import Timeouts
from orchestration_kernel.providers.registry import create_provider
from tests.servers import AnthropicServer, Fault, GeminiServer, PerplexityServer

pytestmark = pytest.mark.timeout(60)
T = Timeouts(connect=5.0, first_token=10.0, idle=10.0, overall=30.0)


def ask(model: str, **kw: object) -> ChatRequest:
    turns = [
        Message(role="user", content="first question"),
        Message(role="assistant", content="first answer"),
        Message(role="user", content="second question"),
    ]
    return ChatRequest(model=model, messages=turns, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def anthropic_server() -> Iterator[AnthropicServer]:
    with AnthropicServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def gemini_server() -> Iterator[GeminiServer]:
    with GeminiServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def perplexity_server() -> Iterator[PerplexityServer]:
    with PerplexityServer() as srv:
        yield srv


# -- Anthropic ------------------------------------------------------------------------------


async def test_anthropic_system_field_json_and_defaults(anthropic_server: AnthropicServer) -> None:
    anthropic_server.clear()
    adapter = create_provider(
        "anthropic", api_key="sk-ant-" + "t" * 24, base_url=anthropic_server.base_url
    )
    request = ask(
        "claude-sonnet-4-6",
        system="be exact",
        json_output=True,
        temperature=0.3,
        metadata={"user_id": "u-9"},
    )
    request = request.model_copy(
        update={"messages": [Message(role="system", content="also this"), *request.messages]}
    )
    try:
        reply = await adapter.complete(request, T)
    finally:
        await adapter.aclose()
    body = anthropic_server.requests[-1].json
    assert body["system"].startswith("be exact")
    assert "also this" in body["system"] and JSON_INSTRUCTION in body["system"]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["max_tokens"] == DEFAULT_MAX_TOKENS
    assert body["temperature"] == 0.3
    assert body["metadata"] == {"user_id": "u-9"}
    assert reply.finish_reason == "end_turn"


async def test_anthropic_overloaded_is_retryable_529(anthropic_server: AnthropicServer) -> None:
    anthropic_server.clear()
    anthropic_server.script(Fault.overloaded())
    adapter = create_provider(
        "anthropic", api_key="sk-ant-" + "t" * 24, base_url=anthropic_server.base_url
    )
    try:
        with pytest.raises(ServerError) as info:
            await adapter.complete(ask("claude-sonnet-4-6"), T)
    finally:
        await adapter.aclose()
    assert info.value.status == 529 and info.value.retryable


async def test_anthropic_stream_usage_counts_input_and_output(
    anthropic_server: AnthropicServer,
) -> None:
    adapter = create_provider(
        "anthropic", api_key="sk-ant-" + "t" * 24, base_url=anthropic_server.base_url
    )
    try:
        chunks = [c async for c in adapter.stream(ask("claude-sonnet-4-6", max_tokens=64), T)]
    finally:
        await adapter.aclose()
    last = chunks[-1]
    assert last.usage is not None and last.usage.input_tokens > 0 and last.usage.output_tokens > 0
    assert last.response_model and last.extras.get("id")


# -- Gemini ---------------------------------------------------------------------------------


async def test_gemini_system_instruction_json_and_roles(gemini_server: GeminiServer) -> None:
    gemini_server.clear()
    adapter = create_provider("gemini", api_key="AI" + "t" * 30, base_url=gemini_server.base_url)
    try:
        await adapter.complete(ask("gemini-2.5-flash", system="be exact", json_output=True), T)
    finally:
        await adapter.aclose()
    log = gemini_server.requests[-1]
    body = log.json
    system = body.get("systemInstruction") or body.get("system_instruction")
    assert "be exact" in json.dumps(system)
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    config = body.get("generationConfig") or body.get("generation_config")
    assert (
        config.get("responseMimeType") or config.get("response_mime_type")
    ) == "application/json"
    assert log.api_version == "v1"


async def test_gemini_api_version_from_env_and_option(
    gemini_server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1beta")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini_server.base_url)
    monkeypatch.setenv("GEMINI_API_KEY", "AI" + "e" * 30)
    from_env = create_provider("gemini")
    explicit = create_provider("gemini", options={"api_version": "v1alpha"})
    try:
        await from_env.complete(ask("gemini-2.5-flash"), T)
        assert gemini_server.requests[-1].api_version == "v1beta"
        await explicit.complete(ask("gemini-2.5-flash"), T)
        assert gemini_server.requests[-1].api_version == "v1alpha"
    finally:
        await from_env.aclose()
        await explicit.aclose()


async def test_gemini_uses_our_httpx2_client_and_no_sdk_retries(
    gemini_server: GeminiServer,
) -> None:
    import httpx2

    gemini_server.clear()
    gemini_server.script(Fault.server_error(503), times=None)
    adapter = create_provider("gemini", api_key="AI" + "t" * 30, base_url=gemini_server.base_url)
    try:
        with pytest.raises(ServerError):
            await adapter.complete(ask("gemini-2.5-flash"), T)
        assert len(gemini_server.requests) == 1
        assert isinstance(adapter._http, httpx2.AsyncClient)  # type: ignore[attr-defined]
    finally:
        gemini_server.clear()
        await adapter.aclose()


async def test_gemini_developer_api_refuses_tokens() -> None:
    adapter = create_provider(
        "gemini", credential=lambda: ("tok", None), base_url="http://127.0.0.1:9"
    )
    with pytest.raises(ConfigurationError, match="Vertex"):
        await adapter.complete(ask("gemini-2.5-flash"), T)


# -- Perplexity -----------------------------------------------------------------------------


async def test_perplexity_keeps_citations_and_search_results(
    perplexity_server: PerplexityServer,
) -> None:
    perplexity_server.clear()
    adapter = create_provider(
        "perplexity", api_key="pplx-" + "t" * 24, base_url=perplexity_server.base_url
    )
    try:
        reply = await adapter.complete(ask("sonar", system="cite", json_output=True), T)
        chunks = [c async for c in adapter.stream(ask("sonar"), T)]
    finally:
        await adapter.aclose()
    assert reply.extras["citations"] == perplexity_server.citations
    assert [r["url"] for r in reply.extras["search_results"]] == perplexity_server.citations
    assert chunks[-1].extras["citations"] == perplexity_server.citations
    assert chunks[-1].usage is not None and chunks[-1].usage.output_tokens > 0
    body = perplexity_server.requests[0].json
    assert body["messages"][0] == {"role": "system", "content": "cite"}
    assert body["response_format"]["type"] == "json_schema"


async def test_missing_keys_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "PERPLEXITY_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ORCHESTRATION_NO_DOTENV", "1")
    monkeypatch.setenv("ORCHESTRATION_NO_KEYRING", "1")
    with pytest.raises(MissingKeyError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        create_provider("gemini")
    with pytest.raises(MissingKeyError, match="ANTHROPIC_API_KEY"):
        create_provider("anthropic")
    with pytest.raises(MissingKeyError, match="PERPLEXITY_API_KEY"):
        create_provider("perplexity")
