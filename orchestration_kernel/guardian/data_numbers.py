"""Numbers in data are not identity numbers: the PII detector's last word on digit runs.

A DataFrame sent in a prompt (``{input}`` renders it as CSV) is mostly numbers, and the
shapes and checksums that find identity numbers are weak filters on their own: one random
16-digit run in ten passes Luhn, one 13-digit run in ~eleven passes a Korean RRN's check,
a four-part version number is a dotted quad, an 8-digit download count is a valid phone
number somewhere. Two kinds of finding are dropped:

- **Part of a longer number**: the digits after ``0.`` in ``0.6729288269112204``, or
  before ``.5`` in ``4111111111111111.5`` (an identifier is never written with a decimal
  point glued to it), and a dotted quad that runs on as ``1.7.1.3.post3``.
- **A chance match in a column of numbers**: a finding that is a whole table cell, in a
  column of at least :data:`SAME_SHAPE` numeric cells fewer than half of which hold the
  same kind of finding. A column of real card numbers, addresses or phone numbers is
  found whole; a column of order ids, versions or counts passes a check only here and
  there. Tables are CSV, TSV, Markdown and a DataFrame's repr (fields between commas,
  tabs, ``|`` or runs of two spaces) and JSON records (a column is a key).
- **Version numbers**: ``3.20.1 3.20.2 3.20.2.1 3.20.3 3.23.0`` holds a dotted quad and,
  read across the blanks, phone-shaped digits. A run of at least :data:`SAME_SHAPE`
  dotted numbers of which any has other than four parts is versions (a list of
  addresses is four-part throughout, and is found whole), and so is every cell of a
  table column whose header names versions, releases or builds.

Only findings written as digits and separators are judged: an e-mail address or an IBAN
in a column says what it is. A number in a sentence is never a table cell.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence

from .redaction import Finding

__all__ = ["SAME_SHAPE", "without_data_numbers"]

#: How many numeric cells make a column of data.
SAME_SHAPE = 5

#: A cell that is a number: digits with the separators numbers are written with.
_NUMERIC = re.compile(r"[+(]?\d[\d .()/-]*")
#: Field separators of one table line, tried in this order (a line of a table uses one).
_SPLITTERS = ("\t", ",", "|")
_SPACES = re.compile(r" {2,}")
_NEWLINE = re.compile(r"\n")
#: A run of dotted numbers (versions, or addresses) separated by blanks or commas. It
#: opens with a digit, which the regex engine skips ahead to; the look-behind after it
#: (the character before that digit is no word character or dot) is tried only there.
_DOTTED_RUN = re.compile(r"\d(?<![\w.]\d)\d*(?:\.\d+)+(?:[ ,]+\d+(?:\.\d+)+){4,}(?![\w.])")
_DOTTED = re.compile(r"\d+(?:\.\d+)+")
_VERSION_TAIL = re.compile(
    r"\.(?:\d|(?i:post|dev|rc|alpha|beta|final|release|ga|snapshot)(?![A-Za-z]))"
)
_DOTTED_START = re.compile(r" *v?\d+(?:\.\d+)+")
_VERSION_HEADER = re.compile(r"(?i:version|release|build|\bver\b)")
#: ``"key": value`` in JSON (the value quoted or not); the key names the column.
_JSON_PAIR = re.compile(r'"([^"\\\n]{1,64})"\s*:\s*"?([^",}\]\n]{1,64})')


def without_data_numbers(text: str, found: Sequence[Finding]) -> list[Finding]:
    """``found`` without the findings that are part of a decimal number or that passed
    by chance in a column of numbers (see the module's docstring)."""
    kept = [f for f in found if not _in_decimal(text, f)]
    judged = [f for f in kept if _NUMERIC.fullmatch(text, f.start, f.end)]
    longer = {id(f) for f in judged if _runs_on_dotted(text, f)}
    if longer:
        kept = [f for f in kept if id(f) not in longer]
        judged = [f for f in judged if id(f) not in longer]
    if not judged:
        return kept
    # The text is read as a table only when a finding stands as a cell would.
    cell_like = [f for f in judged if _cell_like(text, f)]
    cells = list(_cells(text, cell_like)) if cell_like else None
    versions = _version_lists(text, judged, cells)
    if versions:
        gone = {id(f) for f in judged if any(s < f.end and f.start < e for s, e in versions)}
        kept = [f for f in kept if id(f) not in gone]
        judged = [f for f in judged if id(f) not in gone]
    if cells is None:
        return kept
    columns = _numeric_columns(text, cells)
    where = {span: column for column, spans in columns.items() for span in spans}
    hits: dict[tuple[object, str], int] = defaultdict(int)
    for f in judged:
        column = where.get((f.start, f.end))
        if column is not None:
            hits[column, f.entity] += 1
    chance = {
        key for key, n in hits.items() if len(columns[key[0]]) >= SAME_SHAPE
        and 2 * n < len(columns[key[0]])
    }  # fmt: skip
    if not chance:
        return kept
    dropped = {id(f) for f in judged if (where.get((f.start, f.end)), f.entity) in chance}
    return [f for f in kept if id(f) not in dropped]


#: What may stand right before or after a table cell (besides two blanks or more).
_CELL_EDGE_BEFORE = frozenset('\n\r,\t|;["')
_CELL_EDGE_AFTER = frozenset('\n\r,\t|;}]"')


def _cell_like(text: str, f: Finding) -> bool:
    """True when ``f`` stands between cell edges (see :data:`_CELL_EDGE_BEFORE`), as a
    cell of CSV, TSV, Markdown, a repr or a JSON value does; a number in a sentence does
    not. (Blanks are walked at most 64 characters: a flood of them stays linear.)"""
    i = f.start
    while i > 0 and f.start - i < 64 and text[i - 1] == " ":
        i -= 1
    j = f.end
    while j < len(text) and j - f.end < 64 and text[j] == " ":
        j += 1
    before = (
        i == 0
        or text[i - 1] in _CELL_EDGE_BEFORE
        or f.start - i >= 2
        or text[i - 2 : i] == '":'  # a JSON value; "Phone: 555…" is a sentence
    )
    after = j == len(text) or text[j] in _CELL_EDGE_AFTER or j - f.end >= 2
    return before and after


_VERSIONED = ("IP_ADDRESS", "PHONE_NUMBER")


def _version_lists(
    text: str, judged: Sequence[Finding], cells: list[tuple[object, int, int]] | None
) -> list[tuple[int, int]]:
    """The spans of runs of dotted numbers of which any is not four-part (versions), and
    of version columns' cells; looked for only when an address or a phone was found."""
    if not any(f.entity in _VERSIONED for f in judged):
        return []
    spans = set()
    for f in judged:  # the runs around each address or phone (a window: one pass each)
        if f.entity not in _VERSIONED or text.count(".", max(0, f.start - 200), f.end + 200) < 4:
            continue  # five dotted numbers hold four dots at least
        for run in _DOTTED_RUN.finditer(text, max(0, f.start - 200), f.end + 200):
            parts = [m.group().count(".") + 1 for m in _DOTTED.finditer(run.group())]
            if run.start() < f.end and f.start < run.end() and any(n != 4 for n in parts):
                spans.add(run.span())
    return [*spans, *(_version_columns(text, cells) if cells is not None else [])]


def _version_columns(text: str, all_cells: list[tuple[object, int, int]]) -> list[tuple[int, int]]:
    """The cells of table columns whose first cell (the header) names versions and at
    least :data:`SAME_SHAPE` of whose cells start with a dotted number."""
    headers: dict[object, bool] = {}
    cells: dict[object, list[tuple[int, int]]] = defaultdict(list)
    for column, start, end in all_cells:
        if column not in headers:
            headers[column] = _VERSION_HEADER.search(text, start, end) is not None
        elif headers[column]:
            cells[column].append((start, end))
    spans = []
    for column_cells in cells.values():
        dotted = sum(1 for s, e in column_cells if _DOTTED_START.match(text, s, e))
        if dotted >= SAME_SHAPE:
            spans.extend(column_cells)
    return spans


def _numeric_columns(
    text: str, cells: list[tuple[object, int, int]]
) -> dict[object, list[tuple[int, int]]]:
    """The spans of numeric cells (stripped of blanks), by column."""
    columns: dict[object, list[tuple[int, int]]] = defaultdict(list)
    for column, start, end in cells:
        while start < end and text[start] == " ":
            start += 1
        while end > start and text[end - 1] == " ":
            end -= 1
        if _NUMERIC.fullmatch(text, start, end):
            columns[column].append((start, end))
    return columns


def _cells(text: str, around: Sequence[Finding]) -> Iterator[tuple[object, int, int]]:
    """``(column, start, end)`` of every cell of the tables that hold a finding of
    ``around`` (a table: the lines next to each other that hold its separator), and of
    every JSON value when one of them is a JSON value. Each line is read at most twice,
    however many findings there are."""
    breaks = [m.start() for m in _NEWLINE.finditer(text)]

    def line(k: int) -> tuple[int, int]:
        return (breaks[k - 1] + 1 if k else 0), (breaks[k] if k < len(breaks) else len(text))

    names: dict[int, str | None] = {}

    def separator(k: int) -> str | None:  # each line's, once (one line may hold all)
        if k not in names:
            names[k] = _separator(text[slice(*line(k))])
        return names[k]

    covered_to = -1  # the last line of the last table read (findings come in text order)
    for f in sorted(around, key=lambda f: f.start):
        k = bisect_left(breaks, f.start)
        if k <= covered_to or (name := separator(k)) is None:
            continue
        first = last = k
        while first > covered_to + 1 and separator(first - 1) == name:
            first -= 1
        while last < len(breaks) and separator(last + 1) == name:
            last += 1
        covered_to = last
        for j in range(first, last + 1):
            a, b = line(j)
            for key, start, end in _line_cells(text[a:b].rstrip("\r"), a):
                yield (first, key), start, end
    if any(text[max(0, f.start - 3) : f.start].rstrip(" ").endswith(('":', '"')) for f in around):
        for m in _JSON_PAIR.finditer(text):
            yield ("json", m.group(1)), m.start(2), m.end(2)


def _separator(line: str) -> str | None:
    """The separator a table line uses (see :func:`_line_cells`), or None."""
    name = next((sep for sep in _SPLITTERS if sep in line), None)
    return name if name is not None or "  " not in line.strip(" ") else "  "


def _line_cells(line: str, offset: int) -> Iterator[tuple[object, int, int]]:
    """The fields of one line split by the first separator it holds, numbered (or by
    runs of two blanks, as a DataFrame's repr aligns its columns)."""
    name = next((sep for sep in _SPLITTERS if sep in line), None)
    if name is not None:
        start = offset
        for index, field in enumerate(line.split(name)):  # one character: in C
            yield (name, index), start, start + len(field)
            start += len(field) + 1
        return
    if "  " not in line.strip(" "):
        return
    lead = len(line) - len(line.lstrip(" "))  # a repr's right-aligned first cell
    start = index = 0
    for index, sep in enumerate(_SPACES.finditer(line, lead), 1):
        yield ("  ", index - 1), offset + max(start, lead), offset + sep.start()
        start = sep.end()
    yield ("  ", index), offset + max(start, lead), offset + len(line)


def _runs_on_dotted(text: str, f: Finding) -> bool:
    """True for dotted digits that run on as a version: ``1.2.3.4.5``, ``1.7.1.3.post3``,
    ``3.2.1.4.RELEASE``."""
    return "." in text[f.start : f.end] and _VERSION_TAIL.match(text, f.end) is not None


def _in_decimal(text: str, f: Finding) -> bool:
    """True when digits ``text[f.start:f.end]`` sit right after ``<digit>.`` or right
    before ``.<digit>``: a decimal number's fraction or integer part."""
    start, end = f.start, f.end
    if start < end and not (text[start].isdigit() and text[end - 1].isdigit()):
        return False
    after_point = start >= 2 and text[start - 1] == "." and text[start - 2].isdigit()
    before_point = text[end : end + 1] == "." and text[end + 1 : end + 2].isdigit()
    return after_point or before_point
