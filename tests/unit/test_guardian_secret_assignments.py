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


def _typed_value(seed: int, n: int = 14, *, code: bool = True) -> str:
    """A value a person typed: letters, digits and symbols (code characters too when
    ``code``: a quoted or tagged value may hold them, a bare one reads as code)."""
    rng = random.Random(seed)
    pool = string.ascii_letters + string.digits + ("{}()[]>#!%&_-" if code else "#!%&_-")
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
]


@pytest.mark.parametrize("form", CAUGHT)
def test_more_assignment_forms_are_caught(form: str) -> None:
    bare = "{v}" in form and not any(q + "{v}" in form for q in "\"'`>") and "\n  {v}" not in form
    value = _typed_value(len(form) * 31, code=not bare)
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
]


@pytest.mark.parametrize("text", NOT_CAUGHT)
def test_look_alikes_of_those_forms_are_not_secrets(text: str) -> None:
    assert not SecretDetector().find(text), text


def test_a_comparison_is_read_in_bounded_steps() -> None:
    # Many names after one long run of quotes and operators: each name looks back a
    # bounded distance, so the scan stays linear (a hang guard, not a timing).
    text = ('"' + "a" * 300 + '" == ') + "password == " * 5000
    assert isinstance(SecretDetector().find(text), list)
