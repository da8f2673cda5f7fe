"""How numbers (and a few words) read wherever we show them (reprs, magics, errors)."""

from __future__ import annotations

import math
from typing import Protocol

__all__ = ["TextPrinter", "counted", "format_cost", "format_ms", "with_article"]


def format_cost(value: float | None, *, unknown: str = "unknown") -> str:
    """Dollars as a person reads them; ``unknown`` when the price is not known.

    Cents for a dollar or more, four decimals below that, and two significant digits for
    fractions of a cent (``$0.000042``), so a tiny cost neither reads as zero nor drowns
    in trailing zeros. Unknown is never shown as free.
    """
    if value is None:
        return unknown
    if value == 0:
        return "$0.00"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    if abs(value) >= 0.01:
        return f"${value:.4f}"
    decimals = min(10, 1 - math.floor(math.log10(abs(value))))
    return f"${value:.{decimals}f}"


def format_ms(value: float | None, *, unknown: str = "") -> str:
    """Milliseconds, rounded; ``<1 ms`` rather than a misleading ``0 ms``."""
    if value is None:
        return unknown
    if 0 < value < 1:
        return "<1 ms"
    return f"{value:,.0f} ms"


#: Words that start with a vowel letter but not a vowel sound ("a UUID", "a unicode").
_A_BEFORE = ("uu", "uni", "use", "usa", "eu", "one")


def with_article(word: str) -> str:
    """``word`` after its indefinite article, for a message: ``an int``, ``a str``,
    ``a UUID`` (by the first letters; good for type names)."""
    lower = word.lower()
    vowel = lower[:1] in ("a", "e", "i", "o", "u") and not lower.startswith(_A_BEFORE)
    return f"{'an' if vowel else 'a'} {word}"


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, the noun plural unless ``n`` is 1: ``1 step``, ``3 steps``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class TextPrinter(Protocol):
    """What a ``_repr_pretty_`` uses of IPython's pretty printer (not imported: the core
    imports no IPython)."""

    def text(self, obj: str) -> None:
        """Write ``obj``."""
