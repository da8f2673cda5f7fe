"""Password hashes Apache's htpasswd writes (bcrypt ``$2y$``, ``$apr1$``, ``{SHA}``), a
setting's own name or a note standing where its value goes (``DB_PASSWORD=DB_PASSWORD``,
``KEY: "Get this from elsewhere"``), Make/Compose's escaped variables (``$$PASSWORD``),
and National Insurance numbers written ``AB 123 456 C``. Every value is built at run time
from a seed; no case text of a public corpus is here.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import string

import pytest

from orchestration_kernel.guardian import GuardContext, Guardian
from orchestration_kernel.guardian.placeholders import is_placeholder

_CRYPT64 = "./" + string.digits + string.ascii_uppercase + string.ascii_lowercase
SEEDS = range(6)


def _action(text: str) -> str:
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="seccorp")
    return asyncio.run(Guardian().check_input(text, ctx)).action


def _crypt64(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_CRYPT64) for _ in range(n))


def _bcrypt(seed: int) -> str:
    rng = random.Random(seed)
    return f"${rng.choice(['2y', '2b', '2a'])}${rng.randint(4, 14):02d}${_crypt64(rng, 53)}"


def _apr1(seed: int) -> str:
    rng = random.Random(seed)
    return f"$apr1${_crypt64(rng, 8)}${_crypt64(rng, 22)}"


def _sha(seed: int) -> str:
    digest = hashlib.sha1(f"seccorp-{seed}".encode()).digest()
    return "{SHA}" + base64.b64encode(digest).decode()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("make", [_bcrypt, _apr1, _sha])
@pytest.mark.parametrize(
    "form",
    [
        "{user}:{h}",
        "<passwordHash>#jbcrypt:{h}</passwordHash>",
        'password_hash = "{h}"',
        "the stored hash for {user} is {h}",
    ],
)
def test_password_hashes_are_caught(form: str, make, seed: int) -> None:  # type: ignore[no-untyped-def]
    user = random.Random(seed).choice(["admin", "deploy", "jenkins", "alice"])
    assert _action(form.format(user=user, h=make(seed))) != "allow"


@pytest.mark.parametrize(
    "text",
    [
        "htpasswd -B writes $2y$ hashes and -m writes $apr1$ ones; {SHA} is insecure.",
        "It costs $2 or $5 and the $apr1 prefix marks Apache MD5.",
        "admin:$2y$10$short",
    ],
)
def test_hash_prefixes_without_a_hash_are_allowed(text: str) -> None:
    assert _action(text) == "allow"


@pytest.mark.parametrize(
    "text",
    [
        "    - DB_PASSWORD=DB_PASSWORD",
        "TRAVEL_API_KEY: TRAVEL_API_KEY",
        'api_secret = "$API_SECRET"',
        "SMTP_PASSWORD=${SMTP_PASSWORD}",
        '  S3_ARCHIVE_ACCESS_KEY: "Get this from elsewhere"',
        'deploy_token: "ask the release manager"',
        "    <o2_variable_password>$$password</o2_variable_password>",
        "DB_PASS=$$DB_PASS",
    ],
)
def test_names_notes_and_escaped_variables_are_allowed(text: str) -> None:
    assert _action(text) == "allow"


def _secret(seed: int, n: int = 20) -> str:
    rng = random.Random(seed)
    pool = string.ascii_letters + string.digits
    while True:
        value = "".join(rng.choice(pool) for _ in range(n))
        kinds = (str.isdigit, str.isupper, str.islower)
        if not is_placeholder(value) and all(any(map(k, value)) for k in kinds):
            return value


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "form",
    [
        "DB_PASSWORD={v}",
        "TRAVEL_API_KEY: {v}",
        'S3_ARCHIVE_ACCESS_KEY: "{v}"',
        "DB_PASS=Zq$${v}",
        'passphrase = "correct horse {v} staple"',
    ],
)
def test_real_values_under_those_names_are_still_caught(form: str, seed: int) -> None:
    assert _action(form.format(v=_secret(seed))) != "allow"


def _nino(seed: int) -> str:
    rng = random.Random(seed)
    first = rng.choice("ABCEHJKLMNPRSTWXY")
    second = rng.choice("ABCEHJKLMNPRSTWXY")
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    return f"{first}{second} {digits[:3]} {digits[3:]} {rng.choice('ABCD')}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "form", ["My NI number is {n}.", "National Insurance: {n}", "The number is {n}."]
)
def test_nino_in_groups_of_three_is_caught(form: str, seed: int) -> None:
    assert _action(form.format(n=_nino(seed))) != "allow"


@pytest.mark.parametrize(
    "text",
    [
        "Order AB 123 456 was shipped.",
        "Room AB 123 456 Z is on the left.",
        "Flight BA 123 456 E departs at noon.",
    ],
)
def test_groups_of_three_that_are_no_nino_are_allowed(text: str) -> None:
    assert _action(text) == "allow"
