"""Passwords in the forms tools and people write them without a key-like name and an
operator (those are :mod:`.assignments`'):

- credential files: ``.netrc`` (``machine h login u password p``) and ``.pgpass``
  (``host:port:database:user:password``);
- command lines: ``mysql -pSECRET`` (glued: ``-p`` alone prompts), ``sshpass -p``,
  ``docker login … -p``, ``mongo … -p``;
- SQL: ``IDENTIFIED BY '…'``, ``CREATE USER … PASSWORD '…'``, ``SET PASSWORD … = '…'``;
- HTTP clients: ``auth=("user", "pw")``, ``HTTPBasicAuth("user", "pw")``;
- prose: ``the password is …``, ``my pw was …``, ``use password … to log in``.

Each form is found from a literal (``login``, ``-p``, ``identified``, ``auth``, a
password word, ``:<port>:``), then matched at that place with bounded repeats, so the
scan stays linear in the text. A form says how sure its place is (:class:`Sureness`):
on a command line or in SQL the value is the password whatever it looks like; in
prose only a value that reads as a password (a digit or a symbol, mixed case) is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

from ._scan import Occurrences, OnePass
from .placeholders import is_metavariable, is_placeholder

__all__ = ["LITERALS", "PGPASS_MARK", "Sureness", "find_password_forms", "password_like"]


class Sureness(Enum):
    """How sure a form is that its value is a password."""

    #: The syntax says so (a command's password flag, SQL, a credential file).
    SYNTAX = "syntax"
    #: Prose with a verb: ``the password is …``.
    SAID = "said"
    #: Prose with no verb: ``use password … to log in``.
    NAMED = "named"
    #: A key, token or secret said in prose: ``my api key is …``. Its value counts only
    #: when it reads as generated (a caller's check: a long run of mixed characters).
    KEY_SAID = "key said"


#: The shortest value taken for a password (as :mod:`.secrets` takes one after a name).
_MIN_CHARS = 6
#: With no verb, a value must be this long and hold three kinds of characters.
_NAMED_MIN_CHARS = 8
#: The longest bare value prose is read to hold (longer runs are data, not a word).
_PROSE_MAX_CHARS = 64
_PW_WORDS = r"(?:password|passwd|passphrase|passcode|pass\s?code|pwd|pw)"
#: Quoted or bare; a quote inside a bare value ends it.
_VALUE = (
    r"(?:(?P<q>[\"'`\u201c])(?P<qv>[^\"'`\u201d\n]{1,128})[\"'`\u201d]|(?P<v>[^\s\"'`]{1,128}))"
)

#: In prose a bare value ends where code or markup starts (``is correct.&quot;);``,
#: ``passphrase (Optional[bytes])``).
_PROSE_VALUE = (
    r"(?:(?P<q>[\"'`\u201c])(?P<qv>[^\"'`\u201d\n]{1,128})[\"'`\u201d]"
    r"|(?P<v>[^\s\"'`;&()<>\[\]{}]{1,128})(?![(\[{<&]))"
)
_NETRC = re.compile(
    r"login[ \t]{1,8}\S{1,128}\s{1,16}password[ \t]{1,8}" + _VALUE.replace("\\n", "\\s")
)
_SAID = re.compile(
    r"(?i:" + _PW_WORDS + r")"
    # "the password for the door is …": up to three words of what it opens.
    r"(?:[ \t]{1,4}(?i:for|of|to|on)(?:[ \t]{1,4}[^\s]{1,40}){1,3}?)?[ \t]{1,4}"
    # (The longer verbs first: "was set to X" is not "was" and the value "set".)
    r"(?i:(?:is|was)[ \t]set[ \t]to|changed[ \t]to|is|was|remains|will[ \t]be|would[ \t]be)"
    r"[ \t]{0,4}:?[ \t]{1,4}" + _PROSE_VALUE
)
#: The key words a generated value is said after (``the API key is …``, ``my token was
#: …``): what a person pastes into a prompt as often as a password.
_KEY_SAID = re.compile(
    r"(?i:(?:api)?key|token|secret|credentials?)[ \t]{1,4}"
    r"(?i:(?:is|was)[ \t]set[ \t]to|changed[ \t]to|is|was)[ \t]{0,4}:?[ \t]{1,4}" + _PROSE_VALUE
)
_NAMED = re.compile(r"(?i:password|passwd|passphrase|passcode)[ \t]{1,4}" + _PROSE_VALUE)
#: ``-p`` after a command that takes a password with it (value after a blank or ``=``).
_COMMAND_P = re.compile(
    r"(?i:login|sshpass|mongo(?:sh|dump|restore|import|export|stat|top)?)\b"
    r"[^\n|;&]{0,200}?[ \t]-p(?:[ \t]{1,8}|=)?" + _VALUE
)
#: MySQL's clients: the password glued to ``-p`` (``-p`` and a blank prompts for it).
_MYSQL_P = re.compile(
    r"(?i:mysql\w{0,10}|mariadb\w{0,10})\b[^\n|;&]{0,200}?[ \t]-p"
    r"(?:(?P<q>[\"'])(?P<qv>[^\"'\n]{1,128})(?P=q)|(?P<v>[^\s\"']{1,128}))"
)
_SQL_IDENTIFIED = re.compile(
    r"(?i:identified(?:[ \t]{1,4}with[ \t]{1,4}\S{1,40})?[ \t]{1,4}by(?:[ \t]{1,4}password)?)"
    r"[ \t]{1,4}(?:(?P<q>[\"'])(?P<qv>[^\"'\n]{1,128})(?P=q)|(?P<v>[^\s;\"']{1,128}))"
)
_SQL_USER = re.compile(
    r"(?i:(?:create|alter)[ \t]{1,4}(?:user|role|login)\b[^;\n]{0,200}?\bpassword)"
    r"[ \t]{0,4}=?[ \t]{0,4}(?P<q>[\"'])(?P<qv>[^\"'\n]{1,128})(?P=q)"
)
_SQL_SET = re.compile(
    r"(?i:set[ \t]{1,4}password\b[^;\n]{0,120}?=[ \t]{0,4}(?:password[ \t]{0,2}\([ \t]{0,2})?)"
    r"(?P<q>[\"'])(?P<qv>[^\"'\n]{1,128})(?P=q)"
)
#: ``auth=("user", "pw")``, ``HTTPBasicAuth("user", "pw")`` (requests, httpx, aiohttp).
_AUTH_PAIR = re.compile(
    r"(?i:auth[ \t]{0,4}=[ \t]{0,4}|(?:http)?(?:basic|digest|proxy)auth[ \t]{0,4})\("
    r"[ \t]{0,4}(?:(?:login|user(?:name)?)[ \t]{0,2}=[ \t]{0,2})?"
    r"(?P<uq>[\"'])(?P<u>[^\"'\n]{1,128})(?P=uq)[ \t]{0,4},[ \t]{0,4}"
    r"(?:password[ \t]{0,2}=[ \t]{0,2})?(?P<q>[\"'])(?P<qv>[^\"'\n]{1,128})(?P=q)"
)
#: npm's per-registry credentials in ``.npmrc``: ``//host/path/:_authToken=…``, ``:_auth=…``
#: (base64 of user:password) and ``:_password=…`` (https://docs.npmjs.com/cli/v10/
#: configuring-npm/npmrc, "Auth related configuration": they must be scoped to a registry).
_NPMRC = re.compile(r"/:_(?i:authtoken|auth|password)[ \t]{0,4}=[ \t]{0,4}(?P<v>[^\s\"']{1,512})")
#: Where a ``.pgpass`` line's port stands (``:5432:`` or ``:*:``).
PGPASS_MARK = re.compile(r":(?:\d{1,5}|\*):")
_PGPASS_REST = re.compile(
    r":(?:\d{1,5}|\*):[^\s:\"',;]{1,63}:(?P<u>[^\s:\"',;]{1,63}):(?P<v>[^\s:\"',;]{1,128})(?![\w:])"
)
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_MAX_HOST = 253

#: (literal in the lower-cased text, pattern matched where it occurs, sureness).
_FORMS: tuple[tuple[str, re.Pattern[str], Sureness], ...] = (
    ("login", _NETRC, Sureness.SYNTAX),
    ("login", _COMMAND_P, Sureness.SYNTAX),
    ("sshpass", _COMMAND_P, Sureness.SYNTAX),
    ("mongo", _COMMAND_P, Sureness.SYNTAX),
    ("mysql", _MYSQL_P, Sureness.SYNTAX),
    ("mariadb", _MYSQL_P, Sureness.SYNTAX),
    ("identified", _SQL_IDENTIFIED, Sureness.SYNTAX),
    *(
        (f"{verb} {what}", _SQL_USER, Sureness.SYNTAX)
        for verb in ("create", "alter")
        for what in ("user", "role", "login")
    ),
    ("set password", _SQL_SET, Sureness.SYNTAX),
    *((lit, _AUTH_PAIR, Sureness.SYNTAX) for lit in ("auth=", "auth =", "auth(")),
    *((lit, _NPMRC, Sureness.SYNTAX) for lit in ("/:_auth", "/:_password")),
    *((w, _SAID, Sureness.SAID) for w in ("password", "passwd", "passphrase", "passcode", "pw")),
    *((w, _NAMED, Sureness.NAMED) for w in ("password", "passwd", "passphrase", "passcode")),
    *((w, _KEY_SAID, Sureness.KEY_SAID) for w in ("key", "apikey", "token", "secret")),
    ("credential", _KEY_SAID, Sureness.KEY_SAID),
)
#: The literals :func:`find_password_forms` starts from (lower case), besides
#: :data:`PGPASS_MARK`.
LITERALS: tuple[str, ...] = tuple(dict.fromkeys(lit for lit, _, _ in _FORMS))
_LITERAL_PASS = OnePass(LITERALS)
_LITERAL_SET = frozenset(LITERALS)
#: Where ``auth`` is read backwards for ``HTTPBasicAuth(``: the longest prefix.
_AUTH_BACK = len("httpdigest")
#: Punctuation that ends a sentence after a bare value, not part of the password.
_TRAILING = ".,;:)?"


def _starts_word(lower: str, pos: int) -> bool:
    return pos == 0 or not (lower[pos - 1].isalnum() or lower[pos - 1] == "_")


def find_password_forms(
    text: str, lower: str, seen: Occurrences | None = None
) -> Iterator[tuple[int, int, Sureness]]:
    """Spans of passwords in the forms above, each with how sure its form is
    (``lower``: ``text`` lower-cased, the same length; ``seen``: the literals' places
    in ``lower``, if a caller's pass found them already)."""
    # Every literal's places found in one pass over the text (not a scan per literal).
    if seen is None:
        seen = _LITERAL_PASS.occurrences(lower)
    occurring = seen.occurring(_LITERAL_SET)  # None: not known (a long text)
    present = None if occurring is None else frozenset(occurring)
    for literal, pattern, sureness in _FORMS:
        if present is not None and literal not in present:
            continue
        for pos in seen.every(literal):
            start = _auth_start(lower, pos) if pattern is _AUTH_PAIR else pos
            if pattern is _NPMRC:
                if not _registry_scoped(text, pos):
                    continue
            elif not _starts_word(lower, start):
                continue
            if pattern is _SQL_IDENTIFIED and not _sql_at(text, start):
                continue
            m = pattern.match(text, start)
            span = None if m is None else _value_span(m)
            if span is not None:
                bare_sql = pattern is _SQL_IDENTIFIED and m is not None and m.groupdict()["v"]
                # A bare value after IDENTIFIED BY is prose too ("identified by police").
                yield (*span, Sureness.SAID if bare_sql else sureness)
    yield from _pgpass(text)


#: What stands before ``identified by`` on an SQL statement's line, besides capitals.
_SQL_BEFORE = ("user", "role", "login", "@", "grant")


def _sql_at(text: str, pos: int) -> bool:
    """Is ``identified by`` at ``pos`` SQL: written in capitals, or after a user, role
    or grant on its line (prose says "the table identified by 'tag'")?"""
    if text.startswith("IDENTIFIED", pos):
        return True
    line = text[max(0, text.rfind("\n", max(0, pos - 200), pos) + 1, pos - 200) : pos].lower()
    return any(word in line for word in _SQL_BEFORE)


#: The longest ``.npmrc`` key read back (``//host/path/``).
_NPMRC_KEY_MAX = 300


def _registry_scoped(text: str, pos: int) -> bool:
    """Does the ``.npmrc`` key ending at ``pos`` name a registry (``//host/…``, a word of
    its own: at the start of its line, or pasted into a log or a message after a blank)?"""
    floor = max(0, pos - _NPMRC_KEY_MAX)
    start = pos
    while start > floor and not text[start - 1].isspace():
        start -= 1
    if start == floor and floor > 0:
        return False  # no blank within reach: longer than any key
    return text.startswith("//", start) and pos - start > 2


def _auth_start(lower: str, pos: int) -> int:
    """Where the word ending in ``auth`` at ``pos`` starts (``HTTPBasicAuth``), read
    back at most :data:`_AUTH_BACK` letters."""
    begin = pos
    while begin > pos - _AUTH_BACK and begin > 0 and lower[begin - 1].isalpha():
        begin -= 1
    return begin


def _value_span(m: re.Match[str]) -> tuple[int, int] | None:
    groups = m.groupdict()
    if groups.get("qv") is not None:
        if groups.get("u") == groups["qv"]:
            return None  # ("guest", "guest"): a documented default, not a secret
        return m.start("qv"), m.end("qv")
    value = groups.get("v")
    if value is None:
        return None
    start = m.start("v")
    stripped = value.rstrip(_TRAILING)
    return (start, start + len(stripped)) if stripped else None


def _pgpass(text: str) -> Iterator[tuple[int, int, Sureness]]:
    """``.pgpass`` lines: from each ``:<port>:``, the database, user and password
    forwards, then the host read backwards (most marks fail forwards: a time, a slice)."""
    for mark in PGPASS_MARK.finditer(text):
        pos = mark.start()
        m = _PGPASS_REST.match(text, pos)
        if m is None or m.group("u") == m.group("v"):
            continue
        floor = max(0, pos - _MAX_HOST)
        begin = pos
        while begin > floor and text[begin - 1] in _HOST_CHARS:
            begin -= 1
        host = text[begin:pos]
        if not host and text[pos - 1 : pos] == "*":
            begin, host = pos - 1, "*"
        if not host or host.isdigit() or (begin > 0 and text[begin - 1] not in " \t\n'\"`"):
            continue  # (all digits: a time, 10:42:07:INFO:…, not a host)
        yield m.start("v"), m.end("v"), Sureness.SYNTAX


_SYMBOL = re.compile(r"[^\w\s]")
#: A word of prose, hyphenated or not, in one case or capitalised (``case-sensitive``).
_WORD = re.compile(
    r"[a-z]+(?:['-][a-z]+)*|[A-Z][a-z]*(?:['-][A-Za-z][a-z]*)*|[A-Z]+(?:['-][A-Z]+)*"
)


def password_like(value: str, sureness: Sureness, quoted: bool) -> bool:
    """Is ``value``, found in a form this sure, a password?

    Always: six characters or more, not a placeholder (``<password>``, ``$PW``,
    ``changeme``, ``****``). Said in prose: not a bare word either (``the password is
    incorrect``): a digit, a symbol or mixed case. Named in prose with no verb: eight
    characters or more of three kinds (``use password Tr0ub4dor&3``).
    """
    if len(value) < _MIN_CHARS or is_placeholder(value, sequences=False, fill=False):
        return False
    if is_metavariable(value):
        return False  # sshpass -p PAROLA: the name --help gives the value to type
    if sureness is Sureness.SYNTAX:
        return True
    if not quoted and (not value[0].isalnum() or len(value) > _PROSE_MAX_CHARS):
        return False  # a bare word of prose starts with a letter or digit, and ends soon
    kinds = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            _SYMBOL.search(value) is not None,
        )
    )
    if sureness is Sureness.SAID:
        return quoted or (_WORD.fullmatch(value) is None and kinds >= 2)
    return len(value) >= _NAMED_MIN_CHARS and kinds >= 3
