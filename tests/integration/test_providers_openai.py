"""OpenAI and named OpenAI-compatible servers against the OpenAI wire server: what goes
on the wire (system message, JSON mode, usage in streams, limits, end-user id)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.models import ChatRequest, Message
from orchestration_kernel.providers.base import Timeouts
from orchestration_kernel.providers.compatible import PLACEHOLDER_KEY, CompatibleProvider
from orchestration_kernel.providers.openai import OpenAIProvider
from orchestration_kernel.providers.registry import ProviderRegistry
from tests.servers import OpenAIServer

pytestmark = pytest.mark.timeout(60)
T = Timeouts(connect=5.0, first_token=10.0, idle=10.0, overall=30.0)


def fake_key() -> str:
    return "sk-" + "test-" + "o" * 24


def ask(model: str = "gpt-4o-mini", **kw: object) -> ChatRequest:
    return ChatRequest(model=model, messages=[Message(role="user", content="hi there")], **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
async def openai_adapter(server: OpenAIServer) -> AsyncIterator[OpenAIProvider]:
    server.clear()
    adapter = OpenAIProvider(api_key=fake_key(), base_url=server.base_url)
    yield adapter
    await adapter.aclose()


async def test_system_prompt_is_the_first_message(
    openai_adapter: OpenAIProvider, server: OpenAIServer
) -> None:
    await openai_adapter.complete(ask(system="be terse"), T)
    messages = server.requests[-1].json["messages"]
    assert messages[0] == {"role": "system", "content": "be terse"}
    assert messages[1]["role"] == "user"


async def test_json_mode_limits_and_end_user(
    openai_adapter: OpenAIProvider, server: OpenAIServer
) -> None:
    request = ask(
        json_output=True, max_tokens=50, metadata={"user": "analyst-7"}, extra={"seed": 3}
    )
    await openai_adapter.complete(request, T)
    body = server.requests[-1].json
    assert body["response_format"] == {"type": "json_object"}
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body
    assert body["safety_identifier"] == "analyst-7"
    assert body["seed"] == 3


async def test_stream_asks_for_usage(openai_adapter: OpenAIProvider, server: OpenAIServer) -> None:
    chunks = [c async for c in openai_adapter.stream(ask(), T)]
    assert server.requests[-1].json["stream_options"] == {"include_usage": True}
    assert chunks[-1].usage is not None and chunks[-1].usage.input_tokens > 0


async def test_stream_usage_can_be_switched_off(server: OpenAIServer) -> None:
    adapter = OpenAIProvider(
        api_key=fake_key(), base_url=server.base_url, options={"stream_usage": False}
    )
    try:
        chunks = [c async for c in adapter.stream(ask(), T)]
    finally:
        await adapter.aclose()
    assert "stream_options" not in server.requests[-1].json
    assert chunks[-1].finish_reason and chunks[-1].usage is None


async def test_sdk_retries_are_off(openai_adapter: OpenAIProvider, server: OpenAIServer) -> None:
    from tests.servers import Fault

    server.script(Fault.server_error(500), times=None)
    try:
        with pytest.raises(Exception):  # noqa: B017 - the class is covered by the contract tests
            await openai_adapter.complete(ask(), T)
        assert len(server.requests) == 1, "the engine decides retries, not the SDK"
    finally:
        server.clear()


async def test_compatible_server_uses_placeholder_key_and_portable_fields(
    server: OpenAIServer,
) -> None:
    server.clear()
    registry = ProviderRegistry()
    registry.register_compatible("mybox", server.base_url)
    adapter = registry.create("mybox")
    assert isinstance(adapter, CompatibleProvider) and adapter.name == "mybox"
    try:
        reply = await adapter.complete(ask("llama3.2", max_tokens=20, metadata={"user": "u1"}), T)
    finally:
        await adapter.aclose()
    assert reply.text
    log = server.requests[-1]
    assert log.credential == PLACEHOLDER_KEY
    assert log.json["max_tokens"] == 20 and "max_completion_tokens" not in log.json
    assert log.json["user"] == "u1"


async def test_compatible_server_with_key_and_env_url(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "cmp-" + "k" * 20
    monkeypatch.setenv("LANBOX_BASE_URL", server.base_url)
    monkeypatch.setenv("LANBOX_API_KEY", key)
    registry = ProviderRegistry()
    registry.register_compatible("lanbox", "http://127.0.0.1:1/v1")
    adapter = registry.create("lanbox")
    try:
        await adapter.complete(ask("qwen"), T)
    finally:
        await adapter.aclose()
    assert server.requests[-1].credential == key


def test_compatible_needs_a_base_url() -> None:
    with pytest.raises(ConfigurationError, match="base URL"):
        CompatibleProvider(name="nowhere")


async def test_missing_key_fails_before_any_request(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration_kernel.errors import MissingKeyError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.clear()
    adapter = OpenAIProvider(base_url=server.base_url)
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        await adapter.complete(ask(), T)
    assert server.requests == []
