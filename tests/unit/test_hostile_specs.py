"""Hostile specs (issue 15, items 2 and 3): every one fails fast as a SpecError that says
where and why, never as a RecursionError, TypeError, ValueError or a hang.

Targets are 0.1 s for an alias bomb and 2 s for the rest (timed in ``make bench``, not
here). The hang guards here are generous: a busy CI machine can stall a process for a
second, while a bound that no longer holds makes a bomb take hours, not seconds.
"""

from __future__ import annotations

import pytest

from orchestration_kernel.errors import SpecError
from orchestration_kernel.pipeline.loader import load_pipeline
from orchestration_kernel.pipeline.when import (
    MAX_NESTING,
    WhenSyntaxError,
    parse_condition,
)
from orchestration_kernel.yaml_bounds import MAX_DEPTH, MAX_NODES
from tests.hostile import LONE_SURROGATE, SPECS, alias_bomb


def refused(source: object) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_pipeline(source)
    return info.value


@pytest.mark.timeout(30)
@pytest.mark.parametrize("depth", [6, 8, 30])
def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_bound(depth: int) -> None:
    text = alias_bomb(depth)
    error = refused(text)
    (problem,) = error.errors
    assert "alias *a" in problem.message and f"{MAX_NODES:,}" in problem.message
    # The position is the alias that crossed the bound, named in the message.
    line = text.splitlines()[problem.line - 1]
    alias = line[problem.column - 1 :].split(",")[0].rstrip("]")
    assert alias.startswith("*a") and f"alias {alias} " in problem.message


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(SPECS))
def test_each_hostile_spec_is_a_positioned_spec_error(name: str) -> None:
    text, says = SPECS[name]
    error = refused(text)
    assert says in str(error)
    assert all(p.line is not None for p in error.errors), error.errors


@pytest.mark.timeout(30)
def test_aliases_that_stay_small_still_work() -> None:
    text = "base: &b {model: m, temperature: 0.5}\nsteps:\n- <<: *b\n  prompt: one\n"
    text += "- <<: *b\n  prompt: two\n"
    error = refused(text)  # 'base' is not a spec key: the only problem, so aliases composed
    assert [p.message.split(":")[0] for p in error.errors] == ["unknown key 'base'"]
    spec = load_pipeline({"steps": [{"model": "m", "prompt": "x", "temperature": 0.5}] * 2})
    assert len(spec.spec.steps) == 2


@pytest.mark.timeout(30)
def test_an_alias_chain_that_nests_too_deep_names_the_alias() -> None:
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 200)]
    error = refused("\n".join([*lines, "steps: [{prompt: hi, model: m}]"]))
    (problem,) = error.errors
    assert f"deeper than {MAX_DEPTH}" in problem.message and "alias *a" in problem.message


@pytest.mark.timeout(30)
def test_steps_that_are_not_a_list_are_reported_with_every_other_problem() -> None:
    error = refused("name: x\nsteps: 5\nmodel: 3\n")
    assert [(p.line, p.path) for p in error.errors] == [(2, "steps"), (3, "model")]
    assert "valid list" in str(refused({"steps": 5}))


@pytest.mark.timeout(30)
def test_a_lone_surrogate_in_yaml_is_located() -> None:
    error = refused(f'steps:\n- prompt: "{LONE_SURROGATE}"\n  model: m\n')
    (problem,) = error.errors
    assert (problem.line, problem.column) == (2, 19) and "surrogate" in problem.message


@pytest.mark.timeout(30)
def test_a_lone_surrogate_in_a_python_spec_is_reported_at_its_key() -> None:
    step = {"prompt": LONE_SURROGATE, "model": "m", "system": "fine"}
    (problem,) = refused([step]).errors
    assert problem.path == "steps[0].prompt" and "surrogate" in problem.message


@pytest.mark.timeout(30)
def test_when_nesting_up_to_the_bound_parses_and_evaluates() -> None:
    depth = MAX_NESTING - 1
    cond = parse_condition("(" * depth + "true" + ")" * depth)
    assert cond.names == frozenset()
    cond = parse_condition("not " * depth + "true")
    from orchestration_kernel.pipeline.scope import Scope

    assert cond.evaluate(Scope(has_input=False))[0] is (depth % 2 == 0)
    with pytest.raises(WhenSyntaxError, match="nests more than"):
        parse_condition("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1))
    with pytest.raises(WhenSyntaxError, match="too long"):
        parse_condition("1e" + "9" * 200)
    with pytest.raises(WhenSyntaxError, match="too large"):
        parse_condition("x == 1e999")
