"""Zero-width and bidi characters that right-to-left text uses as it is written (issue 20).

The hidden-character signals (:meth:`.injection.InjectionDetector._hidden`) flag a
zero-width character or a bidi control anywhere, because in English text one hides a word
("ig\u200cnore") or reorders what a reviewer sees. Text in Arabic script uses both as part
of its spelling and layout:

- **Persian's zero-width non-joiner** (U+200C) sits inside ordinary words
  ("می\u200cخواهم", "کتاب\u200cخانه"), and translators leave it after a word's
  punctuation ("«.»\u200c باشند") or doubled; Arabic text has stray zero-width spaces
  beside its words in the same way. The detector already lets one between two letters of a
  joining script pass; here one or two in a row pass when an Arabic-script letter is
  within a few characters and no Latin-looking letter touches them. A run of three or
  more (bits hidden in zero-width characters) and one inside a Latin word stay flagged.
- **Embeddings and isolates** (LRE, RLE, PDF, LRI, RLI, FSI, PDI) wrap a left-to-right
  run (a file name, "GTK+", "mmap()") inside right-to-left text so that it shows in
  order: GNOME's Persian and Arabic catalogs are full of them. They pass when a
  right-to-left letter (Hebrew, Arabic, Syriac, Thaana, N'Ko) is near. The overrides
  (LRO U+202D, RLO U+202E), which reverse the characters themselves (the "Trojan
  Source" trick), stay flagged everywhere.

Measured on Debian's gettext catalogs in Persian and Arabic by
``python -m bench.guardian_injection_corpora``.
"""

from __future__ import annotations

import re

__all__ = ["embeds_in_rtl", "spelled_in_arabic_script"]

#: Letters of Arabic script (Arabic, its supplements and presentation forms).
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufefc"
#: Right-to-left scripts: Hebrew, Arabic, Syriac, Thaana, N'Ko and their forms.
_RTL = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"
_ARABIC_NEAR = re.compile(f"[{_ARABIC}]")
_RTL_NEAR = re.compile(f"[{_RTL}]")
#: The zero-width characters Arabic-script text is written with.
_SPELLING = "\u200b\u200c\u200d"
#: Letters that look Latin (Latin, Greek, Cyrillic, full-width, mathematical), and
#: digits: a zero-width character touching one may split a word.
_LATIN_LOOKING = re.compile(
    "[A-Za-z0-9\u00c0-\u058f\u1d00-\u1eff\uff00-\uffef\U0001d400-\U0001d7ff]"
)
#: How far an Arabic-script letter may be from a zero-width run.
_REACH = 3
#: How far a right-to-left letter may be from an embedding or isolate.
_RTL_REACH = 60
#: Embeddings, isolates and their pops: not the overrides U+202D and U+202E.
_LAYOUT = frozenset("\u202a\u202b\u202c\u2066\u2067\u2068\u2069")


def spelled_in_arabic_script(text: str, i: int) -> bool:
    """Is the zero-width character at ``i`` part of Arabic-script spelling: in a run of
    at most two, touching no Latin-looking letter, with an Arabic-script letter within
    :data:`_REACH` characters of the run?"""
    if text[i] not in _SPELLING:
        return False
    start, end = i, i + 1
    while start > 0 and text[start - 1] in _SPELLING:
        start -= 1
    while end < len(text) and text[end] in _SPELLING:
        end += 1
    if end - start > 2:
        return False
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if _LATIN_LOOKING.match(before) or _LATIN_LOOKING.match(after):
        return False
    near = _ARABIC_NEAR.search(text, max(0, start - _REACH), min(len(text), end + _REACH))
    return near is not None


def embeds_in_rtl(text: str, i: int) -> bool:
    """Is the bidi control at ``i`` an embedding, an isolate or a pop of one, with a
    right-to-left letter within :data:`_RTL_REACH` characters?"""
    if text[i] not in _LAYOUT:
        return False
    lo, hi = max(0, i - _RTL_REACH), min(len(text), i + _RTL_REACH)
    return _RTL_NEAR.search(text, lo, hi) is not None
