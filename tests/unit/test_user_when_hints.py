"""A ``when:`` condition written as a prompt writes it says what to write instead.

``{views[claude-3]}`` reads a fan-out's model in a prompt; in a condition the same
``views[claude-3]`` failed with "arithmetic is not supported", and ``len(triage) > 3``
with "function calls are not allowed", neither saying what to write."""

from __future__ import annotations

import pytest

from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.errors import SpecError

FAN_OUT = """
steps:
  - name: views
    model: [gpt-4o, claude-3]
    prompt: "Your view on {{input}}"
  - name: next
    model: gpt-4o
    when: "{when}"
    prompt: "Go on from {{views}}"
"""


@pytest.fixture(scope="module")
def engine() -> OrchestrationEngine:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    return engine


@pytest.mark.parametrize(
    ("when", "advice"),
    [
        ("'yes' in views[claude-3]", "views['claude-3']"),
        ("views[ gpt-4o ] == 'no'", "views['gpt-4o']"),
        ("views.claude[claude-3-5-haiku] != ''", "views.claude['claude-3-5-haiku']"),
    ],
)
def test_a_bare_key_with_a_dash_is_told_to_quote_it(
    engine: OrchestrationEngine, when: str, advice: str
) -> None:
    with pytest.raises(SpecError) as caught:
        engine.create_pipeline(FAN_OUT.format(when=when))
    assert f"quote a key that is not a plain name: {advice}" in str(caught.value)


def test_the_quoted_key_it_advises_loads(engine: OrchestrationEngine) -> None:
    engine.create_pipeline(FAN_OUT.format(when="'yes' in views['claude-3']"))


@pytest.mark.parametrize("when", ["score - 1 > 2", "'a' in views - 3"])
def test_arithmetic_is_still_said_to_be_unsupported(engine: OrchestrationEngine, when: str) -> None:
    with pytest.raises(SpecError) as caught:
        engine.create_pipeline(FAN_OUT.format(when=when))
    assert "arithmetic is not supported" in str(caught.value)


def test_a_function_call_says_what_a_condition_can_do(engine: OrchestrationEngine) -> None:
    with pytest.raises(SpecError) as caught:
        engine.create_pipeline(FAN_OUT.format(when="len(views) > 3"))
    message = str(caught.value)
    assert "function calls are not allowed" in message
    assert "\"'urgent' in triage\"" in message and "and/or/not" in message
