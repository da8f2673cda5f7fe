"""Phone numbers written with the international "00" prefix instead of "+"
(``00420 ...``), of any country, not only the default regions. Values come from
libphonenumber's own example numbers, built at run time."""

from __future__ import annotations

import phonenumbers
import pytest

from orchestration_kernel.guardian import PIIDetector

# Countries outside the default regions, across numbering plans.
REGIONS = ["CZ", "SK", "PL", "AT", "CH", "PT", "GR", "TR", "AE", "PS", "KE", "MX", "KR", "AR"]


def _abroad(region: str, kind: phonenumbers.PhoneNumberType) -> str:
    """The region's example number of ``kind``, written "00" + country code + groups."""
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None
    spaced = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return "00" + spaced[1:]


def _phones(text: str) -> list[str]:
    found = PIIDetector().find(text)
    return [text[f.start : f.end] for f in found if f.entity == "PHONE_NUMBER"]


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize(
    "kind", [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
)
def test_number_dialled_with_00_is_found(region: str, kind: phonenumbers.PhoneNumberType) -> None:
    value = _abroad(region, kind)
    assert _phones(f"Reach me on {value} after six.") == [value]
    # The same digits run together count after a phone word.
    bare = value.replace(" ", "").replace("-", "")
    assert _phones(f"Call me at {bare} tomorrow.") == [bare]


@pytest.mark.parametrize("region", REGIONS)
def test_invalid_or_unlabelled_00_numbers_are_not_phones(region: str) -> None:
    value = _abroad(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    digits = value.replace(" ", "").replace("-", "")
    # A country code no country has.
    assert _phones(f"Reach me on 00999 {digits[-8:-4]} {digits[-4:]} after six.") == []
    # Run-together digits without a phone word: an id, a reference.
    assert _phones(f"Batch {digits} was archived.") == []
