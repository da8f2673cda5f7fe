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
from functools import cache
from typing import TYPE_CHECKING

from ._scan import CASELESS_ASCII

if TYPE_CHECKING:
    from ahocorasick_rs import AhoCorasick

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


#: The six-character ascending runs (``_RUN_OF_6``'s alternatives).
_RUNS_OF_6 = tuple(seq[i : i + 6] for seq in (_ALPHABET, _DIGITS) for i in range(len(seq) - 5))


@cache
def _automaton(words: tuple[str, ...]) -> AhoCorasick:
    """``words`` as one automaton (built on first use)."""
    import ahocorasick_rs  # on first use, like the scanners in _scan

    return ahocorasick_rs.AhoCorasick(list(words))


def _holds_any(low: str, words: tuple[str, ...]) -> bool:
    """``any(w in low for w in words)``, in one pass over ``low``."""
    try:
        return bool(_automaton(words).find_matches_as_indexes(low))
    except UnicodeEncodeError:  # a lone surrogate: the automaton reads UTF-8 only
        return any(w in low for w in words)


def _has_run_of_6(value: str) -> bool:
    """``_RUN_OF_6.search(value)``, answered by one Aho-Corasick pass over the value
    folded as the case-insensitive pattern reads it (a 36-way alternation tried at every
    position costs microseconds per value)."""
    folded = value.lower() if value.isascii() else value.translate(CASELESS_ASCII)
    return _holds_any(folded, _RUNS_OF_6)


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
    return _has_run_of_6(value)


def mask_dominated(value: str) -> bool:
    """True when a mask character (``x``, ``*``, ``0``, ``#``, ...) makes up 40% or more
    of a value of 8+ characters, or runs 6 times in a row."""
    if len(value) < 8:
        return len(set(value)) <= 1
    # The most frequent mask character's count (a count per mask character: cheaper
    # than tallying every character of a short value).
    masked = max(map(value.count, _MASK_CHARS))
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
    if _holds_any(low, _PLACEHOLDER_WORDS) or (fill and _holds_any(low, _FILL_WORDS)):
        return True
    return sequences and has_sequence_run(stripped)
