"""Markdown that shows exactly what the model wrote.

A notebook renders Markdown with math (``$…$``) and raw HTML switched on, so a reply
saying "from $5 to $10" turns into LaTeX and "<String>" or "<EMAIL>" vanish as unknown
tags. :func:`faithful_markdown` escapes the characters that switch those on — ``$``,
``<`` and ``&`` — with CommonMark backslash escapes, outside code: fenced blocks and
inline code spans are left untouched (a backslash there would show). Everything else
the model wrote (headings, lists, emphasis, tables) still renders as Markdown.
"""

from __future__ import annotations

import re

__all__ = ["faithful_markdown"]

#: An opening (or closing) code fence: up to three spaces, then ``` or ~~~ (3 or more).
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
#: What turns on math, raw HTML or an entity in prose.
_SPECIAL = re.compile(r"([$<&])")
_BACKTICKS = re.compile(r"`+")


def faithful_markdown(text: str) -> str:
    """``text`` with ``$``, ``<`` and ``&`` escaped outside code fences and code spans."""
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None and match:
            out.append(_escape_prose("".join(prose)))
            prose.clear()
            fence = match.group(1)
            out.append(line)
        elif fence is not None:
            out.append(line)
            closes = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
            if closes and not line.strip().strip(fence[0]):  # a closing fence has no info
                fence = None
        else:
            prose.append(line)
    out.append(_escape_prose("".join(prose)))
    return "".join(out)


def _escape_prose(text: str) -> str:
    """Escape outside inline code spans (a run of N backticks closed by a run of N)."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        opening = _BACKTICKS.search(text, pos)
        if opening is None:
            break
        closing = _closing_run(text, opening.end(), len(opening.group()))
        if closing is None:  # an unmatched run is literal backticks
            out.append(_SPECIAL.sub(r"\\\1", text[pos : opening.end()]))
            pos = opening.end()
            continue
        out.append(_SPECIAL.sub(r"\\\1", text[pos : opening.start()]))
        out.append(text[opening.start() : closing])
        pos = closing
    out.append(_SPECIAL.sub(r"\\\1", text[pos:]))
    return "".join(out)


def _closing_run(text: str, start: int, length: int) -> int | None:
    """The end of the next backtick run of exactly ``length`` after ``start``, if any."""
    for run in _BACKTICKS.finditer(text, start):
        if len(run.group()) == length:
            return run.end()
    return None
