"""Which injection signals can match a text at all, for every signal in one pass.

The injection detector finds a signal by looking at each place one of its trigger words
occurs and trying the signal's pattern there (and its structural check): a prompt full
of "what", "your" and "instructions" costs a Python step and a regex attempt per
occurrence, for every signal, and most signals match nowhere. Here a Hyperscan database
(the ``hyperscan`` package, imported on first use) holds one expression per signal that
matches *at least* wherever the signal's pattern matches, and one scan of the text says
which signals match somewhere: the others are not looked at, and their verdict is the
same (no match), since a match of the pattern is a match of the expression.

How an expression stays a superset of its pattern (Python ``re`` on a ``str``): the
database reads the UTF-8 bytes of the text byte by byte (Hyperscan's UTF-8 mode builds
large automata for Unicode classes: seconds to compile), and

- an ASCII character stands for itself, a non-ASCII one for its UTF-8 bytes;
- ``\\s``, ``\\w``, ``\\W``, ``.`` and every class become their ASCII members, or a run
  of non-ASCII bytes (any non-ASCII character, whether the class holds it or not);
- look-arounds and ``\\b`` are dropped (an assertion only ever removes matches);
- a bounded repeat ``{m,n}`` becomes ``{m,}`` (more repeats only add matches);
- named groups become plain groups;
- ``HS_FLAG_PREFILTER`` lets Hyperscan widen what it cannot build exactly.

A pattern this module cannot translate, or Hyperscan cannot compile, gets no expression:
its signal is always looked at, as before. Without the package, or for a text that is not
valid UTF-8 (a lone surrogate), nothing is skipped.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import hyperscan

__all__ = ["SignalPrefilter", "prefilter_for", "superset_expression"]

#: Python's ``\s`` among ASCII characters (``str.isspace``: a test checks every one).
_ASCII_SPACES = r"\t-\r\x1c-\x20"
#: Any run of non-ASCII bytes: holds the UTF-8 bytes of any one non-ASCII character.
_HIGH = r"[\x80-\xff]+"
_LOOKAROUND = re.compile(r"\(\?(?:=|!|<=|<!)")
_BOUNDED = re.compile(r"\{(\d*),\d+\}")
#: Python shorthand classes outside brackets: their ASCII members, and whether they hold
#: non-ASCII characters too.
_SHORTHANDS = {
    "s": (f"[{_ASCII_SPACES}]", True),
    "w": ("[0-9A-Za-z_]", True),
    "W": (r"[^0-9A-Za-z_\x80-\xff]", True),
}


class _Untranslatable(ValueError):
    """A construct this module does not translate."""


def _group_end(pattern: str, start: int) -> int:
    """The index just past the ``)`` that closes the group opened at ``start``."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(pattern, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise _Untranslatable("unbalanced group")


def _class_end(pattern: str, start: int) -> int:
    """The index just past the ``]`` that closes the class opened at ``start``."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1  # a leading "]" is a member
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i + 1
        if pattern[i] == "[":
            raise _Untranslatable("nested class")
        i += 1
    raise _Untranslatable("unclosed class")


def _either(ascii_class: str, high: bool) -> str:
    return f"(?:{ascii_class}|{_HIGH})" if high else ascii_class


def _class(body: str) -> str:
    """A character class ``[body]`` as a byte-level superset expression."""
    negated = body.startswith("^")
    members, high, i = [], False, 1 if negated else 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            esc = body[i + 1]
            if esc == "w":
                members.append("0-9A-Za-z_")
                high = True
            elif esc == "s":
                members.append(_ASCII_SPACES)
                high = True
            elif esc.isalpha() and esc not in "nrtfv":
                raise _Untranslatable(f"\\{esc} in a class")
            elif not esc.isascii():
                high = True
            else:
                members.append(body[i : i + 2])
            i += 2
            continue
        if not ch.isascii():
            if body[i + 1 : i + 2] == "-" and i + 2 < len(body):
                raise _Untranslatable("a range with a non-ASCII end")
            high = True
        else:
            members.append(ch)
        i += 1
    if negated:
        if high:
            raise _Untranslatable("a negated class with non-ASCII members")
        # Every non-ASCII character is outside the (ASCII) members: a run of them.
        return _either("[^" + "".join(members) + r"\x80-\xff]", True)
    if not members:
        return _HIGH
    return _either("[" + "".join(members) + "]", high)


def _utf8(ch: str) -> str:
    """One character as Hyperscan reads it literally: its UTF-8 bytes, escaped."""
    return ch if ch.isascii() else "".join(f"\\x{b:02x}" for b in ch.encode())


def superset_expression(pattern: str) -> str:
    """A Hyperscan expression that matches the UTF-8 bytes of any text wherever the
    Python ``pattern`` (a ``str`` pattern without flags beyond ``re.UNICODE``) matches
    it; raises ``ValueError`` for a construct it does not translate."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            esc = pattern[i + 1] if i + 1 < len(pattern) else ""
            if esc in ("b", "B"):
                pass  # an assertion: dropping it only adds matches
            elif esc in _SHORTHANDS:
                out.append(_either(*_SHORTHANDS[esc]))
            elif not esc or esc.isdigit() or (esc.isalpha() and esc not in "nrtfv"):
                raise _Untranslatable(f"\\{esc}")
            else:
                out.append(pattern[i : i + 2] if esc.isascii() else _utf8(esc))
            i += 2
        elif ch == "[":
            end = _class_end(pattern, i)
            out.append(_class(pattern[i + 1 : end - 1]))
            i = end
        elif ch == ".":
            out.append(_either(r"[^\n\x80-\xff]", True))
            i += 1
        elif ch == "(" and pattern.startswith("(?P<", i):
            out.append("(")
            i = pattern.index(">", i) + 1
        elif ch == "(" and _LOOKAROUND.match(pattern, i):
            i = _group_end(pattern, i)  # an assertion: dropping it only adds matches
        elif ch == "(" and pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
            raise _Untranslatable("inline flags or another extension")
        elif ch in "^$":
            raise _Untranslatable("an anchor")
        elif ch == "{" and (bound := _BOUNDED.match(pattern, i)):
            out.append("{" + bound.group(1) + ",}")  # more repeats: only adds matches
            i = bound.end()
        else:
            out.append(_utf8(ch))
            i += 1
    return "".join(out)


class SignalPrefilter:
    """One Hyperscan database for many patterns: :meth:`matching` tells which of them
    may match a text (every one that does, and perhaps some that do not)."""

    def __init__(self, patterns: Sequence[re.Pattern[str] | None]) -> None:
        """``patterns``: one per signal, ``None`` for one not to prefilter."""
        self._patterns = tuple(patterns)
        self._database: hyperscan.Database | None = None
        self._covered: frozenset[int] | None = None
        # Hyperscan scans with the GIL released, and one scratch space serves one scan at
        # a time: each thread (the Guardian checks long texts off the event loop) has its
        # own.
        self._local = threading.local()

    @property
    def covered(self) -> frozenset[int]:
        """The indexes of the patterns :meth:`matching` answers for (built on first use:
        empty without the ``hyperscan`` package)."""
        if self._covered is None:
            self._build()
        assert self._covered is not None
        return self._covered

    def _build(self) -> None:
        try:
            import hyperscan  # on first use: importing the package is not free
        except ImportError:
            self._covered = frozenset()
            return
        flags = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_PREFILTER
        flags |= hyperscan.HS_FLAG_ALLOWEMPTY
        kept = []
        for i, pattern in enumerate(self._patterns):
            if pattern is None or pattern.flags & ~re.UNICODE:
                continue
            try:
                kept.append((i, superset_expression(pattern.pattern).encode()))
            except ValueError:
                continue  # this one is always looked at
        if not kept:
            self._covered = frozenset()
            return
        try:
            self._database = _compile(hyperscan, kept, flags)
        except hyperscan.error:  # find the expressions Hyperscan refuses, and leave them out
            kept = [(i, e) for i, e in kept if _compiles(hyperscan, e, flags)]
            self._database = _compile(hyperscan, kept, flags) if kept else None
        self._covered = frozenset(i for i, _ in kept) if self._database else frozenset()

    def matching(self, text: str) -> set[int] | None:
        """The indexes of the covered patterns that may match somewhere in ``text``, or
        ``None`` when that is not known (no package, or ``text`` is not valid UTF-8)."""
        database = self._database if self.covered else None
        if database is None:
            return None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: Hyperscan reads UTF-8 only
            return None
        found: set[int] = set()

        def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
            found.add(index)

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            import hyperscan

            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        database.scan(data, match_event_handler=on_match, scratch=scratch)
        return found


def _compile(hs: ModuleType, kept: list[tuple[int, bytes]], flags: int) -> hyperscan.Database:
    """A block-mode database of the expressions (each reported by its index)."""
    database: hyperscan.Database = hs.Database()
    database.compile(
        expressions=[e for _, e in kept],
        ids=[i for i, _ in kept],
        elements=len(kept),
        flags=[flags] * len(kept),
    )
    return database


def _compiles(hs: ModuleType, expression: bytes, flags: int) -> bool:
    try:
        hs.Database().compile(expressions=[expression], flags=[flags])
    except hs.error:
        return False
    return True


@functools.lru_cache(maxsize=8)
def prefilter_for(patterns: tuple[re.Pattern[str] | None, ...]) -> SignalPrefilter:
    """The prefilter of these patterns, shared by every detector with the same signals
    (building one compiles a Hyperscan database: about a second, once per process)."""
    return SignalPrefilter(patterns)
