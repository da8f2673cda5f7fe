"""Session 16's PII categories (issue 20), each with seeded variants and look-alikes:

- identity numbers after the acronym that names them, confirmed by the issuer's check
  (Brazil's CPF, Romania's CNP, Argentina's CUIL/CUIT, Portugal's NIF, France's NIR,
  China's resident ID), a CURP anywhere, an Argentine/Peruvian DNI of digits; the same
  number with a wrong check digit, or with no word naming it, stays allowed;
- phone numbers after a phone word in the default regions' languages (teléfono,
  téléphone, Telefon, telefoon, celular); the digits counted in order (``123456789``)
  and international numbers of no country or too long are no phone.

Every value is built at run time from a seed; check digits are computed here from each
issuer's published rule.
"""

from __future__ import annotations

import random
import string

import pytest

from orchestration_kernel.guardian import PIIDetector

SEEDS = range(8)


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.entity, text[f.start : f.end]) for f in PIIDetector().find(text)]


def _digits(rng: random.Random, n: int, first: str = string.digits) -> str:
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _cpf(rng: random.Random) -> str:
    d = _digits(rng, 9)
    for n in (9, 10):
        d += str(sum(int(d[i]) * (n + 1 - i) for i in range(n)) * 10 % 11 % 10)
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"


def _cnp(rng: random.Random) -> str:
    d = (
        rng.choice("1256")
        + f"{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    )
    d += _digits(rng, 5)  # the county and the order
    total = sum(int(a) * int(w) for a, w in zip(d, "279146358279", strict=True)) % 11
    return d + str(1 if total == 10 else total)


def _cuit(rng: random.Random) -> str:
    while True:
        d = rng.choice(["20", "23", "27"]) + _digits(rng, 8)
        check = 11 - sum(int(a) * int(w) for a, w in zip(d, "5432765432", strict=True)) % 11
        if check != 10:  # (10 is written 9 for a CUIL and re-typed for a CUIT)
            return f"{d[:2]}-{d[2:]}-{0 if check == 11 else check}"


def _pt_nif(rng: random.Random) -> str:
    d = _digits(rng, 8, "1235689")
    rest = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
    return d + str(0 if rest < 2 else 11 - rest)


def _nir(rng: random.Random) -> str:
    body = (
        rng.choice("12")
        + f"{rng.randint(40, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}"
        + _digits(rng, 6)
    )
    return body + f"{97 - int(body) % 97:02d}"


def _ric(rng: random.Random) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    d = _digits(rng, 6, "1234567") + f"{rng.randint(1950, 2010)}{rng.randint(1, 12):02d}"
    d += f"{rng.randint(1, 28):02d}" + _digits(rng, 3)
    return d + "10X98765432"[sum(int(c) * w for c, w in zip(d, weights, strict=True)) % 11]


def _curp(rng: random.Random) -> str:
    values = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
    consonants = "BCDFGHJKLMNPQRSTVWXYZ"
    head = (
        rng.choice(consonants)
        + rng.choice("AEIOU")
        + "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
        + f"{rng.randint(40, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        + rng.choice("HM")
        + rng.choice(["DF", "JC", "NL", "GR", "VZ"])
        + "".join(rng.choice(consonants) for _ in range(3))
        + rng.choice(string.digits)
    )
    total = sum(values.index(c) * (18 - i) for i, c in enumerate(head))
    return head + str((10 - total % 10) % 10)


def _spoil(value: str) -> str:
    """The value with its last digit changed: the check fails."""
    last = value[-1]
    digit = str((int(last) + 1) % 10) if last.isdigit() else "1"
    return value[:-1] + digit


_NAMED = (
    ("O número do CPF é {v}.", _cpf, "BR_CPF"),
    ("CNP: {v}", _cnp, "RO_CNP"),
    ("El CUIL es {v}", _cuit, "AR_CUIT"),
    ("Meu NIF é {v}", _pt_nif, "PT_NIF"),
    ("NIR {v}.", _nir, "FR_NIR"),
    ("公民身份号码 {v}", _ric, "CN_RIC"),
    ("Mi número de CURP es {v}", _curp, "MX_CURP"),
)


_NAMED_CASES = [
    (form, make(random.Random(f"{seed}:{entity}")), entity)
    for form, make, entity in _NAMED
    for seed in SEEDS
]


@pytest.mark.parametrize(("form", "value", "entity"), _NAMED_CASES)
def test_a_named_number_is_found_only_when_its_check_passes(
    form: str, value: str, entity: str
) -> None:
    assert (entity, value) in _found(form.format(v=value))
    spoiled = _spoil(value)
    assert entity not in {e for e, _ in _found(form.format(v=spoiled))}, spoiled


@pytest.mark.parametrize("seed", SEEDS)
def test_a_cpf_with_no_word_naming_it_is_not_a_cpf(seed: int) -> None:
    value = _cpf(random.Random(seed))
    assert "BR_CPF" not in {e for e, _ in _found(f"order {value} shipped")}


@pytest.mark.parametrize(
    ("text", "value"),
    [("El DNI es {a}.{b}.{c}", True), ("DNI: {a}{b}{c}", True), ("El DNI es 1{a}.{b}.{c}", False)],
)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_dni_of_digits_in_its_written_forms(text: str, value: bool, seed: int) -> None:
    rng = random.Random(seed)
    filled = text.format(a=rng.randint(10, 45), b=_digits(rng, 3), c=_digits(rng, 3))
    assert bool(_found(filled)) is value


# --- phone numbers --------------------------------------------------------------------


def _es_mobile(rng: random.Random) -> str:
    return "6" + "".join(rng.choice(string.digits) for _ in range(8))


_PHONE_WORDS = (
    "Los teléfonos son {v} y nada más",
    "Mi teléfono: {v}",
    "Meu celular é {v}",
    "Téléphone : {v}",
    "Telefon {v}",
    "telefoon {v}",
    "Tél. {v}",
)


@pytest.mark.parametrize(
    ("form", "rng"), [(f, random.Random(f"{s}:{f}")) for f in _PHONE_WORDS for s in SEEDS]
)
def test_a_national_number_after_a_phone_word_in_its_language(
    form: str, rng: random.Random
) -> None:
    value = _es_mobile(rng)
    assert ("PHONE_NUMBER", value) in _found(form.format(v=value))


@pytest.mark.parametrize("form", _PHONE_WORDS)
def test_digits_counted_in_order_are_no_phone(form: str) -> None:
    assert _found(form.format(v="123456789")) == []


@pytest.mark.parametrize("seed", SEEDS)
def test_an_international_number_of_no_country_or_too_long_is_no_phone(seed: int) -> None:
    rng = random.Random(seed)
    national = _es_mobile(rng)
    assert ("PHONE_NUMBER", f"+34 {national}") in _found(f"phone number: +34 {national}")
    assert _found(f"phone number: +999 {national}") == []  # no country has 999
    too_long = _found(f"phone number: +34{national}{_digits(rng, 4)}")
    assert "PHONE_NUMBER" not in {e for e, _ in too_long}


def test_tensorflow_before_a_number_is_no_phone_word() -> None:
    assert _found("x = tf.constant(612345678)") == []
