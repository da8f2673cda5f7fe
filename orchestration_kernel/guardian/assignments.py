"""Values given to key-like names, in the forms code and config write them.

A key word (``key``, ``secret``, ``token``, ``password``, ``pw``, ...) that is a word part
of an identifier (``api_key``, ``adobeToken``, ``DISCORD-TOKEN``, ``my_password_secure``)
is found with ``str.find``; the identifier around it is read (at most 64 characters each
way), then the value it is given:

- assignments: ``=``, ``:=``, ``::=``, ``:::=``, ``?=``, ``.=``, ``+=``, ``==``, ``:``,
  ``=>``, with an optional type word (``var x string = …``), an index after the name
  (``d["secret"] =``, ``key[] =``) and quotes, a string-literal prefix included
  (``@"…"``, ``r"…"``, ``b'…'``);
- a quoted value after the name with no operator: ``#define API_KEY "…"``,
  ``api_key "…";``, ``set password "…"``;
- an XML element: ``<fooToken>value</fooToken>``, and a key/value attribute pair:
  ``<add key="ApiKey" value="…"/>``;
- a call naming the key in quotes: ``setProperty("X_TOKEN", "value")``, and a setter
  called with a quoted value: ``secret.assign("…")``, ``client.setApiKey("…")``;
- a command-line flag: ``--token value``, ``-vaultToken value``, ``--token=value``.

Plus credentials that carry no key name: ``scheme://user:password@host``,
``curl -u user:password`` and Bundler's per-host credentials
(``BUNDLE_GEMS__EXAMPLE__COM=user:password``). Every repeat is bounded, so the scan is
linear in the text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass

from ._scan import Occurrences, OnePass

__all__ = [
    "BASIC_LITERALS",
    "KEYWORDS",
    "Assignment",
    "find_assignments",
    "find_basic_credentials",
]

#: Key words, lower-case, and what may follow each inside the same word part.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "key": ("s",),
    "secret": ("s",),
    "token": ("s",),
    "password": ("s",),
    "pass": (),  # a word part of its own: DB_PASS, smtpPass (not "password", "bypass")
    "passwd": (),
    "passphrase": (),
    "pwd": (),
    "pw": (),
    "credential": ("s",),
    "apikey": (),
    # Spanish and German: contraseña (also written without the tilde), Passwort.
    "contraseña": ("s",),
    "contrasena": ("s",),
    "passwort": (),
    # A numeric or spoken code (passcode: 761259), and Wi-Fi's pre-shared key
    # (wpa_supplicant.conf's psk="…", hostapd's wpa_psk).
    "passcode": ("s",),
    "psk": (),
}
#: Glued lower-case words that make a key word part of a name (``apikey``, ``authtoken``;
#: and the database clients' environment variables, ``PGPASSWORD``, ``DBPASS``: PostgreSQL
#: documents PGPASSWORD, https://www.postgresql.org/docs/current/libpq-envars.html).
_GLUED = (
    *("api", "access", "secret", "auth", "private", "client", "app", "bot", "session"),
    *("pg", "db", "admin", "root", "user", "mysql", "smtp", "mail"),
    # Transport security and code hosts: curl's --tlspassword, GITHUBKEY, GitLabToken.
    *("tls", "ssl", "github", "gitlab"),
)
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_.-$@")
_MAX_NAME = 64
_TYPE_WORDS = r"(?:\s+(?:string|str|String|var|let|const|final|char\*?|text|bytes))?"
#: A type annotation before ``=`` (``api_key: str = …``, ``token: String = …``,
#: ``secret: Optional[str] = …``, ``key: str | None = …``).
_ANNOTATION = (
    r"(?:[ \t]{0,4}:[ \t]{0,4}[A-Za-z_][\w.]{0,30}(?:\[[\w., |]{0,40}\])?"
    r"(?:[ \t]{0,2}\|[ \t]{0,2}[A-Za-z_][\w.]{0,30}){0,3}[ \t]{0,4}(?==))?"
)
#: After the name: a closing quote or bracket, a type word, an operator, an opening quote.
#: A string literal's prefix: Objective-C and C# ``@"…"``, Python ``r"…"``/``b"…"``,
#: C++ ``L"…"``/``u8"…"``, C# ``$"…"``.
_LITERAL_PREFIX = r"(?:@|\$|u8|[rRbBuUfFL]{1,2})?"
_ASSIGN = re.compile(
    # A quote may be escaped (JSON inside a string: \"api_token\": \"…\").
    r"(?:\\?[\"']?\]?|\[\])"
    + _TYPE_WORDS
    + _ANNOTATION
    # A comparison too (JavaScript's === and !==): the literal is what the name holds.
    + r"(?:[ \t]{0,8}(?P<op>:{1,3}=|[?.+]=|\|\|=|\?\?=|={2,3}|!={1,2}|=>|<<?-|=|:)[ \t]{0,8}"
    # CSV: name,value with no blank after the comma (prose puts one there).
    r"|(?P<csv>,)(?=[^\s,]))"
    r"(?:" + _LITERAL_PREFIX + r"\\?(?P<q>\"\"\"|'''|[\"'`])(?P<qv>[^\"'`\n]{0,256}?)\\?(?P=q)"
    # YAML block scalars (name: | or name: >): the value on the next, indented line.
    r"|[|>][-+]?[ \t]{0,8}\r?\n[ \t]{1,16}(?P<bv>[^\s\"'`,;<>]{1,256})"
    r"|(?P<v>[^\s\"'`,;<>]{1,256}))"
)
#: No operator: the name, blanks, then a quoted value (``#define API_KEY "…"``).
_BARE_QUOTED = re.compile(r"[ \t]{1,8}(?P<q>[\"'])(?P<qv>[^\"'\s]{1,256})(?P=q)")
_CALL = re.compile(r"[\"']\s{0,4},\s{0,4}(?P<q>[\"'])(?P<qv>[^\"'\n]{0,300})(?P=q)")
#: ``key="ApiKey" value="…"``: the value attribute after the one naming the key.
_VALUE_ATTR = re.compile(
    r"[\"']\s{1,8}(?:value|content)\s{0,4}=\s{0,4}(?P<q>[\"'])(?P<qv>[^\"'\n]{0,300})(?P=q)"
)
#: A ``value``/``content`` attribute right after a quoted attribute value.
_NEXT_VALUE_ATTR = re.compile(r"[\"']\s{1,8}(?:value|content)\s{0,4}=")
#: A setter's argument: ``secret.assign("…")``, ``setApiKey('…')``.
_SETTER_ARG = re.compile(
    r"\(\s{0,4}" + _LITERAL_PREFIX + r"(?P<q>[\"'`])(?P<qv>[^\"'`\n]{1,256})(?P=q)"
)
_SETTERS = ("set", "assign", "put", "store", "save", "update")
_FLAG = re.compile(r"(?:=|[ \t]{1,8})[\"']?(?P<v>[^\s\"']{1,300})")
_XML_VALUE = re.compile(r">\s{0,20}(?P<v>[^<\s]{1,300})\s{0,20}</")
#: ``<entry key="widget.token">…</entry>``: the element's text after the attribute.
_ATTR_ELEMENT = re.compile(r"[\"']\s{0,8}>\s{0,20}(?P<v>[^<\s]{1,300})\s{0,20}</")
#: An option of a comma-separated list (``id=…``: Docker's ``--mount=type=secret,id=…``).
_OPTION = re.compile(r"[A-Za-z_][\w.-]{0,40}=")
#: Dockerfile ``ENV NAME value`` (the old form, no ``=``).
_ENV_VALUE = re.compile(r"[ \t]{1,8}(?P<v>[^\s\"'=][^\s\"']{0,255})[ \t]*(?:\n|$)")


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
    if text[pos - 1] == "D" and text[pos - 2 : pos - 1] == "-":
        return True  # a Java system property: -Dpassword=…
    return lower.endswith(_GLUED, max(0, pos - 7), pos)


#: A key word this long may end its word part with one more lower-case letter (an
#: inflection or a slip: ``tokens``, ``secrete``); a shorter one may not (``pwm``, ``pwr``).
_INFLECTED_FROM = 5


def _part_end(text: str, end: int, keyword: str) -> bool:
    if end >= len(text) or not text[end].isalpha():
        return True
    if text[end].isupper() and text[end - 1].islower():  # tokenValue
        return True
    suffixes = _KEYWORDS[keyword]
    letter = text[end]
    if len(keyword) >= _INFLECTED_FROM and letter.isupper() == text[end - 1].isupper():
        suffixes = (letter.lower(),)  # same case as the key word: SECRETS, secrete
    for suffix in suffixes:
        after = end + len(suffix)
        ending = text[end:after].lower()
        if ending == suffix and (after >= len(text) or not text[after].isalpha()):
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
        # Between tags a value is a literal, as if quoted: nothing there is code.
        return (m.start("v"), m.end("v"), True) if m else None
    if before in "\"'":
        m = _CALL.match(text, stop) or _VALUE_ATTR.match(text, stop)
        if m:
            return m.start("qv"), m.end("qv"), True
        m = _ATTR_ELEMENT.match(text, stop)
        if m:
            return m.start("v"), m.end("v"), True
    if text.startswith("(", stop):
        # A setter only: "get_secret('name')" and "getenv('API_KEY')" look secrets up.
        method = text[begin:stop].rsplit(".", 1)[-1].lower()
        m = _SETTER_ARG.match(text, stop) if method.startswith(_SETTERS) else None
        return (m.start("qv"), m.end("qv"), True) if m else None
    if text.startswith("-", begin):
        m = _FLAG.match(text, stop)
        if m:
            return m.start("v"), m.end("v"), False
    m = _ASSIGN.match(text, stop)
    if not m:
        compared = _compared_before(text, begin)
        if compared is not None:
            return compared
        if text.endswith("ENV ", 0, begin):  # a Dockerfile line: ENV NAME value
            m = _ENV_VALUE.match(text, stop)
            if m:
                return m.start("v"), m.end("v"), False
        m = _BARE_QUOTED.match(text, stop)
        if m is None or not _names_a_setting(text, begin, stop):
            return None
        return m.start("qv"), m.end("qv"), True
    if m.group("qv") is not None:
        if text[begin:stop].lower() == "key" and _NEXT_VALUE_ATTR.match(text, m.end("qv")):
            return None  # <entry key="a.b" value="…"/>: the key attribute names the setting
        return m.start("qv"), m.end("qv"), True
    if m.group("bv") is not None:  # a block scalar's text is a literal
        return m.start("bv"), m.end("bv"), True
    if m.group("csv") and _OPTION.match(text, m.start("v")):
        return None  # type=secret,id=npm: the next option of a list, not a value
    return m.start("v"), m.end("v"), False


#: Comparison operators a literal may stand before a key name with (``"…" == password``).
_COMPARISONS = ("===", "!==", "==", "!=")


def _compared_before(text: str, begin: int) -> tuple[int, int, bool] | None:
    """A quoted literal compared with the name that starts at ``begin``, written before
    it (``if ("…" == password)``, ``'…' !== api_key``). Read backwards a bounded step at
    a time, so many names stay linear; most names (prose) stop at the first test."""
    pos = begin - 1 if text[begin - 1 : begin] == " " else begin
    if pos < 3 or text[pos - 1] != "=":
        return None
    op = next((o for o in _COMPARISONS if text.endswith(o, 0, pos)), None)
    if op is None:
        return None
    pos -= len(op)
    floor = max(0, pos - 8)
    while pos > floor and text[pos - 1] in " \t":
        pos -= 1
    quote = text[pos - 1] if pos else ""
    if quote not in ('"', "'", "`"):
        return None
    opening = text.rfind(quote, max(0, pos - 258), pos - 1)
    if opening < 0 or pos - 1 - opening < 2 or "\n" in text[opening:pos]:
        return None
    return opening + 1, pos - 1, True


#: Words that make the next name a setting in config and code (``#define X "…"``).
_DIRECTIVES = ("#define", "define", "set", "setenv", "const", "export")


def _names_a_setting(text: str, begin: int, stop: int) -> bool:
    """For a quoted value after a name with no operator: is the name a setting's? A
    compound name (``API_KEY``, ``session_secret``) is; a bare key word is only after a
    directive (``set password "…"``), since in prose it is a word (the key "Escape")."""
    name = text[begin:stop].lower()
    if name not in _KEYWORDS and name.removesuffix("s") not in _KEYWORDS:
        return True
    return text[max(0, begin - 16) : begin].rstrip().lower().endswith(_DIRECTIVES)


#: The key words every assignment starts from (found in the lower-cased text).
KEYWORDS: tuple[str, ...] = tuple(_KEYWORDS)
_KEYWORD_PASS = OnePass(_KEYWORDS)
_KEYWORD_SET = frozenset(_KEYWORDS)


def find_assignments(
    text: str, lower: str, seen: Occurrences | None = None
) -> Iterator[Assignment]:
    """Every value given to a key-like name (``lower``: ``text`` lower-cased, same length;
    ``seen``: the key words' places in ``lower``, if a caller's pass found them already)."""
    # Every key word's places found in one pass over the text (not a scan per key word).
    if seen is None:
        seen = _KEYWORD_PASS.occurrences(lower)
    occurring = seen.occurring(_KEYWORD_SET)  # None: not known (a long text)
    for keyword in _KEYWORDS:
        if occurring is not None and keyword not in occurring:
            continue
        end = 0
        for pos in seen.every(keyword):
            if pos < end:
                continue  # inside the last key word or the value given to it
            end = pos + len(keyword)
            if _part_start(text, pos, lower) and _part_end(text, end, keyword):
                span = _identifier(text, pos, end)
                value = _value_at(text, *span) if span is not None else None
                if span is not None and value is not None:
                    yield Assignment(text[span[0] : span[1]], keyword, *value)
                    # A key word inside this value ("key=key=key=...") is part of it.
                    end = max(end, value[1])


#: The user may be empty: ``redis://:password@host`` (Redis's URI scheme,
#: https://www.iana.org/assignments/uri-schemes/prov/redis, for a server with a password
#: and no ACL user).
_URL_CREDENTIAL = re.compile(
    r"://(?P<user>[A-Za-z0-9._~%!$&+=-]{0,64}):(?P<pw>[^\s@/:\"'<>]{1,128})@[A-Za-z0-9.-]"
)
#: ``-u user:pw``, ``-u "user:pw"``, ``--user user:'pw'``, ``-u "user":"pw"``; and the
#: user part alone as the credential, the password left empty: ``-u sk_test_…:`` is how
#: Stripe's API reference passes a key (https://docs.stripe.com/api/authentication).
_CURL_USER = re.compile(
    r"(?:-u|--user|--proxy-user)[ \t]{1,8}"
    r"(?:(?P<q>[\"'])(?P<quser>[^\s:\"']{0,64}):(?P<qpw>[^\"'\n]{0,128})(?P=q)"
    r"|(?P<uq>[\"']?)(?P<user>[^\s:\"']{1,64})(?P=uq):"
    r"(?:(?P<pq>[\"'])(?P<ppw>[^\"'\n]{1,128})(?P=pq)|(?P<pw>[^\s\"']{0,128})))"
)
#: A user part that is the key itself has letters and digits (``username:`` has none).
_KEY_AS_USER = re.compile(r"(?=[^\s:]{0,63}\d)(?=[^\s:]{0,63}[A-Za-z])[^\s:]{8,64}")


def _curl_password(m: re.Match[str]) -> tuple[int, int] | None:
    """The span of the credential a ``curl -u`` match gives: the password, or the user
    part when the password is empty and the user looks like a key."""
    user = "quser" if m.group("q") else "user"
    for group in ("qpw", "ppw", "pw"):
        if m.group(group):
            if m.group(group) == m.group(user):
                return None  # test:test, guest:guest: a documented default, as in URLs
            return m.start(group), m.end(group)
    if _KEY_AS_USER.fullmatch(m.group(user) or ""):
        return m.start(user), m.end(user)
    return None


#: Bundler's credentials for a gem host: ``BUNDLE_`` and the host with ``.`` written
#: ``__`` (https://bundler.io/man/bundle-config.1.html, "CREDENTIALS FOR GEM SOURCES").
_BUNDLER = re.compile(
    r"BUNDLE_(?P<host>[A-Z0-9_]{3,200})[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?"
    r"(?P<user>[^\s:\"']{1,128}):(?P<pw>[^\s\"']{1,256})"
)


#: The literals :func:`find_basic_credentials` starts from.
BASIC_LITERALS = ("://", "-u ", "-u\t", "--user ", "--proxy-user ", "BUNDLE_")
_BASIC_SET = frozenset(BASIC_LITERALS)


def find_basic_credentials(text: str, seen: Occurrences | None = None) -> Iterator[tuple[int, int]]:
    """Spans of passwords in ``scheme://user:password@host``, ``curl -u user:password``
    and Bundler's ``BUNDLE_<HOST>=user:password``. ``seen``: where literals occur in
    ``text``, if :data:`BASIC_LITERALS` were looked up in one pass (then the scans for
    those that occur nowhere are skipped)."""
    occurring = None if seen is None else seen.occurring(_BASIC_SET)
    if occurring is not None and not occurring:
        return
    # A literal known to occur nowhere is not searched for (a pass over the text each).
    present = _BASIC_SET if occurring is None else frozenset(occurring)
    pos = text.find("://") if "://" in present else -1
    while pos >= 0:
        m = _URL_CREDENTIAL.match(text, pos)
        if m and m.group("pw") != m.group("user"):  # guest:guest is a documented default
            yield m.start("pw"), m.end("pw")
        pos = text.find("://", pos + 3)
    for flag in ("-u ", "-u\t", "--user ", "--proxy-user "):
        pos = text.find(flag) if flag in present else -1
        while pos >= 0:
            if pos == 0 or text[pos - 1] in " \t\\\n":
                m = _CURL_USER.match(text, pos)
                span = _curl_password(m) if m else None
                if span is not None:
                    yield span
            pos = text.find(flag, pos + 1)
    pos = text.find("BUNDLE_") if "BUNDLE_" in present else -1
    while pos >= 0:
        m = _BUNDLER.match(text, pos)
        if m and "__" in m.group("host"):
            yield m.start("pw"), m.end("pw")
        pos = text.find("BUNDLE_", pos + 7)
