"""Which parts of a scan can find anything in a text, every part answered by one
Hyperscan pass (issue 20's speed target; the secrets detector and, on short texts, the
PII detector use it).

A detector is a chain of parts (one secrets rule per vendor format, the private-key
scan, the assignment scan, the e-mail scan from each ``@``, the card scan of digit runs,
...), and each part first needs something in the text: a literal (``-----BEGIN ``, a
vendor prefix, a key word, ``@``) or a short shape (thirteen digits and blanks in a row,
two letters and two digits). A part's *unit* is a regular
expression that matches wherever that need is met (a superset: it may match where the
part finds nothing, never the reverse). One scan of the text by a
:class:`~.injection_prefilter.SignalPrefilter` holding every unit tells which units
match somewhere; a part whose unit matches nowhere would have found nothing, and is
skipped. Before the database is loaded, with the prefilter off, or for a text that is
not valid UTF-8, ``gate(units).matching(text)`` answers ``None`` and every part runs, as
before; a unit the database does not cover (``uncovered``) always runs its part.

Units are written for the text itself. A test made on the lower-cased text becomes a
class of both cases per letter (:func:`caseless`): ``str.lower`` makes an ASCII letter
only of its two ASCII cases, the Kelvin sign (``k``) and the dotted capital I (``i``
and a combining dot), and those two are added to their letters' classes.

(The pass costs a callback per unit that matches: on a text full of numbers, which holds
most of the PII shapes, it costs more than the parts it skips, so the PII detector uses it
up to ``pii.GATED_CHARS``, and on longer texts only when their digits are sparse:
``pii.GATED_SPARSITY``.)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from .injection_prefilter import SignalPrefilter, prefilter_for

__all__ = ["caseless", "gate", "literals"]

#: What ``str.lower`` turns into an ASCII letter besides that letter's two cases.
_LOWERS_TO = {"k": "\u212a", "i": "\u0130"}


def caseless(literal: str) -> str:
    """A pattern (for the text itself) matching wherever ``literal`` (lower case)
    occurs in the text lower-cased, by ``str.lower`` or by ASCII letters only."""
    out = []
    for ch in literal:
        if ch.isascii() and ch.isalpha():
            out.append(f"[{ch}{ch.upper()}{_LOWERS_TO.get(ch, '')}]")
        elif ch.isascii():
            out.append(re.escape(ch))
        else:  # a non-ASCII letter: either case (the translation reads any non-ASCII run)
            out.append(f"[{ch}{ch.upper()}]" if ch.upper() != ch else ch)
    return "".join(out)


def literals(cased: Iterable[str] = (), folded: Iterable[str] = ()) -> str:
    """One pattern matching wherever one of ``cased`` occurs in the text or one of
    ``folded`` (lower case) in the text lower-cased."""
    parts = [re.escape(lit) for lit in dict.fromkeys(cased)]
    parts += [caseless(lit) for lit in dict.fromkeys(folded)]
    return "|".join(parts)


@functools.cache
def gate(units: tuple[str, ...]) -> SignalPrefilter:
    """The (shared) prefilter of these unit patterns."""
    return prefilter_for(tuple(re.compile(u) for u in units))
