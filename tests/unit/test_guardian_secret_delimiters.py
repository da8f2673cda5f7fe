"""Secret rules read by the vendor's delimiter, keyword assignments through setter calls
and inflected key words (issue 20, second round). Every key-shaped value is built at run
time; no case text of the public development set is stored here."""

from __future__ import annotations

import random
import re
import string

import pytest

from orchestration_kernel.guardian import SecretDetector
from orchestration_kernel.guardian.placeholders import is_placeholder
from orchestration_kernel.guardian.secret_formats import TOKEN_FORMATS, TokenFormat, has_delimiter
from tests.unit.test_guardian_public_categories import (
    _random_value,
    _token,
    bech32_encode,
    secret_entities,
    sentry_org_token,
)

UNDELIMITED = [f for f in TOKEN_FORMATS if not f.delimited]


def _symbolic_value(seed: int) -> str:
    """A password-like value with symbols (what a person types), built at run time."""
    rng = random.Random(seed)
    pool = string.ascii_letters + string.digits + "{}()[]$#>-_"
    while True:
        value = "".join(rng.choice(pool) for _ in range(30))
        if not is_placeholder(value) and not value.startswith(("$", "[", "{")):
            return value


# -- the delimiter reading of "one character repeated" --------------------------------


def test_the_table_marks_rows_without_a_delimiter() -> None:
    by_vendor = {f.vendor: f for f in TOKEN_FORMATS}
    assert (
        not by_vendor["Twilio"].delimited and not by_vendor["JFrog Artifactory API key"].delimited
    )
    assert by_vendor["GitLab"].delimited and by_vendor["npm"].delimited
    assert by_vendor["PyPI"].delimited  # pypi-AgE…: the delimiter is inside the prefix
    for fmt in TOKEN_FORMATS:
        assert fmt.delimited == all(map(has_delimiter, fmt.prefixes)), fmt.vendor


@pytest.mark.parametrize("fmt", UNDELIMITED, ids=lambda f: f"{f.vendor}:{f.prefixes[0]}")
def test_an_undelimited_prefix_glued_to_filler_is_judged_whole(fmt: TokenFormat) -> None:
    prefix = fmt.prefixes[0]
    body = _token(fmt, seed=5)[len(prefix) :]
    # Filler from the body's own alphabet, so the value keeps the documented shape.
    filler = next(c for c in body if c.isalnum() and c != prefix[-1])
    # The longest run of it the body's pattern takes (an optional tail like "-1" aside).
    length = next(n for n in range(len(body), 0, -1) if re.fullmatch(fmt.body, filler * n))
    fake = prefix + filler * length
    assert fmt.entity in secret_entities(f"use {fake} here"), fake


@pytest.mark.parametrize("prefix", ["SK", "AC"])
def test_twilio_sid_length_filled_with_any_letter_is_caught(prefix: str) -> None:
    # Twilio documents prefix + 32 hex digits; the length filled with a non-hex letter is
    # still the vendor's shape judged whole. One short, or one long, is not.
    for filler in ("x", "X", "z", "0"):
        assert "TWILIO_KEY" in secret_entities(f"sid {prefix}{filler * 32} in the config")
    assert "TWILIO_KEY" not in secret_entities(f"sid {prefix}{'x' * 31} in the config")
    assert "TWILIO_KEY" not in secret_entities(f"sid {prefix}{'x' * 33} in the config")


@pytest.mark.parametrize("prefix", ["AKIA", "ASIA", "ABIA", "ACCA"])
def test_aws_key_ids_are_judged_whole(prefix: str) -> None:
    assert "AWS_ACCESS_KEY_ID" in secret_entities(f"id {prefix}{'Z' * 16} set")
    assert "AWS_ACCESS_KEY_ID" in secret_entities(f"id {prefix}{'7' * 16} set")
    assert "AWS_ACCESS_KEY_ID" not in secret_entities(f"id {prefix}{'Z' * 3} set")
    # The markers still make a placeholder, judged whole.
    assert "AWS_ACCESS_KEY_ID" not in secret_entities(f"id {prefix}Q7W3RT5Y9{'EXAMPLE'} set")


@pytest.mark.parametrize("prefix", ["glpat-", "gho_", "npm_", "hvs."])
def test_a_delimited_prefix_with_filler_is_still_a_placeholder(prefix: str) -> None:
    fmt = next(f for f in TOKEN_FORMATS if prefix in f.prefixes) if prefix != "gho_" else None
    length = 36 if fmt is None else len(_token(fmt, seed=3)) - len(prefix)
    for filler in ("x", "X"):
        assert not secret_entities(f"token {prefix}{filler * length} here"), prefix


def test_undelimited_tokens_keep_the_other_placeholder_markers() -> None:
    # "one character repeated" is judged whole; EXAMPLE, your, REDACTED, <…> still count.
    fmt = next(f for f in TOKEN_FORMATS if f.vendor == "JFrog Artifactory API key")
    body = _token(fmt, seed=9)[len(fmt.prefixes[0]) :]
    for marker in ("EXAMPLE", "your", "REDACTED"):
        fake = fmt.prefixes[0] + marker + body[len(marker) :]
        assert fmt.entity not in secret_entities(f"key {fake} here"), fake


# -- keyword assignments through a call -------------------------------------------------

SETTER_FORMS = [
    'secret.assign("{v}", 17);',
    'secrete.assign("{v}",17);',
    'apiTokens.set("{v}")',
    "db_password.put('{v}')",
    'creds.put("DB_PASSWORD", "{v}")',
    'config.set("stripe_secret", "{v}")',
    'System.setProperty("BILLING_TOKEN", "{v}")',
]


@pytest.mark.parametrize("form", SETTER_FORMS)
def test_a_setter_call_naming_a_key_word_is_caught(form: str) -> None:
    value = _symbolic_value(len(form))
    text = form.format(v=value)
    found = _spans(text)
    assert any(text[s:e] == value for s, e in found), (text, found)


@pytest.mark.parametrize(
    "text",
    [
        'secrets.get("billing")',
        'token = store.lookup("{v}")',
        'pwm.set("{v}")',  # a two-letter key word takes no inflection (pwm, pwr)
        'keyboard.set("{v}")',
        'tokenizer.save("{v}")',
    ],
)
def test_lookups_and_look_alike_names_are_not_assignments(text: str) -> None:
    text = text.format(v=_random_value(random.Random(text)))
    assert not secret_entities(text), text


@pytest.mark.parametrize(
    "form", ['apiTokens = "{v}"', 'db_passwords: "{v}"', "SECRETS_VALUE := '{v}'"]
)
def test_an_inflected_key_word_names_a_setting(form: str) -> None:
    value = _random_value(random.Random(form))
    assert secret_entities(form.format(v=value)), form


def _spans(text: str) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in SecretDetector().find(text)]


# -- rows checked against the vendors' own pages -----------------------------------------


def _alnum(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        if not is_placeholder(value):
            return value


def test_documented_shapes_are_caught_at_their_documented_length() -> None:
    rng = random.Random(20)
    upper = string.ascii_uppercase + string.digits
    cases = {
        # JFrog: reference tokens are cmVmd + 59 alphanumerics, 64 in all.
        "ARTIFACTORY_TOKEN": "cmVmdGtu" + _alnum(rng, 56),
        # GitLab's prefix table: glwt- (workspace tokens).
        "GITLAB_TOKEN": "glwt-" + _alnum(rng, 24),
        # Vault: (hv)?[sbr]\.[a-zA-Z0-9]{24}
        "VAULT_TOKEN": "hvs." + _alnum(rng, 24),
        # Dynatrace: prefix . 24-character public part . 64-character secret.
        "DYNATRACE_TOKEN": f"dt0c01.{_alnum(rng, 24, upper)}.{_alnum(rng, 64, upper)}",
    }
    for entity, token in cases.items():
        assert entity in secret_entities(f"the pipeline printed {token} to the log"), token
    # A reference token one character longer than JFrog's 64 is not one.
    longer = cases["ARTIFACTORY_TOKEN"] + "Q"
    assert "ARTIFACTORY_TOKEN" not in secret_entities(f"the pipeline printed {longer} here")


def test_an_age_secret_key_must_carry_a_valid_bech32_checksum() -> None:
    # age: 32 random bytes, Bech32 with HRP AGE-SECRET-KEY- (C2SP age.md).
    key = bech32_encode("age-secret-key-", random.Random(7).randbytes(32))
    assert "AGE_SECRET_KEY" in secret_entities(f"identity file: {key}")
    last = "Q" if key[-1] != "Q" else "P"
    typed = key[:-1] + last  # one character off: the checksum fails
    assert "AGE_SECRET_KEY" not in secret_entities(f"identity file: {typed}")


def test_a_sentry_org_token_carries_base64_json_claims() -> None:
    # Sentry: sntrys_<payload>_<43 base64>; the payload holds the org's claims.
    token = sentry_org_token(random.Random(3))
    assert "SENTRY_TOKEN" in secret_entities(f"SENTRY_AUTH_TOKEN is {token} now")
    payload, tail = token[len("sntrys_") :].rsplit("_", 1)
    garbled = "sntrys_eyJ" + _alnum(random.Random(4), len(payload) - 3) + "_" + tail
    assert "SENTRY_TOKEN" not in secret_entities(f"a build log line: {garbled} here")
