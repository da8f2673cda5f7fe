"""Phone numbers written in national formats (``0490 75 40 81``, ``078 8098 1119``,
``13812345678``), confirmed with Google's libphonenumber (the ``phonenumbers`` package).

Candidates are digit groups found on the byte skeleton (bounded pattern, linear); each is
checked against the configured default regions with ``phonenumbers.is_valid_number``.
``phonenumbers`` is imported only when a text holds a candidate (its import costs about
0.1 s once; a parse about 40 µs), and at most :data:`MAX_VALIDATED` candidates per text
are parsed, so a page of numbers stays cheap (past that, a candidate with a phone word
or phone shape is redacted unverified: over-redacting is the safe side).

A number written with the international "00" prefix (``00420 702 914 177``) is checked
as the ``+`` number it stands for, in whatever country its code names.

A valid national number counts when something says it is a phone: a ``+`` or
parentheses, a phone word before it ("phone", "call", "mobile", "answering at", ...), or a
trunk ``0`` with three or more groups. Dates, SSN-shaped groups (3-2-4), dotted quads,
the groups of an IBAN and extensions are never phones.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Sequence
from functools import lru_cache

from ._scan import CASELESS_ASCII, skeleton
from .redaction import Finding

__all__ = ["DEFAULT_PHONE_REGIONS", "MAX_VALIDATED", "national_phones", "possible_international"]

#: Regions whose national formats are recognised without a country code.
DEFAULT_PHONE_REGIONS: tuple[str, ...] = (
    "US",
    "GB",
    "FR",
    "DE",
    "NL",
    "BE",
    "ES",
    "IT",
    "SE",
    "IE",
    "AU",
    "NZ",
    "JP",
    "CN",
    "IN",
    "IL",
    "BR",
    "ZA",
)
#: At most this many candidates per text are parsed by libphonenumber.
MAX_VALIDATED = 200

# A candidate is ``[+(]?0(?:[ .\-/]{0,2}\(?0\)?){6,15}`` on the skeleton. It is looked
# for from its first digit (a literal start: the regex engine skips straight to a digit;
# a leading choice of "+", "(" or a digit made it test every position), and the "+" or
# "(" before that digit is taken in afterwards (see _candidates). The look-ahead (six
# more digits or separators must follow) only turns away short numbers at once: every
# candidate has them.
_CANDIDATE = re.compile(rb"0(?=[0 .\-/()]{6})(?:[ .\-/]{0,2}\(?0\)?){6,15}")
_DATE = re.compile(r"(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d\d")
_PHONE_WORDS = re.compile(
    r"(?i:phone|tel\b|telephone|call|mobile|cell|fax|whatsapp|sms|text\s+me|contact|reach"
    r"|answering|dial|ring|messages|registered|landline"
    # The same words in the default regions' languages: Spanish, Portuguese, Italian
    # teléfono/telefone/telefono, French téléphone, German Telefon, Dutch telefoon and
    # mobiel, móvil, celular, and the abbreviations tél. and tlf. (Not "portable",
    # "handy", "tf.": English words and TensorFlow's module before numbers.)
    r"|t[eé]l[eé]fon|t[ée]l[ée]phon|telefoon|m[oó]vil|celular|mobiel|t[ée]l\.|tlf"
    r"|(?:my|his|her|their|your|cn|us|uk|au|home|work|office)\s+(?:number|no\.|#))"
)
#: :data:`_PHONE_WORDS` without its case-insensitive flag, to search text mapped by
#: :data:`CASELESS_ASCII` (each letter the flag reads as an ASCII one made that letter).
_PHONE_WORDS_FOLDED = re.compile(_PHONE_WORDS.pattern.replace("(?i:", "(?:", 1))
_SSN_SHAPE = re.compile(r"\(?\d{3}([ .-])\d{2}\1\d{4}\)?")
_AREA_CODE = re.compile(r"\(\d{1,5}\)")
_DIGIT_RUN = re.compile(r"\d+")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_IBAN_HEAD = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){1,7}[ -]?$")
_EXTENSION = re.compile(r"(?i:\b(?:ext|extension|x)\.?\s*)$")
#: How a text that :data:`_EXTENSION` matches ends, its trailing blanks stripped.
_EXTENSION_ENDS = ("t", "T", "n", "N", "x", "X", ".")


def _valid(candidate: str, regions: Sequence[str]) -> bool:
    """Valid as a national number of one of ``regions``? Only the digits count, so the
    answer is remembered per digit string and region list (:func:`_valid_digits`)."""
    if candidate.isascii():  # a scanned candidate: ASCII digits and separators only
        digits = candidate.translate(_SEPARATORS_GONE)
        if digits.isdigit():
            return _valid_digits(digits, tuple(regions))
    return _valid_digits("".join(filter(str.isdigit, candidate)), tuple(regions))


#: Deletes what separates a phone number's digit groups (and its leading "+").
_SEPARATORS_GONE = str.maketrans("", "", " .-/()+")


#: A region's (code, country calling code, trunk prefix, possible lengths).
_Region = tuple[str, int | None, str | None, tuple[int, ...]]


@lru_cache(maxsize=64)
def _region_table(regions: tuple[str, ...]) -> tuple[_Region, ...]:
    """What :func:`_valid_digits` needs of each region's metadata, looked up once per
    region list (unknown regions left out)."""
    import phonenumbers as lib  # on first use only: loading its metadata takes a while

    table = []
    for region in regions:
        meta = lib.PhoneMetadata.metadata_for_region(region)
        if meta is None:
            continue
        lengths = meta.general_desc.possible_length if meta.general_desc is not None else ()
        table.append((region, meta.country_code, meta.national_prefix, tuple(lengths)))
    return tuple(table)


@lru_cache(maxsize=4096)
def _valid_digits(digits: str, regions: tuple[str, ...]) -> bool:
    """Valid as a national number of one of ``regions``? The digits are parsed once; each
    region then only gets its country code and trunk prefix applied (a metadata lookup,
    not a fresh parse). Remembered (bounded): the same number recurs across a
    conversation's prompts and replies, and a parse costs tens of microseconds."""
    import phonenumbers as lib

    for region, country_code, trunk, lengths in _region_table(regions):
        national = digits
        if trunk and national.startswith(trunk):
            national = national[len(trunk) :]
        if not national:
            continue
        # A region's numbers come in a few lengths (its general description's possible
        # lengths): a number of another length is invalid there, as the library itself
        # finds first. Checked here, the number object is not built for most regions.
        if lengths and _significant_length(national) not in lengths:
            continue
        number = lib.PhoneNumber(country_code=country_code, national_number=int(national))
        if national.startswith("0"):
            number.italian_leading_zero = True
            number.number_of_leading_zeros = len(national) - len(national.lstrip("0"))
        if lib.is_valid_number_for_region(number, region):
            return True
    return False


def _significant_length(national: str) -> int:
    """The length of the national significant number ``phonenumbers`` makes of
    ``national`` (leading zeros kept as zeros, then the number as an integer)."""
    zeros = len(national) - len(national.lstrip("0")) if national.startswith("0") else 0
    return zeros + len(str(int(national)))


_UPPER_OR_DIGIT = frozenset(string.ascii_uppercase + string.digits)


def _may_end_iban(before: str) -> bool:
    """Can :data:`_IBAN_HEAD` match ``before``? Its match ends the text (or stands just
    before a last newline) with a capital or digit, then at most one blank or dash."""
    tail = before[:-1] if before.endswith("\n") else before
    if tail.endswith((" ", "-")):
        tail = tail[:-1]
    return tail[-1:] in _UPPER_OR_DIGIT


def _phone_word_before(before: str) -> bool:
    """Does a phone word stand in ``before`` (the 40 characters before a candidate)?
    (The case-insensitive search compared every character case-blind at every position
    of the window: eight times the cost of a plain search of the window folded first.)"""
    return _PHONE_WORDS_FOLDED.search(before.translate(CASELESS_ASCII)) is not None


def _not_a_phone(before: str, candidate: str, digits: int) -> bool:
    """Shapes that are something else: a date, an SSN's 3-2-4 grouping, a dotted quad,
    the tail of an IBAN, an extension. (``before``: the 40 characters before the
    candidate; ``digits``: the candidate's ASCII digits, 8 to 15, counted before.)"""
    # The two whole-candidate shapes first: one C-level match each, where the date is a
    # search from every position. Each is tried only where it can match: an SSN has
    # nine digits; a dotted quad (twelve at most) and a date have dots or dashes or
    # slashes (most phone candidates are grouped by blanks).
    if digits == 9 and _SSN_SHAPE.fullmatch(candidate):
        return True
    dotted = "." in candidate
    if dotted and digits <= 12 and _DOTTED_QUAD.fullmatch(candidate):
        return True
    if (dotted or "-" in candidate or "/" in candidate) and _DATE.search(candidate):
        return True
    # Each pattern is searched only when the window holds what it cannot do without:
    # two ASCII capitals for an IBAN's country; an "x" for an extension word, and (the
    # word ends the window) its last letter or a "." before the closing blanks.
    if _may_end_iban(before) and b"AA" in skeleton(before) and _IBAN_HEAD.search(before):
        return True
    return (
        ("x" in before or "X" in before)
        and before.rstrip().endswith(_EXTENSION_ENDS)
        and bool(_EXTENSION.search(before))
    )


#: How many candidates' shape verdicts :func:`_shaped_length` keeps (each with the 40
#: characters before it: about 1 MB at most).
_SHAPES_KEPT = 4096


@lru_cache(maxsize=_SHAPES_KEPT)
def _shaped_length(window: str, offset: int, digits: int) -> int:
    """The length of the candidate at ``window[offset:]`` (its trailing separators
    stripped) when it has a phone's shape and nothing says it is something else, else
    0. ``window``: the candidate and the 40 characters before it (all the rules read);
    ``digits``: its digits. Remembered (bounded), as :func:`_valid_digits`: the same
    numbers recur in a conversation's prompts and replies, and the rules cost several
    microseconds a candidate."""
    candidate = window[offset:].rstrip(" .-/")
    before = window[:offset]
    if _not_a_phone(before, candidate, digits):
        return 0
    groups = len(_DIGIT_RUN.findall(candidate))
    # A trunk 0 with three groups, or an area code in parentheses, is a phone's shape;
    # a run of digits without separators is one only when the text says so (the phone
    # words are looked for only then: most candidates have the shape).
    shaped = candidate[0] == "+" or bool(_AREA_CODE.search(candidate))
    shaped = shaped or (candidate[0] == "0" and groups >= 3)
    if not shaped and not (
        (groups >= 2 or len(candidate) <= 12 or candidate.startswith("00"))
        and _phone_word_before(before)
    ):
        return 0
    return len(candidate)


def _candidates(sk: bytes) -> Iterator[tuple[int, int]]:
    r"""The spans ``[+(]?0(?:[ .\-/]{0,2}\(?0\)?){6,15}`` finds in the skeleton ``sk``.

    A match from a "+" or "(" goes on exactly as one from the digit after it (the rest
    of the pattern is the same from there), so a match found from a digit starts one
    earlier when a "+" or "(" stands before it outside the previous match."""
    done = 0
    for m in _CANDIDATE.finditer(sk):
        start = m.start()
        if start > done and sk[start - 1] in b"+(":
            start -= 1
        done = m.end()
        yield start, done


#: Skeleton bytes that may not stand just before a candidate (a letter, a digit, "_" or a
#: separator that joins it to something else) or just after it (a letter or a digit).
_GLUED_BEFORE = b"Aa0_.-/:"
_GLUED_AFTER = b"0Aa"


_ASCENDING = "0123456789" * 3


def _counts_up(candidate: str) -> bool:
    """Is every digit of ``candidate`` the one after the digit before it (``123456789``,
    ``456 789 0123``)? What a form's example or a placeholder holds: a number in a
    numbering plan is not the digits counted in order."""
    digits = "".join(c for c in candidate if c.isdigit())
    return len(digits) >= 8 and digits in _ASCENDING


def national_phones(text: str, sk: bytes, regions: Sequence[str]) -> Iterator[Finding]:
    """Phone numbers in national formats of ``regions`` (``sk``: the text's skeleton)."""
    if not regions:
        return
    checked = 0
    for start, end in _candidates(sk):
        if (start and sk[start - 1] in _GLUED_BEFORE) or (
            end < len(sk) and sk[end] in _GLUED_AFTER
        ):
            continue
        # Too few or many digits: not a phone. (The digits are the skeleton's "0"s; the
        # separators stripped from the candidate's end below hold none.)
        digits = sk.count(b"0", start, end)
        if not 8 <= digits <= 15:
            continue
        floor = max(0, start - 40)
        length = _shaped_length(text[floor:end], start - floor, digits)
        if not length:
            continue
        candidate = text[start : start + length]
        if _counts_up(candidate):
            continue  # 123456789: every digit the next one up, a sample's filler
        if candidate.startswith("+") and not possible_international(candidate):
            continue  # its "+" says which country: a code none has, or too many digits
        dialled_abroad = candidate.startswith("00")
        checked += 1
        if (
            checked > MAX_VALIDATED
            or _valid(candidate, regions)
            or (dialled_abroad and _valid_international(candidate))
        ):
            yield Finding("PHONE_NUMBER", start, start + len(candidate), 0.7)


def _valid_international(candidate: str) -> bool:
    """Valid as an international number dialled with the "00" prefix most of the world
    uses for abroad (``00420 702 914 177`` is ``+420 702 914 177``)? Any country: the
    country code says which, so the default regions do not limit it."""
    return _valid_e164(candidate.translate(_SEPARATORS_GONE)[2:])


@lru_cache(maxsize=1024)
def _valid_e164(digits: str) -> bool:
    """Is ``+digits`` a valid number of the country its code names? (Remembered, as
    :func:`_valid_digits`.)"""
    import phonenumbers as lib

    if not digits.isdigit():
        return False
    try:
        return bool(lib.is_valid_number(lib.parse("+" + digits)))
    except lib.NumberParseException:
        return False


@lru_cache(maxsize=1200)  # (one entry per 1-3 digit prefix at most)
def _longest_national(code: str) -> int:
    """The most digits a national number of country code ``code`` has (libphonenumber's
    metadata, every region sharing the code), or 0 when no country has that code."""
    import phonenumbers as lib

    regions = lib.COUNTRY_CODE_TO_REGION_CODE.get(int(code), ())
    lengths: list[int] = []
    for region in regions:
        meta = (
            lib.PhoneMetadata.metadata_for_nongeo_region(int(code))
            if region == "001"
            else lib.PhoneMetadata.metadata_for_region(region)
        )
        if meta is not None and meta.general_desc is not None:
            lengths.extend(meta.general_desc.possible_length or ())
    return max(lengths, default=17) if regions else 0


def possible_international(number: str) -> bool:
    """Could ``number`` (written with its ``+``) be a number of the country its code
    names: a code that exists (E.164 codes are prefix-free: the first one to match is
    the code), and no more digits than that country's longest national number, one more
    allowed for a trunk "(0)" written in? (``+99 …`` names no country; ``+34`` and
    thirteen digits is too long for Spain.) Lenient on purpose: a made-up number of a
    real country's length still counts, as samples and test data write them. Read from
    libphonenumber's metadata, no parse: a prompt's numbers are new every time."""
    digits = "".join(c for c in number if c.isdigit())
    for width in (1, 2, 3):
        longest = _longest_national(digits[:width]) if len(digits) > width else 0
        if longest:
            return len(digits) - width <= longest + 1
    return False
