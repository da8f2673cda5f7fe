"""The provider table, model-name inference, and adapter set-ups that no wire server
covers (Azure OpenAI and Vertex AI bearer tokens, checked on an in-memory transport)."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from orchestration_kernel.errors import ConfigurationError, ContentPolicyError, MissingKeyError
from orchestration_kernel.models import ChatRequest, Message
from orchestration_kernel.providers.base import Timeouts
from orchestration_kernel.providers.credentials import TokenProvider
from orchestration_kernel.providers.registry import (
    PROVIDERS,
    ProviderRegistry,
    create_provider,
    infer_provider,
    register_compatible,
    split_model,
)

T = Timeouts(connect=2.0, first_token=5.0, idle=5.0, overall=10.0)


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "PERPLEXITY_API_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ORCHESTRATION_NO_DOTENV", "1")
    monkeypatch.setenv("ORCHESTRATION_NO_KEYRING", "1")


@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("gpt-4", "openai"),
        ("gpt-4o-mini", "openai"),
        ("o3-mini", "openai"),
        ("chatgpt-4o-latest", "openai"),
        ("claude-3", "anthropic"),
        ("gemini-pro", "gemini"),
        ("sonar-pro", "perplexity"),
        ("llama3.2", None),
    ],
)
def test_bare_names_are_inferred(name: str, provider: str | None) -> None:
    assert infer_provider(name) == provider


def test_explicit_prefix_only_for_known_providers() -> None:
    assert split_model("anthropic:claude-sonnet-4-6") == ("anthropic", "claude-sonnet-4-6")
    assert split_model("ollama:llama3.2:8b") == ("ollama", "llama3.2:8b")
    assert split_model("llama3.2:8b") == (None, "llama3.2:8b")
    assert split_model("sim:echo") == ("sim", "echo")
    assert split_model("local:smollm2") == ("local", "smollm2")


def test_builtin_table_is_read_only_and_complete() -> None:
    assert {"openai", "anthropic", "gemini", "perplexity", "local", "sim"} <= set(PROVIDERS)
    assert PROVIDERS["gemini"].key_env == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert PROVIDERS["gemini"].base_url_env == "GOOGLE_GEMINI_BASE_URL"
    assert not PROVIDERS["local"].key_required and not PROVIDERS["sim"].key_required
    assert PROVIDERS["local"].adapter.endswith("local:LocalModelProvider")
    assert PROVIDERS["sim"].adapter.endswith("sim:SimProvider")
    with pytest.raises(TypeError):
        PROVIDERS["x"] = PROVIDERS["openai"]  # type: ignore[index]


def test_missing_key_fails_before_import_or_request() -> None:
    with pytest.raises(MissingKeyError) as info:
        create_provider("openai")
    assert "OPENAI_API_KEY" in str(info.value) and "ORCHESTRATION_OFFLINE" in str(info.value)


def test_key_from_environment_and_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-" + "env-" + "e" * 20
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    adapter = create_provider("openai")
    assert adapter.api_key.get() == key  # type: ignore[attr-defined]
    assert adapter.base_url == "http://127.0.0.1:1/v1"  # type: ignore[attr-defined]
    assert key not in repr(adapter)
    explicit = create_provider("openai", api_key="sk-" + "x" * 20, base_url="http://other/v1")
    assert explicit.base_url == "http://other/v1"  # type: ignore[attr-defined]


def test_unknown_provider_suggests_near_names() -> None:
    with pytest.raises(ConfigurationError, match="Did you mean openai"):
        create_provider("opnai")


def test_registry_registers_compatible_servers() -> None:
    registry = ProviderRegistry()
    info = registry.register_compatible("my-box", "http://127.0.0.1:1/v1", api_key="k" * 12)
    assert "my-box" in registry and registry["my-box"] is info
    assert info.key_env == ("MY_BOX_API_KEY",) and info.base_url_env == "MY_BOX_BASE_URL"
    assert "k" * 12 not in repr(info)
    assert registry.split("my-box:qwen") == ("my-box", "qwen")
    assert registry.infer("claude-x") == "anthropic"
    assert "my-box" in registry.names() and "my-box" in registry.table
    adapter = registry.create("my-box")
    assert adapter.name == "my-box" and adapter.api_key.get() == "k" * 12  # type: ignore[attr-defined]
    assert "my-box" not in PROVIDERS, "registering must not change the shared table"
    with pytest.raises(ConfigurationError, match="built-in"):
        registry.register_compatible("openai", "http://x/v1")
    registry.register_compatible("ollama", "http://127.0.0.1:2/v1")  # presets may be re-pointed
    with pytest.raises(ConfigurationError, match="lower-case"):
        register_compatible("Bad Name", "http://x")
    with pytest.raises(ConfigurationError):
        registry["nope"]


def test_credential_replaces_the_key() -> None:
    adapter = create_provider("anthropic", credential=lambda: ("tok", None))
    assert isinstance(adapter.credential, TokenProvider)  # type: ignore[attr-defined]


# -- Azure OpenAI and Vertex AI, on an in-memory transport ---------------------------------------


def ask(model: str) -> ChatRequest:
    return ChatRequest(model=model, messages=[Message(role="user", content="hi")])


def chat_completion(model: str) -> dict[str, Any]:
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": "c1",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "ok"},
                }
            ],
        }
    ).model_dump(mode="json", exclude_none=True)


async def test_azure_openai_with_entra_token() -> None:
    from orchestration_kernel.providers.openai import OpenAIProvider

    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=chat_completion("gpt-4o"))

    tokens = iter(["entra-1", "entra-2"])
    adapter = OpenAIProvider(
        credential=TokenProvider(lambda: (next(tokens), 1e12)),
        options={
            "azure": True,
            "azure_endpoint": "https://res.openai.azure.com",
            "api_version": "2024-10-21",
        },
    )
    client = await adapter._client_for_loop()
    client._client._transport = httpx2.MockTransport(handler)
    assert (await adapter.complete(ask("gpt-4o"), T)).text == "ok"
    adapter.credential.invalidate()  # type: ignore[union-attr]
    await adapter.complete(ask("gpt-4o"), T)
    assert [r.headers["authorization"] for r in seen] == ["Bearer entra-1", "Bearer entra-2"]
    assert "/openai/deployments/gpt-4o/chat/completions" in str(seen[0].url)
    assert seen[0].url.params["api-version"] == "2024-10-21"
    await adapter.aclose()


async def test_azure_needs_endpoint_version_and_auth() -> None:
    from orchestration_kernel.providers.openai import OpenAIProvider

    with pytest.raises(ConfigurationError, match="api_version"):
        await OpenAIProvider(api_key="k" * 10, options={"azure": True}).complete(ask("m"), T)
    options = {"azure": True, "azure_endpoint": "https://r", "api_version": "v"}
    with pytest.raises(MissingKeyError, match="AZURE_OPENAI_API_KEY"):
        await OpenAIProvider(options=options).complete(ask("m"), T)
    keyed = OpenAIProvider(api_key="k" * 10, options=options)
    assert type(await keyed._client_for_loop()).__name__ == "AsyncAzureOpenAI"
    await keyed.aclose()


def gemini_response(text: str | None, **extra: Any) -> dict[str, Any]:
    from google.genai import types

    candidates = (
        [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}]
        if text is not None
        else []
    )
    return types.GenerateContentResponse.model_validate(
        {
            "candidates": candidates,
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1},
            **extra,
        }
    ).model_dump(mode="json", by_alias=True, exclude_none=True)


async def gemini_on(handler: Any, **kwargs: Any) -> Any:
    from orchestration_kernel.providers.gemini import GeminiProvider

    adapter = GeminiProvider(**kwargs)
    await adapter._client_for_loop()
    adapter._http._transport = httpx2.MockTransport(handler)  # type: ignore[attr-defined]
    return adapter


async def test_vertex_ai_with_refreshable_token() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=gemini_response("vertex ok"))

    tokens = iter(["vx-1", "vx-2"])
    adapter = await gemini_on(
        handler,
        credential=TokenProvider(lambda: (next(tokens), 1e12)),
        base_url="https://us-central1-aiplatform.googleapis.com/",
        options={"vertexai": True, "project": "proj", "location": "us-central1"},
    )
    assert (await adapter.complete(ask("gemini-2.5-flash"), T)).text == "vertex ok"
    adapter.credential.invalidate()
    await adapter.complete(ask("gemini-2.5-flash"), T)
    assert [r.headers["authorization"] for r in seen] == ["Bearer vx-1", "Bearer vx-2"]
    assert "/projects/proj/locations/us-central1/" in seen[0].url.path
    await adapter.aclose()


async def test_vertex_needs_project_and_location_or_a_key() -> None:
    from orchestration_kernel.providers.gemini import GeminiProvider

    with pytest.raises(ConfigurationError, match="project"):
        await GeminiProvider(
            credential=TokenProvider(lambda: "t"), options={"vertexai": True}
        ).complete(ask("g"), T)
    with pytest.raises(MissingKeyError):
        await GeminiProvider(options={"vertexai": True}).complete(ask("g"), T)


async def test_gemini_blocked_prompt_is_a_content_policy_error() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200, json=gemini_response(None, promptFeedback={"blockReason": "SAFETY"})
        )

    adapter = await gemini_on(handler, api_key="AI" + "u" * 30)
    with pytest.raises(ContentPolicyError, match="SAFETY"):
        await adapter.complete(ask("gemini-2.5-flash"), T)
    await adapter.aclose()


def test_perplexity_content_chunks_are_joined() -> None:
    from orchestration_kernel.providers.perplexity import _text

    assert _text(None) == ""
    assert _text([type("C", (), {"text": "a"})(), type("C", (), {"text": "b"})()]) == "ab"
    assert json.dumps(_text("plain")) == '"plain"'


def test_provider_infos_are_hashable() -> None:
    infos = {
        *PROVIDERS.values(),
        register_compatible("box", "http://h/v1", options={"stream_usage": False}),
    }
    assert len(infos) == len(PROVIDERS) + 1
