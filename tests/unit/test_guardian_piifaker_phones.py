"""North American phone numbers as generators write them (Faker's en_US ones among them):
an extension run straight on with an "x" ("555-0100x1234") and a "1-" or "001-" prefix are
part of the number; a number that runs on into another letter stays an id."""

from __future__ import annotations

import random

import pytest

from orchestration_kernel.guardian import PIIDetector


def _nanp(rng: random.Random) -> tuple[str, str, str]:
    """An area code (2-9 first), an exchange and a line number, at random."""
    return (
        f"{rng.randint(2, 9)}{rng.randint(0, 99):02d}",
        f"{rng.randint(2, 9)}{rng.randint(0, 99):02d}",
        f"{rng.randint(0, 9999):04d}",
    )


def _shapes(rng: random.Random) -> list[str]:
    """The same number in the dotted, dashed, parenthesised and prefixed forms, each with
    an extension of one to five digits."""
    area, exchange, line = _nanp(rng)
    ext = str(rng.randint(0, 99999)).zfill(rng.randint(1, 5))
    return [
        f"{area}.{exchange}.{line}x{ext}",
        f"{area}-{exchange}-{line}x{ext}",
        f"({area}){exchange}-{line}x{ext}",
        f"001-{area}-{exchange}-{line}x{ext}",
        f"001-{area}-{exchange}-{line}",
        f"1-{area}-{exchange}-{line}",
        f"{area}-{exchange}-{line}X{ext}",
    ]


@pytest.mark.parametrize("seed", range(20))
def test_whole_number_with_extension_and_prefix_is_one_phone(seed: int) -> None:
    for value in _shapes(random.Random(seed)):
        text = f"Call me at {value} tomorrow."
        found = [f for f in PIIDetector().find(text) if f.entity == "PHONE_NUMBER"]
        assert [text[f.start : f.end] for f in found] == [value]


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("suffix", ["a12", "b7", "xy", "x1234567", "_x1"])
def test_number_running_on_into_other_letters_is_not_a_phone(seed: int, suffix: str) -> None:
    area, exchange, line = _nanp(random.Random(seed))
    text = f"Order ref {area}-{exchange}-{line}{suffix} shipped."
    assert all(f.entity != "PHONE_NUMBER" for f in PIIDetector().find(text))


@pytest.mark.parametrize("lead", ["2001-", "v1.", "a1-", "11-"])
def test_prefix_inside_another_token_is_not_taken(lead: str) -> None:
    area, exchange, line = _nanp(random.Random(7))
    value = f"{area}-{exchange}-{line}"
    text = f"Build {lead}{value} passed."
    spans = [text[f.start : f.end] for f in PIIDetector().find(text)]
    assert all(not s.startswith(("1", "0")) or s == value for s in spans)
