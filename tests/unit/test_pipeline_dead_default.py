"""A step's ``default:`` that no run can use is a spec error at its line (session 10,
fixes). Before, ``default:`` on a step with no ``when:`` and no ``on_error: skip`` loaded
silently: the user believed the step had a fallback, and the first failure failed the run.
A default that skipping can reach (its own ``when:``, ``on_error: skip``, or every step it
depends on skipped by a ``when:``) loads, and is used, as before."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import SpecError


@pytest.fixture
def engine() -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", audit=False)


DEAD = """\
steps:
  - name: triage
    model: gpt-4o-mini
    prompt: "Classify: {input}"
  - name: summary
    model: gpt-4o-mini
    prompt: "Summarise {triage}"
    default: "no summary"
"""


def test_a_default_nothing_can_reach_names_its_line(engine: OrchestrationEngine) -> None:
    with pytest.raises(SpecError) as caught:
        engine.create_pipeline(DEAD)
    [problem] = caught.value.errors
    assert (problem.line, problem.column) == (8, 5)  # the 'default:' key
    assert "step 'summary': 'default' is never used" in problem.message
    assert "on_error: skip" in problem.message and "when:" in problem.message


def test_each_way_a_step_can_be_skipped_makes_its_default_live(
    engine: OrchestrationEngine,
) -> None:
    for extra in ("    on_error: skip\n", "    when: \"'urgent' in triage\"\n"):
        engine.create_pipeline(DEAD + extra)  # loads
    # Skipping carries down: every step 'after' depends on was skipped by its 'when:'.
    carried = engine.create_pipeline(
        [
            {"name": "a", "model": "gpt-4o-mini", "prompt": "x", "when": "input == 'go'"},
            {"name": "b", "model": "gpt-4o-mini", "prompt": "y {a}", "default": "via a"},
            {"name": "c", "model": "gpt-4o-mini", "prompt": "z {b}", "default": "via b"},
        ]
    )
    result = carried.run("stop")
    assert [result[s].output for s in "bc"] == ["via a", "via b"]


def test_one_dependency_that_always_runs_keeps_a_join_from_being_skipped(
    engine: OrchestrationEngine,
) -> None:
    spec = [
        {"name": "a", "model": "gpt-4o-mini", "prompt": "x", "when": "input == 'go'"},
        {"name": "b", "model": "gpt-4o-mini", "prompt": "y", "depends_on": []},
        {"name": "c", "model": "gpt-4o-mini", "prompt": "{a} {b}", "default": "never"},
        {"name": "d", "model": ["gpt-4o-mini", "claude-3"], "prompt": "{c}", "default": "n/a"},
    ]
    with pytest.raises(SpecError) as caught:
        engine.create_pipeline(spec)
    assert [p.path for p in caught.value.errors] == ["steps[2].default", "steps[3].default"]
