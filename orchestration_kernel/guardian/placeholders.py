"""What a credential-shaped value that is *not* a credential looks like: documentation
placeholders, templates and references, elided or masked values.

The rule the secrets detector follows: a value that is empty, one character repeated
(``xxxx``, ``sk-aaaa``), mostly one character or a long run of a mask character
(``4b1dXXXXXXXX…``), an ascending run (``abcdef``, ``123456``, the keyboard-walk of a
made-up sample), or that says ``EXAMPLE``, ``your``, ``REDACTED``, ``<…>``, ``${…}`` or
ends in ``...`` is a placeholder. A real-looking value is still caught under any name.
"""

from __future__ import annotations

import itertools

__all__ = ["has_sequence_run", "is_placeholder", "mask_dominated"]

_PLACEHOLDER_WORDS = (
    "your",
    "example",
    "xxxx",
    "placeholder",
    "changeme",
    "change_me",
    "redacted",
    "dummy",
    "insert",
    "replace",
    "todo",
    "fake",
    "sample",
    "foobar",
    "notreal",
    "not_real",
    "****",
    "....",
    "####",
    "…",
)
#: A value starting with one of these is a template or a reference, not a literal.
_TEMPLATE_STARTS = (
    "<",
    "{{",
    "${",
    "$(",
    "$",
    "%(",
    "%{",
    "[",
    "os.",
    "process.",
    "env.",
    "getenv",
    "secrets.",
    "vault:",
)
_TEMPLATE_ENDS = ("...", "…")
_LITERALS = frozenset(
    {
        "null",
        "none",
        "true",
        "false",
        "nil",
        "undefined",
        "empty",
        "secret",
        "password",
        "passwd",
        "token",
        "apikey",
        "api_key",
        "string",
        "required",
        "optional",
    }
)
#: Characters people fill a made-up value with.
_MASK_CHARS = frozenset("xX*#0._-•")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"


def has_sequence_run(value: str, length: int = 6) -> bool:
    """True when ``value`` holds ``length`` ascending letters or digits in a row
    (``abcdef``, ``123456``, ``7890``+``ab`` does not count): a person typed it."""
    run = 1
    low = value.lower()
    for prev, ch in itertools.pairwise(low):
        if ord(ch) == ord(prev) + 1 and (ch in _ALPHABET or ch in _DIGITS):
            run += 1
            if run >= length:
                return True
        else:
            run = 1
    return False


def mask_dominated(value: str) -> bool:
    """True when a mask character (``x``, ``*``, ``0``, ``#``, ...) makes up 40% or more
    of a value of 8+ characters, or runs 6 times in a row."""
    if len(value) < 8:
        return len(set(value)) <= 1
    counts: dict[str, int] = {}
    run, best_mask_run, prev = 0, 0, ""
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
        run = run + 1 if ch == prev else 1
        prev = ch
        if ch in _MASK_CHARS and run > best_mask_run:
            best_mask_run = run
    masked = max((n for ch, n in counts.items() if ch in _MASK_CHARS), default=0)
    return masked >= 0.4 * len(value) or best_mask_run >= 6


def is_placeholder(value: str, *, sequences: bool = True) -> bool:
    """True for a value that stands in for a secret rather than being one.

    ``sequences``: also count ascending runs (``abcdef``) as made up; off for passwords
    a person chose, where a run is a weak password, not a sample.
    """
    stripped = value.strip()
    if not stripped:
        return True
    low = stripped.lower()
    if low in _LITERALS or low.startswith(_TEMPLATE_STARTS) or low.endswith(_TEMPLATE_ENDS):
        return True
    if len(set(low)) <= 2 or mask_dominated(stripped):
        return True
    if any(w in low for w in _PLACEHOLDER_WORDS):
        return True
    return sequences and has_sequence_run(stripped)
