"""Findings and how they are taken out of a text: the replace, mask and keyed-hash
operators, and the one function that applies a set of (possibly overlapping) findings."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

from ..errors import ConfigurationError

__all__ = ["Finding", "Operator", "Redactor", "apply_findings", "mask_value"]

Operator = Literal["replace", "mask", "hash"]

#: How many trailing characters ``mask`` keeps visible, per entity (others: none).
_MASK_KEEP_LAST = {"CREDIT_CARD": 4, "IBAN": 4, "US_SSN": 4, "PHONE_NUMBER": 2}


@dataclass(frozen=True, slots=True, init=False)
class Finding:
    """Something a detector found: entity type, position in the checked text, and what
    should stand in its place when the text is redacted (``None``: ``<ENTITY>``)."""

    entity: str
    start: int
    end: int
    score: float | None = None
    replacement: str | None = None

    def __init__(
        self,
        entity: str,
        start: int,
        end: int,
        score: float | None = None,
        replacement: str | None = None,
    ) -> None:
        # What a frozen dataclass's own __init__ does (object.__setattr__ per field),
        # each slot's setter called directly: half the cost, and a scan of a page full
        # of personal data makes a finding per match, then one per stand-in.
        _set_entity(self, entity)
        _set_start(self, start)
        _set_end(self, end)
        _set_score(self, score)
        _set_replacement(self, replacement)

    def placeholder(self) -> str:
        """The text that replaces this finding."""
        return f"<{self.entity}>" if self.replacement is None else self.replacement


def _slot_setter(name: str) -> Callable[[Finding, object], None]:
    setter: Callable[[Finding, object], None] = getattr(Finding, name).__set__
    return setter


_set_entity, _set_start, _set_end, _set_score, _set_replacement = map(
    _slot_setter, ("entity", "start", "end", "score", "replacement")
)


#: A finding's start, read in C (the sort key of :func:`_merge`).
_START = attrgetter("start")


def mask_value(entity: str, value: str) -> str:
    """Mask letters and digits with ``*``, keeping separators and, for numbers people
    recognise by their tail (cards, IBANs, SSNs), the last few characters."""
    if entity == "EMAIL" and "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    keep = _MASK_KEEP_LAST.get(entity, 0)
    alnum_seen = 0
    total = sum(ch.isalnum() for ch in value)
    out = []
    for ch in value:
        if ch.isalnum():
            alnum_seen += 1
            out.append(ch if alnum_seen > total - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


class Redactor:
    """Turns a found value into its stand-in, by one operator.

    ``hash`` is an HMAC-SHA256 under ``key``: the same value gives the same token within a
    session (so a reader can still tell two people apart), and nothing outside the session
    can reverse or link it. Without a key, a random one is drawn per :class:`Redactor`.
    """

    __slots__ = ("_key", "operator")

    def __init__(self, operator: Operator = "replace", key: bytes | None = None) -> None:
        if operator not in ("replace", "mask", "hash"):
            raise ConfigurationError(
                f"unknown redaction operator {operator!r}: use 'replace', 'mask' or 'hash'"
            )
        self.operator: Operator = operator
        self._key = key or os.urandom(32)

    def __repr__(self) -> str:
        return f"Redactor({self.operator!r})"

    def __call__(self, entity: str, value: str) -> str:
        """The stand-in for ``value`` of type ``entity``."""
        if self.operator == "mask":
            return mask_value(entity, value)
        if self.operator == "hash":
            return f"<{entity}:{self.digest(entity, value)}>"
        return f"<{entity}>"

    def digest(self, entity: str, value: str) -> str:
        """A short keyed hash of ``value`` (12 hex characters)."""
        msg = f"{entity}\x00{value}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:12]


def _merge(findings: Iterable[Finding]) -> list[tuple[int, int, str]]:
    """Overlapping findings become one edit over their union (so no part of either
    survives), standing in as the longer finding's placeholder."""
    # Ordered by start, else as given (a stable sort by a C-level attribute getter; a
    # key tuple built per finding cost twice as much). Findings that start together all
    # overlap: whatever their order, the edit spans the longest and stands in as the
    # first of the longest, so the longer need not come first.
    ordered = sorted(findings, key=_START)
    merged: list[tuple[int, int, str, int]] = []
    last_end = 0
    for f in ordered:
        start, end = f.start, f.end
        if end <= start:
            continue
        if merged and start < last_end:
            m_start, m_end, text, length = merged[-1]
            if end - start > length:
                text, length = f.placeholder(), end - start
            if end > m_end:
                m_end = last_end = end
            merged[-1] = (m_start, m_end, text, length)
        else:
            merged.append((start, end, f.placeholder(), end - start))
            last_end = end
    return [(s, e, t) for s, e, t, _ in merged]


def apply_findings(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with every finding replaced by its placeholder."""
    edits = _merge(findings)
    if not edits:
        return text
    parts: list[str] = []
    pos = 0
    for start, end, replacement in edits:
        parts.append(text[pos:start])
        parts.append(replacement)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
