"""Personal data: e-mail addresses, phone numbers, credit cards, IBANs, US SSNs, IP
addresses and government identity numbers (:mod:`.national_ids`), found by regex and
confirmed by the rule each one carries (Luhn, mod-97, SSA ranges, :mod:`ipaddress`, the
issuers' check digits), so that look-alikes which fail the rule pass untouched."""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence

from ..errors import ConfigurationError
from ..models import Action
from . import scan_gate
from ._scan import CASELESS_ASCII, HIT_BUDGET, fold, lower, matches_from, skeleton
from .context import GuardContext, Stage
from .data_numbers import without_data_numbers
from .named_ids import NAMED_ID_UNIT, named_ids
from .national_ids import (
    LABEL_HINTS,
    NUMBERED_UNIT,
    itin_said,
    labelled_ids,
    numbered_ids,
)
from .phones import DEFAULT_PHONE_REGIONS, national_phones, possible_international
from .policy import ALL_STAGES, BasePolicy, Outcome
from .redaction import Finding, Operator, Redactor

__all__ = [
    "PII_ENTITIES",
    "PIIDetector",
    "PIIPolicy",
    "iban_valid",
    "luhn_valid",
    "ssn_valid",
]

# Number-shaped patterns run on the byte skeleton (digits -> 0, letters -> A/a) so each
# starts with a literal; boundaries before a match are checked in code (see _scan).

# --- e-mail: found from each "@" outwards -------------------------------------------------
_EMAIL_LOCAL = set(string.ascii_letters + string.digits + "._%+-")
#: Local parts that name a service account on a code host (``git@github.com:org/repo``).
_SSH_USERS = frozenset({"git", "hg", "svn"})
_EMAIL_DOMAIN = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{2,59})(?![\w-])"
)
_AT_BUDGET = 2000
_EMAIL_SCAN = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}(?P<at>@)" + _EMAIL_DOMAIN.pattern
)
#: "john at gmail.com", "john [at] example [dot] org": an address written to dodge
#: scrapers. The "at" must be bracketed, or the domain a mail provider, or "dot" spelt out.
#: Matched on the lower-cased text from the "at" on (a literal start: a fast scan); the
#: local part is read backwards from there.
_SPELT_DOMAIN = (
    r"(?P<domain>[a-z0-9-]{1,63}(?:(?:\.|\s?[\[({<]dot[\])}>]\s?|\sdot\s)[a-z0-9-]{1,63})"
    r"{1,4})(?![\w-])"
)
_SPELT_AT = re.compile(r" at " + _SPELT_DOMAIN)
_BRACKET_AT = re.compile(r"\s?[\[({<]at[\])}>]\s?" + _SPELT_DOMAIN)
_DOT_WORD = re.compile(r"\s?[\[({<]dot[\])}>]\s?|\sdot\s|\.")
_MAIL_PROVIDERS = frozenset(
    [
        "gmail",
        "googlemail",
        "yahoo",
        "hotmail",
        "outlook",
        "live",
        "msn",
        "icloud",
        "me",
        "mac",
        "aol",
        "protonmail",
        "proton",
        "pm",
        "gmx",
        "web",
        "mail",
        "yandex",
        "zoho",
        "qq",
        "163",
        "126",
        "fastmail",
        "hey",
        "tutanota",
        "orange",
        "free",
        "laposte",
        "wanadoo",
        "t-online",
        "libero",
        "mailbox",
    ]
)

# --- phone numbers -----------------------------------------------------------------------
# International: a leading +, country code, then groups. National: the North American
# (NXX) NXX-XXXX shape only; bare digit runs are too ambiguous (ids, dates, amounts).
_PHONE_INTL = re.compile(rb"\+0{1,3}(?:[ .-]?\(?0{1,5}\)?){1,6}(?!0)")
# An extension written straight after the number ("555-0100x1234", Faker's en_US form)
# is taken in: a letter and one to six digits (the letter must be an "x", checked on the
# text: the skeleton does not say which letter it is).
_PHONE_NANP = (
    re.compile(rb"\(000\) ?000[ .-]0000(?:[Aa]0{1,6})?(?![Aa0_-])"),
    re.compile(rb"000[ .-]000[ .-]0000(?:[Aa]0{1,6})?(?![Aa0_-])"),
)
#: The North American trunk "1" or the international prefix "001" dialled from there,
#: joined to the number by a separator ("1-800-...", "001-212-..."): part of the number.
_NANP_PREFIX = re.compile(r"(?<![\w+.-])(?:001|1)[ .-]$")

# --- cards -------------------------------------------------------------------------------
_CARD = re.compile(
    rb"0000(?:([ -]?)0000(?:\1)0000(?:\1)0000(?:(?:\1)0{1,3})?"  # 16-19 in groups of 4
    rb"|([ -]?)000000(?:\2)0000?0?"  # 14-15: Amex, Diners (4-6-4/5)
    rb"|0{9,15})(?!0)"  # 13-19 in one run
)
#: A run of digits and separators long enough to hold a card (13 or more characters):
#: shorter runs, most of any text's numbers, are skipped by the regex engine itself.
_NUMBER_RUN = re.compile(rb"0[0 -]{12,}")
_SEPARATOR = re.compile(rb"[ -]")
# Issuer prefixes (IIN ranges) of the major networks: a Luhn-valid number outside these
# is far more likely an id or a timestamp than a card.
_IIN = re.compile(
    r"4|5[1-5]|2(?:2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|30[0-5]|3[689]"
    r"|35(?:2[89]|[3-8]\d)|6011|64[4-9]|65|62|5[06-8]|6[37]"
)

_CARD_WORDS = re.compile(r"(?i:card|credit|debit|visa|mastercard|amex|jcb|uatp|\bcc\b)")
# Maestro numbers run from 12 digits (Faker writes all of its Maestro ones so): twelve
# digits are too common to stand alone, so they count only after a card word, with a
# Maestro prefix and a valid Luhn digit.
_MAESTRO_WORDS = ("card", "debit", "maestro")
_MAESTRO_12 = re.compile(rb"0000([ -]?)0000(?:\1)0000(?![Aa0_])")
_MAESTRO_IIN = re.compile(r"50(?:18|20|38)|5[6-8]|6304|6390|6759|676[1-3]|0604")

# --- IBAN --------------------------------------------------------------------------------
_IBAN = re.compile(rb"(?:AA|aa)00(?:[ -]?[Aa0]){10,30}(?![0])")
#: Where an IBAN match can start: two letters of one case and two digits ("00" is the
#: literal the regex engine looks for; the letters are looked at behind it).
_IBAN_HIT = re.compile(rb"00(?<=AA00|aa00)")
_IBAN_LENGTHS = dict(
    (code, int(n))
    for code, n in (
        item.split(":")
        for item in [
            "AD:24",
            "AE:23",
            "AL:28",
            "AT:20",
            "AZ:28",
            "BA:20",
            "BE:16",
            "BG:22",
            "BH:22",
            "BI:27",
            "BR:29",
            "BY:28",
            "CH:21",
            "CR:22",
            "CY:28",
            "CZ:24",
            "DE:22",
            "DJ:27",
            "DK:18",
            "DO:28",
            "EE:20",
            "EG:29",
            "ES:24",
            "FI:18",
            "FK:18",
            "FO:18",
            "FR:27",
            "GB:22",
            "GE:22",
            "GI:23",
            "GL:18",
            "GR:27",
            "GT:28",
            "HN:28",
            "HR:21",
            "HU:28",
            "IE:22",
            "IL:23",
            "IQ:23",
            "IS:26",
            "IT:27",
            "JO:30",
            "KW:30",
            "KZ:20",
            "LB:28",
            "LC:32",
            "LI:21",
            "LT:20",
            "LU:20",
            "LV:21",
            "LY:25",
            "MC:27",
            "MD:24",
            "ME:22",
            "MK:19",
            "MN:20",
            "MR:27",
            "MT:31",
            "MU:30",
            "NI:28",
            "NL:18",
            "NO:15",
            "OM:23",
            "PK:24",
            "PL:28",
            "PS:29",
            "PT:25",
            "QA:29",
            "RO:24",
            "RS:22",
            "RU:33",
            "SA:24",
            "SC:31",
            "SD:18",
            "SE:24",
            "SI:19",
            "SK:24",
            "SM:27",
            "SO:23",
            "ST:25",
            "SV:28",
            "TL:23",
            "TN:24",
            "TR:26",
            "UA:29",
            "VA:22",
            "VG:24",
            "XK:20",
            "YE:30",
        ]
    )
)

#: Letters as their base-36 values (``int(c, 36)``), for the mod-97 check.
_BASE36 = str.maketrans(
    {c: str(int(c, 36)) for c in string.ascii_letters}  # digits stand for themselves
)
#: The IBAN scan's end for a country's length: that many characters besides the blanks
#: and dashes between them (per length; the match is taken within the pattern's match).
_IBAN_CHARS = {n: re.compile(rf"(?:[ -]*[^ -]){{{n}}}") for n in set(_IBAN_LENGTHS.values())}

# --- US SSN ------------------------------------------------------------------------------
_SSN = re.compile(rb"000([- .])00(?:\1)0000(?![0-])")
_SSN_BARE = re.compile(
    r"(?i:\b(?:ssn|social security(?: number| no\.?)?)\b)[\s:#-]*(\d{3})(\d{2})(\d{4})(?!\d)"
)
_SSN_WORDS = ("ssn", "social security")
#: Issued-looking but never valid: the Woolworth wallet card and an SSA example.
_SSN_VOID = {"078051120", "219099999"}

# --- IP addresses ------------------------------------------------------------------------
# The match starts at the first octet's last digit; the code extends it back.
_IPV4 = re.compile(rb"0\.0{1,3}\.0{1,3}\.0{1,3}(?![Aa0_]|\.0)")
#: What :class:`ipaddress.IPv4Address` accepts of a dotted quad of 1-3 ASCII digits each
#: (as the scan finds them): every octet at most 255, none with a leading zero.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IPV4_VALID = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _ipv6_forms() -> str:
    """What :class:`ipaddress.IPv6Address` accepts of what :data:`_IPV6` finds: eight
    groups, or six and a dotted quad; or a "::" standing for one group or more between
    at most seven written groups (a dotted quad at the end counting two)."""
    group, quad = "[0-9A-Fa-f]{1,4}", f"{_OCTET}(?:\\.{_OCTET}){{3}}"
    forms = [f"(?:{group}:){{7}}{group}", f"(?:{group}:){{6}}{quad}"]
    for left in range(8):
        for right in range(8 - left):
            head = f"(?:{group}:){{{left - 1}}}{group}" if left else ""
            forms.append(f"{head}::{group}(?::{group}){{{right - 1}}}" if right else f"{head}::")
            if right >= 2:
                forms.append(f"{head}::(?:{group}:){{{right - 2}}}{quad}")
    return "|".join(forms)


#: An IPv6 address's validity, checked by one fullmatch instead of a parse.
_IPV6_VALID = re.compile(_ipv6_forms())
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])"
)
_HEX_GROUP = re.compile(r"[0-9A-Fa-f]{1,4}")
_IPV6_HINT = re.compile(r":[0-9A-Fa-f]{0,4}:")
# What may follow an address and make it something else: a CIDR prefix length ("/8"), or
# a pre-release/build suffix of a version string ("-beta", "-rc1").
_PREFIX_LEN = re.compile(r"/(\d{1,3})(?!\d)")
_VERSION_SUFFIX = re.compile(r"-[A-Za-z]")
# What may precede a dotted quad and make it a number in a document, not an address:
# "version 4.10.2.1", "Section 3.2.1.4", "build 5.12.0.221", "v10.2.0.4" (see
# _numbered_not_address). Matched on the lower-cased words just before the quad.
_NUMBERING_WORDS = frozenset(
    [
        "version",
        "versions",
        "ver",
        "release",
        "rel",
        "build",
        "firmware",
        "revision",
        "rev",
        "edition",
        "section",
        "sec",
        "chapter",
        "ch",
        "clause",
        "paragraph",
        "para",
        "article",
        "art",
        "figure",
        "fig",
        "table",
        "appendix",
        "volume",
        "vol",
        "footnote",
        "equation",
        "eq",
    ]
)
_LINKING_WORDS = frozenset({"is", "was", "to", "from", "=", "number", "no."})


#: An ASCII digit's byte → the Luhn sum's share of it when doubled (2d, less 9 past 9).
_LUHN_DOUBLED = bytes.maketrans(b"0123456789", bytes([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]))


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum."""
    if digits.isascii() and digits.isdigit():
        # Summed by C loops: the digits from the last one, every other one as it is (its
        # byte less 48) and the others doubled (a byte table).
        raw = digits.encode()[::-1]
        kept, doubled = raw[::2], raw[1::2]
        return (sum(kept) - 48 * len(kept) + sum(doubled.translate(_LUHN_DOUBLED))) % 10 == 0
    return _luhn_by_digit(digits)


def _luhn_by_digit(digits: str) -> bool:
    """:func:`luhn_valid` one character at a time (its value: code point less 48)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (no spaces) has its country's length and a mod-97 remainder of 1."""
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    return _mod97_valid(iban)


def _mod97_valid(iban: str) -> bool:
    """True when ``iban`` (no spaces, country first) has an ISO 7064 mod-97 remainder of 1."""
    rearranged = iban[4:] + iban[:4]
    # Each letter as its base-36 value in one translate; anything else (which int(c, 36)
    # reads or rejects in its own ways) goes the character-by-character way.
    digits = rearranged.translate(_BASE36)
    if not (digits.isascii() and digits.isdigit()):
        digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """True unless the SSA never issues the number: area 000, 666 or 9xx, group 00,
    serial 0000, or a known void number."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_VOID


#: The last skeleton :func:`_digits` counted, and its count (one tuple, replaced whole).
_LAST_DIGITS: tuple[bytes, int] = (b"", 0)


def _digits(sk: bytes) -> int:
    """How many ASCII digits the skeleton ``sk`` holds (its ``0`` bytes). Five parts of
    one scan ask (each shape needs so many digits): the count of the last skeleton asked
    for is kept, found by identity, instead of a pass over the text per part."""
    global _LAST_DIGITS
    last = _LAST_DIGITS
    if last[0] is sk:
        return last[1]
    n = sk.count(b"0")
    _LAST_DIGITS = (sk, n)
    return n


def _before(sk: bytes, start: int, forbidden: bytes) -> bool:
    """True when the skeleton byte before ``start`` is not one of ``forbidden``."""
    return start == 0 or sk[start - 1] not in forbidden


def _is_ssh_address(text: str, start: int, at: int, end: int) -> bool:
    """True for ``user@host:path`` (scp/SSH), ``git@host`` and ``scheme://user@host``.

    These name a login on a machine, not a mailbox: a colon followed by a path right after
    the host, a code-host service user (``git@``), or credentials inside a URL.
    """
    if text[start:at].lower() in _SSH_USERS:
        return True
    if end < len(text) - 1 and text[end] == ":" and not text[end + 1].isspace():
        return True
    return text.endswith("://", 0, start)


_CLOSED_AT = ("at]", "at)", "at>", "at}")
#: Any of :data:`_CLOSED_AT` (a literal start).
_AT_CLOSED = re.compile(r"at[\])>}]")


#: " at " or any of :data:`_CLOSED_AT`, found from "at" (a literal start: one C-level
#: scan, where five substring tests, each a pass over the text, cost ten times as much).
_SPELT_AT_MARK = re.compile(r"at(?:(?<= at) |[\])>}])")


def _may_spell_at(low: str) -> bool:
    """Could the text hold an address written with "at" ("jane at gmail.com")? (``low``:
    the text lower-cased.) True when it holds " at " or one of :data:`_CLOSED_AT`."""
    return _SPELT_AT_MARK.search(low) is not None


#: What opens the bracket round a spelt "at" (before :data:`_CLOSED_AT`, in _BRACKET_AT).
_AT_OPENERS = "[({<"
_BLANK = re.compile(r"\s")


def _bracketed(low: str, after: int) -> Iterator[re.Match[str]]:
    """``_BRACKET_AT.finditer(low)``, the pattern tried only where it can start: at an
    opening bracket just before a closed "at" (:data:`_AT_CLOSED`, a literal start: one
    fast scan from ``after``, where the first one is at the earliest), or at the blank
    before that bracket. (Its leading optional blank and bracket class made the regex
    engine try every position of the text: 25 µs per KB of code, where "format)" or
    "data]" holds a closed "at".) Past :data:`HIT_BUDGET` starts the regex engine walks
    the text itself."""
    starts: list[int] = []
    for hit in _AT_CLOSED.finditer(low, after):
        opener = hit.start() - 1
        if opener < 0 or low[opener] not in _AT_OPENERS:
            continue
        if opener and _BLANK.match(low, opener - 1):
            starts.append(opener - 1)
        starts.append(opener)
        if len(starts) > HIT_BUDGET:
            yield from _BRACKET_AT.finditer(low)
            return
    end = 0
    for pos in starts:  # ascending: hits are three characters apart at least
        if pos < end:
            continue  # inside the last match: finditer goes on from its end
        m = _BRACKET_AT.match(low, pos)
        if m is not None:  # (never empty: a match holds the bracketed "at")
            end = m.end()
            yield m


def _obfuscated_emails(text: str, lowered: str) -> Iterator[Finding]:
    mark = _SPELT_AT_MARK.search(lowered)  # _may_spell_at
    if mark is None:
        return
    low = fold(text, lowered)
    # No closed "at" stands before the first mark (the mark would be that one): the
    # bracketed form is looked for from there, when ``low`` is the text the mark was
    # found in.
    after = mark.start() if low is lowered else 0
    for matches, bracketed in ((_SPELT_AT.finditer(low), False), (_bracketed(low, after), True)):
        for m in matches:
            start = m.start()
            while start > 0 and m.start() - start < 64 and text[start - 1] in _EMAIL_LOCAL:
                start -= 1
            if start == m.start():
                continue  # no local part before the "at"
            domain = m.group("domain")
            labels = _DOT_WORD.split(domain)
            if len(labels) < 2 or not labels[-1].isalpha() or len(labels[-1]) < 2:
                continue
            spelt = bracketed or "dot" in domain
            if spelt or labels[0] in _MAIL_PROVIDERS:
                yield Finding("EMAIL", start, m.end(), 0.7)


def _spelt_emails(text: str, sk: bytes, lowered: str) -> Iterator[Finding]:
    """:func:`_obfuscated_emails` as a part of the e-mail detector."""
    return _obfuscated_emails(text, lowered)


#: Domains whose addresses name a machine identity, never a person: Google Cloud's
#: service accounts (``name@project.iam.gserviceaccount.com``, as a key file's
#: ``client_email`` holds it); and names reserved never to resolve on the Internet, so no
#: mail reaches a person there (``.localhost`` and ``.invalid``, RFC 2606 and RFC 6761;
#: ``localhost.localdomain``, the loopback name of Linux hosts' ``/etc/hosts``).
_MACHINE_DOMAINS = (".gserviceaccount.com", ".localhost", ".localdomain", ".invalid")


def _machine(text: str, at: int, end: int) -> bool:
    """True when the address whose ``@`` is at ``at`` belongs to a machine identity."""
    return ("." + text[at + 1 : end].lower()).endswith(_MACHINE_DOMAINS)


def _at_emails(text: str, sk: bytes, lowered: str) -> Iterator[Finding]:
    """Addresses found from each ``@``."""
    if text.count("@") > _AT_BUDGET:  # a flood of "@": let the regex engine walk it
        for scanned in _EMAIL_SCAN.finditer(text):
            start, at, end = scanned.start(), scanned.start("at"), scanned.end()
            if not _is_ssh_address(text, start, at, end) and not _machine(text, at, end):
                yield Finding("EMAIL", start, end, 0.95)
        return
    at = text.find("@")
    while at > 0:
        start = at
        while start > 0 and text[start - 1] in _EMAIL_LOCAL:
            start -= 1
        m = _EMAIL_DOMAIN.match(text, at + 1)
        if m and start < at and not _is_ssh_address(text, start, at, m.end()):  # noqa: SIM102
            if not _machine(text, at, m.end()):  # a service account, not a person
                yield Finding("EMAIL", start, m.end(), 0.95)
        at = text.find("@", at + 1)


def _intl_phones(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """International numbers: a ``+``, the country code, then groups."""
    # (Each shape needs that many digits: 8 with a "+", 10 in the North American one.)
    if b"+" in sk and b"+0" in sk:  # (a one-byte search turns most texts away first)
        for m in _PHONE_INTL.finditer(sk):
            n = m.group().count(b"0")
            if not (8 <= n <= 15 and _before(sk, m.start(), b"Aa0_+")):
                continue
            # A code no country has, or more digits than the country's numbers have
            # ("+99 983 453 999", "+349834539996781"): not a phone number.
            if possible_international(text[m.start() : m.end()]):
                yield Finding("PHONE_NUMBER", m.start(), m.end(), 0.8)


def _nanp_phones(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """The North American (NXX) NXX-XXXX shape."""
    if _digits(sk) < 10:
        return
    for pattern in _PHONE_NANP:
        for m in pattern.finditer(sk):
            start, end = m.start(), m.end()
            area = text[start:end].lstrip("(")
            if not _before(sk, start, b"Aa0_+") or area[0] in "01":
                continue
            letter = max(m.group().find(b"a"), m.group().find(b"A"))
            if letter >= 0 and text[start + letter] not in "xX":
                continue  # a letter other than "x" runs on from the number: an id
            prefix = _NANP_PREFIX.search(text, max(0, start - 5), start)
            if prefix is not None:
                start = prefix.start()
            yield Finding("PHONE_NUMBER", start, end, 0.7)


#: Skeleton bytes of word characters (letters, digits, ``_``): one of them cannot follow a
#: card number.
_WORD_BYTES = (b"A", b"a", b"0", b"_")


def _card_matches(sk: bytes) -> Iterator[re.Match[bytes]]:
    """Card-shaped matches, looked for only inside runs of digits and separators that
    could hold one (a run of 20+ digits without a separator is an id, not a card)."""
    for run in _NUMBER_RUN.finditer(sk):
        start, end = run.span()
        if end - start > 19 and not _SEPARATOR.search(sk, start, end):
            continue
        yield from _CARD.finditer(sk, start, end)


def _cards(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    if _digits(sk) < 13:  # a card number has 13 digits or more
        return
    for m in _card_matches(sk):
        # A card number stands as a word of its own: digits glued to letters are part of
        # an identifier ("batch_a45ddf3621804925949e" holds a Luhn-valid 13-digit run).
        if not _before(sk, m.start(), b"Aa0_-") or sk[m.end() : m.end() + 1] in _WORD_BYTES:
            continue
        digits = text[m.start() : m.end()].replace(" ", "").replace("-", "")
        if not (13 <= len(digits) <= 19 and luhn_valid(digits)):
            continue
        # A major network's prefix, or any issuer (UATP, JCB 1800/2131, private label)
        # when the text says it is a card.
        if _IIN.match(digits) or _CARD_WORDS.search(text, max(0, m.start() - 60), m.start()):
            yield Finding("CREDIT_CARD", m.start(), m.end(), 0.95)


def _maestro_12s(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """Twelve-digit Maestro numbers (4-4-4 or one run) after a card word."""
    for m in _MAESTRO_12.finditer(sk) if _digits(sk) >= 12 else ():
        # The prefix is read from the first group (four digits, every prefix's longest)
        # before the digits are gathered: most matches are the head of another card.
        start = m.start()
        if not _before(sk, start, b"Aa0_-") or not _MAESTRO_IIN.match(text, start, start + 4):
            continue
        digits = text[start : m.end()].replace(" ", "").replace("-", "")
        if not luhn_valid(digits):
            continue
        window = text[max(0, m.start() - 60) : m.start()].lower()
        if any(word in window for word in _MAESTRO_WORDS):
            yield Finding("CREDIT_CARD", m.start(), m.end(), 0.85)


def _iban_matches(sk: bytes) -> Iterator[re.Match[bytes]]:
    """``_IBAN.finditer(sk)``, the pattern tried only where it can start (found by one
    scan for "00" with the letters before it; a ``find`` per start literal read the
    letter-heavy skeleton twice). Past :data:`HIT_BUDGET` starts, the regex engine
    walks the text itself."""
    starts = []
    for hit in _IBAN_HIT.finditer(sk):
        starts.append(hit.start() - 2)
        if len(starts) > HIT_BUDGET:
            yield from _IBAN.finditer(sk)
            return
    end = 0
    for pos in starts:
        if pos < end:
            continue  # inside the last match: finditer goes on from its end
        m = _IBAN.match(sk, pos)
        if m is not None:  # (a match holds 14 characters at least)
            end = m.end()
            yield m


def _ibans(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    for m in _iban_matches(sk):
        # (Most matches that are no IBAN sit inside a key or a hash: the byte before
        # them, looked at first, says so.)
        if not _before(sk, m.start(), b"Aa0-"):
            continue
        want = _IBAN_LENGTHS.get(text[m.start() : m.start() + 2].upper())
        if want is None:
            labelled = _labelled_iban(text, m.start(), m.end())
            if labelled is not None:
                yield Finding("IBAN", m.start(), labelled, 0.85)
            continue
        # The pattern may run on into a following upper-case word: keep exactly the
        # country's length of characters, wherever the spaces fall.
        cut = _IBAN_CHARS[want].match(text, m.start(), m.end())
        if cut is None:
            continue
        end = cut.end()
        written = text[m.start() : end]
        if text[end : end + 1].isalnum() and written.isalnum() and not written.isupper():
            continue  # lower case running on: the start of a hash or a key, not an IBAN
        compact = written.replace(" ", "").replace("-", "").upper()
        if iban_valid(compact):
            yield Finding("IBAN", m.start(), end, 0.95)


#: The word that labels an IBAN, in the few characters before the value.
_IBAN_WORD = re.compile(r"(?i:\biban\b)")
#: An IBAN's shortest and longest lengths in the registry (Norway's 15, Russia's 33)
#: and ISO 13616's longest.
_IBAN_SPAN = (15, 34)


def _labelled_iban(text: str, start: int, end: int) -> int | None:
    """The end of an IBAN of a country outside the registry's table (``BD``, ``TH``, ...)
    written right after the word "IBAN": the longest prefix of ``text[start:end]``, cut at a
    group boundary, whose check digits pass mod 97. None without the label or a pass."""
    if _IBAN_WORD.search(text, max(0, start - 24), start) is None:
        return None
    cut = end
    for _ in range(10):  # a spaced IBAN has at most 9 groups after the first
        compact = text[start:cut].replace(" ", "").replace("-", "").upper()
        if _IBAN_SPAN[0] <= len(compact) <= _IBAN_SPAN[1] and _mod97_valid(compact):
            return cut
        cut = max(text.rfind(" ", start, cut), text.rfind("-", start, cut))
        if cut <= start:
            return None
    return None


def _dashed_ssns(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """SSNs written 3-2-4 with one separator (and ITINs, area 9, where the text says so)."""
    # A dashed SSN has nine (ASCII) digits; a bare one's \d reads any digit.
    for m in _SSN.finditer(sk) if _digits(sk) >= 9 else ():
        value = text[m.start() : m.end()]
        if not _before(sk, m.start(), b"0-."):
            continue
        if ssn_valid(value[:3], value[4:6], value[7:]):
            yield Finding("US_SSN", m.start(), m.end(), 0.85)
        elif itin_said(low, value[:3], value[4:6], m.start(), m.end()):
            yield Finding("US_ITIN", m.start(), m.end(), 0.85)


def _named_ssns(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """Nine bare digits after "SSN" or "social security" (``low``: ``text.lower()``)."""
    if "ssn" in low or "social security" in low:
        for bare in _ssn_bare_matches(text, low):
            if ssn_valid(*bare.groups()):
                yield Finding("US_SSN", bare.start(1), bare.end(3), 0.8)


def _ssn_bare_matches(text: str, low: str) -> Iterator[re.Match[str]]:
    """``_SSN_BARE.finditer(text)``, tried only where "ssn" or "social security" starts
    in ``text`` read as the case-insensitive pattern reads it (``low`` for ASCII text)."""
    if text.isascii():
        where = low
    elif len(low) == len(text):  # lower() maps only the Kelvin sign onto ASCII besides
        where = low.replace("ſ", "s").replace("ı", "i")
    else:  # an "İ" lower-cases to two characters: map character by character
        where = text.translate(CASELESS_ASCII)
    yield from matches_from(_SSN_BARE, text, _SSN_WORDS, where)


def _not_an_address(text: str, value: str, end: int) -> bool:
    """True when the address at ``text[:end]`` names a range or a version, not one host.

    The rule: a network in CIDR notation whose host bits are all zero (``10.0.0.0/8``,
    ``2001:db8::/32``) is a block of addresses, not an individual's address, so it is not
    personal data. A host address with a prefix (``192.168.1.17/24``) still names one
    host and is redacted. A dotted quad followed by ``-`` and a letter is a version
    (``1.2.3.4-beta``).
    """
    if _VERSION_SUFFIX.match(text, end):
        return True
    m = _PREFIX_LEN.match(text, end)
    if not m:
        return False
    try:
        ipaddress.ip_network(f"{value}/{m.group(1)}", strict=True)
    except ValueError:
        return False  # host bits set, or not a valid prefix length: one host's address
    return True


def _numbered_not_address(text: str, start: int) -> bool:
    """True when the dotted quad at ``start`` is a version or a document number.

    The rule: a dotted quad right after a numbering word (``version``, ``release``,
    ``build``, ``section``, ``chapter``, ``clause``, ``figure``, ``table``, ...), or after
    such a word and one linking word (``version is``, ``upgrade to version``), is that
    thing's number, not a host. Anything else that parses as IPv4 is an address.
    """
    before = text[max(0, start - 40) : start].lower().split()
    if not before:
        return False
    last = before[-1].strip(":#=()[],")
    if last in _NUMBERING_WORDS or last in ("§", "v", "no."):
        return True
    return (
        len(before) >= 2 and last in _LINKING_WORDS and before[-2].strip(":#,") in _NUMBERING_WORDS
    )


def _ipv4(text: str, sk: bytes) -> Iterator[Finding]:
    for m in _IPV4.finditer(sk):
        start = m.start()
        while start > 0 and m.start() - start < 2 and sk[start - 1] == 48:  # b"0"
            start -= 1
        if not _before(sk, start, b"Aa0_."):
            continue
        value = text[start : m.end()]
        if not _IPV4_VALID.fullmatch(value):
            continue
        if not _not_an_address(text, value, m.end()) and not _numbered_not_address(text, start):
            yield Finding("IP_ADDRESS", start, m.end(), 0.9)


#: ASCII hex digits and ``:`` as ``h``, the rest as a space (positions kept).
_HEX_COLON = bytes.maketrans(
    bytes(range(256)),
    bytes(104 if chr(c) in string.hexdigits + ":" else 32 for c in range(256)),
)


def _ipv6_matches(text: str, pos: int = 0) -> Iterator[re.Match[str]]:
    """``_IPV6.finditer(text)``, tried only where it can start. A match starts where a
    run of hex digits and colons does (its look-behind rules out any other place) and
    holds ``:h:`` (:data:`_IPV6_HINT`, a literal first: a fast scan), so only the runs
    holding a hint are tried, each at its start. (``pos``: where the first hint is, when
    known: none starts before it.)"""
    runs = b""
    end = 0
    for hint in _IPV6_HINT.finditer(text, pos):
        if hint.start() < end:
            continue
        runs = runs or text.encode("ascii", "replace").translate(_HEX_COLON)
        start = runs.rfind(b" ", 0, hint.start()) + 1
        if start < end:
            continue  # this run's start was tried already
        m = _IPV6.match(text, start)
        if m is not None:
            end = m.end()
            yield m
        else:
            run_end = runs.find(b" ", hint.start())
            end = len(runs) if run_end < 0 else run_end


def _cut_short(text: str, end: int) -> bool:
    return end < len(text) and text[end] in ".0123456789"


def _ipv4s(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """IPv4 addresses (dotted quads)."""
    if b"0.0" in sk:
        yield from _ipv4(text, sk)


def _ipv6s(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """IPv6 addresses."""
    # Every IPv6 address has "::" or ":h:" (a literal start: a fast first look).
    first = _IPV6_HINT.search(text)
    if first is not None:
        for m in _ipv6_matches(text, first.start()):
            value = m.group()
            # Two real groups at least: "::1" or "a::b" say too little to be an address.
            if len(_HEX_GROUP.findall(value)) < 2:
                continue
            # Without "::" an address has eight groups (seven colons) or six and a dotted
            # quad (six): a time of day ("10:15:00") is turned away before the long
            # alternation of every form (several µs a value) is tried.
            if ("::" not in value and value.count(":") < 6) or not _IPV6_VALID.fullmatch(value):
                continue
            if _not_an_address(text, value, m.end()) or _cut_short(text, m.end()):
                continue  # "::ffff:192.168.1" cut short, "::ffff:256.0.0.1": not an address
            yield Finding("IP_ADDRESS", m.start(), m.end(), 0.9)


def _numbered_ids(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """Identity numbers (:func:`.national_ids.numbered_ids`; a PAN has four digits)."""
    return numbered_ids(text, sk, low) if _digits(sk) >= 4 else iter(())


def _named_ids(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """Identity numbers after the acronym that names them, checked, and CURPs
    (:func:`.named_ids.named_ids`; the shortest, a DNI, has seven digits)."""
    return named_ids(text, sk, low) if _digits(sk) >= 7 else iter(())


def _labelled_ids(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """Numbers labelled as identity documents (:func:`.national_ids.labelled_ids`)."""
    return labelled_ids(text, sk, low) if _digits(sk) >= 5 else iter(())


#: Texts up to this long, with at most :data:`GATED_DIGITS` digits, are first read by
#: one Hyperscan pass that says which parts of the scan can find anything
#: (:mod:`.scan_gate`): a model call's prompt and reply, where most shapes are absent. A
#: text full of numbers holds most of them: there the pass costs more than the parts it
#: skips (measured on the labelled prompts: +5-9 % on 1 KB of them, which hold 60
#: digits or more).
GATED_CHARS = 2048
GATED_DIGITS = 40
#: A longer text is read by that pass too when its digits are sparse (at most one in
#: this many characters): a pasted page of prose holds few of the shapes, and the pass
#: (about 3-6 µs per KB) skips parts that cost several times that (the speed bench's
#: prose row: 5 digits per KB, 3 of 14 units matching on average). The labelled
#: prompts hold a digit in every nine characters and are not gated.
GATED_SPARSITY = 50

#: A part of a detector: ``part(text, skeleton, lower-cased text)`` yields findings.
_Part = Callable[[str, bytes, str], Iterator[Finding]]
#: Entity name → the parts of its detector, in the order they run, each with its unit
#: (see :mod:`.scan_gate`): a pattern matching the text wherever the part's first need
#: is met, so a part whose unit matches nowhere finds nothing.
_DETECTORS: dict[str, tuple[tuple[_Part, str], ...]] = {
    "EMAIL": (
        (_spelt_emails, scan_gate.literals(folded=(" at ", *_CLOSED_AT))),  # _may_spell_at
        (_at_emails, "@"),
    ),
    # _NUMBER_RUN on the skeleton (a digit, then twelve digits, blanks or dashes)
    "CREDIT_CARD": (
        (_cards, r"[0-9][0-9 \-]{12}"),
        (_maestro_12s, r"[0-9]{4}[ \-]?[0-9]{4}[ \-]?[0-9]{4}"),  # _MAESTRO_12 without the \1
    ),
    "IBAN": ((_ibans, "[A-Z]{2}[0-9]{2}|[a-z]{2}[0-9]{2}"),),  # _IBAN_HIT
    "US_SSN": (
        (_dashed_ssns, r"[0-9]{3}[\- .][0-9]{2}[\- .][0-9]{4}"),  # _SSN without the \1
        (_named_ssns, scan_gate.literals(folded=_SSN_WORDS)),
    ),
    "PHONE_NUMBER": (
        (_intl_phones, r"\+[0-9]"),  # b"+0" in the skeleton
        (_nanp_phones, r"[0-9]{3}[ .\-][0-9]{4}"),  # in both of _PHONE_NANP
    ),
    "IP_ADDRESS": (
        (_ipv4s, r"[0-9]\.[0-9]"),  # b"0.0" in the skeleton
        (_ipv6s, _IPV6_HINT.pattern),
    ),
    # Government and health identity numbers (findings name the format: UK_NINO, ...).
    "NATIONAL_ID": (
        (_numbered_ids, NUMBERED_UNIT),
        (_labelled_ids, scan_gate.literals(folded=LABEL_HINTS)),
        (_named_ids, NAMED_ID_UNIT),
    ),
}
PII_ENTITIES: tuple[str, ...] = tuple(_DETECTORS)

#: Every part's unit, and national phones' (the look-ahead of phones._CANDIDATE).
_UNITS = (
    *dict.fromkeys(u for parts in _DETECTORS.values() for _, u in parts),
    r"[0-9][0-9 .\-/()]{6}",
)
_NATIONAL_UNIT = len(_UNITS) - 1
_UNIT_INDEX = {u: i for i, u in enumerate(_UNITS)}
#: Per entity, its parts with their units' indexes.
_PARTS = {e: tuple((part, _UNIT_INDEX[u]) for part, u in parts) for e, parts in _DETECTORS.items()}


def _dialled_abroad_over(text: str, f: Finding, spans: list[tuple[int, int]]) -> bool:
    """Is ``f`` a number dialled with "00" that holds every one of ``spans``?"""
    return text.startswith("00", f.start) and all(f.start <= s and e <= f.end for s, e in spans)


def _phone_in(f: Finding, spans: list[tuple[int, int]]) -> bool:
    """Is ``f`` a phone number at one of ``spans``?"""
    return f.entity == "PHONE_NUMBER" and (f.start, f.end) in spans


class PIIDetector:
    """Finds personal data of the chosen entity types (all by default)."""

    def __init__(
        self,
        entities: Iterable[str] | None = None,
        *,
        phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS,
    ) -> None:
        chosen = tuple(entities) if entities is not None else PII_ENTITIES
        unknown = [e for e in chosen if e not in _DETECTORS]
        if unknown:
            raise ConfigurationError(
                f"unknown PII entities {unknown}; known: {', '.join(PII_ENTITIES)}"
            )
        self.entities = chosen
        self._parts = [p for e in chosen for p in _PARTS[e]]
        #: Regions whose national phone formats count (``phonenumbers`` region codes).
        self.phone_regions = tuple(r.upper() for r in phone_regions)

    def find(self, text: str) -> list[Finding]:
        """Every finding, in detector order (may overlap; redaction merges overlaps)."""
        sk = skeleton(text)
        digits = _digits(sk)
        if (len(text) <= GATED_CHARS and digits <= GATED_DIGITS) or (
            digits * GATED_SPARSITY <= len(text)
        ):
            gate = scan_gate.gate(_UNITS)
            units = gate.matching(text)
            if units is not None:
                return without_data_numbers(text, self._find_parts(text, sk, units, gate.covered))
        # The text lower-cased once for every detector that reads it so.
        low = lower(text)
        # Every entity but e-mail needs a digit; e-mail needs an "@" (or an "at" word).
        if b"0" not in sk and "@" not in text and not _may_spell_at(low):
            return []
        found: list[Finding] = []
        for part, _ in self._parts:
            found.extend(part(text, sk, low))
        if "PHONE_NUMBER" in self.entities:
            self._add_national(text, sk, found)
        return without_data_numbers(text, found)

    def _add_national(self, text: str, sk: bytes, found: list[Finding]) -> None:
        """Add the national phone numbers that overlap no phone number ``found`` has. One
        dialled with "00" replaces the phone numbers it holds ("0030 691 234 5678" reads as
        a North American number after its country code)."""
        if _digits(sk) >= 7:
            taken = [(f.start, f.end) for f in found if f.entity == "PHONE_NUMBER"]
            for f in national_phones(text, sk, self.phone_regions):
                inside = [(s, e) for s, e in taken if f.start < e and s < f.end]
                if inside and _dialled_abroad_over(text, f, inside):
                    found[:] = [g for g in found if not _phone_in(g, inside)]
                    inside = []
                if not inside:
                    found.append(f)

    def _find_parts(
        self, text: str, sk: bytes, units: set[int], covered: frozenset[int]
    ) -> list[Finding]:
        """:meth:`find` running only the parts whose unit matches in the text (or that
        the database does not cover): the others would find nothing."""
        parts = [part for part, u in self._parts if u in units or u not in covered]
        national = "PHONE_NUMBER" in self.entities and (
            _NATIONAL_UNIT in units or _NATIONAL_UNIT not in covered
        )
        if not parts and not national:
            return []
        low = lower(text)
        found: list[Finding] = []
        for part in parts:
            found.extend(part(text, sk, low))
        if national:
            self._add_national(text, sk, found)
        return found


class PIIPolicy(BasePolicy):
    """Redacts (by default) personal data with the chosen operator."""

    name = "pii"

    def __init__(
        self,
        *,
        entities: Iterable[str] | None = None,
        phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS,
        operator: Operator = "replace",
        key: bytes | None = None,
        action: Action = "redact",
        stages: Iterable[Stage] = ALL_STAGES,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, stages=stages)
        self.detector = PIIDetector(entities, phone_regions=phone_regions)
        self.redactor = Redactor(operator, key)
        self.action: Action = action

    def find(self, text: str) -> list[Finding]:
        """Findings whose ``placeholder()`` is the operator's stand-in (``<ENTITY>`` for
        ``replace``)."""
        redact = self.redactor
        if type(redact) is Redactor and redact.operator == "replace":
            # The stand-in is "<ENTITY>", what a finding without one stands in as
            # (Finding.placeholder): the detector's findings as they are, not a copy each.
            return self.detector.find(text)
        return [
            Finding(f.entity, f.start, f.end, f.score, redact(f.entity, text[f.start : f.end]))
            for f in self.detector.find(text)
        ]

    def check(self, text: str, ctx: GuardContext, stage: Stage) -> Outcome | None:
        """Redact (or the configured action) when any personal data is found."""
        findings = self.find(text)
        if not findings:
            return None
        counts = _distinct_counts(findings)
        what = ", ".join(f"{n} {e.lower().replace('_', ' ')}" for e, n in counts.items())
        return Outcome(self.action, [f"personal data found: {what}"], findings)


def _distinct_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many of each entity the text holds: overlapping findings of one entity are one
    (``+1 415 555 0199`` is found whole and as its national part, and is one number, as
    its redaction is one placeholder)."""
    counts: dict[str, int] = {}
    reach: dict[str, int] = {}  # where the last counted span of each entity ends
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if f.start < reach.get(f.entity, -1):
            reach[f.entity] = max(reach[f.entity], f.end)
            continue
        counts[f.entity] = counts.get(f.entity, 0) + 1
        reach[f.entity] = f.end
    return counts
