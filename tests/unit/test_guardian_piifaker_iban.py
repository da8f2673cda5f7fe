"""IBANs beyond the first registry table: the countries SWIFT's registry added since
(Russia, Oman, Yemen, ...), and, written right after the word "IBAN", a value of a country
outside the registry whose check digits pass mod 97. Values are built here at run time."""

from __future__ import annotations

import random
import string

import pytest

from orchestration_kernel.guardian import PIIDetector, iban_valid

#: Registry countries added to the table, with their lengths.
ADDED = {
    "BI": 27,
    "DJ": 27,
    "FK": 18,
    "HN": 28,
    "LY": 25,
    "MN": 20,
    "NI": 28,
    "OM": 23,
    "RU": 33,
    "SD": 18,
    "SO": 23,
    "YE": 30,
}


def _with_check(country: str, bban: str) -> str:
    """``country`` + the two check digits that make ``bban`` pass mod 97."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _bban(rng: random.Random, n: int) -> str:
    """Four capitals (a bank code), then digits."""
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
        rng.choice(string.digits) for _ in range(n - 4)
    )


def _spaced(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def _ibans(text: str) -> list[str]:
    return [text[f.start : f.end] for f in PIIDetector().find(text) if f.entity == "IBAN"]


@pytest.mark.parametrize(("country", "length"), sorted(ADDED.items()))
def test_added_registry_countries_are_found_compact_and_spaced(country: str, length: int) -> None:
    rng = random.Random(country)
    value = _with_check(country, _bban(rng, length - 4))
    assert iban_valid(value)
    for written in (value, _spaced(value)):
        assert _ibans(f"Pay to {written} by Friday.") == [written]


@pytest.mark.parametrize("country", sorted(ADDED))
def test_added_countries_with_wrong_check_or_length_are_not_ibans(country: str) -> None:
    rng = random.Random(country)
    value = _with_check(country, _bban(rng, ADDED[country] - 4))
    wrong_check = value[:2] + f"{(int(value[2:4]) + 1) % 100:02d}" + value[4:]
    assert not iban_valid(wrong_check)
    assert not iban_valid(_with_check(country, _bban(rng, ADDED[country] - 5)))
    assert _ibans(f"Pay to {wrong_check} by Friday.") == []


@pytest.mark.parametrize("country", ["BD", "TH", "AR", "CO", "PH", "IR", "NG", "US"])
@pytest.mark.parametrize("length", [15, 20, 28])
def test_labelled_iban_of_an_unlisted_country_is_found(country: str, length: int) -> None:
    value = _with_check(country, _bban(random.Random(f"{country}{length}"), length - 4))
    for written in (value, _spaced(value)):
        assert _ibans(f"My IBAN is {written} today.") == [written]
        assert _ibans(f"IBAN: {written}") == [written]


@pytest.mark.parametrize("country", ["BD", "TH", "AR", "CO"])
def test_unlisted_country_needs_the_label_and_the_check_digits(country: str) -> None:
    value = _with_check(country, _bban(random.Random(country), 20))
    # No label: a code of this shape is as likely an order or parcel number.
    assert _ibans(f"Order {value} shipped.") == []
    wrong = value[:2] + f"{(int(value[2:4]) + 1) % 100:02d}" + value[4:]
    assert _ibans(f"My IBAN is {wrong} today.") == []
    # Too short for any IBAN.
    short = _with_check(country, _bban(random.Random(country), 9))
    assert _ibans(f"My IBAN is {short} today.") == []
