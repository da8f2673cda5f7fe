"""Text written with ``\\uXXXX`` escapes, read as the characters they stand for.

``json.dumps`` escapes every non-ASCII character by default, so a prompt that passed
through JSON on its way to a model carries Chinese, Cyrillic or invisible tag characters
as ``\\u5ffd\\u7565…``: an instruction the detectors would read in the characters is
invisible in the escapes. :func:`unescaped` decodes them (surrogate pairs included) and
keeps, for each character of the reading, where it came from in the text as written, so
that evidence found in the reading points at the text the user sent.
"""

from __future__ import annotations

import re

__all__ = ["unescaped"]

#: One escape, or a surrogate pair of them (a character beyond the Basic Multilingual
#: Plane, as JSON writes it). Not after another backslash: ``\\\\u0041`` is a backslash
#: and the letters ``u0041``.
_ESCAPE = re.compile(
    r"(?<!\\)\\u(?:([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|([0-9a-fA-F]{4}))"
)


def unescaped(text: str) -> tuple[str, list[int]] | None:
    """``(reading, origin)`` where ``origin[i]`` is the index in ``text`` of the
    character ``reading[i]`` came from (``origin`` has one more entry: ``len(text)``),
    or ``None`` when ``text`` has no escape to decode."""
    if "\\u" not in text:
        return None
    parts: list[str] = []
    origin: list[int] = []
    last = 0
    for m in _ESCAPE.finditer(text):
        parts.append(text[last : m.start()])
        origin.extend(range(last, m.start()))
        high, low, single = m.groups()
        if single is not None:
            code = int(single, 16)
        else:
            code = 0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00)
        parts.append(chr(code))
        origin.append(m.start())
        last = m.end()
    if last == 0:
        return None
    parts.append(text[last:])
    origin.extend(range(last, len(text) + 1))
    return "".join(parts), origin
