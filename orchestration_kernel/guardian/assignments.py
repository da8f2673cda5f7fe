"""Values given to key-like names, in the forms code and config write them.

A key word (``key``, ``secret``, ``token``, ``password``, ``pw``, ...) that is a word part
of an identifier (``api_key``, ``adobeToken``, ``DISCORD-TOKEN``, ``my_password_secure``)
is found with ``str.find``; the identifier around it is read (at most 64 characters each
way), then the value it is given:

- assignments: ``=``, ``:=``, ``::=``, ``:::=``, ``?=``, ``.=``, ``+=``, ``==``, ``:``,
  ``=>``, with an optional type word (``var x string = …``) and quotes;
- an XML element: ``<fooToken>value</fooToken>``;
- a call naming the key in quotes: ``setProperty("X_TOKEN", "value")``;
- a command-line flag: ``--token value``, ``-vaultToken value``, ``--token=value``.

Plus credentials that carry no key name: ``scheme://user:password@host`` and
``curl -u user:password``. Every repeat is bounded, so the scan is linear in the text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Assignment", "find_assignments", "find_basic_credentials"]

#: Key words, lower-case, and what may follow each inside the same word part.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "key": ("s",),
    "secret": ("s",),
    "token": ("s",),
    "password": ("s",),
    "passwd": (),
    "passphrase": (),
    "pwd": (),
    "pw": (),
    "credential": ("s",),
    "apikey": (),
}
#: Glued lower-case words that make a key word part of a name (``apikey``, ``authtoken``).
_GLUED = ("api", "access", "secret", "auth", "private", "client", "app", "bot", "session")
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_.-$@")
_MAX_NAME = 64
_TYPE_WORDS = r"(?:\s+(?:string|str|String|var|let|const|final|char\*?|text|bytes))?"
#: After the name: a closing quote or bracket, a type word, an operator, an opening quote.
_ASSIGN = re.compile(
    r"[\"'\]]?" + _TYPE_WORDS + r"[ \t]{0,8}(?P<op>:{1,3}=|[?.+]=|==|=>|=|:)[ \t]{0,8}"
    r"(?:(?P<q>[\"'`])(?P<qv>[^\"'`\n]{0,256})(?P=q)|(?P<v>[^\s\"'`,;<>]{1,256}))"
)
_CALL = re.compile(r"[\"']\s{0,4},\s{0,4}(?P<q>[\"'])(?P<qv>[^\"'\n]{0,300})(?P=q)")
_FLAG = re.compile(r"(?:=|[ \t]{1,8})[\"']?(?P<v>[^\s\"']{1,300})")
_XML_VALUE = re.compile(r">\s{0,20}(?P<v>[^<\s]{1,300})\s{0,20}</")


@dataclass(frozen=True)
class Assignment:
    """A value given to a key-like name: the name, the key word in it, the value's span,
    and whether it was quoted."""

    name: str
    keyword: str
    start: int
    end: int
    quoted: bool


def _part_start(text: str, pos: int, lower: str) -> bool:
    if pos == 0 or not text[pos - 1].isalpha():
        return True
    if text[pos].isupper() and (text[pos - 1].islower() or text[pos + 1 : pos + 2].islower()):
        return True  # camelCase: adobeToken, EZTKToken
    return lower.endswith(_GLUED, max(0, pos - 7), pos)


def _part_end(text: str, end: int, keyword: str) -> bool:
    if end >= len(text) or not text[end].isalpha():
        return True
    if text[end].isupper() and text[end - 1].islower():  # tokenValue
        return True
    for suffix in _KEYWORDS[keyword]:
        after = end + len(suffix)
        if text.startswith(suffix, end) and (after >= len(text) or not text[after].isalpha()):
            return True
    return False


def _identifier(text: str, start: int, end: int) -> tuple[int, int] | None:
    begin = start
    while begin > 0 and text[begin - 1] in _NAME_CHARS:
        begin -= 1
        if start - begin > _MAX_NAME:
            return None
    stop = end
    while stop < len(text) and text[stop] in _NAME_CHARS:
        stop += 1
        if stop - end > _MAX_NAME:
            return None
    return begin, stop


def _value_at(text: str, begin: int, stop: int) -> tuple[int, int, bool] | None:
    """The value given to the identifier ``text[begin:stop]``, as (start, end, quoted)."""
    before = text[begin - 1] if begin else ""
    if before == "<" and text.startswith(">", stop):
        m = _XML_VALUE.match(text, stop)
        return (m.start("v"), m.end("v"), False) if m else None
    if before in "\"'":
        m = _CALL.match(text, stop)
        if m:
            return m.start("qv"), m.end("qv"), True
    if text.startswith("-", begin):
        m = _FLAG.match(text, stop)
        if m:
            return m.start("v"), m.end("v"), False
    m = _ASSIGN.match(text, stop)
    if not m:
        return None
    if m.group("qv") is not None:
        return m.start("qv"), m.end("qv"), True
    return m.start("v"), m.end("v"), False


def find_assignments(text: str, lower: str) -> Iterator[Assignment]:
    """Every value given to a key-like name (``lower``: ``text`` lower-cased, same length)."""
    for keyword in _KEYWORDS:
        pos = lower.find(keyword)
        while pos >= 0:
            end = pos + len(keyword)
            if _part_start(text, pos, lower) and _part_end(text, end, keyword):
                span = _identifier(text, pos, end)
                value = _value_at(text, *span) if span is not None else None
                if span is not None and value is not None:
                    yield Assignment(text[span[0] : span[1]], keyword, *value)
                    # A key word inside this value ("key=key=key=...") is part of it.
                    end = max(end, value[1])
            pos = lower.find(keyword, end)


_URL_CREDENTIAL = re.compile(
    r"://(?P<user>[A-Za-z0-9._~%!$&+=-]{1,64}):(?P<pw>[^\s@/:\"'<>]{1,128})@[A-Za-z0-9.-]"
)
_CURL_USER = re.compile(
    r"(?:-u|--user)[ \t]{1,8}[\"']?(?P<user>[^\s:\"']{1,64}):(?P<pw>[^\s\"']{1,128})"
)


def find_basic_credentials(text: str) -> Iterator[tuple[int, int]]:
    """Spans of passwords in ``scheme://user:password@host`` and ``curl -u user:password``."""
    pos = text.find("://")
    while pos >= 0:
        m = _URL_CREDENTIAL.match(text, pos)
        if m:
            yield m.start("pw"), m.end("pw")
        pos = text.find("://", pos + 3)
    for flag in ("-u ", "-u\t", "--user "):
        pos = text.find(flag)
        while pos >= 0:
            if pos == 0 or text[pos - 1] in " \t\\\n":
                m = _CURL_USER.match(text, pos)
                if m:
                    yield m.start("pw"), m.end("pw")
            pos = text.find(flag, pos + 1)
