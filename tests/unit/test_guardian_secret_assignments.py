"""Values given to key-like names in more of the forms code writes them: a literal
compared with the name before it, R's ``<-``, XML elements holding code-like characters,
``pass`` as a word part (``DB_PASS``) and password words in other languages. Values are
built at run time; no case text of the public development set is stored here."""

from __future__ import annotations

import random
import string

import pytest

from orchestration_kernel.guardian import SecretDetector
from orchestration_kernel.guardian.placeholders import is_placeholder

_CODE_POOL = string.ascii_letters + string.digits + "{}()[]>#!%&_-"
_BARE_POOL = string.ascii_letters + string.digits + "#!%&_-"
#: What an Authorization header's credential is written with (token68, RFC 9110).
_HEADER_POOL = string.ascii_letters + string.digits + "._~+/-"


def _typed_value(seed: int, n: int = 14, pool: str = _CODE_POOL) -> str:
    """A value a person typed: letters, digits and symbols from ``pool`` (code characters
    by default: a quoted or tagged value may hold them, a bare one reads as code)."""
    rng = random.Random(seed)
    while True:
        value = "".join(rng.choice(pool) for _ in range(n))
        if (
            not is_placeholder(value)
            and value[0].isalnum()
            and any(c.isdigit() for c in value)
            and any(c.isupper() for c in value)
        ):
            return value


def _found_values(text: str) -> list[str]:
    return [text[f.start : f.end] for f in SecretDetector().find(text)]


CAUGHT = [
    # a literal compared with the key-named variable, written before it
    'if ("{v}" == password) {{',
    "assert '{v}' != secret",
    "if (`{v}` === api_key) return",
    # R assigns with <- (and <<-)
    'db_password <- "{v}"',
    'api_key <<- "{v}"',
    # between XML tags a value is a literal, code-like characters and all
    "<password>{v}</password>",
    "<adminSecret>\n  {v}\n</adminSecret>",
    # pass as a word part of a name
    "DB_PASS={v}",
    'smtpPass: "{v}"',
    'mysql_pass = "{v}"',
    # other languages
    'contraseña = "{v}"',
    'CONTRASENA: "{v}"',
    "Passwort: {v}",
    # Ruby's ||=, C#/JS ??=, Python's triple quotes
    'widgetToken ||= "{v}"',
    'options.apiKey ??= "{v}"',
    'service_secret = """{v}"""',
    # a type annotation before the value (Python, Kotlin, TypeScript)
    'api_key: str = "{v}"',
    'val widgetToken: String = "{v}"',
    'db_password: Optional[str] = "{v}"',
    'authToken: string | undefined = "{v}"',
    # an element's text after the attribute naming the key; Dockerfile ENV without =
    '<entry key="widget.token">{v}</entry>',
    "ENV WIDGET_TOKEN {v}",
    # JSON inside a string (escaped quotes), CSV, YAML block scalars
    '\\{{\n    \\"widget_token\\": \\"{v}\\"\n\\}}',
    "widgetToken,{v},",
    "widget_token: |\n  {v}",
    "widget_token: >-\n    {v}",
    # an Authorization header under another scheme than Bearer
    "Authorization: token {v}",
    "Authorization: Basic {v}",
    "headers['Authorization'] = 'Token {v}'",
]


@pytest.mark.parametrize("form", CAUGHT)
def test_more_assignment_forms_are_caught(form: str) -> None:
    bare = not any(q + "{v}" in form for q in "\"'`>") and "  {v}" not in form
    if "Authorization" in form:
        value = _typed_value(len(form) * 31, 24, _HEADER_POOL)
    else:
        value = _typed_value(len(form) * 31, pool=_BARE_POOL if bare else _CODE_POOL)
    text = form.format(v=value)
    assert value in _found_values(text), text


NOT_CAUGHT = [
    "Season pass: 2024-2025 for the whole family",
    "Boarding pass: 7H2KQ9X, gate 12",
    'first_pass = "tokenize"',  # a word under *_pass is a step's name
    "bypass = 'ProxyHost42'",  # pass inside a word is not a key word
    "compass = 'N45W73x'",
    'if ("north" == direction) {',  # compared with a name that is no key word
    "x = a if ('abcdef' == key) else b",  # a short plain word compared
    # names that say where the secret is or what it is called, not what it is
    'secret_name = "prod/db/Main-Credentials-2024"',
    "DB_PASSWORD_FILE=/run/secrets/Db-Pass2024",
    'tokenUrl = "https://login.internal/oauth2/v2.0/Token9"',
    'API_KEY_HEADER = "X-Api-Key-Version-2024"',
    "api_key: Optional[str] = None",
    "The authorization: pending review by the committee members",
    "name,token,created_at,owner",  # a CSV header: no value after the key
    "We rotate the token, then the key, every quarter.",
]


@pytest.mark.parametrize("text", NOT_CAUGHT)
def test_look_alikes_of_those_forms_are_not_secrets(text: str) -> None:
    assert not SecretDetector().find(text), text


def test_a_comparison_is_read_in_bounded_steps() -> None:
    # Many names after one long run of quotes and operators: each name looks back a
    # bounded distance, so the scan stays linear (a hang guard, not a timing).
    text = ('"' + "a" * 300 + '" == ') + "password == " * 5000
    assert isinstance(SecretDetector().find(text), list)


@pytest.mark.parametrize("name", ["password", "db_password", "smtpPass", "Passwort"])
def test_a_password_is_judged_whole_and_only_one_repeated_character_is_filler(
    name: str,
) -> None:
    # A person chose a password: a word glued to a run of one letter is still a password
    # (the rule allows only a value that IS one character repeated). Built here.
    rng = random.Random(len(name))
    word = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
    chosen = word + rng.choice("xzq") * 10
    assert chosen in _found_values(f"{name}={chosen}"), chosen
    for filler in ("x" * 12, "*" * 12, "#" * 10):
        assert not SecretDetector().find(f"{name}={filler}"), filler
