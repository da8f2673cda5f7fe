"""Error messages: what a user reads must name the cause once and hold no secret."""

from __future__ import annotations

from orchestration_kernel.errors import (
    AllAttemptsFailed,
    GuardianBlocked,
    MissingKeyError,
    ProviderError,
    SpecError,
    SpecProblem,
    UnknownModelError,
)
from orchestration_kernel.models import Decision


def test_guardian_blocked_names_each_blocking_policy_once() -> None:
    decisions = [
        Decision(action="block", policy="guardian", stage="input", reasons=["no-sql: drop"]),
        Decision(action="block", policy="no-sql", stage="input", reasons=["drop"]),
        Decision(action="warn", policy="pii", stage="input", reasons=["email"]),
    ]
    message = str(GuardianBlocked("input", decisions))
    assert message == "Guardian blocked the input: no-sql: drop"


def test_guardian_blocked_falls_back_to_the_overall_decision() -> None:
    decisions = [Decision(action="block", policy="guardian", stage="output", reasons=["failed"])]
    assert str(GuardianBlocked("output", decisions)).endswith("guardian: failed")


def test_missing_key_names_variable_model_and_offline_switch() -> None:
    message = str(
        MissingKeyError("gemini", ["GEMINI_API_KEY", "GOOGLE_API_KEY"], model="gemini-pro")
    )
    assert "GEMINI_API_KEY or GOOGLE_API_KEY" in message
    assert "gemini-pro" in message and "ORCHESTRATION_OFFLINE=auto" in message
    assert "'%orchestrate key gemini' asks for it" in message  # session 10: the notebook way


def test_unknown_model_and_spec_errors_are_user_errors() -> None:
    assert UnknownModelError("claud", ["claude-3"]).user_error
    err = SpecError([SpecProblem("unknown key 'promt'", line=3, column=5, path="steps[0]")])
    assert "line 3, column 5: steps[0]: unknown key 'promt'" in str(err)
    assert err.user_error


def test_all_attempts_failed_is_a_user_error_only_when_its_cause_is() -> None:
    assert not AllAttemptsFailed("m", [1, 2], ProviderError("down", status=503)).user_error
    assert AllAttemptsFailed("m", [1], MissingKeyError("openai", ["OPENAI_API_KEY"])).user_error
    assert "2 attempts failed" in str(AllAttemptsFailed("m", [1, 2], None))
