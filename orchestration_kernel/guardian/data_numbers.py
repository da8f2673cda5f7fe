"""Numbers in data are not identity numbers: the PII detector's last word on digit runs.

A DataFrame sent in a prompt (``{input}`` renders it as CSV) is mostly numbers, and
checksums are weak filters on their own: one random 16-digit run in ten passes Luhn, one
13-digit run in ~eleven passes a Korean RRN's check. Two kinds of finding are dropped:

- **Part of a decimal number**: the digits after ``0.`` in ``0.6729288269112204``, or
  before ``.5`` in ``4111111111111111.5``. An identifier is never written with a decimal
  point glued to it.
- **A cell of a column of numbers most of which fail the check**: when a text holds at
  least :data:`SAME_SHAPE` table cells (between commas, tabs, ``|``, ``;``, two spaces
  or a line's ends: CSV, TSV, Markdown, a DataFrame's repr; a JSON number) that are bare
  runs of one
  length, and fewer than half of them were found, the ones found passed by chance (a
  column of real card numbers passes whole).

The column rule judges only such cells: a number in a sentence or a JSON value keeps its
finding whatever else the text holds, and so does a number written the way its issuer
prints it (``4111 1111 1111 1111``, ``123-45-6789``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from .redaction import Finding

__all__ = ["SAME_SHAPE", "without_data_numbers"]

#: How many table cells of bare digits of one length make a column of data.
SAME_SHAPE = 5

#: A table cell that is a bare run of nine digits or more (see the module's docstring).
#: (Two spaces count only where a run of spaces starts, and the spaces are taken
#: possessively: a long run of blanks is read once, not once per start.)
_CELL = re.compile(r"(?m)(?:^|[,\t|;:\[]|(?<! ) {2}) *+(\d{9,}) *(?=[,\t|;\r}\]]|  |$)")


def without_data_numbers(text: str, found: Sequence[Finding]) -> list[Finding]:
    """``found`` without the findings that are part of a decimal number or that passed
    by chance in a column of same-length numbers (see the module's docstring)."""
    kept = [f for f in found if not _in_decimal(text, f)]
    if not any(text[f.start : f.end].isdigit() and f.end - f.start >= 9 for f in kept):
        return kept
    cells = {m.span(1) for m in _CELL.finditer(text)}
    bare = [f for f in kept if (f.start, f.end) in cells]
    if not bare:
        return kept
    runs = Counter(end - start for start, end in cells)
    hits = Counter(f.end - f.start for f in bare)
    chance = {n for n, k in hits.items() if runs[n] >= SAME_SHAPE and 2 * k < runs[n]}
    if not chance:
        return kept
    dropped = {id(f) for f in bare if f.end - f.start in chance}
    return [f for f in kept if id(f) not in dropped]


def _in_decimal(text: str, f: Finding) -> bool:
    """True when digits ``text[f.start:f.end]`` sit right after ``<digit>.`` or right
    before ``.<digit>``: a decimal number's fraction or integer part."""
    start, end = f.start, f.end
    if start < end and not (text[start].isdigit() and text[end - 1].isdigit()):
        return False
    after_point = start >= 2 and text[start - 1] == "." and text[start - 2].isdigit()
    before_point = text[end : end + 1] == "." and text[end + 1 : end + 2].isdigit()
    return after_point or before_point
