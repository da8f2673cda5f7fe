"""Fast scanning primitives the detectors share.

Python's ``re`` searches quickly only when a pattern starts with a literal; a leading
``\\b``, look-behind, character class or case-insensitive alternation makes it try every
position (tens of µs per pattern on a 2 KB prompt). So the detectors use two tricks:

- **Anchors**: find a literal trigger with ``str.find`` (C speed), then ``match`` the full
  pattern at that spot only; word boundaries before the trigger are checked here.
- **Skeletons**: a byte copy of the text with every ASCII digit turned into ``0`` and
  every letter into ``A``/``a``, so number-shaped patterns start with a literal
  (``0000[ -]?0000``) and positions stay the same as in the text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, AnyStr

if TYPE_CHECKING:
    from ahocorasick_rs import AhoCorasick

__all__ = [
    "CASELESS_ASCII",
    "HIT_BUDGET",
    "ONE_PASS_CHARS",
    "TOKEN_LOOKUPS",
    "Anchored",
    "Occurrences",
    "OnePass",
    "TextWords",
    "TokenSet",
    "TriggerIndex",
    "first_word",
    "fold",
    "is_word_char",
    "line_opens_at",
    "matches_from",
    "skeleton",
    "tokens",
    "word_bytes",
    "words",
    "words_of",
]

_SKELETON_TABLE = bytes.maketrans(
    (string.digits + string.ascii_uppercase + string.ascii_lowercase).encode(),
    b"0" * 10 + b"A" * 26 + b"a" * 26,
)


def skeleton(text: str) -> bytes:
    """One byte per character: digits → ``0``, letters → ``A``/``a``, non-ASCII → ``?``."""
    return text.encode("ascii", "replace").translate(_SKELETON_TABLE)


_WORDS_TABLE = bytes.maketrans(
    bytes(range(256)), bytes(c if 97 <= c <= 122 or c == 39 else 32 for c in range(256))
)


_FIRST_RUN = re.compile(r"^[^A-Za-z0-9]*([A-Za-z0-9]+)")
_TOKENS_TABLE = bytes.maketrans(
    bytes(range(256)),
    bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256)),
)


def tokens(text: str) -> set[bytes]:
    """The set of ASCII alphanumeric runs of ``text`` (case kept)."""
    return set(text.encode("ascii", "replace").translate(_TOKENS_TABLE).split())


def word_bytes(lower_text: str) -> bytes:
    """``lower_text`` as :func:`words` reads it: one byte per character, ASCII letters
    and apostrophes kept, everything else a space (positions stay the same)."""
    return lower_text.encode("ascii", "replace").translate(_WORDS_TABLE)


def words(lower_text: str) -> set[bytes]:
    """The set of ASCII words (letters, inner apostrophes) of an already lower-cased text."""
    return words_of(word_bytes(lower_text))


def words_of(mapped: bytes) -> set[bytes]:
    """:func:`words` of a text already mapped by :func:`word_bytes` (or of whole words
    of it joined by spaces)."""
    out = set(mapped.split())
    if b"'" not in mapped:
        return out
    # Quotes around a word ('do anything now') are not part of it; "don't" keeps its own,
    # and "what's" also counts as "what". Only the words with an apostrophe are looked at.
    for word in _apostrophe_words(mapped, out):
        out.discard(word)
        bare = word.strip(b"'")
        if bare:
            out.add(bare)
            out.add(bare.split(b"'", 1)[0])
    return out


def _apostrophe_words(mapped: bytes, distinct: set[bytes]) -> set[bytes]:
    """The words of ``mapped`` that hold an apostrophe: read around each apostrophe when
    there are few (a prompt has a handful, a long one dozens: reading around each costs
    about what a dozen distinct words cost to pick from), else picked from the distinct
    words. Either way the same set."""
    if mapped.count(b"'") > max(64, len(distinct) // 12):
        return {w for w in distinct if b"'" in w}
    found = set()
    pos = mapped.find(b"'")
    while pos >= 0:
        end = mapped.find(b" ", pos)
        end = len(mapped) if end < 0 else end
        found.add(mapped[mapped.rfind(b" ", 0, pos) + 1 : end])
        pos = mapped.find(b"'", end)
    return found


#: How many words :class:`TextWords` looks up one by one before it reads them all.
WORD_LOOKUPS = 24


class TextWords:
    """Is a word one of :func:`words` of a lower-cased text? Answered word by word
    without reading every word of the text (a C-level search for the word between
    spaces, and the few words with an apostrophe read apart), or from the whole set,
    read once on first need (:meth:`all`), given, or past :data:`WORD_LOOKUPS` questions
    (so a text asked about many words costs one reading of them all, not a search per
    word). Same answers either way."""

    __slots__ = ("_all", "_bare", "_left", "_low", "_padded")

    def __init__(self, lower_text: str, known: set[bytes] | None = None) -> None:
        """``known``: ``words(lower_text)``, when the caller has it already."""
        self._low = lower_text
        self._all = known
        self._padded = b""
        self._bare: set[bytes] | None = None
        self._left = WORD_LOOKUPS

    def known(self) -> set[bytes] | None:
        """``words(lower_text)`` if read already, else ``None`` (not read here)."""
        return self._all

    def all(self) -> set[bytes]:
        """``words(lower_text)`` (shared: never to be changed)."""
        if self._all is None:
            self._all = words(self._low)
        return self._all

    def __contains__(self, word: bytes) -> bool:
        known = self._all
        if known is not None:
            return word in known
        self._left -= 1
        if self._left < 0:
            return word in self.all()
        if not self._padded:
            self._padded = b" " + word_bytes(self._low) + b" "
        # A word without an apostrophe is a whole space-separated piece of the mapped
        # text, or comes from a piece with one (read apart, as words_of reads it).
        if b"'" not in word and b" " + word + b" " in self._padded:
            return True
        bare = self._bare
        if bare is None:
            bare = self._bare = _apostrophe_readings(self._padded)
        return word in bare


def _apostrophe_readings(mapped: bytes) -> set[bytes]:
    """What :func:`words_of` makes of the pieces of ``mapped`` that hold an apostrophe
    (each piece stripped of its quotes, and its part before an inner apostrophe)."""
    out: set[bytes] = set()
    pos = mapped.find(b"'")
    while pos >= 0:
        end = mapped.find(b" ", pos)
        end = len(mapped) if end < 0 else end
        bare = mapped[mapped.rfind(b" ", 0, pos) + 1 : end].strip(b"'")
        if bare:
            out.add(bare)
            out.add(bare.split(b"'", 1)[0])
        pos = mapped.find(b"'", end)
    return out


def first_word(trigger: str) -> bytes:
    """The word a trigger starts with, as :func:`words` would produce it."""
    return trigger.encode("ascii", "replace").translate(_WORDS_TABLE).split()[0]


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
#: What a case-insensitive pattern takes for an ASCII letter, one character for one: the
#: upper-case letters, and the letters Python's ``re`` folds to ASCII ones ("ſ" for "s",
#: "ı" and "İ" for "i", the Kelvin sign for "k").
CASELESS_ASCII = str.maketrans(
    {**{c: c.lower() for c in string.ascii_uppercase}, "ſ": "s", "ı": "i", "İ": "i", "\u212a": "k"}
)


#: The last text :func:`lower` was asked for, and its lower-cased copy (one tuple,
#: replaced whole: a thread reads a consistent pair).
_LAST_LOWER: tuple[str, str] = ("", "")


def lower(text: str) -> str:
    """``text.lower()``, made once for one text however many families ask for it: the
    Guardian hands every policy the same ``str`` object, so the copy of the last text
    asked for is kept (found by identity: an equal text built elsewhere lowers again)."""
    global _LAST_LOWER
    last = _LAST_LOWER
    if last[0] is text:
        return last[1]
    low = text.lower()
    _LAST_LOWER = (text, low)
    return low


def fold(text: str, lowered: str | None = None) -> str:
    """``text`` lower-cased with every position kept (``str.lower`` unless a character
    would grow, like ``İ``; then ASCII letters only). ``lowered``: ``text.lower()``, when
    the caller has it already."""
    low = lower(text) if lowered is None else lowered
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def is_word_char(ch: str) -> bool:
    """Letters, digits and ``_``."""
    return ch.isalnum() or ch == "_"


#: Trigger hits one scan handles in Python before the regex engine takes over.
HIT_BUDGET = 2000


class Occurrences:
    """Where literals occur in one text, each looked up once and shared by every rule
    that starts with it (the injection signals share "what", "your", "instructions"...).

    At most ``HIT_BUDGET + 1`` positions are kept per literal: past the budget a scan
    hands over to the regex engine, and :meth:`every` goes on from the last one kept.
    """

    __slots__ = ("_found", "_known", "text")

    def __init__(
        self,
        text: str,
        found: dict[str, list[int]] | None = None,
        known: frozenset[str] = frozenset(),
    ) -> None:
        """``found``: positions already looked up (see :meth:`OnePass.occurrences`);
        ``known``: literals looked up with them (absent from ``found``: nowhere)."""
        self.text = text
        self._found: dict[str, list[int]] = {} if found is None else found
        self._known = known

    def occurring(self, literals: frozenset[str]) -> list[str] | None:
        """Those of ``literals`` that occur in the text, when all of them were looked up
        together (by :class:`OnePass`); ``None`` when that is not known."""
        if not literals <= self._known:
            return None
        return [literal for literal in self._found if literal in literals]

    def of(self, literal: str) -> list[int]:
        """The first positions of ``literal`` in the text, ascending (all of them when
        there are no more than ``HIT_BUDGET + 1``)."""
        found = self._found.get(literal)
        if found is None and literal in self._known:
            return []
        if found is None:
            found = []
            find = self.text.find
            pos = find(literal)
            while pos >= 0 and len(found) <= HIT_BUDGET:
                found.append(pos)
                pos = find(literal, pos + 1)
            self._found[literal] = found
        return found

    def every(self, literal: str) -> Iterator[int]:
        """Every position of ``literal``: the kept ones, then on with ``str.find``."""
        found = self.of(literal)
        yield from found
        if len(found) > HIT_BUDGET:
            pos = self.text.find(literal, found[-1] + 1)
            while pos >= 0:
                yield pos
                pos = self.text.find(literal, pos + 1)


#: Texts up to this many characters get every literal found in one pass; longer ones
#: (a flood of one trigger would make a list of every hit) are searched literal by literal.
ONE_PASS_CHARS = 65_536


class OnePass:
    """Many literals found in one pass over a text, every occurrence of each (an
    Aho-Corasick automaton: the ``ahocorasick-rs`` package, built on first use), instead
    of one ``str.find`` scan of the whole text per literal."""

    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = tuple(dict.fromkeys(literals))
        self._known = frozenset(self.literals)
        self._automaton: AhoCorasick | None = None

    def occurrences(self, text: str) -> Occurrences:
        """An :class:`Occurrences` of ``text`` with this set's literals looked up."""
        if len(text) > ONE_PASS_CHARS or not self.literals:
            return Occurrences(text)
        if self._automaton is None:
            import ahocorasick_rs  # on first use: the import is not the package's cost

            # A DFA: a few ms and a few MB to build once, then about half the time per
            # text of the default automaton (same matches).
            self._automaton = ahocorasick_rs.AhoCorasick(
                self.literals, implementation=ahocorasick_rs.Implementation.DFA
            )
        try:
            # Every overlapping match, in order of where it ends: for one literal that is
            # the order of where it starts.
            matches = self._automaton.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:  # a lone surrogate: the automaton reads UTF-8 only
            return Occurrences(text)
        found: dict[str, list[int]] = {}
        literals = self.literals
        for index, start, _ in matches:
            hits = found.get(literals[index])
            if hits is None:
                found[literals[index]] = [start]
            elif len(hits) <= HIT_BUDGET:
                hits.append(start)
        return Occurrences(text, found, self._known)


def matches_from(
    pattern: re.Pattern[AnyStr],
    haystack: AnyStr,
    literals: tuple[AnyStr, ...],
    where: AnyStr | None = None,
) -> Iterator[re.Match[AnyStr]]:
    """``pattern.finditer(haystack)`` for a (never empty) pattern whose every match
    starts where one of ``literals`` occurs in ``where`` (default: ``haystack``; else a
    text with the same positions, like the lower-cased one): the pattern is tried only
    there (found with ``find``, C speed), instead of at every position a leading
    character class, alternation or ``\\b`` allows. Past :data:`HIT_BUDGET` such places
    the regex engine walks the rest itself."""
    look = haystack if where is None else where
    starts: set[int] = set()
    for literal in literals:
        pos = look.find(literal)
        while pos >= 0 and len(starts) <= HIT_BUDGET:
            starts.add(pos)
            pos = look.find(literal, pos + 1)
    if len(starts) > HIT_BUDGET:
        yield from pattern.finditer(haystack)
        return
    end = 0
    for pos in sorted(starts):
        if pos < end:
            continue  # inside the last match: finditer goes on from its end
        m = pattern.match(haystack, pos)
        if m is not None and m.end() > pos:
            end = m.end()
            yield m


_LINE_LEAD = " \t#[<"
_LEAD_WINDOW = 256


def line_opens_at(text: str, pos: int) -> bool:
    """Does only line-lead filler (spaces, tabs, ``#``, ``[``, ``<``) stand between the
    start of ``pos``'s line and ``pos``?

    Looks back over the filler only, never to the line's start: on a megabyte without a
    newline, slicing back to the line start at every trigger hit was quadratic."""
    end = pos
    while end > 0:
        start = max(0, end - _LEAD_WINDOW)
        kept = text[start:end].rstrip(_LINE_LEAD)
        if kept:
            return kept[-1] == "\n"
        end = start  # a window of filler only: look further back
    return True


@dataclass(frozen=True)
class Anchored:
    """A pattern that can only match where one of its literal ``triggers`` starts.

    ``boundary``: characters that must not precede the trigger (a word character always
    counts when ``word_start`` is set).
    """

    triggers: tuple[str, ...]
    pattern: re.Pattern[str]
    word_start: bool = True
    boundary: str = ""
    #: The trigger must open its line (after spaces and ``#``, ``[`` or ``<``).
    line_start: bool = False

    @cached_property
    def token_gates(self) -> tuple[bytes | None, ...]:
        """Per trigger, the alphanumeric run it opens with when a delimiter ends that run
        inside the trigger (``glpat-`` → ``glpat``): the trigger can only match where the
        text has that run as a whole token (see :func:`tokens`). ``None``: no such gate."""
        out: list[bytes | None] = []
        for trigger in self.triggers:
            m = _FIRST_RUN.search(trigger)
            out.append(m.group(1).encode() if m and m.end(1) < len(trigger) else None)
        return tuple(out)

    def finditer(
        self,
        haystack: str,
        target: str | None = None,
        present: set[bytes] | frozenset[bytes] | TokenSet | None = None,
        seen: Occurrences | None = None,
    ) -> Iterator[re.Match[str]]:
        """Every match: triggers are found in ``haystack`` and the pattern is matched
        there in ``target`` (same positions; e.g. the lower-cased text and the text).

        ``present``: the text's :func:`tokens`, to skip triggers that cannot occur.
        ``seen``: where the triggers occur in ``haystack``, if looked up already.
        Past :data:`HIT_BUDGET` trigger hits (a flood: ``AAAA…``, ``sk-sk-sk-…``) the rest
        is left to :attr:`scanner`, one C-level pass, instead of a Python step per hit.
        """
        target = haystack if target is None else target
        budget = HIT_BUDGET
        yielded: set[int] = set()
        gates = self.token_gates if present is not None else (None,) * len(self.triggers)
        occurrences = seen if seen is not None else Occurrences(haystack)
        for trigger, gate in zip(self.triggers, gates, strict=True):
            # A trigger found nowhere is passed over before its token is looked for (a
            # whole-token search costs more than a substring search; with ``seen`` the
            # first test is a look-up).
            if gate is not None and present is not None:
                if not occurrences.of(trigger):
                    continue
                if gate not in present:
                    continue  # the trigger's opening token is nowhere in the text
            positions = occurrences.every(trigger)
            for pos in positions:
                budget -= 1
                if budget < 0 and not self.line_start:
                    for scanned in self.scanner.finditer(target):
                        if scanned.start() not in yielded:
                            yield scanned
                    return
                if self.starts_ok(haystack, pos):
                    m = self.pattern.match(target, pos)
                    if m:
                        yielded.add(pos)
                        yield m

    @cached_property
    def scanner(self) -> re.Pattern[str]:
        """The pattern with the start conditions as a look-behind, to scan a whole text
        in one pass (matches found this way do not overlap)."""
        avoid = ("\\w" if self.word_start else "") + re.escape(self.boundary)
        head = f"(?<![{avoid}])" if avoid else ""
        return re.compile(head + "(?:" + self.pattern.pattern + ")", self.pattern.flags)

    def search(self, haystack: str, target: str | None = None) -> re.Match[str] | None:
        """The first match found, or ``None``."""
        return next(self.finditer(haystack, target), None)

    def starts_ok(self, text: str, pos: int) -> bool:
        """May a match start at ``pos`` (word start, boundary, line start)?"""
        if self.line_start:
            return line_opens_at(text, pos)
        if pos == 0:
            return True
        before = text[pos - 1]
        if self.word_start and is_word_char(before):
            return False
        return before not in self.boundary


#: Token look-ups :class:`TokenSet` answers one by one before it reads every token.
TOKEN_LOOKUPS = 24


@lru_cache(maxsize=512)
def _whole_token(token: bytes) -> re.Pattern[str]:
    """``token`` (ASCII letters and digits) as a maximal run of them in a text: what
    :func:`tokens` splits out (any other character, non-ASCII ones too, ends a run)."""
    # The literal first (a fast scan), the boundary before it checked from its end.
    literal = re.escape(token.decode())
    return re.compile(f"{literal}(?<![A-Za-z0-9]{literal})(?![A-Za-z0-9])")


class TokenSet:
    """The :func:`tokens` of a text, read on first use (a text holding no gated trigger
    never needs them). A few look-ups are answered each by one literal-led search for
    the token as a whole run (a prompt asks about a handful of gates; splitting out every
    token of it cost more than those searches); past :data:`TOKEN_LOOKUPS` distinct ones,
    every token is read."""

    __slots__ = ("_known", "_text", "_tokens")

    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens: set[bytes] | None = None
        self._known: dict[bytes, bool] = {}

    def get(self) -> set[bytes]:
        """The tokens."""
        if self._tokens is None:
            self._tokens = tokens(self._text)
        return self._tokens

    def __contains__(self, token: object) -> bool:
        if self._tokens is not None or not isinstance(token, bytes):
            return token in self.get()
        known = self._known.get(token)
        if known is None:
            if len(self._known) >= TOKEN_LOOKUPS or not (token.isascii() and token.isalnum()):
                return token in self.get()
            known = self._known[token] = _whole_token(token).search(self._text) is not None
        return known


class TriggerIndex:
    """Which of many :class:`Anchored` rules have a trigger in a text, found in one go.

    A rule none of whose triggers occurs cannot match; most texts hold the triggers of
    few rules. Triggers with a token gate (:attr:`Anchored.token_gates`) are looked up
    only when the text has that token (one set intersection for them all); the others
    with one substring test each.
    """

    def __init__(self, rules: Sequence[tuple[Anchored, bool]]) -> None:
        """``rules``: each rule's anchor and whether its triggers are looked for in the
        lower-cased text (``True``) or the text itself."""
        self._gated: dict[tuple[bytes, bool], list[tuple[int, str]]] = {}
        self._plain: list[tuple[int, str, bool]] = []
        for i, (anchor, folded) in enumerate(rules):
            for trigger, gate in zip(anchor.triggers, anchor.token_gates, strict=True):
                if gate is None:
                    self._plain.append((i, trigger, folded))
                else:
                    self._gated.setdefault((gate, folded), []).append((i, trigger))
        self._gates = {
            folded: {g for g, f in self._gated if f == folded} for folded in (False, True)
        }
        #: The triggers looked for in the text itself: each with its rules and gates.
        self._unfolded: dict[str, list[tuple[int, bytes | None]]] = {}
        for i, (anchor, folded) in enumerate(rules):
            if not folded:
                for trigger, gate in zip(anchor.triggers, anchor.token_gates, strict=True):
                    self._unfolded.setdefault(trigger, []).append((i, gate))
        self._unfolded_set = frozenset(self._unfolded)

    def rules_in(
        self,
        text: str,
        lower: str,
        present: Mapping[bool, TokenSet | set[bytes] | None],
        seen: Occurrences | None = None,
    ) -> list[int]:
        """The indexes (ascending) of the rules with a trigger in the text; ``present``:
        the :func:`tokens` of the text (``False``) and of ``lower`` (``True``), or
        ``None`` where not computed (then every gated trigger is looked up); ``seen``:
        where triggers occur in ``text``, if looked up already."""
        hit: set[int] = set()
        occurring = None if seen is None else seen.occurring(self._unfolded_set)
        if occurring is not None:
            # Every trigger of the text itself was found in one pass: only those that
            # occur are looked at, and the tokens are read only for a gated one.
            tokens_there = present.get(False)
            for trigger in occurring:
                for i, gate in self._unfolded[trigger]:
                    if i not in hit and (
                        gate is None or tokens_there is None or gate in tokens_there
                    ):
                        hit.add(i)
        for folded in (False, True) if occurring is None else (True,):
            haystack: str | _Seen = lower if folded else _Seen(seen) if seen else text
            there = present.get(folded)
            tokens_there = there.get() if isinstance(there, TokenSet) else there
            gates = self._gates[folded]
            for gate in gates if tokens_there is None else gates.intersection(tokens_there):
                for i, trigger in self._gated[gate, folded]:
                    if i not in hit and trigger in haystack:
                        hit.add(i)
        plain: str | _Seen = _Seen(seen) if seen else text
        for i, trigger, folded in self._plain:
            if occurring is not None and not folded:
                continue  # already looked at above
            if i not in hit and trigger in (lower if folded else plain):
                hit.add(i)
        return sorted(hit)


class _Seen:
    """``literal in text`` answered from an :class:`Occurrences` of the text."""

    __slots__ = ("_seen",)

    def __init__(self, seen: Occurrences) -> None:
        self._seen = seen

    def __contains__(self, literal: str) -> bool:
        return bool(self._seen.of(literal))
