"""Session 16's secrets categories (issue 20), each with seeded variants and the
look-alikes on the other side:

- a metavariable where a password or key goes (``--password=PAROLA`` in gettext's
  ``--help`` text, ``sshpass -p MOT_DE_PASSE``, ``token: GITHUB_TOKEN``, a mapping's
  next key ``credentials: BS_USERNAME:``): a name in capitals, allowed; a real-looking
  value in the same places is still caught;
- a value whose brackets cross (``{{h}o)p${e]…``) is typed, not code: caught under a
  key name, while code that fetches a secret (``get_secret(name)``, ``cfg[``, ``m{…}``,
  ``f(token=abc)``) stays allowed.

Every value is built at run time from a seed.
"""

from __future__ import annotations

import asyncio
import random
import string

import pytest

from orchestration_kernel.guardian import GuardContext, Guardian
from orchestration_kernel.guardian.placeholders import brackets_cross, is_metavariable

SEEDS = range(8)
_CTX = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="secrec")


def _action(text: str) -> str:
    return asyncio.run(Guardian().check_input(text, _CTX)).action


#: Capital-letter alphabets of the scripts gettext catalogues use for a metavariable.
_CAPITALS = (
    string.ascii_uppercase,
    "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЫЭЮЯ",
    "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ",
    "ABCDEFGHIJKLMNOPRSTUVYZÇĞİÖŞÜ",
)


def _metavariable(rng: random.Random) -> str:
    """One to three words of capitals joined by ``_`` or ``-``."""
    letters = rng.choice(_CAPITALS)
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))]
    for _ in range(rng.randint(0, 2)):
        words.append("".join(rng.choice(letters) for _ in range(rng.randint(2, 7))))
    return rng.choice("_-").join(words)


def _password(rng: random.Random) -> str:
    """A password a person might choose: letters of both cases and digits."""
    while True:
        value = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(11))
        if any(c.isdigit() for c in value) and value != value.upper():
            return value


_OPTION_FORMS = (
    "  -p, --password={v}        use this password",
    "usage: tool [--password {v}] [--host HOST]",
    "sshpass -p {v} ssh admin@host",
    "login --user ADMIN --password={v}",
    "mysql --password={v} -h db",
    "--db-password={v}",
    "password: {v}",
    "export API_TOKEN={v}",
    "token: {v}",
)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", _OPTION_FORMS)
def test_a_metavariable_where_the_value_goes_is_allowed(seed: int, form: str) -> None:
    value = _metavariable(random.Random(f"{seed}:{form}"))
    assert is_metavariable(value)
    assert _action(form.format(v=value)) == "allow", value


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", _OPTION_FORMS[:6])
def test_a_real_looking_password_in_the_same_place_is_caught(seed: int, form: str) -> None:
    value = _password(random.Random(f"{seed}:{form}"))
    assert _action(form.format(v=value)) != "allow", value


@pytest.mark.parametrize("seed", SEEDS)
def test_the_next_key_of_a_mapping_is_no_value(seed: int) -> None:
    rng = random.Random(seed)
    name = _metavariable(random.Random(seed)).replace("-", "_")
    text = f"service credentials: {name}: {rng.choice(['alice', 'bob', 'ci-bot'])}"
    assert _action(text) == "allow"


@pytest.mark.parametrize(
    "value",
    ["PAROLA", "MOT_DE_PASSE", "ПАРОЛЬ", "GITHUB_TOKEN", "DB-PASS", "NAME:"],
)
def test_is_metavariable(value: str) -> None:
    assert is_metavariable(value)


@pytest.mark.parametrize(
    "value", ["Parola", "PAROLA1", "P4SSW0RD", "X", "A_", "_NAME", "parola", "AKIA2E0A8F3B"]
)
def test_is_not_metavariable(value: str) -> None:
    assert not is_metavariable(value)


# --- crossed brackets -----------------------------------------------------------------


def _crossed(rng: random.Random) -> str:
    """Letters and symbols with brackets that cross, as a person types a strong value."""
    pool = string.ascii_lowercase + string.digits + "$#-_"
    parts = ["".join(rng.choice(pool) for _ in range(rng.randint(2, 5))) for _ in range(6)]
    return f"{{{{{parts[0]}}}{parts[1]}){parts[2]}${{{parts[3]}]{parts[4]}({parts[5]}}}}}"


_KEY_FORMS = (
    "apikey:= {v}",
    "apikey:{v}",
    "some_dict['secret'] = {v}",
    "my_password = {v}",
    "DB_TOKEN={v}",
)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", _KEY_FORMS)
def test_a_value_whose_brackets_cross_is_caught(seed: int, form: str) -> None:
    value = _crossed(random.Random(f"{seed}:{form}"))
    assert brackets_cross(value)
    assert _action(form.format(v=value)) != "allow", value


_CODE = (
    "api_key = get_secret(name)",
    "token = cfg[env]",
    "password = m{{h}o)p${{e]nob}}",
    "client(token=session.token)",
    "secret = vault.read(path)[0]",
    "api_key = {{ secrets.API_KEY }}",
)


@pytest.mark.parametrize("text", _CODE)
def test_code_that_fetches_a_secret_stays_allowed(text: str) -> None:
    assert _action(text) == "allow"


@pytest.mark.parametrize(
    ("value", "crossed"),
    [("{a)b}", True), ("a)b", True), ("f(x)", False), ("abc)", False), ("get(x", False)],
)
def test_brackets_cross(value: str, crossed: bool) -> None:
    assert brackets_cross(value) is crossed
