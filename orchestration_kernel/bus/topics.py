"""Topic names and wildcard patterns.

A topic is a dot-separated list of non-empty segments: ``context.updated``,
``run.3f2a.step.analysis``. Publishers use plain topics; subscribers use patterns:

==============  ===========================================  ==========================
segment         matches                                      example
==============  ===========================================  ==========================
``name``        exactly that segment                         ``context.updated``
``*``           exactly one segment                          ``context.*``
``#`` / ``**``  zero or more segments (AMQP-style)            ``run.#`` matches ``run``,
                                                             ``run.7`` and ``run.7.step.a``
==============  ===========================================  ==========================

Wildcards stand for whole segments only: ``step.*_done`` is rejected rather than
silently treated as a literal.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import ConfigurationError
from ..text_checks import check_text

__all__ = ["TopicPattern", "compile_pattern", "step_topic", "topic_segment", "validate_topic"]

_MANY = frozenset({"#", "**"})
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-:]+")


def validate_topic(topic: str) -> str:
    """Return ``topic`` if it is a valid topic to publish on, else raise ConfigurationError."""
    if not isinstance(topic, str) or not topic:
        raise ConfigurationError(
            f"A topic must be a non-empty string like 'context.updated', not {topic!r}."
        )
    segments = topic.split(".")
    if any(not s for s in segments):
        raise ConfigurationError(
            f"Topic {topic!r} has an empty segment; use names separated by "
            f"single dots, like 'run.42.step.analysis'."
        )
    if any(("*" in s or s == "#") for s in segments):
        raise ConfigurationError(
            f"Cannot publish on {topic!r}: wildcards ('*', '#', '**') are "
            f"for subscribe() patterns; publish on a concrete topic."
        )
    check_text(topic, "the topic")
    return topic


class TopicPattern:
    """A compiled subscription pattern; :meth:`matches` tells whether a topic fits it."""

    __slots__ = ("_exact", "_regex", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        segments = _split_pattern(pattern)
        wild = any(s == "*" or s in _MANY for s in segments)
        self._exact: str | None = None if wild else pattern
        self._regex = None if not wild else re.compile(_to_regex(segments))

    def matches(self, topic: str) -> bool:
        """True when ``topic`` fits this pattern."""
        if self._exact is not None:
            return topic == self._exact  # the common case: no regex on the hot path
        assert self._regex is not None
        return self._regex.fullmatch("." + topic) is not None

    def __repr__(self) -> str:
        return f"TopicPattern({self.pattern!r})"


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> TopicPattern:
    """Compile (and cache) a subscription pattern; raises ConfigurationError when malformed."""
    return TopicPattern(pattern)


def _split_pattern(pattern: str) -> list[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ConfigurationError(
            f"A topic pattern must be a non-empty string like 'context.*', not {pattern!r}."
        )
    segments = pattern.split(".")
    for s in segments:
        if not s:
            raise ConfigurationError(
                f"Pattern {pattern!r} has an empty segment; separate names "
                f"with single dots, like 'run.*.step.#'."
            )
        if s not in _MANY and s != "*" and ("*" in s or "#" in s):
            raise ConfigurationError(
                f"Pattern {pattern!r}: wildcards must be whole segments ('*' for one segment, "
                f"'#' or '**' for any number), not part of {s!r}."
            )
    return segments


def _to_regex(segments: list[str]) -> str:
    # Matched against "." + topic, so every segment (even the first) is ".<name>" and
    # "zero or more segments" is simply a repeated optional group.
    parts = []
    for s in segments:
        if s == "*":
            parts.append(r"\.[^.]+")
        elif s in _MANY:
            parts.append(r"(?:\.[^.]+)*")
        else:
            parts.append(r"\." + re.escape(s))
    return "".join(parts)


def topic_segment(name: object) -> str:
    """Make ``name`` safe as one topic segment (dots and wildcards become ``_``)."""
    cleaned = _UNSAFE.sub("_", str(name)).strip("_")
    return cleaned or "_"


def step_topic(run_id: str, step: str, event: str = "output") -> str:
    """The topic a pipeline publishes a step's output on: ``run.<run_id>.step.<step>.<event>``.

    Subscribe to ``run.<run_id>.#`` for one run, or ``run.*.step.*.output`` for every step.
    """
    return f"run.{topic_segment(run_id)}.step.{topic_segment(step)}.{topic_segment(event)}"
