"""Look-alike characters read as the ASCII letters they imitate.

``іgnore all previous instructions`` with a Cyrillic ``і``, full-width ``ｉｇｎｏｒｅ``,
mathematical ``𝐢𝐠𝐧𝐨𝐫𝐞``, ``ignoŕe`` with a combining accent or ``ig\\u200bnore`` with a
zero-width space all look like the ASCII sentence to a model and to a reader, but hold
none of the ASCII words the injection signals are spelled with. :func:`glyph_reading`
gives the text with each such character replaced, one character at a time:

- format characters (zero-width, bidi controls, tag characters, soft hyphen: Unicode
  category ``Cf``) and combining diacritical marks are dropped;
- a letter Unicode's confusables.txt lists as looking like an ASCII letter (Cyrillic
  ``а е о р с у х і ј``, Greek ``ο α ν ι ρ``, Armenian ``օ ս``, ...) becomes that letter;
- any other character whose compatibility decomposition (NFKD) without its combining
  marks is ASCII becomes that: full-width and mathematical letters and digits, ligatures
  (``ﬁ``), accented Latin letters (``é`` -> ``e``).

Every other character stays: a Russian, Greek, Japanese or Hindi word keeps the letters
that do not look Latin (``игнорировать`` keeps ``и г н в т ь``), so real text in another
script never turns into an English phrase; only a word built from look-alikes does.

The table is ours, written from confusables.txt (Unicode 15.1), because the libraries
that fit do not: ``unidecode`` / ``anyascii`` transliterate by *sound* (Cyrillic ``р`` ->
``r``, though it looks like ``p``, and every Russian word would become Latin text), and
``confusable_homoglyphs`` answers "is this string confusable?" from a 1 MB JSON table
rather than mapping a text to its ASCII skeleton. Only characters that look like an ASCII
*letter* are listed; digits and punctuation come from NFKD.

Per character, the replacement is computed once and kept (:class:`_Table`), and a text is
mapped by ``str.translate`` (one C-level pass): linear in the text, and a pure-ASCII
text (the common case) is never mapped at all (the caller checks ``str.isascii()``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "CONFUSABLES",
    "changed_pieces",
    "glyph_reading",
    "may_change_words",
    "non_ascii_spans",
    "origins",
    "span_in",
]

#: Letters that look like an ASCII letter (from confusables.txt; prototype in the value).
CONFUSABLES: dict[str, str] = {
    # Cyrillic, lower and upper case
    **dict(zip("аеорсухѕіјԁһԛԝӏѵ", "aeopcyxsijdhqwlv", strict=True)),
    **dict(zip("АВЕКМНОРСТХУЅІЈԚԜҮҺӀԌ", "ABEKMHOPCTXYSIJQWYHlG", strict=True)),
    # Greek
    **dict(zip("οαινρυγϲϳχκ", "oaivpuycjxk", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹͿ", "ABEZHIKMNOPTYXCJ", strict=True)),
    # Latin look-alikes NFKD leaves alone (dotless i, script g, small capitals, ...)
    **dict(zip("ıȷɑɡɩɪʏᴀᴄᴅᴇᴊᴋᴍᴏᴘᴛᴜᴠᴡᴢʟꞮ", "ijagiiyacdejkmoptuvwzlI", strict=True)),
    # Armenian
    **dict(zip("օսհոցզ", "ouhngq", strict=True)),
    # Cherokee capitals
    **dict(zip("ᎪᏴᏟᎬᎻᎫᏦᎷᏢᏚᎢᏔᏃ", "ABCEHJKMPSTWZ", strict=True)),
}

#: Combining diacritical marks: the blocks used to decorate Latin letters (``ignoŕe``,
#: ``i̇``). Marks of other scripts (Devanagari vowel signs, kana voicing) are left alone.
_MARK_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)


def _is_mark(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _MARK_BLOCKS)


def _replacement(ch: str) -> str | None:
    """What ``ch`` reads as (``""``: dropped), or ``None`` to keep it."""
    if unicodedata.category(ch) == "Cf" or _is_mark(ch):
        return ""
    if ch in CONFUSABLES:
        return CONFUSABLES[ch]
    bare = "".join(
        CONFUSABLES.get(c, c) for c in unicodedata.normalize("NFKD", ch) if not _is_mark(c)
    )
    return bare if bare and bare != ch and bare.isascii() else None


class _Table(dict[int, str | None]):
    """``str.translate`` table filled on first sight of each character (a kept character
    maps to itself, so ``translate`` leaves it)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        found = _replacement(ch) if code >= 128 else None
        value = ch if found is None else found
        self[code] = value
        return value


_TABLE = _Table()


#: What follows a place up to the next whitespace (the rest of its piece).
_REST_OF_PIECE = re.compile("\\S*")
#: From a place to just after the last whitespace before a given end.
_UP_TO_LAST_SPACE = re.compile(".*\\s", re.DOTALL)
#: The block sizes :func:`non_ascii_spans` looks at (``str.isascii`` reads a block at
#: C speed, many characters a step; a regex class reads one character a step).
_BLOCKS_COARSE, _BLOCKS_FINE = 2048, 128


#: The last text :func:`non_ascii_spans` was asked about and its answer (one tuple,
#: replaced whole): the injection check asks for one text up to three times.
_LAST_SPANS: tuple[str, list[tuple[int, int]]] = ("", [])


def non_ascii_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``text``, in order and apart, that hold every non-ASCII character of it
    (blocks of :data:`_BLOCKS_FINE` characters, neighbours merged); ``[]`` for ASCII.
    Shared: never to be changed."""
    global _LAST_SPANS
    last = _LAST_SPANS
    if last[0] is text:
        return last[1]
    n = len(text)
    if n <= _BLOCKS_FINE:  # one block: no loop
        return [] if text.isascii() else [(0, n)]
    out: list[tuple[int, int]] = []
    for big in range(0, n, _BLOCKS_COARSE):
        if text[big : big + _BLOCKS_COARSE].isascii():
            continue
        for lo in range(big, min(n, big + _BLOCKS_COARSE), _BLOCKS_FINE):
            hi = min(n, lo + _BLOCKS_FINE)
            if text[lo:hi].isascii():
                continue
            if out and out[-1][1] == lo:
                out[-1] = (out[-1][0], hi)
            else:
                out.append((lo, hi))
    _LAST_SPANS = (text, out)
    return out


def glyph_reading(text: str) -> str | None:
    """``text`` with look-alike characters read as ASCII (module docstring), or ``None``
    when that changes nothing. The caller skips pure-ASCII texts before asking."""
    # Only the blocks with a non-ASCII character are mapped (the table leaves ASCII as
    # it is): ``translate`` with a table of this kind looks up every character in
    # Python's mapping, ASCII too, once the text has one non-ASCII character.
    parts: list[str] = []
    last = 0
    for lo, hi in non_ascii_spans(text):
        parts += (text[last:lo], text[lo:hi].translate(_TABLE))
        last = hi
    parts.append(text[last:])
    out = "".join(parts)
    return None if out == text else out


def _letterish(ch: str) -> bool:
    """Does reading ``ch`` drop it or give an ASCII letter? (Else it cannot change a
    word: ``…`` -> ``...``, ``—`` stays.)"""
    out = _TABLE[ord(ch)]
    return not out or (out != ch and any("a" <= c.lower() <= "z" for c in out))


#: The Unicode blocks whose characters are read (:func:`_letterish` picks which): Latin,
#: IPA, combining marks, Greek, Cyrillic, Armenian, Cherokee, phonetic and Latin
#: extensions, zero-width and bidi controls, the Mongolian vowel separator,
#: super/subscripts, letter-like symbols, enclosed letters, squared abbreviations, Latin
#: extensions C/D/E, ligatures, variation selectors, BOM, full-width forms, mathematical
#: letters, enclosed supplement, tag characters. (A letter-ish character elsewhere, like
#: ``㉐``, is not looked for: none looks like a Latin word.)
_BLOCKS = (
    (0x0080, 0x058F),
    (0x13A0, 0x13FF),
    (0x180E, 0x180E),
    (0x1AB0, 0x1AFF),
    (0x1D00, 0x24FF),
    (0x2C60, 0x2C7F),
    (0x3300, 0x33FF),
    (0xA720, 0xA7FF),
    (0xAB30, 0xAB6F),
    (0xFB00, 0xFB06),
    (0xFE00, 0xFE2F),
    (0xFEFF, 0xFEFF),
    (0xFF00, 0xFFEF),
    (0x1D400, 0x1D7FF),
    (0x1F100, 0x1F1FF),
    (0xE0000, 0xE007F),
)


@lru_cache(maxsize=1)
def _letterish_chars() -> frozenset[str]:
    """Every :func:`_letterish` character of :data:`_BLOCKS` (about 12k characters
    looked at once, on the first non-ASCII text: ~15 ms)."""
    return frozenset(chr(c) for lo, hi in _BLOCKS for c in range(lo, hi + 1) if _letterish(chr(c)))


_ASCII_BYTES = bytes(range(128))


def may_change_words(text: str) -> bool:
    """Could :func:`glyph_reading` change a word of ``text``? (``False``: it holds no
    character the reading drops or turns into a letter.)"""
    # The ASCII characters go first (C-level passes over the UTF-8 bytes): what is left
    # is a few dozen characters in English prose, and only those are looked up.
    rest = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    return not _letterish_chars().isdisjoint(rest.decode("utf-8", "surrogatepass"))


def changed_pieces(text: str) -> str:
    """The pieces of ``text`` between whitespace in which :func:`glyph_reading` drops a
    character or makes an ASCII letter, as it reads them, joined by spaces (each
    distinct piece once; ``""``: none): the only places where the reading can hold a
    word the text does not. :func:`may_change_words` first (typographic quotes, dashes,
    CJK: most non-ASCII text ends there); then the non-ASCII pieces are read."""
    if not may_change_words(text):
        return ""
    pieces = _non_ascii_pieces(text)
    return " ".join(r for r in (p.translate(_TABLE) for p in pieces) if r not in pieces)


def _non_ascii_pieces(text: str) -> set[str]:
    """``{p for p in text.split() if not p.isascii()}``, split only around the blocks
    with a non-ASCII character (:func:`non_ascii_spans`; ``str.split`` of a whole long
    prompt makes an object of every word): each span widened to whitespace on both
    sides, then split. A span never reaches back past the one before, so every
    character is read a bounded number of times."""
    out: set[str] = set()
    end = 0
    for lo, hi in non_ascii_spans(text):
        if hi <= end:
            continue  # inside the last widened span
        start, step = max(lo, end), 32
        while start > end:  # back to just after the whitespace before ``lo``
            back = max(end, start - step)
            last = _UP_TO_LAST_SPACE.match(text, back, start)
            if last is not None:
                start = last.end()
                break
            start, step = back, step * 2
        rest = _REST_OF_PIECE.match(text, hi)  # on to the whitespace after
        end = hi if rest is None else rest.end()  # (an empty rest matches: never None)
        out.update(p for p in text[start:end].split() if not p.isascii())
    return out


def origins(text: str) -> list[int]:
    """For each character of ``glyph_reading(text)``, the index in ``text`` of the
    character it came from; one more entry at the end: ``len(text)``. Read only when a
    finding in the reading needs its place in the text (rare: an attack)."""
    sizes = [len(_TABLE[ord(ch)] or "") for ch in text]
    out = [i for i, n in enumerate(sizes) for _ in range(n)]
    out.append(len(text))
    return out


def span_in(text: str, start: int, end: int, where: list[int] | None = None) -> tuple[int, int]:
    """The span of ``text`` that the span ``start:end`` of its glyph reading came from."""
    where = origins(text) if where is None else where
    first = where[min(start, len(where) - 1)]
    last = where[end - 1] + 1 if end > start else first
    return first, max(first, last)
