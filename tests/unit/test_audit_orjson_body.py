"""The bytes a row's hash covers are the same whichever encoder makes them.

``chain.hashed_body`` makes a row's body with orjson when that gives the stdlib's bytes
(``json.dumps(values, separators=(",", ":"))``, what ``row_hash`` and every reader of the
trail hash), and with the stdlib otherwise. These tests hold the two to the same bytes
on rows of every awkward kind, and check which encoder made them.
"""

from __future__ import annotations

import json
import math
import random
import struct

import pytest

from orchestration_kernel.audit import chain
from orchestration_kernel.audit.chain import ChainKey, hashed_body, row_body
from orchestration_kernel.audit.events import COLUMNS, FIRST_LATER_COLUMN

orjson = pytest.importorskip("orjson")

FLOAT_SLOTS = [i for i, c in enumerate(COLUMNS) if c.kind == "float"]
TEXT_SLOTS = [i for i, c in enumerate(COLUMNS) if c.kind in ("text", "json", "time")]
INT_SLOTS = [i for i, c in enumerate(COLUMNS) if c.kind in ("int", "bool")]


def _row(rng: random.Random) -> list[object]:
    """A stored row of typical values (ASCII text, ints, floats, empty cells)."""
    row: list[object] = [None] * len(COLUMNS)
    for i in TEXT_SLOTS[:-1]:
        row[i] = "".join(rng.choice('abc XYZ-_:."\\/{}[]0123') for _ in range(rng.randint(0, 40)))
    for i in INT_SLOTS:
        row[i] = rng.randint(-(2**63), 2**63 - 1)
    for i in FLOAT_SLOTS:
        row[i] = rng.uniform(0, 5000)
    return row


def _expected(values: list[object]) -> bytes:
    """The stdlib's body of ``values`` (the unset later columns left out)."""
    end = len(values)
    while end > FIRST_LATER_COLUMN and values[end - 1] is None:
        end -= 1
    return json.dumps(values[:end], separators=(",", ":")).encode("ascii")


def _random_float(rng: random.Random) -> float:
    """A float of any magnitude and any bits (finite)."""
    while True:
        number: float = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(number):
            return number


class Spy:
    """orjson, counting the bodies it made."""

    def __init__(self) -> None:
        self.calls = 0

    def dumps(self, value: object) -> bytes:
        made: bytes = orjson.dumps(value)
        self.calls += 1  # only the bodies it made (it raises for what it refuses)
        return made


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    made = Spy()
    monkeypatch.setattr(chain, "_orjson", made)
    return made


def test_a_typical_row_is_made_by_orjson_with_the_stdlib_bytes(spy: Spy) -> None:
    rng = random.Random(7)
    for _ in range(300):
        row = _row(rng)
        assert hashed_body(row) == _expected(row)
    assert spy.calls == 300


@pytest.mark.parametrize(
    "text",
    [
        "caf\u00e9",  # non-ASCII: the stdlib escapes it, orjson writes UTF-8
        "del \x7f here",  # DEL: the stdlib escapes it, orjson writes it as is
        "\ud800 lone surrogate",  # orjson refuses it
        "emoji \U0001f600",
        "".join(chr(c) for c in range(0x80)),  # every ASCII character, controls included
        "\u2028\u2029",
    ],
)
def test_text_the_encoders_write_apart_has_the_stdlib_bytes(text: str) -> None:
    row = _row(random.Random(1))
    row[TEXT_SLOTS[3]] = text
    assert hashed_body(row) == _expected(row)


def test_every_ascii_control_character_is_escaped_alike(spy: Spy) -> None:
    row = _row(random.Random(2))
    row[TEXT_SLOTS[0]] = "".join(chr(c) for c in range(0x7F))  # all but DEL
    assert hashed_body(row) == _expected(row)
    assert spy.calls == 1  # orjson's own bytes were kept


@pytest.mark.parametrize(
    "number",
    [0.0, -0.0, 1e-4, 0.000123, 9.99e-5, 1e-5, 1e-7, 5e-324, 1e15, 1e16, 1e22, 1.5e300,
     123456789012345680.0, 2.5, -7.25e-6, math.nan, math.inf, -math.inf],
)  # fmt: skip
def test_floats_of_every_form_have_the_stdlib_bytes(number: float) -> None:
    row = _row(random.Random(3))
    for slot in FLOAT_SLOTS:
        row[slot] = number
    assert hashed_body(row) == _expected(row)


def test_random_floats_of_every_magnitude_have_the_stdlib_bytes() -> None:
    rng = random.Random(11)
    row = _row(rng)
    for _ in range(20_000):
        row[FLOAT_SLOTS[0]] = _random_float(rng)
        row[FLOAT_SLOTS[1]] = rng.uniform(-1, 1) * 10.0 ** rng.randint(-6, 20)
        assert hashed_body(row) == _expected(row)


def test_small_floats_are_left_to_the_stdlib(spy: Spy) -> None:
    row = _row(random.Random(4))
    row[FLOAT_SLOTS[-1]] = 1e-5  # a cheap call's cost
    assert hashed_body(row) == _expected(row)
    assert spy.calls == 0


def test_ints_past_64_bits_have_the_stdlib_bytes() -> None:
    row = _row(random.Random(5))
    row[INT_SLOTS[0]] = 2**70
    assert hashed_body(row) == _expected(row)


def test_a_later_column_set_or_unset_has_the_stdlib_bytes() -> None:
    row = _row(random.Random(6))
    assert hashed_body(row) == _expected(row)
    row[-1] = "input"
    assert hashed_body(row) == _expected(row)


def test_the_row_mac_of_the_body_is_the_row_hash() -> None:
    key = ChainKey(bytes(range(32)))
    rng = random.Random(8)
    for _ in range(50):
        row = _row(rng)
        assert key.row_mac("ab" * 32, 17, hashed_body(row)) == key.row_hash("ab" * 32, 17, row)
        assert hashed_body(row) == row_body(row[:FIRST_LATER_COLUMN]).encode("ascii")


def test_an_encoded_row_with_its_later_column_set_is_made_by_orjson(spy: Spy) -> None:
    class Encoded(tuple):  # type: ignore[type-arg]
        """A tuple subclass, as ``rows.EncodedRow`` is."""

    row = _row(random.Random(9))
    row[-1] = "output"  # nothing to leave out: the row itself goes to the encoder
    assert hashed_body(Encoded(row)) == _expected(row)
    assert spy.calls == 1
