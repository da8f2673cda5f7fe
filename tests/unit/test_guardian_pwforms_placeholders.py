"""Placeholder precision (issue 20): a placeholder word counts only where it is written
as a word, and a template only where it is written as one, so a random token that
happens to hold ``yOuR`` or starts with ``$`` is still a secret. Every value is built at
run time."""

from __future__ import annotations

import random
import string

import pytest

from orchestration_kernel.guardian import SecretDetector
from orchestration_kernel.guardian.placeholders import is_placeholder

_WORDS = ("your", "fake", "todo", "dummy", "example", "redacted", "changeme", "sample")


def _mixed_case(word: str, rng: random.Random) -> str:
    """``word`` in a random mix of cases, never all one case nor capitalised."""
    while True:
        out = "".join(c.upper() if rng.random() < 0.5 else c for c in word)
        if not (out.islower() or out.isupper() or out.istitle()):
            return out


def _random_token(rng: random.Random, alphabet: str, length: int = 32) -> str:
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(length))
        if not is_placeholder(value):
            return value


def _embedded(rng: random.Random, word: str) -> str:
    """A random alphanumeric token with ``word`` inside it, glued to digits."""
    token = _random_token(rng, string.ascii_letters + string.digits)
    at = rng.randrange(4, len(token) - 4)
    return f"{token[:at]}{rng.choice(string.digits)}{word}{rng.choice(string.digits)}{token[at:]}"


@pytest.mark.parametrize("word", _WORDS)
def test_a_word_in_mixed_case_inside_a_random_token_is_not_a_placeholder(word: str) -> None:
    rng = random.Random(word)
    for _ in range(20):
        value = _embedded(rng, _mixed_case(word, rng))
        assert not is_placeholder(value), value
        assert not is_placeholder(value, sequences=False, fill=False), value


@pytest.mark.parametrize("word", ["your", "fake", "todo", "dummy"])
def test_a_short_word_glued_between_digits_is_not_a_placeholder(word: str) -> None:
    # Four or five letters in one case turn up by chance in random tokens: only a word
    # part of its own (or a run of letters) says "placeholder".
    rng = random.Random(f"glued-{word}")
    for case in (str.lower, str.upper):
        for _ in range(10):
            value = _embedded(rng, case(word))
            assert not is_placeholder(value), value


@pytest.mark.parametrize(
    "value",
    [
        "YOUR_API_KEY",
        "your-token-here",
        "yourkeyhere",
        "YOURAPIKEY",
        "yourKey",
        "myExampleToken",
        "<redacted>",
        "[REDACTED]",
        "<your password>",
        "xxxx",
        "sk-xxxx",
        "${DB_PASSWORD}",
        "{{ password }}",
        "%(password)s",
        "$DB_PASS",
        "$env:API_KEY",
        "$config['key']",
        "changeme",
        "Change_Me",
        "dummy-token",
        "fake_key_1",
        "my-fake-token",
        "somefakekey",
        "insert-key-here",
    ],
)
def test_written_placeholders_still_count(value: str) -> None:
    assert is_placeholder(value), value


def test_long_words_count_in_one_case_wherever_they_stand() -> None:
    rng = random.Random("long")
    for word in ("EXAMPLE", "example", "REDACTED", "changeme"):
        token = _random_token(rng, string.ascii_uppercase + string.digits, 16)
        assert is_placeholder(f"{token[:8]}{word}{token[8:]}"), word
        assert is_placeholder(f"sk-{word}{token}"), word


@pytest.mark.parametrize("opener", ["$", "<", "[", "${", "%("])
def test_a_random_password_starting_like_a_template_is_not_one(opener: str) -> None:
    rng = random.Random(opener)
    pool = string.ascii_letters + string.digits + "!@#%^&*;,"
    for _ in range(20):
        body = "".join(rng.choice(pool) for _ in range(14))
        value = f"{opener}{body[:3]}{rng.choice('!@#%;')}{body[3:]}"  # not a plain $NAME
        assert not is_placeholder(value), value


def test_such_values_are_caught_under_a_key_name() -> None:
    rng = random.Random("caught")
    detector = SecretDetector()
    for word in _WORDS:
        value = _embedded(rng, _mixed_case(word, rng))
        text = f'api_key = "{value}"'
        found = detector.find(text)
        assert [text[f.start : f.end] for f in found] == [value], text
    pool = string.ascii_letters + string.digits + "!#%^&*;"
    for opener in ("$", "<", "["):
        value = opener + "".join(rng.choice(pool) for _ in range(14)) + "9a"
        text = f"password = '{value}'"
        found = detector.find(text)
        assert [(f.entity, text[f.start : f.end]) for f in found] == [("PASSWORD", value)], text


def test_a_word_is_read_where_it_stands_after_letters_lower_case_lengthens() -> None:
    # str.lower writes the dotted capital I as two characters: the word is still read
    # at its own place in the value, as in an ASCII one.
    rng = random.Random("dotted")
    tail = "".join(rng.choice("a1") for _ in range(20))
    assert is_placeholder(f"t\u017fkey-cl\u0130ent-EXAMPLE{tail}")
    assert is_placeholder(f"\u0130\u0130-your-key-{tail}")
