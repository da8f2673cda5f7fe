"""Numbers in data are not identity numbers (guardian/data_numbers.py, the IBAN run-on),
and a service account's address is not a person's.

A DataFrame in a prompt renders as CSV (or JSON, or its repr): random floats hold
Luhn-valid 16-digit fractions, epoch milliseconds pass a Korean RRN's check, an MD5 digest
can start with a valid lower-case IBAN. Each was redacted as personal data; the same
numbers written as identifiers stay found. Every value is built at run time.
"""

from __future__ import annotations

import json
import random
import string

import pandas as pd
import pytest

from orchestration_kernel.guardian import Guardian
from orchestration_kernel.guardian.context import GuardContext
from orchestration_kernel.guardian.pii import PIIDetector, iban_valid, luhn_valid


def _with_luhn(body: str) -> str:
    """``body`` and the digit that makes it Luhn-valid."""
    return next(body + d for d in string.digits if luhn_valid(body + d))


def _cards(rng: random.Random, n: int) -> list[str]:
    return [_with_luhn("4" + "".join(rng.choices(string.digits, k=14))) for _ in range(n)]


def _luhn_floats(rng: random.Random, n: int) -> list[str]:
    """Floats whose 16 fraction digits pass Luhn, as a float column's text holds them."""
    return [f"0.{_with_luhn(str(rng.randint(1, 9)) + ''.join(rng.choices(string.digits, k=14)))}"
            for _ in range(n)]  # fmt: skip


def _entities(text: str) -> list[str]:
    return [f.entity for f in PIIDetector().find(text)]


def _rendered(frame: pd.DataFrame, render: str) -> str:
    if render == "list":  # a column as Python prints it: every float at full precision
        return str(frame.iloc[:, 0].tolist())
    return {
        "csv": frame.to_csv,
        "tsv": lambda: frame.to_csv(sep="\t"),
        "repr": frame.to_string,
        "json": lambda: frame.to_json(orient="records"),
    }[render]()


@pytest.mark.parametrize("render", ["csv", "tsv", "list"])
def test_a_frame_of_floats_holds_no_card_numbers(render: str) -> None:
    rng = random.Random(7)
    frame = pd.DataFrame({"x": [float(v) for v in _luhn_floats(rng, 40)], "y": range(40)})
    assert "CREDIT_CARD" not in _entities(_rendered(frame, render))


def test_a_decimal_point_glued_to_the_digits_makes_them_a_number() -> None:
    card = _cards(random.Random(1), 1)[0]
    assert _entities(f"ratio 0.{card} of the total") == []
    assert _entities(f"balance {card}.25 USD") == []
    # The same digits as a card: at a sentence's end, in a sentence, in JSON.
    assert _entities(f"my card is {card}.") == ["CREDIT_CARD"]
    assert _entities(f"pay with {card} today") == ["CREDIT_CARD"]
    assert _entities(f'{{"card": "{card}"}}') == ["CREDIT_CARD"]


@pytest.mark.parametrize("render", ["csv", "tsv", "repr", "json"])
def test_a_column_of_ids_that_mostly_fail_luhn_holds_no_cards(render: str) -> None:
    rng = random.Random(3)
    ids = ["4" + "".join(rng.choices(string.digits, k=15)) for _ in range(60)]
    assert sum(luhn_valid(i) for i in ids) >= 2  # some pass by chance
    frame = pd.DataFrame({"order_id": [int(i) for i in ids], "qty": range(60)})
    assert "CREDIT_CARD" not in _entities(_rendered(frame, render))
    # In sentences, each Luhn-valid one is still a card: the column rule reads tables only.
    prose = "\n".join(f"Customer {n} paid with {i} yesterday." for n, i in enumerate(ids))
    assert _entities(prose).count("CREDIT_CARD") == sum(luhn_valid(i) for i in ids)


def test_a_column_of_real_card_numbers_is_found_whole() -> None:
    cards = _cards(random.Random(5), 12)
    frame = pd.DataFrame({"card": [int(c) for c in cards], "amount": range(12)})
    assert _entities(frame.to_csv()).count("CREDIT_CARD") == 12
    assert _entities(frame.to_string()).count("CREDIT_CARD") == 12


def test_epoch_milliseconds_are_not_identity_numbers() -> None:
    rng = random.Random(11)
    stamps = [rng.randint(1_600_000_000_000, 1_799_999_999_999) for _ in range(400)]
    frame = pd.DataFrame({"ts": stamps, "value": range(400)})
    assert _entities(frame.to_csv()) == []


def _lower_iban(rng: random.Random) -> str:
    """A valid Andorran IBAN (24 characters) in lower case."""
    bban = "".join(rng.choices(string.digits, k=8)) + "".join(rng.choices("0123456789ab", k=12))
    digits = "".join(str(int(c, 36)) for c in (bban + "AD00").upper())
    return f"ad{98 - int(digits) % 97:02d}{bban}"


def test_a_hex_digest_that_starts_like_an_iban_is_no_iban() -> None:
    rng = random.Random(2)
    iban = _lower_iban(rng)
    assert iban_valid(iban.upper())
    assert _entities(f"pay to {iban} please") == ["IBAN"]
    digest = iban + "".join(rng.choices("0123456789abcdef", k=8))  # 32 hex-ish characters
    assert _entities(f"md5 {digest}") == []


def test_the_guardian_sends_a_frame_of_floats_unchanged() -> None:
    rng = random.Random(9)
    frame = pd.DataFrame({"x": [float(v) for v in _luhn_floats(rng, 30)]})
    text = f"Describe this data: {frame.to_csv()}"
    verdict = Guardian().check_sync(text, GuardContext(), "input")
    assert verdict.action == "allow" and verdict.text == text


def _versions(rng: random.Random, n: int) -> list[str]:
    """Version strings as package lists write them: mostly three parts, some four."""
    out = []
    for _ in range(n):
        parts = [rng.randint(0, 12), rng.randint(0, 40), rng.randint(0, 9)]
        out.append(".".join(map(str, parts + ([rng.randint(1, 9)] if rng.random() < 0.4 else []))))
    return out


def test_four_part_versions_are_not_ip_addresses() -> None:
    rng = random.Random(4)
    versions = _versions(rng, 40)
    assert any(v.count(".") == 3 for v in versions)
    # A list in one cell, a column headed "version" (each row holds one), a run-on.
    listed = "newer releases: " + " ".join(versions)
    column = "name\tversion\n" + "\n".join(f"pkg{i}\t{v}" for i, v in enumerate(versions))
    assert "IP_ADDRESS" not in _entities(listed)
    assert "IP_ADDRESS" not in _entities(column)
    assert _entities("pinned at 1.7.1.3.post3 since May") == []
    # Addresses stay addresses: a list of them, a column of them, one in a sentence.
    hosts = [f"203.0.113.{rng.randint(1, 254)}" for _ in range(8)]
    assert _entities(" ".join(hosts)).count("IP_ADDRESS") == 8
    table = "host,port\n" + "\n".join(f"{h},443" for h in hosts)
    assert _entities(table).count("IP_ADDRESS") == 8
    assert _entities("the server at 203.0.113.7 is down") == ["IP_ADDRESS"]


def test_a_column_of_phone_numbers_is_found_whole() -> None:
    """The column rule keeps a column whose cells are what was found in them."""
    rng = random.Random(8)
    phones = [f"+1 415 555 {rng.randint(100, 199):04d}" for _ in range(10)]
    contacts = pd.DataFrame({"name": [f"n{i}" for i in range(10)], "phone": phones})
    text = contacts.to_csv()
    spans = [(f.start, f.end) for f in PIIDetector().find(text) if f.entity == "PHONE_NUMBER"]
    for phone in phones:
        at = text.index(phone)
        assert any(s <= at and at + len(phone) <= e for s, e in spans), phone


def test_a_service_account_address_is_a_machine_not_a_person() -> None:
    """A GCP key file's ``client_email`` names a service account; a person's address,
    or one that only mentions the domain, is still personal data."""
    rng = random.Random(6)
    project = f"proj-{rng.randint(100000, 999999)}"
    address = f"builder@{project}.iam.gserviceaccount.com"
    key_file = json.dumps(
        {"type": "service_account", "project_id": project, "client_email": address}
    )
    assert "EMAIL" not in _entities(key_file)
    assert _entities(f"{rng.randint(10**11, 10**12)}-compute@developer.gserviceaccount.com") == []
    assert _entities("write to jane.doe@example.org today") == ["EMAIL"]
    assert _entities("x@gserviceaccount.com.example.org") == ["EMAIL"]
