"""One ProviderInfo per provider: every other table that knows providers is read from it."""

from __future__ import annotations

import pytest

from orchestration_kernel.audit.events import OTEL_PROVIDER_NAMES
from orchestration_kernel.errors import UnknownModelError
from orchestration_kernel.providers import PROVIDERS, ProviderInfo, ProviderRegistry
from orchestration_kernel.providers.registry import infer_provider, otel_names
from orchestration_kernel.routing import Resolver


@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("gpt-4o", "openai"),
        ("o3", "openai"),
        ("o3-mini", "openai"),
        ("o2-mini", "openai"),
        ("o3pro", None),
        ("chatgpt-4o-latest", "openai"),
        ("claude-sonnet-4", "anthropic"),
        ("gemini-2.5-flash", "gemini"),
        ("sonar-pro", "perplexity"),
        ("llama3.2", None),
    ],
)
def test_the_registry_and_the_resolver_agree_on_bare_names(name: str, provider: str | None) -> None:
    assert infer_provider(name) == provider
    resolver = Resolver()
    if provider is None:
        with pytest.raises(UnknownModelError):
            resolver.resolve(name)
    else:
        assert resolver.resolve(name).provider == provider


def test_otel_names_come_from_the_infos() -> None:
    assert otel_names(PROVIDERS) == OTEL_PROVIDER_NAMES
    assert OTEL_PROVIDER_NAMES["gemini"] == "gcp.gemini"


def test_adapters_name_the_key_variables_of_their_info() -> None:
    from orchestration_kernel.providers.anthropic import AnthropicProvider
    from orchestration_kernel.providers.gemini import GeminiProvider

    assert GeminiProvider.key_env == PROVIDERS["gemini"].key_env
    assert AnthropicProvider.key_env == PROVIDERS["anthropic"].key_env


def test_a_registered_provider_is_inferred_with_its_synonyms() -> None:
    info = ProviderInfo(
        "zeta", ("ZETA_KEY",), None, "x:Y", model_pattern=r"^zeta-\d", synonyms=("zed",)
    )
    registry = ProviderRegistry({**PROVIDERS, "zeta": info})
    assert registry.infer("zeta-2") == "zeta" and registry.infer("zeta-x") is None
    resolver = Resolver(infos=registry.table, providers=registry.names())
    assert str(resolver.resolve("zeta-2")) == "zeta:zeta-2"
    assert str(resolver.resolve("zed:anything")) == "zeta:anything"


def test_the_catalogue_note_follows_the_info() -> None:
    from orchestration_kernel import OrchestrationEngine

    engine = OrchestrationEngine(offline="on", audit=False)
    assert "not in the model catalogue" in (engine.model_note("gpt-99-preview") or "")
    assert engine.model_note("ollama:anything") is None  # compatible: not catalogued
