"""Mistakes in Python calls that used to pass silently (found as a new user): a misspelt
model among fallbacks, a key kept under a misspelt provider, an empty key."""

from __future__ import annotations

import re

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import ConfigurationError, UnknownModelError

KEY = "sk-test-" + "q7" * 16


@pytest.fixture
def engine() -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", retry=RetryPolicy(max_attempts=1))


def test_a_misspelt_model_with_fallbacks_is_refused_not_skipped(
    engine: OrchestrationEngine,
) -> None:
    # Before: 'gtp-4' was skipped as unconfigurable and claude-3 answered, no attempt shown.
    with pytest.raises(
        UnknownModelError, match=re.escape("Unknown model 'gtp-4'. Did you mean: gpt-4")
    ):
        engine.complete_sync("gtp-4", "hi", fallbacks=["claude-3"])
    assert engine.simulator.calls == 0


def test_a_misspelt_fallback_is_found_before_the_first_call(engine: OrchestrationEngine) -> None:
    # Before: found only when the primary failed, i.e. during an outage.
    with pytest.raises(UnknownModelError, match=re.escape("'cluade-3'. Did you mean: claude-3")):
        engine.complete_sync("gpt-4", "hi", fallbacks=["cluade-3"])
    with pytest.raises(UnknownModelError, match="'cluade-3'"):
        list(engine.stream("gpt-4", "hi", fallbacks="cluade-3"))
    assert engine.simulator.calls == 0


def test_fallbacks_that_resolve_still_fail_over(engine: OrchestrationEngine) -> None:
    engine.add_pool("fast", [{"model": "openai:gpt-4o-mini"}])
    engine.simulator.script("server_error", model="gpt-4", times=None)
    reply = engine.complete_sync("gpt-4", "hi", fallbacks=["openai:gpt-9-preview", "fast"])
    assert [a.model for a in reply.attempts] == ["gpt-4", "openai:gpt-9-preview"]
    assert reply.model == "openai:gpt-9-preview"


def test_a_key_for_a_misspelt_provider_is_refused(engine: OrchestrationEngine) -> None:
    with pytest.raises(
        ConfigurationError, match=re.escape("Unknown provider 'opneai'. Did you mean openai")
    ):
        engine.set_key("opneai", KEY)
    with pytest.raises(ConfigurationError, match="key given for openai is empty") as info:
        engine.set_key("openai", "   ")
    assert not engine.providers.has_key("openai")
    engine.set_key("openai", KEY)
    assert engine.providers.has_key("openai")
    assert KEY not in str(info.value)
