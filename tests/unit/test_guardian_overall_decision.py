"""A check's overall decision (policy ``guardian``), made without pydantic's validation
(issue 20, speed: the fixed cost of every check), is the model ``Decision(...)`` makes:
the same field values in the same order, the same fields recorded as set, no extra or
private state, and it behaves like one (dump, copy, pickle, equality, independent
instances). The reference is built here with the validating constructor."""

from __future__ import annotations

import asyncio
import copy
import pickle

import pytest

from orchestration_kernel.guardian import GuardContext, Guardian
from orchestration_kernel.guardian.policy import Outcome
from orchestration_kernel.guardian.redaction import Finding
from orchestration_kernel.models import Decision


def _checked(guardian: Guardian, text: str, stage: str = "input") -> Decision:
    check = guardian.check_input if stage == "input" else guardian.check_output
    verdict = asyncio.run(check(text, GuardContext()))
    overall = verdict.overall
    assert overall is not None
    return overall


def _reference(made: Decision) -> Decision:
    """What ``Decision(...)`` makes from the overall decision's fields (score and
    threshold left to their defaults, as the Guardian leaves them)."""
    return Decision(
        action=made.action,
        policy=made.policy,
        stage=made.stage,
        reasons=list(made.reasons),
        spans=list(made.spans),
        elapsed_ms=made.elapsed_ms,
        guardian_failure=made.guardian_failure,
    )


def _state(decision: Decision) -> dict[str, object]:
    state = decision.__getstate__()
    return {**state, "__dict__": list(state["__dict__"].items())}  # order counts


def _objecting(text: str, ctx: GuardContext) -> Outcome:
    return Outcome("redact", ["seen"], [Finding("THING", 0, min(3, len(text)), 0.5)])


def _failing(text: str, ctx: GuardContext) -> None:
    raise RuntimeError("broken")


@pytest.mark.parametrize(
    ("policies", "text", "stage", "action"),
    [
        (None, "What is the capital of France?", "input", "allow"),
        (None, "", "output", "allow"),
        ([_objecting], "abcdef", "input", "redact"),
        ([_objecting, _failing], "abcdef", "output", "block"),
        (None, "Mail jane.doe@example.com please", "input", "redact"),
    ],
)
def test_overall_decision_is_what_the_validating_constructor_makes(
    policies: list[object] | None, text: str, stage: str, action: str
) -> None:
    made = _checked(Guardian(policies), text, stage)
    assert made.action == action
    reference = _reference(made)
    assert _state(made) == _state(reference)
    assert made.model_fields_set == reference.model_fields_set
    assert made == reference
    assert made.model_dump() == reference.model_dump()
    assert made.model_dump_json() == reference.model_dump_json()
    assert repr(made) == repr(reference) and str(made) == str(reference)


def test_overall_decision_copies_pickles_and_validates_like_a_model() -> None:
    made = _checked(Guardian([_objecting]), "abcdef")
    assert pickle.loads(pickle.dumps(made)) == made
    assert copy.deepcopy(made) == made
    assert made.model_copy(update={"action": "warn"}).action == "warn"
    assert Decision.model_validate(made.model_dump()) == made
    assert Decision.model_validate_json(made.model_dump_json()) == made
    assert made.rank == 2 and made.spans[0].entity == "THING"


def test_each_overall_decision_has_its_own_state() -> None:
    guardian = Guardian()
    first, second = _checked(guardian, "hello there"), _checked(guardian, "hello there")
    # What one caller changes on its decision (pipeline results assign fields) stays there.
    first.__pydantic_fields_set__.add("score")
    first.reasons.append("mine")
    assert second.model_fields_set == _reference(second).model_fields_set
    assert second.reasons == ["no policy objected"]
