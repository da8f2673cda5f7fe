"""Identity numbers named by their own acronym and confirmed by their issuer's check:
Brazil's CPF, Romania's CNP, Argentina's CUIL/CUIT, Portugal's NIF, France's NIR (the
social security number), China's resident identity card number, Mexico's CURP, and an
Argentine or Peruvian DNI of digits alone.

A number counts only right after a word that names it ("CPF", "CNP", "CUIL", "NIF",
"NIR", "身份", "DNI"; up to three filler words between, "es", "é", "number", ":") and
only when it passes the check its issuer publishes, so "CNP: 1800101221142" (a bad check
digit) stays allowed. A CURP's shape (four letters, a birth date, the sex, a state, three
consonants, a check digit) is specific enough to count bare. A DNI of digits alone has no
check: it counts only in the issuers' written forms (``11.123.567``, seven or eight digits).

Every rule is a bounded pattern tried where its word occurs, so the scan stays linear.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator

from . import scan_gate
from ._scan import OnePass
from .redaction import Finding

__all__ = ["NAMED_ID_UNIT", "NAMED_ID_WORDS", "named_ids"]


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def cpf_valid(value: str) -> bool:
    """Brazil's CPF: eleven digits, the last two mod-11 check digits (Receita Federal);
    one digit repeated is never issued."""
    d = _digits(value)
    if len(d) != 11 or len(set(d)) == 1:
        return False
    for n in (9, 10):
        total = sum(int(d[i]) * (n + 1 - i) for i in range(n))
        if (total * 10) % 11 % 10 != int(d[n]):
            return False
    return True


def cnp_valid(value: str) -> bool:
    """Romania's CNP: thirteen digits, sex/century 1-9, a birth date, the check digit
    weighted ``279146358279`` mod 11 (10 reads as 1)."""
    d = _digits(value)
    if len(d) != 13 or d[0] == "0" or not _date_ok(int(d[1:3]), int(d[3:5]), int(d[5:7])):
        return False
    total = sum(int(a) * int(w) for a, w in zip(d[:12], "279146358279", strict=True)) % 11
    return (1 if total == 10 else total) == int(d[12])


def cuit_valid(value: str) -> bool:
    """Argentina's CUIL/CUIT: a two-digit type (20, 23, 24, 27, 30, 33, 34), eight
    digits, a check digit weighted ``5432765432`` (AFIP's rule; 11 reads as 0, 10 as 9)."""
    d = _digits(value)
    if len(d) != 11 or d[:2] not in {"20", "23", "24", "27", "30", "33", "34"}:
        return False
    check = 11 - sum(int(a) * int(w) for a, w in zip(d[:10], "5432765432", strict=True)) % 11
    return {11: 0, 10: 9}.get(check, check) == int(d[10])


def pt_nif_valid(value: str) -> bool:
    """Portugal's NIF: nine digits, the first 1-3, 5, 6, 8 or 9, a mod-11 check digit
    (weights 9 to 2; a remainder under 2 gives 0)."""
    d = _digits(value)
    if len(d) != 9 or d[0] not in "1235689":
        return False
    rest = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
    return (0 if rest < 2 else 11 - rest) == int(d[8])


def nir_valid(value: str) -> bool:
    """France's NIR (numéro de sécurité sociale): sex 1-4, 7 or 8, year, month, the
    département (Corsica's 2A/2B read as 19/18), commune and order, then the key
    ``97 - number mod 97`` (INSEE)."""
    v = value.replace(" ", "").upper()
    if len(v) != 15 or v[0] not in "123478" or not v[1:5].isdigit():
        return False
    if not (1 <= int(v[3:5]) <= 12 or 20 <= int(v[3:5]) <= 42 or 50 <= int(v[3:5]) <= 99):
        return False
    body = v[:13].replace("2A", "19", 1) if v[5:7] == "2A" else v[:13].replace("2B", "18", 1)
    if not body.isdigit() or not v[13:].isdigit():
        return False
    return 97 - int(body) % 97 == int(v[13:])


_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def cn_ric_valid(value: str) -> bool:
    """China's resident identity card number (GB 11643): a region, a birth date
    (YYYYMMDD), an order and the ISO 7064 MOD 11-2 check character (``X`` for 10)."""
    v = value.upper()
    if len(v) != 18 or not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        return False
    year, month, day = int(v[6:10]), int(v[10:12]), int(v[12:14])
    if not 1900 <= year <= 2100 or not _date_ok(year % 100, month, day, (year - year % 100,)):
        return False
    total = sum(int(c) * w for c, w in zip(v[:17], _RIC_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == v[17]


_CURP_VALUES = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def curp_valid(value: str) -> bool:
    """Mexico's CURP: its eighteenth character checks the first seventeen (RENAPO: each
    character's value times 18 minus its place, ``(10 - sum mod 10) mod 10``), and its
    date is a calendar date."""
    if not _date_ok(int(value[4:6]), int(value[6:8]), int(value[8:10])):
        return False
    total = sum(_CURP_VALUES.index(c) * (18 - i) for i, c in enumerate(value[:17]))
    return (10 - total % 10) % 10 == int(value[17])


def dni_digits_ok(value: str) -> bool:
    """An Argentine or Peruvian DNI written as its issuers do: seven or eight digits, bare
    or grouped in thousands with dots (``11.123.567``)."""
    return 7 <= len(_digits(value)) <= 8


def _date_ok(yy: int, mm: int, dd: int, centuries: tuple[int, ...] = (1900, 2000)) -> bool:
    if not (1 <= mm <= 12 and dd >= 1):
        return False
    return any(dd <= calendar.monthrange(c + yy, mm)[1] for c in centuries)


#: What may stand between the word and the number: blanks, ``:``, ``#``, ``.``, ``=``,
#: and up to three short words ("es", "é", "number", "do", "nº").
_GAP = (
    r"(?:[\s:#.=-]{0,3}(?:(?i:number|num|no|nr|is|es|é|est|ist|numero|número|numéro"
    r"|do|da|de|du|el|la|le|mi|meu|my|号码)|[nN][°º])){0,3}[\s:#.=-]{0,3}"
)
#: (words, the value's pattern, its check, the entity).
_Rule = tuple[tuple[str, ...], re.Pattern[str], Callable[[str], bool], str]
_RULES: tuple[_Rule, ...] = (
    (("cpf",), re.compile(r"\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?![\d-]|\.\d)"), cpf_valid, "BR_CPF"),
    (("cnp",), re.compile(r"\d{13}(?!\d)"), cnp_valid, "RO_CNP"),
    (("cuil", "cuit"), re.compile(r"\d{2}-?\d{8}-?\d(?![\d-])"), cuit_valid, "AR_CUIT"),
    (
        ("nif", "contribuinte"),
        re.compile(r"(?:PT[ ]?)?\d{3}[ ]?\d{3}[ ]?\d{3}(?![\d-])"),
        pt_nif_valid,
        "PT_NIF",
    ),
    (
        ("nir", "sécurité sociale", "securite sociale", "numéro de sécu", "insee"),
        re.compile(r"\d[ ]?\d{2}[ ]?\d{2}[ ]?(?:\d{2}|2[ABab])[ ]?\d{3}[ ]?\d{3}[ ]?\d{2}(?!\d)"),
        nir_valid,
        "FR_NIR",
    ),
    (
        ("身份", "resident identity"),
        re.compile(r"\d{17}[\dXx](?![\dA-Za-z])"),
        cn_ric_valid,
        "CN_RIC",
    ),
    (
        ("dni",),
        re.compile(r"(?:\d{1,2}\.\d{3}\.\d{3}|\d{7,8})(?![\d.,-]\d|[\dA-Za-z-])"),
        dni_digits_ok,
        "ID_NUMBER",
    ),
)
#: Every word a rule starts from (lower case): with a digit after it, the unit a text
#: must match (:data:`NAMED_ID_UNIT`).
NAMED_ID_WORDS: tuple[str, ...] = tuple(dict.fromkeys(w for words, *_ in _RULES for w in words))
_WORD_PASS = OnePass(NAMED_ID_WORDS)
_WORD_SET = frozenset(NAMED_ID_WORDS)
_GAP_RE = re.compile(_GAP)

#: A CURP: four letters (the first a consonant's initial, the second a vowel or X), the
#: birth date, H/M/X, a state, three consonants, a character against twins, the check.
_CURP = re.compile(
    r"(?<![A-Za-z0-9])[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d"
    r"(?![A-Za-z0-9])"
)
#: The scan gate's unit: a word of :data:`NAMED_ID_WORDS` with a digit at most 24
#: characters after it, or where a CURP can stand.
NAMED_ID_UNIT = (
    f"(?:{scan_gate.literals(folded=NAMED_ID_WORDS)})[^0-9]{{0,24}}[0-9]"
    r"|[A-Z]{4}[0-9]{6}[HMX]"
)


#: Where a CURP can stand on the text's skeleton (four letters, six digits, a letter).
_CURP_SKELETON = b"AAAA000000A"


def named_ids(text: str, sk: bytes, low: str) -> Iterator[Finding]:
    """Identity numbers right after the word that names them, confirmed by their check;
    and CURPs anywhere (``sk``: the text's skeleton; ``low``: ``text`` lower-cased, the
    same length)."""
    if len(low) == len(text):
        occurrences = _WORD_PASS.occurrences(low)
        occurring = occurrences.occurring(_WORD_SET)
        present = set(occurring) if occurring is not None else {w for w in _WORD_SET if w in low}
        for words, pattern, check, entity in _RULES:
            for word in words:
                if word in present:
                    yield from _after_word(text, low, word, pattern, check, entity)
    if _CURP_SKELETON not in sk:
        return
    for m in _CURP.finditer(text):
        if curp_valid(m.group()):
            yield Finding("MX_CURP", m.start(), m.end(), 0.85)


def _after_word(
    text: str,
    low: str,
    word: str,
    pattern: re.Pattern[str],
    check: Callable[[str], bool],
    entity: str,
) -> Iterator[Finding]:
    """Values of ``pattern`` passing ``check`` right after each whole-word ``word``."""
    at = low.find(word)
    while at >= 0:
        end = at + len(word)
        whole = (at == 0 or not low[at - 1].isalpha() or not word.isascii()) and (
            end == len(low) or not low[end].isalpha() or not word.isascii()
        )
        if whole:
            gap = _GAP_RE.match(text, end)
            value_at = gap.end() if gap is not None else end
            m = pattern.match(text, value_at)
            if m is not None and check(m.group()):
                yield Finding(entity, m.start(), m.end(), 0.85)
        at = low.find(word, end)
