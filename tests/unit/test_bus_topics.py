"""Topic validation and wildcard matching."""

from __future__ import annotations

import pytest

from orchestration_kernel.bus.topics import (
    compile_pattern,
    step_topic,
    topic_segment,
    validate_topic,
)
from orchestration_kernel.errors import ConfigurationError


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("context.updated", "context.updated", True),
        ("context.updated", "context.set", False),
        ("context.*", "context.updated", True),
        ("context.*", "context", False),
        ("context.*", "context.a.b", False),
        ("*.updated", "context.updated", True),
        ("run.#", "run", True),
        ("run.#", "run.1", True),
        ("run.#", "run.1.step.a.output", True),
        ("run.#", "runs.1", False),
        ("run.**", "run.1.step", True),
        ("#", "anything.at.all", True),
        ("#.output", "run.1.step.a.output", True),
        ("#.output", "run.1.step.a.error", False),
        ("run.*.step.*.output", "run.9.step.b.output", True),
        ("run.*.step.*.output", "run.9.step.b.c.output", False),
        ("run.#.output", "run.output", True),
        ("a.#.b.#.c", "a.x.b.y.z.c", True),
        ("a.#.b.#.c", "a.x.y.c", False),
        ("a+b.c", "a+b.c", True),
        ("a+b.c", "aab.c", False),  # literal segments are not regexes
    ],
)
def test_pattern_matching(pattern: str, topic: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(topic) is expected


@pytest.mark.parametrize("bad", ["", "a..b", ".a", "a.", "step.*_done", "a.b#", 3])
def test_malformed_patterns_are_rejected(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        compile_pattern(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "a..b", "context.*", "run.#", "a.**", None])
def test_publish_topics_must_be_concrete(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        validate_topic(bad)  # type: ignore[arg-type]


def test_valid_topic_is_returned() -> None:
    assert validate_topic("run.1.step.a") == "run.1.step.a"


def test_step_topic_is_publishable_and_matches_run_patterns() -> None:
    topic = step_topic("r.1", "my step*")
    validate_topic(topic)
    assert compile_pattern("run.*.step.*.output").matches(topic)
    assert topic_segment("...") == "_"


def test_pattern_repr_names_the_pattern() -> None:
    assert "context.*" in repr(compile_pattern("context.*"))
