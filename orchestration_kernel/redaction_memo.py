"""The audit's redactor, remembering what it made of short texts (issue 24).

Every string of every audit row goes through the Guardian's ``redact`` on the writer
thread, and a call's rows carry the same short strings again and again: the model, the
deployment, the router's reasons. ``redact`` costs tens of microseconds even on a model
name (its detectors' fixed cost), so a route row's dozen strings cost more than the 1 KB
prompt. ``redact`` is a pure function of the text and the Guardian's detectors (pseudonyms
are keyed HMACs, not counters), so a short text's result is kept and reused — until the
detectors change (``configure``, ``add_policy``, ``remove_policy`` build new ones), which
empties the memory. Long texts (prompts, replies) are redacted afresh each time.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MemoRedactor", "audit_redactor"]

#: Texts up to this many characters are remembered (ids, names, reasons, short errors).
MAX_CHARS = 256
#: How many results are kept before the memory starts again.
MAX_ENTRIES = 4096


class MemoRedactor:
    """``guardian.redact`` with the results for short texts remembered."""

    __slots__ = ("_detectors", "_memo", "guardian")

    def __init__(self, guardian: Any) -> None:
        self.guardian = guardian
        self._memo: dict[str, str] = {}
        self._detectors: tuple[Any, ...] = ()

    def _current(self) -> tuple[Any, ...]:
        # The detector objects ``redact`` uses: new objects mean a new configuration.
        return (getattr(self.guardian, "_secrets", None), getattr(self.guardian, "_pii", None))

    def __call__(self, text: str) -> str:
        """``text`` redacted, exactly as ``guardian.redact(text)`` returns it."""
        detectors = self._current()
        if len(text) > MAX_CHARS or None in detectors:
            # Long texts rarely repeat; and a Guardian whose detectors we cannot see
            # (renamed attributes) is never answered from memory.
            return str(self.guardian.redact(text))
        if detectors != self._detectors:  # configured anew: forget what the old ones made
            self._memo = {}
            self._detectors = detectors
        memo = self._memo
        found = memo.get(text)
        if found is None:
            if len(memo) >= MAX_ENTRIES:
                memo.clear()
            found = memo[text] = str(self.guardian.redact(text))
        return found


def audit_redactor(guardian: Any) -> Any:
    """The redactor an audit trail should use for ``guardian``: remembered results for our
    own :class:`~orchestration_kernel.guardian.Guardian`, its plain ``redact`` for any other
    object (whose ``redact`` we cannot assume to be pure)."""
    from .guardian import Guardian

    return MemoRedactor(guardian) if type(guardian) is Guardian else guardian.redact
