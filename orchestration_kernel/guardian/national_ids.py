"""Government and health identity numbers: UK NHS and National Insurance numbers, Spanish
DNI/NIF and NIE, Italian fiscal codes, Indian Aadhaar and PAN, Singapore NRIC/FIN,
Australian tax file and Medicare numbers, Polish PESEL, Finnish henkilötunnus, Korean
RRN, Canadian SIN, Swedish personnummer, South African and Turkish ID numbers, US
Medicare beneficiary identifiers, and a number right after "passport" or "licence".
(US ITINs are read with SSNs, in :mod:`.pii`.)

Each format is found by its shape and confirmed by the rule its issuer publishes (a
check digit, a birth date inside the number, a letter table), so that look-alikes which
fail the rule pass untouched. A format whose check catches too few random numbers to
stand alone (a bare nine-digit tax file number passes its mod-11 check one time in
eleven) counts only after a word that names it ("TFN", "NHS number", "Aadhaar").

Shapes are looked for in one pass over the byte skeleton (digits ``0``, letters
``A``/``a``; see :mod:`._scan`) that starts with a literal, so the regex engine skips
from one run of digits to the next; the rules run only on what the shapes find.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from functools import lru_cache

from ._scan import OnePass
from .redaction import Finding

__all__ = [
    "ID_LABELS",
    "LABEL_HINTS",
    "NUMBERED_UNIT",
    "itin_said",
    "labelled_ids",
    "numbered_ids",
]

# --- check rules --------------------------------------------------------------------------


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def _date_ok(yy: int, mm: int, dd: int, centuries: tuple[int, ...] = (1800, 1900, 2000)) -> bool:
    """Is ``dd.mm.yy`` a calendar date in one of ``centuries``? (29 February needs a leap
    year in one of them.)"""
    if not (1 <= mm <= 12 and dd >= 1):
        return False
    return any(dd <= calendar.monthrange(c + yy, mm)[1] for c in centuries)


def nhs_valid(d: str) -> bool:
    """UK NHS number: ten digits, mod-11 check digit (weights 10..2; 10 is never issued)."""
    check = 11 - _weighted(d, (10, 9, 8, 7, 6, 5, 4, 3, 2)) % 11
    return len(d) == 10 and (0 if check == 11 else check) == int(d[9])


def tfn_valid(d: str) -> bool:
    """Australian tax file number (nine digits): weighted sum divisible by 11."""
    return len(d) == 9 and _weighted(d, (1, 4, 3, 7, 5, 8, 6, 9, 10)) % 11 == 0


def medicare_valid(d: str) -> bool:
    """Australian Medicare card number: ten digits, the first 2-6, the ninth a check
    digit over the first eight (weights 1, 3, 7, 9)."""
    return (
        len(d) == 10
        and d[0] in "23456"
        and _weighted(d, (1, 3, 7, 9, 1, 3, 7, 9)) % 10 == int(d[8])
    )


def sin_valid(d: str) -> bool:
    """Canadian social insurance number: nine digits, Luhn, never starting 0 or 8, not
    one digit repeated."""
    return len(d) == 9 and d[0] not in "08" and len(set(d)) > 1 and _luhn(d)


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def aadhaar_valid(d: str) -> bool:
    """Indian Aadhaar number: twelve digits, the first 2-9, Verhoeff check digit, and not
    a palindrome (UIDAI issues none)."""
    if len(d) != 12 or d[0] in "01" or d == d[::-1]:
        return False
    c = 0
    for i, ch in enumerate(reversed(d)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def personnummer_valid(d: str) -> bool:
    """Swedish personnummer (ten digits, or twelve with the century): a birth date
    (day + 60 for a coordination number) and a Luhn check over the last ten."""
    if not (d.isascii() and d.isdigit()):
        return False
    if len(d) == 12:
        if d[:2] not in ("18", "19", "20"):
            return False
        d = d[2:]
    if len(d) != 10:
        return False
    day = int(d[4:6])
    return _date_ok(int(d[:2]), int(d[2:4]), day - 60 if day > 60 else day) and _luhn(d)


def rrn_date_ok(d: str) -> bool:
    """Korean RRN: a birth date YYMMDD first."""
    return _date_ok(int(d[:2]), int(d[2:4]), int(d[4:6]))


def rrn_checked(d: str) -> bool:
    """Korean RRN with its check digit (weights 2-9, 2-5; ``(11 - sum mod 11) mod 10``)."""
    check = (11 - _weighted(d, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)) % 11) % 10
    return len(d) == 13 and rrn_date_ok(d) and check == int(d[12])


def frn_checked(d: str) -> bool:
    """Korean foreigner registration number: an RRN's shape (birth date, then the seventh
    digit 5-8 for a foreign resident) whose check digit is ``(13 - sum mod 11) mod 10``
    over the RRN's weights (two more than a citizen's)."""
    if len(d) != 13 or d[6] not in "5678" or not rrn_date_ok(d):
        return False
    return (13 - _weighted(d, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)) % 11) % 10 == int(d[12])


def za_id_valid(d: str) -> bool:
    """South African ID number: thirteen digits, a birth date YYMMDD, citizenship 0-2
    (eleventh digit), Luhn."""
    return (
        len(d) == 13
        and _date_ok(int(d[:2]), int(d[2:4]), int(d[4:6]), (1900, 2000))
        and d[10] in "012"
        and _luhn(d)
    )


def tckn_valid(d: str) -> bool:
    """Turkish identity number (TCKN): eleven digits, not starting 0, two check digits."""
    if len(d) != 11 or d[0] == "0":
        return False
    n = [int(c) for c in d]
    tenth = ((n[0] + n[2] + n[4] + n[6] + n[8]) * 7 - (n[1] + n[3] + n[5] + n[7])) % 10
    return tenth == n[9] and sum(n[:10]) % 10 == n[10]


def pesel_valid(d: str) -> bool:
    """Polish PESEL: eleven digits, a birth date (the month carries the century: +80
    1800s, +0 1900s, +20 2000s, +40, +60) and a check digit (weights 1, 3, 7, 9)."""
    if len(d) != 11:
        return False
    month = int(d[2:4])
    century = {0: 1900, 1: 2000, 2: 2100, 3: 2200, 4: 1800}.get(month // 20)
    if century is None or not _date_ok(int(d[:2]), month % 20, int(d[4:6]), (century,)):
        return False
    return (10 - _weighted(d, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)) % 10) % 10 == int(d[10])


def de_tax_id_valid(d: str) -> bool:
    """German tax identification number (Steuer-IdNr, eleven digits): the first not 0;
    in the first ten no digit more than three times and at most one digit repeated (the
    Federal Central Tax Office's issuing rule, relaxed to admit ten distinct digits, as
    published sample numbers have them); the last an ISO 7064 MOD 11,10 check digit."""
    if len(d) != 11 or d[0] == "0":
        return False
    counts = [d[:10].count(c) for c in set(d[:10])]
    if max(counts) > 3 or sum(1 for n in counts if n > 1) > 1:
        return False
    product = 10
    for ch in d[:10]:
        total = (int(ch) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10 == int(d[10])


#: German pension insurance number (Rentenversicherungsnummer, laid down in the VKVV):
#: the weights of its twelve digits, the letter written as its place in the alphabet
#: (A = 01).
_RVNR_WEIGHTS = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)


def rvnr_valid(code: str) -> bool:
    """German pension insurance number (the VKVV regulation): area (two digits), birth date
    DDMMYY (the day + 50 where a date is taken twice), the birth name's initial, a
    serial (two digits) and a check digit: each weighted digit's digit sum, mod 10."""
    if len(code) != 12 or not code[8].isalpha() or not code[8].isascii():
        return False
    day, month = int(code[2:4]), int(code[4:6])
    if not (1 <= month <= 12 and (1 <= day <= 31 or 51 <= day <= 81)):
        return False
    digits = code[:8] + f"{ord(code[8].upper()) - 64:02d}" + code[9:11]
    total = sum(sum(divmod(int(c) * w, 10)) for c, w in zip(digits, _RVNR_WEIGHTS, strict=True))
    return total % 10 == int(code[11])


#: Thai province codes (the second and third digits of a national ID): 10-96 less the
#: numbers no province holds.
_TH_NO_PROVINCE = frozenset({28, 29, 59, 68, 69, 78, 79, 87, 88, 89})


def th_tnin_valid(d: str) -> bool:
    """Thai national ID number (thirteen digits): the first 1-8 (the holder's kind), a
    province code, and a check digit ``(11 - sum of digit x (13 - place) mod 11) mod 10``."""
    if len(d) != 13 or d[0] not in "12345678":
        return False
    province = int(d[1:3])
    if not 10 <= province <= 96 or province in _TH_NO_PROVINCE:
        return False
    check = (11 - _weighted(d, (13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2)) % 11) % 10
    return check == int(d[12])


_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
#: Century signs: "+" 1800s; "-", "U"-"Y" 1900s; "A"-"F" 2000s.
_HETU_CENTURY = {"+": 1800, **dict.fromkeys("-UVWXY", 1900), **dict.fromkeys("ABCDEF", 2000)}


def hetu_valid(code: str) -> bool:
    """Finnish personal identity code DDMMYYCZZZQ: a date, a century sign, and a check
    character (the nine digits mod 31 in a 31-character table)."""
    century = _HETU_CENTURY.get(code[6].upper())
    digits = code[:6] + code[7:10]
    if century is None or not digits.isdigit():
        return False
    if not _date_ok(int(code[4:6]), int(code[2:4]), int(code[:2]), (century,)):
        return False
    return _HETU_CHECK[int(digits) % 31] == code[10].upper()


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_valid(number: str, letter: str) -> bool:
    """Spanish DNI/NIF: the letter is the number mod 23 in a fixed table."""
    return _DNI_LETTERS[int(number) % 23] == letter


def nric_valid(prefix: str, digits: str, letter: str) -> bool:
    """Singapore NRIC/FIN: weights 2,7,6,5,4,3,2, an offset by series, a letter table."""
    total = _weighted(digits, (2, 7, 6, 5, 4, 3, 2)) + {"T": 4, "G": 4, "M": 3}.get(prefix, 0)
    table = {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "F": "XWUTRQPNMLK", "G": "XWUTRQPNMLK"}
    return prefix in table and table[prefix][total % 11] == letter


# --- shapes ---------------------------------------------------------------------------------

#: Every shape, found in one pass over the skeleton from the start of each run of two
#: digits or more (the literal start lets the regex engine skip to each pair of digits;
#: the look-behind after it turns away, in C, a pair inside a longer run). Each branch
#: is named for the part that reads it:
#:
#: - four digits, then two more and: ``rvnr`` two digits, a capital and three digits (a
#:   German pension insurance number); ``kr`` -NNNNNNN (a Korean RRN); ``dated``
#:   (YY)YYMMDD, a sign or letter and four more (a Finnish code, a Swedish
#:   personnummer); ``more`` three to seven digits (a bare number of 9-13); ``letnum``
#:   one or two digits and a capital (DNI/NIF, NIE, NRIC); ``nino`` a letter (a National
#:   Insurance number written solid);
#: - four digits and: ``pan`` a capital (after five capitals: an Indian PAN); ``grp``
#:   4-4-4 or 4-5-1 groups (an Aadhaar, a Medicare card);
#: - ``triple`` three groups of three (a SIN, a TFN); ``pairs`` three pairs and a letter
#:   (a National Insurance number), ``threes`` two groups of three and a letter (one
#:   written AB 123 456 C); ``fiscal`` an Italian fiscal code's digits and
#:   letters after its six letters; ``mbi`` the last pair of a US MBI (0AA0-AA0-AA00,
#:   read backwards).
#:
#: Nothing may run on after a match but a blank or punctuation. (The possessive
#: ``more`` does not backtrack into a shorter number.)
_SCAN = re.compile(
    rb"00(?<!000)(?:"
    rb"(?P<mbi>(?<=0A[A0]0-A[A0]0-AA00))"
    rb"|00(?:"
    rb"00(?:(?P<rvnr>00A000)|(?P<kr>-0000000)|(?P<dated>(?:00)?[-+A]000[0A])|(?P<more>0{3,7}+)"
    rb"|(?P<letnum>0{1,2}-?A)|(?P<nino>[Aa]))"
    rb"|(?P<pan>A)"
    rb"|(?<!0[ -]0000)(?P<grp> 0000(?: 0000|0 0))(?![ -]0)"
    rb")"
    rb"|(?P<triple>0(?P<sep>[ -])000(?P=sep)000)(?![ -]0)"
    rb"|(?P<pairs> 00 00 ?[Aa])"
    rb"|(?P<threes>0 000 ?[Aa])"
    rb"|(?P<fiscal>A00A000A)"
    rb")(?![0Aa_])"
)
#: A date-led number with a separator: FI DDMMYY[sign]ZZZQ, SE (YY)YYMMDD-NNNN, KR
#: YYMMDD-NNNNNNN.
#: Seven or eight digits and a capital: DNI/NIF, and NIE / NRIC with the letter before.
#: The digits of a National Insurance number: three pairs, then the suffix letter.
_NINO_PREFIX = re.compile(r"(?i:(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?$")
_ITIN_GROUPS = frozenset(
    f"{g:02d}" for g in (*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100))
)

#: A unit (see :mod:`.scan_gate`) every shape of :func:`numbered_ids` matches: three
#: digits in a row, three pairs, or an MBI's last dash and group.
NUMBERED_UNIT = r"[0-9]{3}|[0-9]{2} [0-9]{2} [0-9]{2}|[0-9]\-[A-Z]{2}[0-9]{2}"

# Lettered shapes: an Italian fiscal code (skeleton "AAAAAA00A00A000A"), an Indian PAN
# ("AAAAA0000A"), a US MBI ("0AA0-AA0-AA00", some places either).
_FISCAL = re.compile(r"[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]")
_PAN_WORDS = ("pan", "permanent account", "income tax")
_MBI_TEXT = re.compile(
    r"[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]-[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]"
    r"[0-9]-[AC-HJKMNP-RT-Y]{2}[0-9]{2}"
)

#: Skeleton bytes that may not touch a number on either side (letters, digits, "_").
_GLUED = b"Aa0_"


def _free(sk: bytes, start: int, end: int, before: bytes = _GLUED) -> bool:
    """Does ``sk[start:end]`` stand apart: nothing of ``before`` just before it, and no
    letter, digit or "_" just after it?"""
    return (start == 0 or sk[start - 1] not in before) and _ends_free(sk, end)


def _ends_free(sk: bytes, end: int) -> bool:
    """Is the byte at ``end`` (if any) no letter, digit or "_"?"""
    return end >= len(sk) or sk[end] not in _GLUED


def _in_longer_number(sk: bytes, start: int, end: int) -> bool:
    """Is ``sk[start:end]`` one stretch of a longer grouped number (a digit group joined
    by one blank or dash on either side: the groups of an IBAN or a card)?"""
    before = start >= 2 and sk[start - 1] in b" -" and sk[start - 2] in b"0A"
    return before or (sk[end : end + 1] in (b" ", b"-") and sk[end + 1 : end + 2] == b"0")


def _said(low: str, start: int, words: tuple[str, ...], end: int | None = None) -> bool:
    """Does one of ``words`` stand, as whole words, in the 48 characters before
    ``start`` (or the 24 after ``end``: "... is my hetu")?"""
    window = low[max(0, start - 48) : start]
    if end is not None:
        window += " " + low[end : end + 24]
    return _word_pattern(words).search(window) is not None


@lru_cache(maxsize=32)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """``words`` as one pattern of whole words ("tin" is not in "setting")."""
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, words)) + r")(?![a-z0-9])")


# Words that name a format which needs one (lower case; looked for before the number).
_NHS = ("nhs",)
_TFN = ("tfn", "tax file")
_MEDICARE = ("medicare",)
_SIN = ("sin", "social insurance", "nas", "assurance sociale")
_AADHAAR = ("aadhaar", "aadhar", "uidai", "uid")
_PESEL = ("pesel",)
_PNR = ("personnummer", "pnr", "personal identity", "swedish", "samordningsnummer")
_RRN = ("rrn", "resident registration", "korean", "주민등록")
_NRIC = ("nric", "fin", "singapore", "ic no", "ic number")
_ITIN = ("itin", "taxpayer", "tax id", "tin")
_TNIN = ("tnin", "thai", "เลขประจำตัวประชาชน", "เลขบัตรประชาชน", "บัตรประชาชน", "รหัสปชช")


def itin_said(low: str, area: str, group: str, start: int, end: int) -> bool:
    """Is the 9XX-XX-XXXX number at ``start:end`` a US ITIN: area 9 (never an SSN), a
    group the IRS issues ITINs in, and a word that says so (half of all area-9 numbers
    have such a group: the shape alone is no ITIN)?"""
    return area[0] == "9" and group in _ITIN_GROUPS and _said(low, start, _ITIN, end)


def _scanned(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """Every :data:`_SCAN` match, read by the part its branch names."""
    for m in _SCAN.finditer(sk):
        s, e = m.span()
        kind = m.lastgroup
        if kind == "more":  # a bare number of 9-13 digits
            entity = _bare_entity(text[s:e], low, s, e) if _free(sk, s, e) else None
            if entity:
                yield Finding(entity, s, e, 0.8)
        elif kind == "rvnr":
            if _free(sk, s, e) and rvnr_valid(text[s:e]):
                yield Finding("DE_SOCIAL_SECURITY", s, e, 0.85)
        elif kind in ("kr", "dated"):
            yield from _dated(text, sk, low, s, e)
        elif kind == "letnum":
            yield from _lettered_number(text, sk, low, s, e)
        elif kind == "nino":
            yield from _nino(text, sk, s, e)
        elif kind in ("grp", "triple"):
            yield from _grouped(text, sk, low, s, e)
        elif kind in ("pairs", "threes"):
            yield from _nino(text, sk, s, e)
        elif kind == "fiscal":
            yield from _fiscal(text, sk, s - 6, e)
        elif kind == "mbi":
            yield from _mbi(text, sk, s - 11, e)
        elif kind == "pan":
            yield from _pan(text, sk, low, s - 5, e)


def _bare_entity(d: str, low: str, start: int, end: int) -> str | None:
    """Which identity number the bare digits ``d`` are, if any."""
    n = len(d)
    if n == 11:
        if tckn_valid(d):
            return "TR_NATIONAL_ID"
        if pesel_valid(d) and _said(low, start, _PESEL, end):
            return "PL_PESEL"
        if de_tax_id_valid(d):
            return "DE_TAX_ID"
    elif n == 13:
        if za_id_valid(d):
            return "ZA_ID_NUMBER"
        if rrn_checked(d) or (rrn_date_ok(d) and _said(low, start, _RRN, end)):
            return "KR_RRN"
        if frn_checked(d):
            return "KR_FRN"
        # (Epoch milliseconds share the shape and pass one time in ten: a word must say.)
        if th_tnin_valid(d) and _said(low, start, _TNIN, end):
            return "TH_TNIN"
    elif n == 9:
        if tfn_valid(d) and _said(low, start, _TFN, end):
            return "AU_TFN"
        if sin_valid(d) and _said(low, start, _SIN, end):
            return "CA_SIN"
    elif n == 10:
        if nhs_valid(d) and _said(low, start, _NHS, end):
            return "UK_NHS"
        if medicare_valid(d) and _said(low, start, _MEDICARE, end):
            return "AU_MEDICARE"
        if personnummer_valid(d) and _said(low, start, _PNR, end):
            return "SE_PERSONNUMMER"
    elif n == 12:
        if aadhaar_valid(d) and _said(low, start, _AADHAAR, end):
            return "IN_AADHAAR"
        if personnummer_valid(d) and _said(low, start, _PNR, end):
            return "SE_PERSONNUMMER"
    return None


def _grouped(text: str, sk: bytes, low: str, s: int, e: int) -> Iterator[Finding]:
    """Three digit groups at ``text[s:e]``: a SIN or TFN (3-3-3), a Medicare number
    (4-5-1), an Aadhaar (4-4-4). (An NHS number written 3-3-4 has a phone's shape and
    is found as one; bare, it counts after "NHS".)"""
    if s and (sk[s - 1] in _GLUED or _in_longer_number(sk, s, e)):
        return
    groups = re.split(r"[ -]", text[s:e])
    lengths = tuple(len(g) for g in groups)
    d = "".join(groups)
    entity = None
    if lengths == (3, 3, 3):
        if sin_valid(d):
            entity = "CA_SIN"
        elif tfn_valid(d) and _said(low, s, _TFN, e):
            entity = "AU_TFN"
    elif lengths == (4, 5, 1) and medicare_valid(d):
        entity = "AU_MEDICARE"
    elif lengths == (4, 4, 4) and aadhaar_valid(d) and _said(low, s, _AADHAAR, e):
        entity = "IN_AADHAAR"
    if entity:
        yield Finding(entity, s, e, 0.85)


def _dated(text: str, sk: bytes, low: str, s: int, e: int) -> Iterator[Finding]:
    """A KR RRN, a Finnish code or a Swedish personnummer at ``text[s:e]``."""
    value = text[s:e]
    if e - s == 14:  # YYMMDD-NNNNNNN, the seventh digit 1-8 (sex and century)
        digits = value.replace("-", "")
        kr_shape = rrn_date_ok(value) and (value[7] in "12345678" or rrn_checked(digits))
        if _free(sk, s, e, b"Aa0_-+") and kr_shape:
            yield Finding("KR_RRN", s, e, 0.85)
    elif e - s == 11 and hetu_valid(value):
        # The century sign sets a Finnish code apart: letters may run up to it.
        if (s == 0 or sk[s - 1] != 48) and _ends_free(sk, e):
            yield Finding("FI_PERSONAL_IDENTITY_CODE", s, e, 0.9)
    elif (
        value[-5] in "-+"
        and _free(sk, s, e, b"Aa0_-+")
        and personnummer_valid(value[:-5] + value[-4:])
        # (Dated build and ticket numbers share the shape: the text must say so.)
        and _said(low, s, _PNR, e)
    ):
        yield Finding("SE_PERSONNUMMER", s, e, 0.85)


def _lettered_number(text: str, sk: bytes, low: str, s: int, e: int) -> Iterator[Finding]:
    """Seven or eight digits and a capital at ``text[s:e]``: a DNI/NIF, or with a letter
    before, an NIE or NRIC/FIN."""
    if sk[e : e + 1] in (b"A", b"a", b"0", b"_"):
        return
    digits, letter = text[s : e - 1].rstrip("-"), text[e - 1]
    lead = s - 2 if s >= 2 and text[s - 1] == "-" else s - 1
    head = text[lead] if lead >= 0 else ""
    apart = lead <= 0 or sk[lead - 1] not in _GLUED
    if head and head in "XYZ" and len(digits) == 7 and apart:
        if dni_valid(str("XYZ".index(head)) + digits, letter):
            yield Finding("ES_NIE", lead, e, 0.9)
    elif head and head in "STFGM" and lead == s - 1 and len(digits) == 7 and apart:
        if nric_valid(head, digits, letter) or _said(low, lead, _NRIC):
            yield Finding("SG_NRIC_FIN", lead, e, 0.85)
    elif (s == 0 or sk[s - 1] not in _GLUED) and dni_valid(digits, letter):
        yield Finding("ES_NIF", s, e, 0.85)


def _nino(text: str, sk: bytes, s: int, e: int) -> Iterator[Finding]:
    """A National Insurance number whose digits and suffix are ``text[s:e]``, if two
    prefix letters stand before them."""
    if sk[e : e + 1] in (b"A", b"a", b"0", b"_") or text[e - 1].upper() not in "ABCD":
        return
    head = _NINO_PREFIX.search(text, max(0, s - 3), s)
    if head is None or head.end() != s:
        return
    start = head.start()
    if start and sk[start - 1] in _GLUED:
        return
    letters = "".join(c for c in text[start:e] if c.isalpha())
    if letters.isupper() or letters.islower():
        yield Finding("UK_NINO", start, e, 0.85)


def _pan(text: str, sk: bytes, low: str, s: int, e: int) -> Iterator[Finding]:
    """An Indian PAN at ``text[s:e]`` (five capitals, four digits, a capital)? The fourth
    letter says who holds it: "P", a person (C is a company, ...); with another letter
    the shape is any code, unless the text says "PAN"."""
    if s < 0 or sk[s : s + 5] != b"AAAAA" or (s and sk[s - 1] in _GLUED):
        return
    if text[s + 3] == "P" or _said(low, s, _PAN_WORDS, e):
        yield Finding("IN_PAN", s, e, 0.8)


def numbered_ids(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """Identity numbers (``sk``: the skeleton; ``low``: the text lower-cased), in one
    pass (:data:`_SCAN`)."""
    return _scanned(text, sk, low)


def _fiscal(text: str, sk: bytes, s: int, e: int) -> Iterator[Finding]:
    """An Italian fiscal code at ``text[s:e]`` (its letters and digits in their places)?"""
    apart = s >= 0 and sk[s : s + 6] == b"AAAAAA" and (s == 0 or sk[s - 1] not in _GLUED)
    if apart and _FISCAL.fullmatch(text, s, e):
        yield Finding("IT_FISCAL_CODE", s, e, 0.85)


def _mbi(text: str, sk: bytes, s: int, e: int) -> Iterator[Finding]:
    """A US Medicare beneficiary identifier, dashed as CMS prints it ("1EG4-TE5-MK73")."""
    if s >= 0 and (s == 0 or sk[s - 1] not in _GLUED) and _MBI_TEXT.fullmatch(text, s, e):
        yield Finding("US_MBI", s, e, 0.8)


#: Words that say the number after them identifies a person (lower case): the
#: documents whose numbers have no check of their own in every country, in the
#: languages of the countries that issue them (Spanish pasaporte, French passeport,
#: Italian and Portuguese passaporto/passaporte, German Reisepass, Personalausweis and
#: Führerschein, Dutch paspoort, Polish paszport, and their driving licences and
#: identity cards: licencia de conducir, permis de conduire, ...), and the German health insurance
#: number (KVNR, Krankenversichertennummer). (Formats with a check take their words in
#: their own rules: "TFN", "NHS", ...)
ID_LABELS: tuple[str, ...] = (
    *("passport", "licence", "license", "pasaporte", "passeport", "passaporto"),
    *("passaporte", "paspoort", "paszport", "kvnr", "identity card", "id card"),
    # Driving licences and identity cards, the longer names first (the first that
    # matches is taken): Spanish, French, Italian, Dutch, Polish.
    *("licencia de conducir", "licencia", "carnet de conducir", "permis de conduire"),
    *("patente di guida", "carta d'identità", "carte d'identité", "documento de identidad"),
    *("rijbewijs", "prawo jazdy", "dowód osobisty"),
)
#: German compounds end in the document's word (Personalausweis, Dienstreisepass,
#: Krankenversichertennummer): these count at the end of a longer word too.
_COMPOUND_LABELS = ("reisepass", "ausweis", "führerschein", "versichertennummer")
#: Substrings every label holds, looked for (backwards) before each run of digits.
_LABEL_HINTS = (
    *("passport", "licen", "pasaport", "passeport", "passaport", "paspoort", "paszport"),
    *("kvnr", "identity card", "id card", "carnet de conducir", "permis de conduire"),
    *("patente di guida", "carta d'identit", "carte d'identit", "documento de identidad"),
    *("rijbewijs", "prawo jazdy", "dowód osobisty", *_COMPOUND_LABELS),
)
#: Every hint: the unit (see :mod:`.scan_gate`) a text must match for a label to be in it.
LABEL_HINTS: tuple[str, ...] = _LABEL_HINTS
#: The hints, found in one pass over the text lower-cased (most texts hold none).
_HINT_PASS = OnePass(_LABEL_HINTS)
_HINT_SET = frozenset(_LABEL_HINTS)
#: What may stand between the label and the number (words and punctuation), then the
#: value: up to three letters, then digit-led groups joined by single blanks or dashes.
_LABEL_VALUE = re.compile(
    r"(?:'s)?(?:[\s:#.=-]{0,3}(?:(?i:number|numbers|num|no|nr|is|was|card|of|it's"
    r"|es|est|ist|numero|número|nummer)\b|[nN][°º])){0,3}"
    r"[\s:#.=-]{0,3}(?P<value>[A-Za-z]{0,3}[0-9][0-9A-Za-z]*(?:[ -][0-9][0-9A-Za-z]*){0,3})"
    r"(?![0-9A-Za-z])"
)
#: A labelled value counts with this many digits (fewer: a version, a count, a year).
_LABEL_MIN_DIGITS = 5


#: Five digits in a row: what a labelled value holds (fewer: a version, a count, a year).
_FIVE_DIGITS = b"00000"
#: The labels, as whole words (a compound's as a word's end), in the text lower-cased.
_LABEL_WORDS = re.compile(
    r"(?:(?<![a-z0-9])(?:" + "|".join(map(re.escape, ID_LABELS)) + r")"
    r"|" + "|".join(map(re.escape, _COMPOUND_LABELS)) + r")(?![a-z])"
)


def labelled_ids(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """A number right after a word that names an identity document ("passport number is
    X1234567", "driver's license: D1234567"), or right before one said as the writer's
    ("X1234567 is my passport number"), found from each run of five digits or more (the
    label is looked for in the 40 characters before the run, then after its value)."""
    if len(low) != len(text) or _FIVE_DIGITS not in sk:
        return  # (a case mapping that changed lengths would misplace positions)
    hints = _HINT_PASS.occurrences(low).occurring(_HINT_SET)
    if hints is None:  # a text too long for the one pass: a scan per hint, once
        hints = [h for h in _LABEL_HINTS if h in low]
    if not hints:
        return
    look = tuple(hints)
    pos = sk.find(_FIVE_DIGITS)
    while pos >= 0:
        found = _label_before(text, low, pos, look) or _label_after(text, low, pos)
        if found is not None:
            yield found
        end = pos + 5
        while end < len(sk) and sk[end] == 48:
            end += 1
        pos = sk.find(_FIVE_DIGITS, end)


def _label_before(text: str, low: str, pos: int, hints: tuple[str, ...]) -> Finding | None:
    """The labelled value holding the run at ``pos``, its label in the 40 characters
    before it."""
    hint = max(low.rfind(h, max(0, pos - 40), pos) for h in hints)
    label = _LABEL_WORDS.match(low, hint) if hint >= 0 else None
    found = _labelled_value(text, label.end()) if label is not None else None
    return found if found is not None and found.start <= pos < found.end else None


#: A value then the writer's document named after it: "X1234567 is my passport number",
#: "AAA123456 es mi número de pasaporte", "… est mon numéro de passeport". (A possessive
#: is required: "12345 is the license fee" names no one's document.)
_LABEL_AFTER = re.compile(
    r"[ \t]{1,3}(?:is|was|es|est|ist)[ \t]{1,3}(?:my|mi|mon|ma|meine|mein|his|her)[ \t]{1,3}"
    r"(?:(?:number|número|numero|numéro|nummer)[ \t]{1,3}(?:de[ \t]{1,3}|du[ \t]{1,3})?)?"
    r"(?:" + "|".join(map(re.escape, (*ID_LABELS, *_COMPOUND_LABELS))) + r")"
    # The label ends the clause, or a word for "number" does ("my passport renewal" is
    # a receipt's, not a passport's).
    r"(?:[ \t]{1,3}(?:number|no|nr|num|nummer|número|numero|numéro))?(?=[ \t]*(?:[.,;:!?)\n]|$))"
)
#: A document number's token: up to three letters, then digits and letters.
_VALUE_TOKEN = re.compile(r"[A-Za-z]{0,3}[0-9][0-9A-Za-z]{0,19}(?![0-9A-Za-z])")


def _label_after(text: str, low: str, pos: int) -> Finding | None:
    """The value holding the run at ``pos`` when the writer's document is named after
    it (:data:`_LABEL_AFTER`)."""
    start = pos
    while start > max(0, pos - 20) and text[start - 1].isascii() and text[start - 1].isalnum():
        start -= 1
    if start and (text[start - 1].isalnum() or text[start - 1] in "-/._"):
        return None  # a stretch of a longer code ("2024-88812"), not a document number
    m = _VALUE_TOKEN.match(text, start)
    if m is None or m.end() <= pos or _LABEL_AFTER.match(low, m.end()) is None:
        return None
    if sum(c.isdigit() for c in m.group()) < _LABEL_MIN_DIGITS:
        return None
    return Finding("ID_NUMBER", m.start(), m.end(), 0.7)


def _labelled_value(text: str, end: int) -> Finding | None:
    """The identity number right after a label ending at ``end``, if any."""
    m = _LABEL_VALUE.match(text, end)
    if m is None:
        return None
    value = m.group("value")
    if len(value) > 20 or sum(c.isdigit() for c in value) < _LABEL_MIN_DIGITS:
        return None
    return Finding("ID_NUMBER", m.start("value"), m.end("value"), 0.7)
