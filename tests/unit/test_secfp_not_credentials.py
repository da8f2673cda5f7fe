"""Values that take a credential's place but are not one (issue 20, false positives on the
public corpora behind the development set), each category with seeded variants that
stay caught and benign look-alikes that stay allowed. Every key-shaped value is built at
run time from a seeded draw; none is written here.

- a vendor token whose body is mostly runs of one character (typed to fill a sample);
- a value that opens with a vendor's prefix but is not in that vendor's form (judged
  by what follows the prefix);
- a time-based (version 1) UUID under a key name: a clock reading and a node;
- ``key`` in another sense: ``keyCode``, ``key_frame``, ``KEY_SELECTOR``;
- the next option of a comma-separated list (``type=secret,id=…``).
"""

from __future__ import annotations

import random
import re
import string
import uuid

import pytest

from orchestration_kernel.guardian import Guardian
from orchestration_kernel.guardian.placeholders import is_time_uuid, mostly_runs
from orchestration_kernel.guardian.secret_formats import TOKEN_FORMATS, TokenFormat
from tests.unit.test_guardian_public_categories import _token, check, secret_entities

_B62 = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


def _draw(rng: random.Random, alphabet: str, n: int) -> str:
    """``n`` characters drawn at random, with a digit and a letter."""
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


# -- a body that is mostly runs ----------------------------------------------------------


def _in_runs(body: str, rng: random.Random) -> str:
    """``body`` with each alphanumeric stretch rewritten as runs of its own characters
    (three to eight of one character at a time), delimiters left where they are."""
    out: list[str] = []
    i = 0
    while i < len(body):
        if not body[i].isalnum():
            out.append(body[i])
            i += 1
            continue
        j = i
        while j < len(body) and body[j].isalnum():
            j += 1
        stretch = ""
        while len(stretch) < j - i:
            stretch += body[i + len(stretch)] * rng.randint(3, 8)
        out.append(stretch[: j - i])
        i = j
    return "".join(out)


def _runs_cases() -> list[tuple[TokenFormat, str, str]]:
    """(format, a random token, the same token in runs) for each delimited row whose
    pattern still matches the runs version whole (so the row's check is what judges)."""
    cases = []
    for n, fmt in enumerate(TOKEN_FORMATS):
        if not fmt.delimited or fmt.checksum is not None:
            continue
        token = _token(fmt, seed=1000 + n)
        prefix = next(p for p in fmt.prefixes if token.startswith(p))
        body = token[len(prefix) :]
        runs = prefix + _in_runs(body, random.Random(n))
        pattern = re.compile("(?:" + "|".join(map(re.escape, fmt.prefixes)) + ")" + fmt.body)
        if len(body) >= 16 and pattern.fullmatch(runs) and mostly_runs(runs[len(prefix) :]):
            cases.append((fmt, token, runs))
    return cases


_RUNS = _runs_cases()


def test_the_runs_cases_cover_many_vendors() -> None:
    assert len({fmt.vendor for fmt, _, _ in _RUNS}) >= 20


@pytest.mark.parametrize(
    ("fmt", "token", "runs"), _RUNS, ids=[f"{f.vendor}:{f.prefixes[0]}" for f, _, _ in _RUNS]
)
def test_a_vendor_body_of_runs_is_a_sample(fmt: TokenFormat, token: str, runs: str) -> None:
    assert fmt.entity in secret_entities(f"the deploy used {token} today")
    assert fmt.entity not in secret_entities(f"the deploy used {runs} today"), runs


def test_generated_values_are_not_mostly_runs() -> None:
    rng = random.Random(20)
    for alphabet in (_B62, _HEX, string.digits):
        for _ in range(2000):
            value = "".join(rng.choice(alphabet) for _ in range(rng.randint(12, 64)))
            assert not mostly_runs(value), value


@pytest.mark.parametrize("seed", range(6))
def test_runs_under_a_key_name_are_a_sample_and_a_drawn_value_is_not(seed: int) -> None:
    rng = random.Random(seed)
    value = _draw(rng, _B62, 32)
    assert check(f'api_token = "{value}"') == "block"
    assert check(f'api_token = "{_in_runs(value, rng)}"') == "allow"


# -- a vendor's prefix on a value not in the vendor's form -------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_a_vendor_prefix_on_a_short_number_is_a_sample(seed: int) -> None:
    rng = random.Random(seed)
    digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(8, 12)))
    for prefix in ("xoxp-", "xoxb-"):
        assert check(f'"token{seed}": "{prefix}{digits}"') == "allow"
        # The vendor's own form under the same name is caught ...
        team = rng.randint(10**9, 10**12)
        assert check(f'"token{seed}": "{prefix}{team}-{_draw(rng, _B62, 24)}"') == "block"
        # ... and so is a value that reads as generated after the prefix.
        assert check(f'"token{seed}": "{prefix}{_draw(rng, _B62, 24)}"') == "block"


# -- a time-based UUID -------------------------------------------------------------------


def _uuid1(rng: random.Random) -> str:
    # A clock reading between 2000 and 2040 (uuid1 itself reads the machine's clock).
    ticks = (rng.randint(946_684_800, 2_208_988_800) + 12_219_292_800) * 10_000_000
    return str(
        uuid.UUID(
            fields=(
                ticks & 0xFFFFFFFF,
                (ticks >> 32) & 0xFFFF,
                (ticks >> 48) & 0x0FFF | 0x1000,
                0x80 | rng.randint(0, 0x3F),
                rng.randint(0, 0xFF),
                rng.randint(0, 2**48 - 1),
            )
        )
    )


_KEY_NAMES = ("api_token", "client_secret", "_authToken", "SERVICE_KEY", "accessToken")


@pytest.mark.parametrize("seed", range(8))
def test_a_time_based_uuid_under_a_key_name_is_an_identifier(seed: int) -> None:
    rng = random.Random(seed)
    name = _KEY_NAMES[seed % len(_KEY_NAMES)]
    value = _uuid1(rng)
    assert is_time_uuid(value) and is_time_uuid(str(uuid.uuid1()))
    assert check(f"{name}={value}") == "allow"
    assert check(f'{name}: "{value.upper()}"') == "allow"
    # A random (version 4) UUID is a secret there.
    assert check(f"{name}={uuid.UUID(int=rng.getrandbits(128), version=4)}") == "block"


@pytest.mark.parametrize("seed", range(4))
def test_a_time_based_uuid_in_a_credential_form_is_still_caught(seed: int) -> None:
    value = _uuid1(random.Random(seed))
    assert check(f"//registry.npmjs.org/:_authToken={value}") == "block"
    # Pasted into a log line, the .npmrc key still scopes it, and it is redacted.
    line = f"[npm] wrote //npm.example.com/repo/:_authToken= {value} to the config"
    assert check(line) == "block"
    assert value not in Guardian().redact(line)
    assert check(f"export PGPASSWORD={value}") == "block"  # a password is judged whole


def test_a_uuid_shaped_value_with_no_date_in_range_is_not_time_based() -> None:
    rng = random.Random(7)
    for _ in range(50):
        value = str(uuid.UUID(int=rng.getrandbits(128), version=1))
        # Version 1 by its digit, but time_high 0xfff reads as a date centuries away.
        far = value[:15] + "fff" + value[18:]
        assert not is_time_uuid(far)
        assert check(f"api_token={far}") == "block"


# -- key in another sense ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "keyCode",
        "key_code",
        "KEY_FRAME",
        "keyFrames",
        "keySignature",
        "key_selector",
        "o.keySelector",
        "KeyUp",
        "keyDown",
        "key_press",
        "keyPressed",
        "keyStroke",
        "KeyMeshing",
        "keyWord",
    ],
)
def test_key_in_another_sense_is_not_a_credential(name: str) -> None:
    value = _draw(random.Random(len(name)), _B62, 20)
    assert check(f'{name} = "{value}"') == "allow"


@pytest.mark.parametrize(
    "name", ["key", "api_key", "secretKey", "KEY_VALUE", "signing_key", "keys", "codeKey"]
)
def test_key_as_a_credential_stays_caught(name: str) -> None:
    value = _draw(random.Random(len(name)), _B62, 20)
    assert check(f'{name} = "{value}"') == "block"


# -- a comma-separated option list -------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_the_next_option_of_a_list_is_not_a_value(seed: int) -> None:
    rng = random.Random(seed)
    name = f"build_{_draw(rng, string.ascii_lowercase + string.digits, 8)}"
    assert check(f"RUN --mount=type=secret,id={name} cat /run/secrets/{name}") == "allow"
    assert check(f"secret,id={_draw(rng, _B62, 24)}") == "allow"
    # A value after the comma is still a value.
    assert check(f"secret,{_draw(rng, _B62, 24)}") == "block"


# -- lower-case words joined as a name, unquoted, under a password key -------------------


def _slug(rng: random.Random) -> str:
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 8)))]
    words += ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 8)))]
    return rng.choice("-_").join(words)


@pytest.mark.parametrize("seed", range(6))
def test_unquoted_joined_words_under_a_password_key_are_a_name(seed: int) -> None:
    rng = random.Random(seed)
    slug = _slug(rng)
    name = rng.choice(("ibm-cloud-pwd", "db_password", "PASSWD", "smtp.password"))
    assert check(f"{name} = {slug}") == "allow"
    # Quoted, it is a chosen password; with a digit or a capital, not a name.
    assert check(f'{name} = "{slug}"') == "block"
    assert check(f"{name} = {slug}{rng.randint(2, 99)}") == "block"
    assert check(f"{name} = {slug.capitalize()}") == "block"
