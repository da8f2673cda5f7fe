"""Vendor token forms added or corrected from the vendors' own pages (issue 20, session
11): Cloudflare's scannable API tokens, Datadog's access tokens, Plaid's access tokens and
Buildkite's id-carrying tokens. Each value is built at run time in the documented shape
(seeded draws; no case text of the public development set is stored here) and must be
caught in the places tokens are pasted; the vendor's prefix in prose, a value too short
for the form and a placeholder must stay allowed."""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Callable

import pytest

from orchestration_kernel.guardian import SecretDetector
from tests.unit.test_guardian_public_categories import check
from tests.unit.test_secret_vendor_contexts import _draw

_B62 = string.ascii_letters + string.digits
_URLSAFE = _B62 + "_-"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _b64url(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _buildkite_job(rng: random.Random) -> str:
    header = _b64url({"alg": "HS512"})
    claims = _b64url({"sub": _uuid(rng), "iss": "buildkite", "exp": rng.randint(1, 2**31)})
    return f"bkaj_{header}.{claims}.{_draw(rng, _URLSAFE, 86)}"


#: Each documented form, from a seeded draw: (entity, builder).
FORMS: dict[str, tuple[str, Callable[[random.Random], str]]] = {
    # Cloudflare: "a distinct prefix followed by 40 characters and a checksum".
    "cloudflare user token": (
        "CLOUDFLARE_API_TOKEN",
        lambda rng: "cfut_" + _draw(rng, _B62, 40) + _draw(rng, "0123456789abcdef", 8),
    ),
    "cloudflare account token": (
        "CLOUDFLARE_API_TOKEN",
        lambda rng: "cfat_" + _draw(rng, _B62, 40) + _draw(rng, "0123456789abcdef", 8),
    ),
    "cloudflare global key": (
        "CLOUDFLARE_API_TOKEN",
        lambda rng: "cfk_" + _draw(rng, _B62, 40) + _draw(rng, "0123456789abcdef", 8),
    ),
    # Datadog: ddpat_<ALIAS>_<SECRET><CHECKSUM>.
    "datadog personal access token": (
        "DATADOG_TOKEN",
        lambda rng: f"ddpat_{_draw(rng, _B62, 22)}_{_draw(rng, _B62, 43)}{_draw(rng, _B62, 6)}",
    ),
    "datadog service access token": (
        "DATADOG_TOKEN",
        lambda rng: f"ddsat_{_draw(rng, _B62, 21)}_{_draw(rng, _B62, 43)}{_draw(rng, _B62, 6)}",
    ),
    # Plaid: [type]-[environment]-[uuid].
    "plaid access token": (
        "PLAID_TOKEN",
        lambda rng: f"access-{rng.choice(['sandbox', 'production'])}-{_uuid(rng)}",
    ),
    # Buildkite: bkua_<id>.<40 hex>, bkaa_<id>.<77 base62>, bkaj_<JWT>.
    "buildkite api token": (
        "BUILDKITE_TOKEN",
        lambda rng: "bkua_MTA." + _draw(rng, "0123456789abcdef", 40),
    ),
    "buildkite agent session token": (
        "BUILDKITE_TOKEN",
        lambda rng: "bkaa_MTA." + _draw(rng, _B62, 77),
    ),
    "buildkite agent job token": ("BUILDKITE_TOKEN", _buildkite_job),
}

#: The places a token is pasted, under names that say nothing of a key.
CONTEXTS = {
    "bare": "{t}",
    "assignment": 'client = Client(auth="{t}")',
    "url": "https://api.example.com/v1/items?auth={t}&page=2",
    "json": '{{"value": "{t}", "retries": 3}}',
    "env file": "APP_NAME=demo\nTHING={t}\nDEBUG=0\n",
}


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("form", FORMS)
def test_a_documented_form_is_caught_where_tokens_are_pasted(form: str, context: str) -> None:
    entity, build = FORMS[form]
    rng = random.Random(f"{form}/{context}")
    for _ in range(3):
        token = build(rng)
        text = CONTEXTS[context].format(t=token)
        assert check(text) == "block", text
        found = SecretDetector().find(text)
        assert any(f.entity == entity and token in text[f.start : f.end] for f in found), text


@pytest.mark.parametrize(
    "text",
    [
        # The prefix named in prose, and documentation's own shape descriptions.
        "Cloudflare's new tokens start with cfut_ or cfat_ and end in a checksum.",
        "Token format: cfut_[40 characters][checksum]",
        "PATs look like ddpat_<ALIAS>_<SECRET><CHECKSUM> in the Datadog docs",
        "Plaid tokens are in the format [type]-[environment]-[uuid], e.g. access-sandbox-",
        "call /item/public_token/exchange to get an access-production- token",
        "rotate the bkua_ token and the bkaa_ session token after the incident",
        # Too short for the documented form.
        "cfut_" + "Qx7k2Lm9" * 2,
        "ddpat_abc_def123",
        "access-sandbox-1234abcd",
        "bkua_MTA.4f6ccde8",
        # Placeholders in the documented forms.
        "cfut_" + "x" * 48,
        "CLOUDFLARE_API_TOKEN=cfut_your-token-here",
        "ddpat_" + "x" * 22 + "_" + "x" * 49,
        'DD_PAT="ddpat_<your-token>"',
        "access-sandbox-00000000-0000-0000-0000-000000000000",
        "PLAID_ACCESS_TOKEN=access-sandbox-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "bkua_" + "x" * 40,
        "BUILDKITE_API_TOKEN=bkua_your-token-here",
    ],
)
def test_prefixes_in_prose_short_values_and_placeholders_are_allowed(text: str) -> None:
    assert check(text) == "allow", text


def test_a_plaid_public_or_link_token_is_not_reported_as_an_access_token() -> None:
    # Public and link tokens are short-lived and pass through clients by design.
    rng = random.Random(7)
    for kind in ("public", "link"):
        text = f"{kind}-sandbox-{_uuid(rng)}"
        assert not any(f.entity == "PLAID_TOKEN" for f in SecretDetector().find(text)), text


@pytest.mark.parametrize(
    "raw",
    [
        bytes(18) + b"\x00\x60" + bytes(40),  # a zero-padded table
        bytes(16) + b"\x01\x00\x00\x00\x18\x00\x00\x00" + bytes(36) + b"\x02",  # a header
        bytes(24) + b"\x7f" * 3 + bytes(30),
    ],
    ids=["zero-padded table", "binary header", "short run"],
)
def test_base64_of_zero_padded_binary_is_not_an_x_bearer_token(raw: bytes) -> None:
    # Embedded fonts and images run "AAAA..." as long as an X app-only token's opening
    # run and stay mostly "A" (a zero byte) after it; a token's body does not.
    blob = base64.b64encode(raw).decode()
    assert check(f'FONT_DATA = "{blob}"') == "allow", blob


def test_an_x_bearer_token_in_the_documented_shape_is_still_caught() -> None:
    # X's (revoked) example: 21 A, then letters, digits and %-escaped base64 symbols.
    rng = random.Random("x-bearer")
    for _ in range(5):
        body = (
            _draw(rng, _B62, 4)
            + "A" * 7
            + _draw(rng, _B62, 20)
            + "%2B"
            + _draw(rng, _B62, 30)
            + "%3D"
            + _draw(rng, _B62, 25)
        )
        token = "A" * 21 + body
        assert check(f"export X_BEARER={token}") == "block", token
        assert check(f"curl -H 'Auth: {token}' https://api.example.com") == "block", token


def test_a_hubspot_token_with_the_nine_character_group_hubspot_shows_is_caught() -> None:
    # HubSpot masks a private app token as ***-***-*********-****-****-****-************.
    rng = random.Random("hubspot")
    hexd = "0123456789abcdef"
    groups = [_draw(rng, hexd, n) for n in (9, 4, 4, 4, 12)]
    token = "pat-na1-" + "-".join(groups)
    assert any(f.entity == "HUBSPOT_TOKEN" for f in SecretDetector().find(f"key={token}"))


@pytest.mark.parametrize("length", [28, 29])
def test_an_octopus_key_of_the_length_octopus_staff_give_is_caught(length: int) -> None:
    # "API keys start with 'API-' ... (32 or 33 characters)": 28 or 29 after the prefix.
    rng = random.Random(f"octopus/{length}")
    key = "API-" + _draw(rng, string.ascii_uppercase + string.digits, length)
    assert any(f.entity == "OCTOPUS_KEY" for f in SecretDetector().find(f"octo key {key}")), key


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_bitbucket_app_password_is_caught_where_tokens_are_pasted(context: str) -> None:
    # Atlassian: "App Password: ATBB" (the length is not documented; 32 as issued).
    rng = random.Random(f"atbb/{context}")
    token = "ATBB" + _draw(rng, _B62, 32)
    text = CONTEXTS[context].format(t=token)
    assert check(text) == "block", text


@pytest.mark.parametrize(
    "text",
    [
        "App passwords start with ATBB and API tokens with ATAT.",
        "ATBB" + "Qx7k2" * 3,  # too short
        "BITBUCKET_APP_PASSWORD=ATBB<your-app-password>",
        "see ticket ATBBX-1234 for the migration",
    ],
)
def test_bitbucket_app_password_look_alikes_are_allowed(text: str) -> None:
    assert check(text) == "allow", text


def _azure_connection_string(rng: random.Random) -> str:
    key = base64.b64encode(rng.randbytes(32)).decode()  # 256 bits: 43 characters and "="
    return (
        "Endpoint=sb://acme-bus.servicebus.windows.net/;"
        f"SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={key}"
    )


@pytest.mark.parametrize("context", CONTEXTS)
def test_an_azure_shared_access_key_is_caught_where_tokens_are_pasted(context: str) -> None:
    rng = random.Random(f"sas/{context}")
    text = CONTEXTS[context].format(t=_azure_connection_string(rng))
    assert check(text) == "block", text
    # Named as the vendor's key (the reason the user reads), its span the key alone.
    found = [f for f in SecretDetector().find(text) if f.entity == "AZURE_SAS_KEY"]
    assert len(found) == 1, text
    span = text[found[0].start : found[0].end]
    assert span.startswith("SharedAccessKey=") and len(span) == len("SharedAccessKey=") + 44, span


@pytest.mark.parametrize(
    "text",
    [
        "set SharedAccessKeyName and SharedAccessKey in the connection string",
        "SharedAccessKey=<your-shared-access-key>",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKey=" + "x" * 43 + "=",
    ],
)
def test_azure_shared_access_key_look_alikes_are_allowed(text: str) -> None:
    assert check(text) == "allow", text
