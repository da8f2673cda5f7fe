"""Twelve-digit Maestro card numbers (the shortest Maestro length, and the only one
Faker writes): found after a card word with a Maestro prefix and a valid Luhn digit;
other twelve-digit numbers stay allowed. Numbers are built at run time."""

from __future__ import annotations

import random

import pytest

from orchestration_kernel.guardian import PIIDetector, luhn_valid

PREFIXES = ["5018", "5020", "5038", "56", "57", "58", "6304", "6759", "6761", "6763"]


def _luhn_complete(prefix: str, rng: random.Random, length: int = 12) -> str:
    """``prefix``, random digits and the Luhn check digit: ``length`` digits in all."""
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("no Luhn digit")  # pragma: no cover - one of ten always fits


def _cards(text: str) -> list[str]:
    return [text[f.start : f.end] for f in PIIDetector().find(text) if f.entity == "CREDIT_CARD"]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("seed", range(3))
def test_maestro_12_after_a_card_word_is_found(prefix: str, seed: int) -> None:
    value = _luhn_complete(prefix, random.Random(f"{prefix}{seed}"))
    grouped = " ".join(value[i : i + 4] for i in range(0, 12, 4))
    for written in (value, grouped):
        assert _cards(f"Charge my card {written} please.") == [written]
        assert _cards(f"Maestro: {written}") == [written]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_look_alikes_stay_allowed(prefix: str) -> None:
    rng = random.Random(prefix)
    value = _luhn_complete(prefix, rng)
    wrong_luhn = value[:-1] + str((int(value[-1]) + 1) % 10)
    # No card word: an order, a tracking or an account number.
    assert _cards(f"Order {value} shipped today.") == []
    assert _cards(f"Charge my card {wrong_luhn} please.") == []
    # Not a Maestro prefix (Visa's 4 has 13 digits at least).
    other = _luhn_complete("41", rng)
    assert _cards(f"Charge my card {other} please.") == []
    # Glued into a longer token.
    assert _cards(f"Card ref A{value} and {value}9 noted.") == []
