"""A quick "can this text hold a finding at all?" test, for detectors whose every finding
starts from a literal: one Aho-Corasick pass over a short text instead of the detector's
whole set-up (the secrets detector costs several µs even on two characters).

The gate is built from the detector's own tables (its rules' triggers, the literals its
other scans start from), so it stays exact as the tables change: a text in which none of
the literals a finding needs occurs is one the detector would report nothing in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from re import _parser  # type: ignore[attr-defined]  # the width bound re itself uses
from typing import TYPE_CHECKING

from ._scan import fold

if TYPE_CHECKING:
    from ahocorasick_rs import AhoCorasick

__all__ = ["GATE_CHARS", "LiteralGate", "min_width"]

#: Texts up to this long are gated; a longer one (a prompt) almost always holds some
#: literal (``key``, ``sk``, ``pw``), so the pass would only add to its scan.
GATE_CHARS = 512


class LiteralGate:
    """Could a text hold a finding? ``False`` only when it cannot.

    ``cased``: literals a finding needs in the text itself; ``folded``: literals (lower
    case) it needs in the text as :func:`~._scan.fold` lower-cases it; ``long``: pairs
    ``(min_chars, literal)`` for a finding with no literal of its own but a shortest
    length and a character it must hold (a Discord token: 59 characters and a ``.``).
    """

    def __init__(
        self,
        cased: Iterable[str],
        folded: Iterable[str],
        long: Iterable[tuple[int, str]] = (),
    ) -> None:
        self.cased = frozenset(cased)
        self.folded = frozenset(folded)
        self.long = tuple(long)
        # One automaton over "text NUL folded text": a literal found in the half it
        # does not belong to only lets a text through to the detector (never the
        # reverse), and no literal holds a NUL, so none spans the two halves.
        self.literals = tuple(sorted(self.cased | self.folded))
        if not self.literals or any("\0" in lit for lit in self.literals):
            raise ValueError("a gate needs literals, none holding NUL")
        self.shortest = min(map(len, self.literals))
        self._find: Callable[[str], list[tuple[int, int, int]]] | None = None

    def _automaton(self) -> Callable[[str], list[tuple[int, int, int]]]:
        import ahocorasick_rs  # on first use

        automaton: AhoCorasick = ahocorasick_rs.AhoCorasick(
            self.literals, implementation=ahocorasick_rs.Implementation.DFA
        )
        self._find = automaton.find_matches_as_indexes
        return self._find

    def may_hold(self, text: str) -> bool:
        """Could the detector find anything in ``text``? (``True`` for a text longer
        than :data:`GATE_CHARS`: not looked at.)"""
        n = len(text)
        if n > GATE_CHARS:
            return True
        for min_chars, literal in self.long:
            if n >= min_chars and literal in text:
                return True
        if n < self.shortest:
            return False
        find = self._find or self._automaton()
        # An ASCII text lower-cases to itself's length: fold() is str.lower() there.
        low = text.lower() if text.isascii() else fold(text)
        try:
            return bool(find(text + "\0" + low))
        except UnicodeEncodeError:  # a lone surrogate: the automaton reads UTF-8 only
            return True


def min_width(pattern: re.Pattern[str]) -> int:
    """The fewest characters any match of ``pattern`` spans (the regex parser's own
    bound: a look-around counts nothing)."""
    return int(_parser.parse(pattern.pattern, pattern.flags).getwidth()[0])
