"""Blocked terms and topics from a list the user supplies: whole words, any case, any
whitespace between the words of a phrase."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..models import Action
from .context import GuardContext, Stage
from .policy import ALL_STAGES, BasePolicy, Outcome
from .redaction import Finding

__all__ = ["TermsPolicy"]


def _term_pattern(term: str) -> str:
    words = [re.escape(w) for w in term.split()]
    return r"\s+".join(words)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


class TermsPolicy(BasePolicy):
    """Acts (``block`` by default) when a listed term, or a term of a listed topic, occurs.

    ``topics`` maps a topic name to its terms; the reason names the topic, not the term.
    """

    name = "terms"

    def __init__(
        self,
        terms: Iterable[str] = (),
        *,
        topics: Mapping[str, Iterable[str]] | None = None,
        action: Action = "block",
        stages: Iterable[Stage] = ALL_STAGES,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, stages=stages)
        self.action: Action = action
        #: normalised term → the label used in reasons.
        self._labels: dict[str, str] = {}
        for term in terms:
            if term.strip():
                self._labels[_normal(term)] = f"term {term.strip()!r}"
        for topic, topic_terms in (topics or {}).items():
            for term in topic_terms:
                if term.strip():
                    self._labels.setdefault(_normal(term), f"topic {topic!r}")
        self._pattern = self._compile()

    def _compile(self) -> re.Pattern[str] | None:
        if not self._labels:
            return None
        # Longest first, so "credit card number" wins over "credit card".
        alternatives = sorted(self._labels, key=len, reverse=True)
        body = "|".join(_term_pattern(t) for t in alternatives)
        return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)

    @property
    def terms(self) -> tuple[str, ...]:
        """The normalised terms this policy looks for."""
        return tuple(self._labels)

    def check(self, text: str, ctx: GuardContext, stage: Stage) -> Outcome | None:
        """Act on the first and every further listed term found."""
        if self._pattern is None:
            return None
        findings: list[Finding] = []
        labels: list[str] = []
        for m in self._pattern.finditer(text):
            label = self._labels.get(_normal(m.group()), "a blocked term")
            findings.append(Finding("BLOCKED_TERM", m.start(), m.end(), 1.0))
            if label not in labels:
                labels.append(label)
        if not findings:
            return None
        return Outcome(self.action, [f"blocked {label}" for label in labels], findings)
