"""Session 15's secrets and PII categories (issue 20), each with seeded variants and the
look-alikes that must stay allowed:

- a key, token or secret said in prose (``my API key is …``): caught when the value
  reads as generated, allowed when it is prose, a date, a placeholder;
- German tax identification numbers (Steuer-IdNr) and pension insurance numbers
  (Rentenversicherungsnummer), checked by the issuers' rules;
- Thai national ID numbers, checked and said ("Thai ID", "TNIN", the Thai words);
- Korean foreigner registration numbers written solid, by their own check digit;
- identity documents named in Spanish, French, Italian, German, Dutch and Polish
  (pasaporte, passeport, Reisepass, Personalausweis, KVNR, permis de conduire, ...).

Every value is built at run time from a seed; check digits are computed here from the
issuer's published rule, not taken from any corpus.
"""

from __future__ import annotations

import asyncio
import random
import string

import pytest

from orchestration_kernel.guardian import GuardContext, Guardian, PIIDetector

SEEDS = range(8)
_CTX = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="secrec")


def _action(text: str) -> str:
    return asyncio.run(Guardian().check_input(text, _CTX)).action


def _entities(text: str) -> set[str]:
    return {f.entity for f in PIIDetector().find(text)}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


# --- keys said in prose ---------------------------------------------------------------


def _key(rng: random.Random, n: int = 32) -> str:
    """A generated key: letters and digits mixed, as an API issues them."""
    while True:
        value = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))
        if sum(c.isdigit() for c in value) >= 4 and sum(c.isalpha() for c in value) >= 8:
            return value


_SAID = (
    "my api key is {k}",
    "The token was {k}, please rotate it.",
    "our secret is: {k}",
    "The API key was set to {k} yesterday",
    "my amazon s3 key is {k}",
    "the credential is {k}",
)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", _SAID)
def test_a_generated_key_said_in_prose_is_caught(seed: int, form: str) -> None:
    rng = random.Random(seed)
    assert _action(form.format(k=_key(rng, rng.randint(24, 48)))) in ("block", "redact")


@pytest.mark.parametrize(
    "text",
    [
        "the key is in the drawer by the door",
        "The token is ERC20-compatible and the key is widely used",
        "the key is 2024-01-01T00:00:00Z for the first partition",
        "the secret is out: we ship on Monday",
        "the key is <your-api-key>, replace it before running",
        "my api key is xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "the token is abcdefghijklmnopqrstuvwxyz0123456789",
        "the key is version-2-of-the-schema-registry",
        "the key is F5 on most keyboards",
    ],
)
def test_prose_after_a_key_word_stays_allowed(text: str) -> None:
    assert _action(text) == "allow"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_key_fingerprint_said_in_prose_stays_allowed(seed: int) -> None:
    """``ssh-keygen -l`` prints a public key's fingerprint as SHA256:<43 base64>."""
    rng = random.Random(seed)
    b64 = string.ascii_letters + string.digits + "+/"
    fingerprint = "SHA256:" + "".join(rng.choice(b64) for _ in range(43))
    assert _action(f"The host key is {fingerprint} as expected") == "allow"


# --- German tax identification number --------------------------------------------------


def _mod11_10(body: str) -> str:
    """ISO 7064 MOD 11,10: the check digit the Bundeszentralamt für Steuern appends."""
    product = 10
    for ch in body:
        total = (int(ch) + product) % 10 or 10
        product = total * 2 % 11
    return str((11 - product) % 10)


def de_tax_id(rng: random.Random) -> str:
    """Ten digits, the first not 0, one digit used twice and one left out; a check digit."""
    while True:
        digits = rng.sample(string.digits, 9)
        digits.insert(rng.randrange(10), rng.choice(digits))
        body = "".join(digits)
        if body[0] != "0":
            return body + _mod11_10(body)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", ["{n}", "Meine Steuer-ID: {n}.", "IdNr. {n} liegt vor", "TIN {n}"])
def test_a_german_tax_id_is_found(seed: int, form: str) -> None:
    n = de_tax_id(random.Random(seed))
    assert "DE_TAX_ID" in _entities(form.format(n=n)) or _action(form.format(n=n)) != "allow"
    assert "DE_TAX_ID" in _entities(n) or "TR_NATIONAL_ID" in _entities(n)


@pytest.mark.parametrize("seed", SEEDS)
def test_numbers_that_fail_the_tax_id_rules_are_not_tax_ids(seed: int) -> None:
    rng = random.Random(seed)
    good = de_tax_id(rng)
    wrong_check = good[:10] + str((int(good[10]) + 1 + rng.randrange(9)) % 10)
    leading_zero = "0" + good[1:]
    four_times = good[0] * 4 + good[4:10] + good[10]
    for n in (wrong_check, leading_zero, four_times):
        assert "DE_TAX_ID" not in _entities(f"Steuer-ID: {n}")


# --- German pension insurance number ----------------------------------------------------

_RVNR_WEIGHTS = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)


def _rvnr_check(first_eleven: str) -> str:
    digits = first_eleven[:8] + f"{ord(first_eleven[8]) - 64:02d}" + first_eleven[9:11]
    total = sum(sum(divmod(int(c) * w, 10)) for c, w in zip(digits, _RVNR_WEIGHTS, strict=True))
    return str(total % 10)


def rvnr(rng: random.Random, *, month: int | None = None, day: int | None = None) -> str:
    """Area, birth date DDMMYY, the birth name's initial, a serial, the check digit."""
    area = f"{rng.randint(2, 89):02d}"
    dd = day if day is not None else rng.randint(1, 28) + rng.choice((0, 50))
    mm = month if month is not None else rng.randint(1, 12)
    body = f"{area}{dd:02d}{mm:02d}{rng.randint(0, 99):02d}"
    body += rng.choice(string.ascii_uppercase) + _digits(rng, 2)
    return body + _rvnr_check(body)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", ["{n}", "RVNR: {n} laut Ausweis", "Versicherungsnummer {n}"])
def test_a_german_pension_insurance_number_is_found(seed: int, form: str) -> None:
    assert "DE_SOCIAL_SECURITY" in _entities(form.format(n=rvnr(random.Random(seed))))


@pytest.mark.parametrize("seed", SEEDS)
def test_pension_number_look_alikes_stay_allowed(seed: int) -> None:
    rng = random.Random(seed)
    good = rvnr(rng)
    wrong_check = good[:11] + str((int(good[11]) + 1 + rng.randrange(9)) % 10)
    thirteenth_month = rvnr(rng, month=13)
    day_42 = rvnr(rng, day=42)
    digit_for_letter = good[:8] + "1" + good[9:]
    for n in (wrong_check, thirteenth_month, day_42, digit_for_letter):
        assert "DE_SOCIAL_SECURITY" not in _entities(f"Artikel {n} auf Lager")


# --- Thai national ID ------------------------------------------------------------------


def _tnin_check(first_twelve: str) -> str:
    total = sum(int(c) * w for c, w in zip(first_twelve, range(13, 1, -1), strict=True))
    return str((11 - total % 11) % 10)


def tnin(rng: random.Random, lead: str = "") -> str:
    """A holder kind 1-8, a province 10-27 or 30-58, eight digits, the check digit."""
    head = lead or rng.choice("12345678") + str(rng.choice((*range(10, 28), *range(30, 59))))
    body = head + _digits(rng, 12 - len(head))
    return body + _tnin_check(body)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "form", ["My Thai ID is {n}", "TNIN: {n}", "เลขบัตรประชาชน {n}", "Thai National ID {n}"]
)
def test_a_thai_national_id_said_is_found(seed: int, form: str) -> None:
    assert "TH_TNIN" in _entities(form.format(n=tnin(random.Random(seed))))


@pytest.mark.parametrize("seed", SEEDS)
def test_thai_id_look_alikes_stay_allowed(seed: int) -> None:
    rng = random.Random(seed)
    good = tnin(rng)
    wrong_check = good[:12] + str((int(good[12]) + 1 + rng.randrange(9)) % 10)
    assert "TH_TNIN" not in _entities(f"Thai ID: {wrong_check}")
    # An epoch-milliseconds timestamp of the same shape, valid by the check, said as one.
    stamp = tnin(rng, lead="173")
    assert _entities(f"created_at={stamp}") == set()


# --- Korean foreigner registration number ----------------------------------------------

_KR_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def _kr_sum(first_twelve: str) -> int:
    return sum(int(c) * w for c, w in zip(first_twelve, _KR_WEIGHTS, strict=True))


def frn(rng: random.Random) -> str:
    """A birth date, the seventh digit 5-8 (a foreign resident), five digits, the check
    digit: ``(13 - sum mod 11) mod 10``."""
    body = f"{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += rng.choice("5678") + _digits(rng, 5)
    return body + str((13 - _kr_sum(body) % 11) % 10)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", ["{n}", "His FRN is {n}", "외국인등록번호 {n}"])
def test_a_korean_foreigner_registration_number_is_found(seed: int, form: str) -> None:
    assert "KR_FRN" in _entities(form.format(n=frn(random.Random(seed))))


@pytest.mark.parametrize("seed", SEEDS)
def test_a_wrong_frn_check_digit_is_no_frn(seed: int) -> None:
    good = frn(random.Random(seed))
    for digit in "0123456789":
        if digit != good[12]:
            assert "KR_FRN" not in _entities(good[:12] + digit)


# --- identity documents named in other languages -----------------------------------------


def _alnum_doc(rng: random.Random, letters: int, digits: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(letters)) + _digits(
        rng, digits
    )


_NAMED_DOCS = (
    "Mi pasaporte es {a3d6}",
    "Numéro de passeport : {d2a2d5}",
    "Reisepass {a1d8} ausgestellt am 01.01.2020",
    "Personalausweis: {a1d8}.",
    "Ausweis Nr. {a1d8} gültig bis 2031",
    "KVNR: {a1d9}",
    "Krankenversichertennummer {a1d9}",
    "paspoort nummer {a2d7}",
    "Passport Number: {a1d8}",
    "{a1d8} is my passport number",
    "{a3d6} es mi número de pasaporte",
    "{d2a2d5} est mon numéro de passeport",
    "Licencia de conducir: {a1d8}",
    "permis de conduire n° {d2a2d5}",
    "carta d'identità {a2d7}",
    "Rijbewijs: {a1d8}",
    "Dowód osobisty {a3d6}",
)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", _NAMED_DOCS)
def test_a_number_after_a_document_word_in_other_languages_is_found(seed: int, form: str) -> None:
    rng = random.Random(seed)
    text = form.format(
        a3d6=_alnum_doc(rng, 3, 6),
        d2a2d5=_digits(rng, 2) + _alnum_doc(rng, 2, 5),
        a1d8=_alnum_doc(rng, 1, 8),
        a1d9=_alnum_doc(rng, 1, 9),
        a2d7=_alnum_doc(rng, 2, 7),
    )
    assert "ID_NUMBER" in _entities(text) or _action(text) != "allow"


@pytest.mark.parametrize(
    "text",
    [
        "Der Reisepass kostet 60 Euro und gilt 10 Jahre",
        "Ausweisung 12345678 bleibt ein Fremdwort hier",
        "the passport office opened in 1995",
        "Ausweis Nr. 12 liegt vor",
        "Mi pasaporte es azul y tiene 32 páginas",
        "id card readers ship with firmware v2",
        "12345 is the license fee this year",
        "la licencia de conducir cuesta 30 euros",
        "le permis de conduire se passe à 17 ans",
        "Invoice 2024-88812 is my passport renewal receipt",
    ],
)
def test_document_words_without_a_number_stay_allowed(text: str) -> None:
    assert "ID_NUMBER" not in _entities(text)
