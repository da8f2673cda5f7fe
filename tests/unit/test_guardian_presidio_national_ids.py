"""Government and health identity numbers (``NATIONAL_ID``): seeded valid numbers of each
format are found under their format's name, and look-alikes that fail the format's rule
(or lack the word a weak format needs) stay allowed. Every value is built at run time,
its check digit computed here from the issuer's published rule."""

from __future__ import annotations

import asyncio
import random

import pytest

from orchestration_kernel.guardian import GuardContext, Guardian, PIIDetector

SEEDS = range(6)
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _ids(text: str) -> list[tuple[str, str]]:
    found = PIIDetector().find(text)
    return [(f.entity, text[f.start : f.end]) for f in found]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _date(rng: random.Random) -> str:
    """YYMMDD of a day every month has."""
    return f"{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def nino(rng: random.Random) -> str:
    first, second = rng.choice("ABCEGHJKLMNOPRSTWXYZ"), rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
        first = "A"
    d = _digits(rng, 6)
    return f"{first}{second} {d[:2]} {d[2:4]} {d[4:]} {rng.choice('ABCD')}"


def dni(rng: random.Random) -> str:
    n = _digits(rng, 8)
    return n + "TRWAGMYFPDXBNJZSQVHLCKE"[int(n) % 23]


def nie(rng: random.Random) -> str:
    head, n = rng.choice("XYZ"), _digits(rng, 7)
    return head + n + "TRWAGMYFPDXBNJZSQVHLCKE"[int(str("XYZ".index(head)) + n) % 23]


def fiscal_code(rng: random.Random) -> str:
    letters = "".join(rng.choice(_UPPER) for _ in range(6))
    return (
        f"{letters}{_digits(rng, 2)}{rng.choice('ABCDEHLMPRST')}{rng.randint(1, 28):02d}"
        f"{rng.choice(_UPPER)}{_digits(rng, 3)}{rng.choice(_UPPER)}"
    )


def pan(rng: random.Random) -> str:
    return (
        "".join(rng.choice(_UPPER) for _ in range(3))
        + "P"
        + rng.choice(_UPPER)
        + _digits(rng, 4)
        + rng.choice(_UPPER)
    )


def nric(rng: random.Random) -> str:
    prefix, d = rng.choice("ST"), _digits(rng, 7)
    total = sum(int(c) * w for c, w in zip(d, (2, 7, 6, 5, 4, 3, 2), strict=True)) + (
        4 if prefix == "T" else 0
    )
    return prefix + d + "JZIHGFEDCBA"[total % 11]


def medicare(rng: random.Random) -> str:
    body = str(rng.randint(2, 6)) + _digits(rng, 7)
    check = sum(int(c) * w for c, w in zip(body, (1, 3, 7, 9, 1, 3, 7, 9), strict=True)) % 10
    d = body + str(check) + str(rng.randint(1, 9))
    return f"{d[:4]} {d[4:9]} {d[9]}"


def tckn(rng: random.Random) -> str:
    n = [rng.randint(1, 9)] + [int(c) for c in _digits(rng, 8)]
    tenth = ((n[0] + n[2] + n[4] + n[6] + n[8]) * 7 - (n[1] + n[3] + n[5] + n[7])) % 10
    n.append(tenth)
    n.append(sum(n) % 10)
    return "".join(map(str, n))


def za_id(rng: random.Random) -> str:
    body = _date(rng) + _digits(rng, 4) + "08"
    return body + _luhn_digit(body)


def rrn(rng: random.Random) -> str:
    return f"{_date(rng)}-{rng.randint(1, 4)}{_digits(rng, 6)}"


def sin(rng: random.Random) -> str:
    body = rng.choice("1234567") + _digits(rng, 7)
    d = body + _luhn_digit(body)
    return f"{d[:3]} {d[3:6]} {d[6:]}"


def hetu(rng: random.Random) -> str:
    date, serial = (
        f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(0, 99):02d}",
        _digits(rng, 3),
    )
    return (
        date
        + rng.choice("-A")
        + serial
        + "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(date + serial) % 31]
    )


def mbi(rng: random.Random) -> str:
    letters = "ACDEFGHJKMNPQRTUVWXY"
    return (
        f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}{rng.randint(0, 9)}-"
        f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(0, 9)}-"
        f"{rng.choice(letters)}{rng.choice(letters)}{_digits(rng, 2)}"
    )


# (format, generator, sentence): each number in a sentence of its own.
STANDALONE = [
    ("UK_NINO", nino, "My NI is {} for payroll."),
    ("ES_NIF", dni, "Mi documento: {}."),
    ("ES_NIE", nie, "Tengo el {} desde 2019."),
    ("IT_FISCAL_CODE", fiscal_code, "Il mio codice è {}, grazie."),
    ("IN_PAN", pan, "Billing to {} please."),
    ("SG_NRIC_FIN", nric, "Holder {} checked in."),
    ("AU_MEDICARE", medicare, "Card {} on file."),
    ("TR_NATIONAL_ID", tckn, "Başvuru {} kayıtlı."),
    ("ZA_ID_NUMBER", za_id, "Applicant {} verified."),
    ("KR_RRN", rrn, "Record {} updated."),
    ("CA_SIN", sin, "Employee {} onboarded."),
    ("FI_PERSONAL_IDENTITY_CODE", hetu, "Henkilö {} rekisterissä."),
    ("US_MBI", mbi, "Beneficiary {} enrolled."),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("entity", "make", "sentence"), STANDALONE, ids=[s[0] for s in STANDALONE])
def test_valid_number_is_found_under_its_format(entity, make, sentence, seed: int) -> None:
    value = make(random.Random(f"{entity}-{seed}"))
    assert (entity, value) in _ids(sentence.format(value))


def test_guardian_redacts_an_identity_number_and_says_which() -> None:
    value = nino(random.Random(1))
    verdict = asyncio.run(
        Guardian().check_input(f"Update the record for {value} today", GuardContext())
    )
    assert verdict.action == "redact"
    assert value not in verdict.text
    assert any("uk nino" in r for r in verdict.reasons)


def _break_check(value: str, at: int = -1) -> str:
    """``value`` with its check character (at ``at``) changed."""
    at %= len(value)
    old = value[at]
    pool = "0123456789" if old.isdigit() else _UPPER
    return value[:at] + pool[(pool.index(old) + 1) % len(pool)] + value[at + 1 :]


#: Where the check character stands, when not last (Medicare: before the issue number).
_CHECK_AT = {"AU_MEDICARE": -3}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("entity", "make", "sentence"),
    [
        s
        for s in STANDALONE
        if s[0] not in ("IT_FISCAL_CODE", "IN_PAN", "US_MBI", "KR_RRN", "UK_NINO")
    ],
    ids=[
        s[0]
        for s in STANDALONE
        if s[0] not in ("IT_FISCAL_CODE", "IN_PAN", "US_MBI", "KR_RRN", "UK_NINO")
    ],
)
def test_a_wrong_check_character_is_not_that_format(entity, make, sentence, seed: int) -> None:
    value = _break_check(make(random.Random(f"{entity}-{seed}")), _CHECK_AT.get(entity, -1))
    assert entity not in [e for e, _ in _ids(sentence.format(value))]


# Formats whose check passes too many random numbers: only after a word naming them.
NEEDS_A_WORD = [
    ("AU_TFN", "876 543 210", "Your TFN is {} for the form.", "Reference {} for the form."),
    ("IN_AADHAAR", "2345 6789 0124", "Aadhaar {} linked.", "Batch {} linked."),
    ("US_ITIN", "912-70-1234", "ITIN {} on the return.", "Code {} on the return."),
    ("UK_NHS", "9434765919", "NHS number {} on the letter.", "Tracking {} on the letter."),
    ("SE_PERSONNUMMER", "19811228-9874", "Personnummer {} finns.", "Build {} passed."),
]


@pytest.mark.parametrize(
    ("entity", "value", "said", "unsaid"), NEEDS_A_WORD, ids=[n[0] for n in NEEDS_A_WORD]
)
def test_weak_format_counts_only_after_its_word(entity, value, said, unsaid) -> None:
    found_said = [e for e, _ in _ids(said.format(value))]
    assert entity in found_said
    assert _ids(unsaid.format(value)) == []


@pytest.mark.parametrize(
    "text",
    [
        "My passport number is K47391826 and it expires in May.",
        "driver's license: D4821937",
        "Her passport: 563820174.",
    ],
)
def test_number_labelled_as_an_identity_document_is_found(text: str) -> None:
    assert [e for e, _ in _ids(text)] == ["ID_NUMBER"]


@pytest.mark.parametrize(
    "text",
    [
        # Order, build, ticket and invoice numbers; dates; versions; timestamps.
        "Order 2024-0517-3321 ships on Friday.",
        "Build 20240315-0042 passed 1432 of 1450 tests.",
        "Invoice 48213970 is due; see ticket 9120 4411 2290.",
        "Upgrade from 3.11.4 to 3.12.1 and rerun 2024-03-15.",
        "The job ran at 1733578494123 ms and again at 1733578499120.",
        "Reference 123 456 789 for the shipment.",
        "Part ABCDE1234F is back in stock.",
        "Customer record 907-99-7018 | tier=gold",
        "Apache License 2.0 and the MIT license apply.",
        "Passport photos must be 35x45 mm.",
        "Serial 00000000000 and 12345678900 are placeholders.",
    ],
)
def test_look_alike_stays_allowed(text: str) -> None:
    assert _ids(text) == []
    verdict = asyncio.run(Guardian().check_input(text, GuardContext()))
    assert verdict.action == "allow", verdict.reasons
