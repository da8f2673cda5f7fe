"""The offline token estimator: behaviour, not figures (those are in docs/)."""

from __future__ import annotations

import pytest

from orchestration_kernel.routing import ModelRef, estimate_request_tokens, estimate_tokens
from orchestration_kernel.routing.tokens import family_for

PROSE = (
    "The router chooses a deployment for every call, records why it chose it, and "
    "cools down a deployment that keeps failing before probing it again. "
) * 20


def test_empty_and_tiny_texts():
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    assert estimate_tokens(" ") == 1


def test_english_prose_is_near_four_characters_per_token():
    tokens = estimate_tokens(PROSE)
    assert len(PROSE) / 6 < tokens < len(PROSE) / 3


def test_estimates_grow_with_the_text():
    assert estimate_tokens(PROSE * 2) > estimate_tokens(PROSE)
    assert estimate_tokens("x" * 1000) > estimate_tokens("x" * 100)


def test_digits_and_code_and_other_scripts():
    assert estimate_tokens("1234567890") >= 3  # digit groups of at most three
    code = "def f(x):\n    return {'a': [x, x ** 2]}\n" * 10
    assert estimate_tokens(code) > 50
    chinese = "该流水线依次调用三个模型" * 10
    assert estimate_tokens(chinese, "openai:gpt-4") > estimate_tokens(chinese, "openai:gpt-4o")
    assert estimate_tokens("🚀" * 10) >= 10
    german = "Die Pipeline ruft nacheinander drei Modelle auf und prüft die Zusammenfassung. " * 3
    assert estimate_tokens(german) > len(german.split())


@pytest.mark.parametrize(
    ("model", "family"),
    [
        (None, "o200k"),
        ("gpt-4o", "o200k"),
        ("openai:gpt-4.1-mini", "o200k"),
        ("o3", "o200k"),
        ("openai:gpt-4", "cl100k"),
        ("gpt-3.5-turbo", "cl100k"),
        ("anthropic:claude-sonnet-4-5", "cl100k"),
        (ModelRef("gemini", "gemini-2.5-pro"), "cl100k"),
        ("sim:echo", "o200k"),
        ("ollama:llama3", "cl100k"),
    ],
)
def test_model_families(model, family):
    assert family_for(model).name == family


def test_request_estimate_adds_role_framing():
    bare = estimate_tokens("hello") + estimate_tokens("be brief")
    assert estimate_request_tokens(["hello"], system="be brief") > bare
    assert estimate_request_tokens([]) > 0


def test_one_estimator_for_routing_limits_and_the_guardian() -> None:
    """The Guardian's size check and the engine's routing count the same tokens (they
    disagreed, 230 against 204, on one text)."""
    from orchestration_kernel import OrchestrationEngine
    from orchestration_kernel.guardian import estimate_tokens as guardian_estimate

    text = "Summarise the quarterly report for the board, in three bullet points. " * 13
    engine = OrchestrationEngine(offline="on", audit=False)
    assert guardian_estimate(text) == engine.estimate_tokens(text) == estimate_tokens(text)
