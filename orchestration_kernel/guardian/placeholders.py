"""What a credential-shaped value that is *not* a credential looks like: documentation
placeholders, templates and references, elided or masked values.

The rule the secrets detector follows: a value that is empty, one character repeated
(``xxxx``, ``sk-aaaa``), mostly one character or a long run of a mask character
(``4b1dXXXXXXXX…``), an ascending run (``abcdef``, ``123456``, the keyboard-walk of a
made-up sample), or that says ``EXAMPLE``, ``your``, ``REDACTED``, ``<…>``, ``${…}`` or
ends in ``...`` is a placeholder. A real-looking value is still caught under any name.

The filler tests (one or two characters, mostly a mask character, ``xxxx``) can be
turned off with ``fill=False``: a vendor token whose documented form has no delimiter
after its prefix (Twilio's ``SK…``, AWS's ``AKIA…``) is judged whole, and a prefix glued
to filler is then not "one character repeated" (see :mod:`.secret_formats`).
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["has_sequence_run", "is_placeholder", "mask_dominated"]

_PLACEHOLDER_WORDS = (
    "your",
    "example",
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
    "....",
    "…",
)
#: Filler words: a run of a mask character (only with ``fill``).
_FILL_WORDS = ("xxxx", "****", "####")
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
_RUN_OF_6 = re.compile(
    "|".join(seq[i : i + 6] for seq in (_ALPHABET, _DIGITS) for i in range(len(seq) - 5)),
    re.IGNORECASE,
)
_MASK_RUN = re.compile(r"([xX*#0._\-•])\1{5}")


def has_sequence_run(value: str, length: int = 6) -> bool:
    """True when ``value`` holds ``length`` ascending letters or digits in a row
    (``abcdef``, ``123456``): a person typed it."""
    if length != 6:
        low = value.lower()
        return any(
            seq[i : i + length] in low
            for seq in (_ALPHABET, _DIGITS)
            for i in range(len(seq))
            if len(seq[i : i + length]) == length
        )
    return bool(_RUN_OF_6.search(value))


def mask_dominated(value: str) -> bool:
    """True when a mask character (``x``, ``*``, ``0``, ``#``, ...) makes up 40% or more
    of a value of 8+ characters, or runs 6 times in a row."""
    if len(value) < 8:
        return len(set(value)) <= 1
    counts = Counter(value)
    masked = max((n for ch, n in counts.items() if ch in _MASK_CHARS), default=0)
    return masked >= 0.4 * len(value) or bool(_MASK_RUN.search(value))


def is_placeholder(value: str, *, sequences: bool = True, fill: bool = True) -> bool:
    """True for a value that stands in for a secret rather than being one.

    ``sequences``: also count ascending runs (``abcdef``) as made up; off for passwords
    a person chose, where a run is a weak password, not a sample. ``fill``: also count
    filler (two distinct characters or fewer, a mask character making up much of the
    value, ``xxxx``); off for a value judged whole, where only one character repeated
    is filler.
    """
    stripped = value.strip()
    if not stripped:
        return True
    low = stripped.lower()
    if low in _LITERALS or low.startswith(_TEMPLATE_STARTS) or low.endswith(_TEMPLATE_ENDS):
        return True
    if len(set(low)) <= (2 if fill else 1) or (fill and mask_dominated(stripped)):
        return True
    if any(w in low for w in _PLACEHOLDER_WORDS) or (fill and any(w in low for w in _FILL_WORDS)):
        return True
    return sequences and has_sequence_run(stripped)
