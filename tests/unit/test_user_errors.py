"""A user's mistake raises an error from our hierarchy (issue 17), never a bare built-in.

Each case is a mistake a user can make through a public name; each asserts the class (an
``OrchestrationError`` that is still the built-in callers may have caught before) and the
message it gives, near names included. The last test keeps ``errors.py``'s drawing true.
"""

from __future__ import annotations

import inspect
import pickle
import re
from pathlib import Path

import pytest

from orchestration_kernel import errors
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.bus import ContextBus
from orchestration_kernel.bus.metrics import HandoffStats, percentile
from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.errors import (
    ConfigurationError,
    InvalidInputError,
    OrchestrationError,
    UnknownNameError,
    UsageError,
)
from orchestration_kernel.guardian import (
    Guardian,
    InjectionModelPolicy,
    InjectionPolicy,
    SecretsPolicy,
)
from orchestration_kernel.guardian.policy import FunctionPolicy, as_policy, to_outcome
from orchestration_kernel.guardian.redaction import Redactor
from orchestration_kernel.pipeline.result import PipelineResult, StepResult
from orchestration_kernel.pipeline.spec import PipelineSpec
from orchestration_kernel.providers.sim import SimProvider
from orchestration_kernel.runtime import Runtime
from orchestration_kernel.secrets import Secret
from orchestration_kernel.session import Session


# -- unknown names: an UnknownNameError (a ConfigurationError and a KeyError) ---------------
def test_removing_an_unknown_guardian_policy_suggests_the_near_name() -> None:
    g = Guardian()
    with pytest.raises(UnknownNameError) as caught:
        g.remove_policy("pi")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, ConfigurationError)
    message = str(caught.value)
    assert message.startswith("Unknown policy 'pi'. Did you mean 'pii'? Known: ")
    assert "secrets" in message.partition("Known: ")[2]  # every registered policy is listed
    assert caught.value.suggestions == ["pii"]


def test_an_unknown_step_of_a_result_suggests_the_near_name() -> None:
    result = PipelineResult(run_id="r1", steps=[StepResult(name="summary")])
    with pytest.raises(KeyError) as caught:
        result["sumary"]
    assert isinstance(caught.value, UnknownNameError)
    assert str(caught.value) == "Unknown step 'sumary'. Did you mean 'summary'? Known: summary."


def test_an_unknown_step_of_a_spec_suggests_the_near_name() -> None:
    spec = PipelineSpec.model_validate({"steps": [{"name": "draft", "prompt": "Write {input}"}]})
    with pytest.raises(UnknownNameError, match=r"Unknown step 'Draft'\. Did you mean 'draft'\?"):
        spec.step("Draft")


def test_an_unknown_simulator_fault_suggests_the_near_name() -> None:
    with pytest.raises(UnknownNameError) as caught:
        SimProvider().script("rate_limt")
    assert isinstance(caught.value, ValueError)  # it was a ValueError before
    assert str(caught.value).startswith(
        "Unknown simulator fault 'rate_limt'. Did you mean 'rate_limit'? Known: rate_limit, "
    )


def test_an_unknown_session_service_without_a_factory_says_how_to_make_one() -> None:
    with pytest.raises(UnknownNameError) as caught:
        Session.current().service("engin")
    message = str(caught.value)
    assert message.startswith("Unknown session service 'engin'. Did you mean 'engine'?")
    assert message.endswith("Pass a factory: session.service(key, factory).")


def test_an_unknown_audit_event_is_named(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s")
    try:
        with pytest.raises(UnknownNameError, match=r"Unknown audit event 'cal'\. Did you mean"):
            trail.record("cal")
    finally:
        trail.close()


# -- wrong calls: a UsageError (a ConfigurationError and a TypeError) -----------------------
def test_unknown_audit_columns_are_named_with_their_near_names(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s")
    try:
        with pytest.raises(TypeError) as caught:
            trail.record("call", modle="gpt-4o", colour="red")
    finally:
        trail.close()
    assert isinstance(caught.value, UsageError) and isinstance(caught.value, OrchestrationError)
    message = str(caught.value)
    assert message.startswith(
        "Unknown audit columns 'colour', 'modle' (did you mean 'model'?). Known: "
    )


def test_a_policy_of_the_wrong_kind_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"a policy must be a callable .* got int"):
        as_policy(42)
    with pytest.raises(UsageError, match="a policy returned int 42; expected None, 'allow'"):
        to_outcome(42)


async def test_reading_a_callback_subscription_is_a_usage_error() -> None:
    runtime = Runtime("test-user-errors")
    bus = ContextBus("memory", runtime=runtime, session_id="s")
    try:
        sub = bus.subscribe("t.*", lambda message: None)
        with pytest.raises(UsageError, match=r"get\(\): this subscription feeds a callback"):
            await sub.get(timeout=0)
    finally:
        await bus.close()
        runtime.close()


def test_pickling_a_secret_is_refused_by_our_error() -> None:
    with pytest.raises(UsageError, match="a Secret cannot be pickled"):
        pickle.dumps(Secret("sk-not-a-real-key"))


# -- bad values: a ConfigurationError (a ValueError) ----------------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: InjectionPolicy(threshold=1.5),
            r"injection threshold must be in \(0, 1\], got 1.5",
        ),
        (lambda: SecretsPolicy(input_action="allow"), "never passed through: got 'allow'"),
        (lambda: InjectionModelPolicy(timeout=0), "injection_model timeout must be positive"),
        (lambda: Redactor("blur"), "unknown redaction operator 'blur'"),
        (lambda: FunctionPolicy(lambda t, c: None, stages=["both"]), "stages must be a non-emp"),
    ],
    ids=["injection-threshold", "secrets-action", "model-timeout", "operator", "stages"],
)
def test_guardian_settings_out_of_range_are_configuration_errors(make, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make()


def test_bus_metrics_refuse_bad_values_with_our_error() -> None:
    with pytest.raises(InvalidInputError, match="percentile of no values") as caught:
        percentile([], 50)
    assert caught.value.what == "values"
    with pytest.raises(InvalidInputError, match="non-negative number of ms, not -1"):
        HandoffStats().record(-1)


def test_a_pool_key_of_the_wrong_type_is_a_configuration_error() -> None:
    pools = {"p": {"deployments": [{"id": "a", "model": "openai:gpt-4o", "api_key": 1}]}}
    with pytest.raises(ConfigurationError, match="api_key must be a str or a Secret"):
        OrchestrationEngine(pools=pools, audit=False)


# -- the drawing in errors.py ---------------------------------------------------------------
def _drawn_parents() -> dict[str, str | None]:
    """Each class the docstring draws, with the class it hangs under."""
    block = errors.__doc__.split("```")[1]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        found = re.match(r"^([│ ]*[├└]── )?([A-Z]\w+)", line)  # not a note's second line
        if not found:
            continue
        depth = len(found[1] or "")
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[found[2]] = stack[-1][1] if stack else None
        stack.append((depth, found[2]))
    return parents


def test_the_error_drawing_shows_every_exception_under_its_parent() -> None:
    drawn = _drawn_parents()
    ours = {
        name: cls
        for name in errors.__all__
        if inspect.isclass(cls := getattr(errors, name)) and issubclass(cls, BaseException)
    }
    assert set(drawn) == set(ours)
    for name, parent in drawn.items():
        bases = [b.__name__ for b in ours[name].__bases__ if b.__module__ == errors.__name__]
        assert bases[:1] == ([parent] if parent else []), name
