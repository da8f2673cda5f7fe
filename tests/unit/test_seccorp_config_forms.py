"""Secrets in the config and command-line forms secret scanners' fixtures write, and the
references and templates that stand where a secret would (none is one).

Categories: curl's ``--proxy-user``; key names glued to ``tls``/``ssl`` and a code host's
name (``--tlspassword``, ``GITHUBKEY=``); format fields (``"prefix_{0}"``,
``"{ password }"``) and CloudFormation's intrinsic functions (``!ImportValue X``) as
values; a plain URL given to a key-like name (``gpgkey=https://…``, ``--ask-password
https://…``); addresses at names reserved never to resolve (``…@localhost.localdomain``).
Every value is built at run time from a seed; no case text of a public corpus is here.
"""

from __future__ import annotations

import asyncio
import random
import string

import pytest

from orchestration_kernel.guardian import GuardContext, Guardian
from orchestration_kernel.guardian.placeholders import is_placeholder

_POOL = string.ascii_letters + string.digits


def _secret(seed: int, n: int = 24) -> str:
    """A generated-looking value: letters of both cases and digits."""
    rng = random.Random(seed)
    while True:
        value = "".join(rng.choice(_POOL) for _ in range(n))
        if (
            not is_placeholder(value)
            and any(c.isdigit() for c in value)
            and any(c.isupper() for c in value)
            and any(c.islower() for c in value)
        ):
            return value


def _action(text: str) -> str:
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="seccorp")
    return asyncio.run(Guardian().check_input(text, ctx)).action


SEEDS = range(6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "form",
    [
        "curl --proxy-user admin:{v} --proxy https://proxy.internal:8080 https://example.org",
        "curl --tlspassword {v} https://example.org",
        "curl --proxy-tlspassword {v} https://example.org",
        "GITHUBKEY={v}",
        "  - GITLABTOKEN={v}",
        "sslpassword = {v}",
    ],
)
def test_glued_and_proxy_credentials_are_caught(form: str, seed: int) -> None:
    assert _action(form.format(v=_secret(seed))) != "allow"


@pytest.mark.parametrize(
    "text",
    [
        "curl --tlspassword https://localhost",
        "wget --user=admin --ask-password https://localhost",
        "curl --proxy-user admin: https://localhost",
        "GITHUBKEY=",
        'gpgkey = "https://artifacts.example.org/GPG-KEY-example"',
        "signing_key: https://keys.example.org/release.asc",
        "The github keynote is tomorrow; the gitlab tokenizer docs are online.",
    ],
)
def test_look_alikes_without_a_credential_are_allowed(text: str) -> None:
    assert _action(text) == "allow"


@pytest.mark.parametrize(
    "text",
    [
        'format_password = "prefix_{0}".format(value)',
        'format_password = f"prefix_{dynamic_value}"',
        'var variable_password = "{ password }"',
        'api_token = "Bearer {}".format(token)',
        'db_secret = "{ secret_value }"',
        "    - CredstashKey: !ImportValue CredstashKey",
        "MasterUserPassword: !Ref MasterUserPasswordParam",
        "DbSecret: !GetAtt DatabaseSecret.SecretString",
        "ApiKey: !Sub '${ApiKeyParameter}'",
    ],
)
def test_templates_and_deploy_time_references_are_allowed(text: str) -> None:
    assert _action(text) == "allow"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "form",
    [
        'password = "{v}"',
        'db_password: "!Reference{v}"',
        'api_key = "{v}"',
        "api_key = https://user:{v}@host.example.org/v1",
    ],
)
def test_real_values_beside_those_forms_are_still_caught(form: str, seed: int) -> None:
    assert _action(form.format(v=_secret(seed, 16))) != "allow"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_password_with_braces_and_a_digit_is_still_a_password(seed: int) -> None:
    rng = random.Random(seed)
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(4))
    value = f"{_secret(seed, 8)}{{{word}}}"
    assert _action(f'password = "{value}"') != "allow"


@pytest.mark.parametrize(
    "domain", ["localhost.localdomain", "build.localdomain", "ci.localhost", "mail.invalid"]
)
def test_addresses_at_reserved_names_are_not_a_person(domain: str) -> None:
    assert _action(f'"email": "builder@{domain}"') == "allow"


@pytest.mark.parametrize("domain", ["gmail.com", "example.org", "corp.local", "localdomain.com"])
def test_addresses_at_real_domains_are_still_personal(domain: str) -> None:
    assert _action(f'"email": "jane.doe@{domain}"') != "allow"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_url_with_a_generated_path_segment_is_still_a_secret(seed: int) -> None:
    # A webhook carries its secret in the path: the address is the credential.
    assert (
        _action(f"token = 'https://hooks.chatservice.net/services/{_secret(seed, 18)}'") != "allow"
    )
