"""Credentials masked where no Guardian is configured: the floor under everything we store
or show of the text a user gave.

``OrchestrationEngine(guardian=False)`` turns the checks off (no decisions, no blocks), not
the promise that no API key lands in the audit or a notebook output. The audit trail's
default redactor and the views' echo of a prompt or an item use :func:`redact_secrets`:
the secrets policy's detectors alone, with its ``<ENTITY>`` stand-ins, and no personal
data rules (those are the Guardian's, on or off as configured).
"""

from __future__ import annotations

from .memo import RedactionMemo
from .redaction import apply_findings
from .secrets import SecretDetector, may_hold_secret

__all__ = ["redact_secrets"]

#: Stateless (its rules are compiled once at import), so one serves every caller.
_DETECTOR = SecretDetector()
#: The audit asks about the same short strings row after row (model ids, route reasons),
#: and a scan costs about 7 µs even on two characters: answers are kept, bounded. A short
#: string with none of the literals a credential starts from is answered by the literal
#: gate (:func:`~.secrets.may_hold_secret`, a fraction of a µs), and kept only while the
#: memo has room: a repeat is then a lookup, and a flood of distinct ones evicts nothing.
_MEMO = RedactionMemo()


def redact_secrets(text: str) -> str:
    """``text`` with every credential the secrets policy finds replaced by ``<ENTITY>``."""
    if not text:
        return text
    known = _MEMO.get(text)
    if isinstance(known, str):
        return known
    if not may_hold_secret(text):
        # None of the literals a credential starts from: no scan. Kept while the memo
        # has room (a repeat is then a lookup), never at the cost of an eviction.
        _MEMO.offer(text, text)
        return text
    findings = _DETECTOR.scan(text)
    redacted = apply_findings(text, findings) if findings else text
    _MEMO.put(text, redacted)
    return redacted
