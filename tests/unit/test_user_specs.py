"""What a user builds by hand fails as our ConfigurationError, naming the field: the
pydantic models (``Identity``, ``Message``, ``GuardianConfig``, ``PipelineSpec``, the
``Guardian``'s options) and the plain dataclasses (``RetryPolicy``, ``Timeouts``,
``SimulatorConfig``). pydantic's own error, with its docs link, never reaches the user."""

from __future__ import annotations

import pytest

from orchestration_kernel import (
    Guardian,
    Identity,
    Message,
    OrchestrationEngine,
    PipelineSpec,
    RetryPolicy,
    SimulatorConfig,
    Timeouts,
)
from orchestration_kernel.errors import ConfigurationError, SpecError
from orchestration_kernel.guardian import GuardianConfig
from orchestration_kernel.pipeline import load_pipeline


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Identity(user="u1"), "Invalid Identity: 'user_id' is required"),
        (lambda: Message(role="usr", content="x"), "Invalid Message: role: Input should be"),
        (
            lambda: PipelineSpec(steps=[{"name": "a", "modle": "gpt-4o", "prompt": "p"}]),
            "unknown option 'steps.0.modle'. Did you mean 'model'?",
        ),
        (lambda: GuardianConfig(pii_operater="mask"), "Did you mean 'pii_operator'?"),
        (lambda: Guardian(pii_operater="mask"), "unknown option 'pii_operater'"),
        (lambda: Guardian(injection_threshold=5), "injection_threshold: Input should be less"),
        (lambda: Guardian().configure(pii_entites=["EMAIL"]), "Did you mean 'pii_entities'"),
        (lambda: RetryPolicy(max_attempts=0), "RetryPolicy: max_attempts must be a number at"),
        (lambda: RetryPolicy(jitter=2), "jitter must be a number at least 0 and at most 1"),
        (lambda: Timeouts(connect=-1), "Timeouts: connect must be a number above 0, not -1"),
        (lambda: Timeouts(idle=float("nan")), "idle must be a number above 0, not nan"),
        (lambda: SimulatorConfig(latency=-1), "SimulatorConfig: latency must be"),
        (lambda: SimulatorConfig(latency=(0.3, 0.1)), "low first"),
        (
            lambda: OrchestrationEngine(offline="on", audit=False, simulator={"chunks": 0}),
            "chunks must be a number at least 1",
        ),
    ],
)
def test_a_bad_field_is_a_configuration_error_naming_it(build, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        build()
    assert message in str(info.value)
    assert "errors.pydantic.dev" not in str(info.value)


def test_a_value_given_is_never_repeated_in_the_message() -> None:
    with pytest.raises(ConfigurationError) as info:
        Identity(user_id=["sk-" + "Zq8vK2mP9xR4tL7w" * 2])
    assert "Zq8vK2mP9xR4tL7w" not in str(info.value)


def test_good_specs_still_build_and_nested_errors_keep_their_yaml_line() -> None:
    assert Identity(user_id="u1").user_id == "u1"
    assert Message(role="user", content="hi").content == "hi"
    assert RetryPolicy(max_attempts=1, base_delay=0).max_attempts == 1
    with pytest.raises(SpecError) as info:
        load_pipeline("steps:\n  - name: a\n    modle: gpt-4o\n    prompt: p\n")
    where = {(p.line, p.column): p.message for p in info.value.errors}
    assert "unknown key 'modle'" in where[(3, 5)]
