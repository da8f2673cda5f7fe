"""Vendor token forms in the contexts they are pasted in (issue 20, beyond the development
set): bare, in code assignments of several languages under names that say nothing, in
URLs, in config files. Each form is the vendor's documented one, built at run time from
a seeded random draw; no case text of the public development set is stored here."""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Callable
from urllib.parse import quote

import pytest

from orchestration_kernel.guardian import SecretDetector
from orchestration_kernel.guardian.placeholders import is_placeholder
from orchestration_kernel.guardian.secret_formats import TOKEN_FORMATS, TokenFormat
from tests.unit.test_guardian_public_categories import _token, check

_URLSAFE = string.ascii_letters + string.digits + "_-"
_B62 = string.ascii_letters + string.digits

#: Where a credential is pasted, under names that carry no key word (the form alone must
#: be found).
CONTEXTS = {
    "bare": "{t}",
    "prose": "the deploy log printed {t} before it failed",
    "python": 'client = Client("{t}")',
    "javascript": "const c = '{t}';",
    "go": 'cfg := Config{{Auth: "{t}"}}',
    "java": 'String c = "{t}";',
    "ruby": 'c = "{t}"',
    "shell": "export THING={t}",
    "yaml": "creds:\n  value: {t}\n",
    "json": '{{"value": "{t}"}}',
    "dotenv": "FOO={t}",
    "url query": "https://api.example.com/v1/items?auth={t}&page=2",
    "url path": "https://api.example.com/v1/{t}/send",
    "header": 'curl -H "X-Auth: {t}" https://api.example.com',
    "xml": "<value>{t}</value>",
}


def _draw(rng: random.Random, alphabet: str, n: int) -> str:
    """``n`` random characters that read as generated (not a run, not filler)."""
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        if not is_placeholder(value) and any(c.isdigit() for c in value):
            return value


#: Each vendor's documented form, from a seeded random draw.
FORMS: dict[str, Callable[[random.Random], str]] = {
    "square application secret": lambda rng: "sq0csp-" + _draw(rng, _URLSAFE, 43),
    "square v1 access token": lambda rng: "sq0atp-" + _draw(rng, _URLSAFE, 22),
    "square access token": lambda rng: "EAAA" + _draw(rng, _URLSAFE, 60),
    "discord webhook": lambda rng: (
        f"https://discord.com/api/webhooks/{rng.randint(10**17, 10**19)}/"
        + _draw(rng, _URLSAFE, 68)
    ),
    "azure sas url": lambda rng: (
        "https://acct.blob.core.windows.net/c/f.csv?sv=2022-11-02&sp=r"
        + "&sig="
        + quote(_draw(rng, _B62 + "+/", 43), safe="")
        + "%3D"
    ),
    "telegram bot token": lambda rng: (
        f"{rng.randint(10**7, 10**10 - 1)}:AA" + _draw(rng, _URLSAFE, 33)
    ),
}


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("form", FORMS)
def test_a_documented_form_is_caught_in_every_context(form: str, context: str) -> None:
    rng = random.Random(f"{form}/{context}")
    for _ in range(3):
        token = FORMS[form](rng)
        text = CONTEXTS[context].format(t=token)
        assert check(text) == "block", text


@pytest.mark.parametrize(
    "text",
    [
        # Placeholders in the documented forms.
        "sq0csp-" + "X" * 43,
        "sq0csp-" + "x" * 43,
        "SQUARE_APPLICATION_SECRET=sq0csp-<your-application-secret>",
        "sq0atp-" + "*" * 22,
        "token: sq0atp-YOUR_ACCESS_TOKEN_HERE",
        'access_token = "EAAA<your-access-token>"',
        "EAAA" + "EXAMPLE" * 8 + "EXAM",
        # Shorter or longer than the documented 64: not a Square token.
        "EAAA" + "Qx7" * 10,
        # A webhook URL whose token is a placeholder, or that names no token.
        "https://discord.com/api/webhooks/123456789012345678/<webhook-token>",
        "https://discord.com/api/webhooks/123456789012345678/" + "x" * 68,
        "see https://discord.com/developers/docs/resources/webhook for the webhook URL",
        # A SAS signature that is a placeholder, or a sig= that is no HMAC-SHA256.
        "https://acct.blob.core.windows.net/c?sv=2022-11-02&sp=r&sig=<signature>",
        "https://acct.blob.core.windows.net/c?sp=r&sig=" + "X" * 43 + "%3D",
        "https://cdn.example.com/f.js?sig=" + "9f86d081884c7d659a2feaa0c55ad015" * 2,
        # Database client look-alikes: no password, or one fetched at run time.
        "redis://:<password>@cache.internal:6379/0",
        "redis://cache.internal:6379/0",
        "PGPASSWORD=$(cat /run/secrets/pg) psql -h db",
        "set PGPASSWORD before running psql; the dbpassword field is required",
        "bypass = 'route-around-the-cache'",
        'if (password === "") return;',
        "java -Dpassword=${DB_PASSWORD} -jar app.jar",
        "-Dpasswordless=true",
        # A hash in a cache key is not Mailgun's legacy key- form (left out for this).
        "cache key-" + hashlib.md5(b"user:42").hexdigest() + " expired",
        # A publishable key is meant to be shared.
        "pk.eyJ1IjoiZXhhbXBsZSJ9." + "Qm9va3NBcmVHcmVhdA",
        # Names and versions after a short vendor prefix.
        "see API-GATEWAYCONFIGURATIONREF in the runbook",
        "upgrade to v1.0-beta before the release",
        "set the pattern and the path; see api-docs and sdk-version 4.2",
        "https://contoso.webhook.office.com/webhookb2/<group-id>@<tenant-id>/IncomingWebhook/",
        "sdk-00000000-0000-0000-0000-000000000000",
        # Ordinary number:word text.
        "12345678:AA",
        "job 12345678:AA finished at 10:42:07",
        "ratio 100000000:AAB in the table",
        "123456789:AA" + "x" * 33,
        "bot token: 123456789:AAyour-bot-token-goes-here-please",
    ],
)
def test_placeholders_and_look_alikes_are_allowed(text: str) -> None:
    assert check(text) == "allow", text


@pytest.mark.parametrize(
    "fmt",
    # Not the rows whose token holds a "/" itself (a URL, base64 with "/").
    [f for f in TOKEN_FORMATS if "/" not in f.body + "".join(f.prefixes)],
    ids=lambda f: f"{f.vendor}:{f.prefixes[0]}",
)
def test_every_vendor_format_is_caught_as_a_url_path_segment(fmt: TokenFormat) -> None:
    # A token is a URL's path segment as often as its query value (a webhook, a
    # proxy's path): the "/" before it does not make it part of a longer name.
    token = _token(fmt, seed=len(fmt.vendor) * 31)
    found = SecretDetector().find(f"POST https://relay.example.net/hooks/{token}/send")
    assert any(f.entity == fmt.entity for f in found), (fmt.vendor, token)


@pytest.mark.parametrize(
    "template",
    [
        "redis://:{p}@cache.internal:6379/0",  # Redis: a password and no user
        "rediss://:{p}@cache.example.net:6380",
        "PGPASSWORD={p} psql -h db -U app",  # PostgreSQL's environment variable
        "export DBPASS='{p}'",
        "MYSQLPASSWORD: {p}",
        'if (password === "{p}") {{',  # JavaScript's strict comparisons
        'if (token !== "{p}") return;',
        "java -Dpassword={p} -jar app.jar",  # a Java system property
    ],
)
def test_database_client_passwords_are_caught(template: str) -> None:
    rng = random.Random(template)
    password = _draw(rng, _B62 + "!#%^", 14)
    assert check(template.format(p=password)) == "block", template
