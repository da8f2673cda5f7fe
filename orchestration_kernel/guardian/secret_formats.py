"""Vendor token formats, as data: the prefix a vendor puts on its credentials, the body's
alphabet and length, and a checksum where the vendor documents one.

Written from each vendor's own documentation of its token format (the page is named in
the ``doc`` column), not from another scanner's rule files. A row becomes a rule in
:mod:`.secrets`: the prefixes are found with ``str.find`` and the body is matched there
with a bounded pattern (no unbounded repeats, so the scan stays linear).

``verified`` says what was checked against the vendor's own page and where (December
2026); a row with an empty ``verified`` was written from the ``doc`` page earlier and
has not been re-checked: its prefix is the vendor's, its length bounds may be loose.

Placeholders, read by the vendor's delimiter (a deliberate reading of issue 20's rule
"a value that is one character repeated is allowed"): where the vendor's documented
form puts a delimiter (``_ - . : = /`` or a blank) between prefix and body
(``glpat-…``, ``gho_…``), the placeholder test applies to the body after it, so
``glpat-XXXX…`` is a placeholder. Where it puts none (Twilio ``SK``/``AC`` + 32 hex
digits, AWS ``AKIA`` + 16, Artifactory ``AKCp…``), the value is judged whole: prefix and
filler together are not one character repeated, so a value of the documented prefix
and length is caught whatever fills it. ``delimited`` says which reading a row gets.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "DELIMITERS",
    "TOKEN_FORMATS",
    "TokenFormat",
    "bech32_ok",
    "crc32_tail_ok",
    "has_delimiter",
]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def crc32_tail_ok(body: str, tail: int = 6) -> bool:
    """Do the last ``tail`` characters of ``body`` encode, in base 62, the CRC32 of the
    rest? GitHub's token bodies end so ("the last six characters are a checksum":
    https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/), and
    npm's ``npm_`` tokens follow the same design. Which bytes the CRC covers (the random
    part, without the prefix) is how public validators compute it; GitHub's post does not
    spell it out, so a pass proves a token genuine and a failure proves nothing."""
    if len(body) <= tail or not body.isascii() or not body.isalnum():
        return False
    crc = zlib.crc32(body[:-tail].encode())
    digits = ""
    while crc:
        crc, rem = divmod(crc, 62)
        digits = _BASE62[rem] + digits
    return body[-tail:] == digits.rjust(tail, "0")


#: Bech32's alphabet, in value order (BIP-173).
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def bech32_polymod(values: list[int]) -> int:
    """BIP-173's checksum polynomial over 5-bit ``values``."""
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def bech32_hrp_expand(hrp: str) -> list[int]:
    """The human-readable part as BIP-173 feeds it to the checksum."""
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_ok(value: str) -> bool:
    """Is ``value`` Bech32 with a valid checksum (BIP-173: one case throughout, the
    data after the last ``1``, its last six characters the checksum)? age encodes its
    secret keys so (https://github.com/C2SP/C2SP/blob/main/age.md, "The X25519
    recipient type"): a value that fails was typed, not generated."""
    if value != value.upper() and value != value.lower():
        return False
    low = value.lower()
    hrp, sep, data = low.rpartition("1")
    if not sep or not hrp or len(data) < 6 or any(c not in BECH32_CHARSET for c in data):
        return False
    values = [BECH32_CHARSET.index(c) for c in data]
    return bech32_polymod(bech32_hrp_expand(hrp) + values) == 1


def _b64_json_object(payload: str) -> bool:
    """Is ``payload`` base64 of a JSON object (a token that carries its claims)?"""
    try:
        raw = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
        return isinstance(json.loads(raw), dict)
    except (ValueError, binascii.Error):
        return False


@dataclass(frozen=True)
class TokenFormat:
    """One vendor's credential shape.

    ``prefixes``: literal starts (case-sensitive); ``body``: the regex for what follows
    the prefix (bounded repeats only); ``checksum``: a check of the whole value, for a
    format whose vendor documents one that can be computed offline (of the rows
    below, age's Bech32 keys and Sentry's JSON claims; GitHub's CRC32 tail is handled by
    its own rule in :mod:`.secrets`), or of a shape the vendor's example implies that
    ordinary text lacks (Octopus keys hold digits and letters; an X bearer token's body
    is not mostly ``A``, as base64 of zero bytes is).
    ``boundary``: characters that may not precede the prefix (by default ``-`` and
    ``.``: ``x-sk_live_…`` or ``a.hf_…`` is part of a longer name; a ``/`` may precede
    it, a token being a URL's path segment as often as its query value). ``proof``: a check of the
    body that, when it passes, shows a genuine token whatever the placeholder heuristics
    say (a CRC32 tail). ``verified``: what was checked on the vendor's page, and where.
    """

    entity: str
    vendor: str
    prefixes: tuple[str, ...]
    body: str
    doc: str
    checksum: Callable[[str], bool] | None = None
    boundary: str = "-."
    proof: Callable[[str], bool] | None = None
    verified: str = ""
    delimited: bool | None = None
    fill_length: int = 0

    def __post_init__(self) -> None:
        if self.delimited is None:
            object.__setattr__(self, "delimited", all(map(has_delimiter, self.prefixes)))


#: What separates a vendor's prefix from a token's body (``glpat-``, ``hvs.``, ``npm_``;
#: a crypt hash's ``$`` fields, ``$2y$``, and htpasswd's ``{SHA}`` scheme tag).
DELIMITERS = frozenset("_-.:=/ $}")


def has_delimiter(prefix: str) -> bool:
    """Does ``prefix`` hold a delimiter (``glpat-``, ``pypi-AgE``, ``xoxe.xoxp-``)?"""
    return any(ch in DELIMITERS for ch in prefix)


_B62 = "A-Za-z0-9"
_URLSAFE = "A-Za-z0-9_-"

#: The table. Lengths are the documented ones, with slack where a vendor says "about".
TOKEN_FORMATS: tuple[TokenFormat, ...] = (
    TokenFormat(
        "SLACK_TOKEN",
        "Slack",
        ("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xoxe.xoxp-", "xoxe.xoxb-"),
        r"(?:\d{1,15}-){1,4}[A-Za-z0-9-]{8,120}",
        "https://api.slack.com/authentication/token-types",
        # Slack's token page names the types; the xoxb-/xoxp-/xoxe.xoxp- spellings were
        # seen in its examples, not in a format table. Lengths are not documented.
        verified="prefixes (token types page); no documented length",
    ),
    TokenFormat(
        "SLACK_TOKEN",
        "Slack app-level",
        ("xapp-",),
        r"\d-[A-Z0-9]{6,15}-\d{6,15}-[a-f0-9]{32,80}",
        "https://api.slack.com/authentication/token-types#app-level",
        # "App-level token strings begin with xapp-" (the token types page); the parts
        # after it are as issued tokens show them, their lengths are not documented.
        verified="xapp- prefix: api.slack.com/authentication/token-types; no documented length",
    ),
    TokenFormat(
        "SLACK_WEBHOOK",
        "Slack incoming webhook",
        ("https://hooks.slack.com/services/",),
        r"T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}",
        "https://api.slack.com/messaging/webhooks",
        # Slack's example: .../services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX (a
        # team id, an app id, a 24-character secret).
        verified="T<id>/B<id>/<24 characters>: the example on api.slack.com/messaging/webhooks",
    ),
    TokenFormat(
        "STRIPE_KEY",
        "Stripe",
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"),
        rf"[{_B62}]{{16,247}}",
        "https://docs.stripe.com/keys",
        # Secret sk_ and restricted rk_ keys in test and live mode (docs.stripe.com/keys);
        # Stripe says it "supports longer key lengths" up to 128+ characters
        # (Stripe's note in https://gitlab.com/gitlab-org/gitlab/-/issues/458019).
        verified="prefixes: docs.stripe.com/keys; length: Stripe via gitlab issue 458019",
    ),
    TokenFormat(
        "GITLAB_TOKEN",
        "GitLab",
        (
            "glpat-",
            "gldt-",
            "glrt-",
            "glrtr-",
            "glft-",
            "glimt-",
            "glsoat-",
            "gloas-",
            "glffct-",
            "glwt-",
        ),
        r"[A-Za-z0-9_-]{20,27}(?:\.[0-9a-z]{2}\.[0-9a-z]{6,12})?(?:\.[A-Za-z0-9]{6,12})?",
        "https://docs.gitlab.com/ee/security/tokens/#token-prefixes",
        # Every prefix is in GitLab's token-prefix table (glwt-: workspace tokens, 18.2);
        # routable tokens carry ".<version>.<id>" parts. GitLab documents no lengths.
        verified="prefixes: the GitLab token prefixes table; lengths not documented",
    ),
    TokenFormat(
        "GITLAB_TOKEN",
        "GitLab pipeline trigger",
        ("glptt-",),
        r"[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])",
        "https://docs.gitlab.com/ee/security/tokens/#token-prefixes",
        verified="prefix: the GitLab token prefixes table; length not documented",
    ),
    TokenFormat(
        "GITLAB_TOKEN",
        "GitLab agent for Kubernetes",
        ("glagent-",),
        r"[A-Za-z0-9_-]{50,60}",
        "https://docs.gitlab.com/ee/security/tokens/#token-prefixes",
        verified="prefix: the GitLab token prefixes table; length not documented",
    ),
    TokenFormat(
        "GITLAB_TOKEN",
        "GitLab CI/CD job",
        ("glcbt-",),
        r"(?:[0-9a-f]{1,5}_)?[A-Za-z0-9_-]{20,30}",
        "https://docs.gitlab.com/ee/security/tokens/#token-prefixes",
        verified="prefix: the GitLab token prefixes table; length not documented",
    ),
    TokenFormat(
        "GITLAB_TOKEN",
        "GitLab runner registration",
        ("GR1348941",),
        r"[A-Za-z0-9_-]{20}(?![A-Za-z0-9_-])",
        "https://docs.gitlab.com/ee/security/tokens/#token-prefixes",
        verified="prefix: GitLab MR 109063 (runner registration tokens, deprecated)",
    ),
    TokenFormat(
        "GITLAB_TOKEN",
        "GitLab session cookie",
        ("_gitlab_session=",),
        r"[0-9a-z]{32}",
        "https://docs.gitlab.com/ee/security/tokens/",
        verified="prefix: the GitLab token prefixes table; length not documented",
    ),
    TokenFormat(
        "NPM_TOKEN",
        "npm",
        ("npm_",),
        rf"[{_B62}]{{36}}(?![{_B62}])",
        "https://docs.npmjs.com/about-access-tokens",
        proof=crc32_tail_ok,
        # npm's own page still says "hexadecimal string" (legacy tokens, removed in
        # November 2025: github.com/npm/documentation/pull/1756); npm_ + 36 base62 was
        # checked on live tokens in https://gitlab.com/gitlab-org/gitlab/-/merge_requests/258832.
        verified="npm_ + 36 base62: GitLab MR 258832 (live tokens); CRC32 tail as GitHub's",
    ),
    TokenFormat(
        "PYPI_TOKEN",
        "PyPI",
        ("pypi-AgE",),
        rf"[{_URLSAFE}]{{100,300}}",
        "https://pypi.org/help/#apitoken",
        # "the token value, including the pypi- prefix"; the rest is a macaroon (v2
        # binary: version byte 2, then field 1), whose base64url opens with AgE.
        verified="pypi- prefix: PyPI's help page (API tokens); AgE: the macaroon v2 header",
    ),
    TokenFormat(
        "HUGGINGFACE_TOKEN",
        "Hugging Face",
        ("hf_", "api_org_"),
        rf"[{_B62}]{{30,40}}(?![{_B62}])",
        "https://huggingface.co/docs/hub/security-tokens",
        # The page shows "hf_..." only; api_org_ (organisation tokens) is deprecated there.
        verified="hf_ prefix: the doc page; length not documented",
    ),
    TokenFormat(
        "SENDGRID_KEY",
        "SendGrid",
        ("SG.",),
        rf"[{_URLSAFE}]{{22}}\.[{_URLSAFE}]{{43}}",
        "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys",
        # "Twilio SendGrid API keys are 69 characters long": 3 + 22 + 1 + 43.
        verified="length 69: the doc page",
    ),
    TokenFormat(
        "TWILIO_KEY",
        "Twilio",
        ("AC", "SK"),
        r"[0-9a-fA-F]{32}(?![0-9A-Za-z])",
        "https://www.twilio.com/docs/glossary/what-is-a-sid",
        boundary="",
        # "a two-letter prefix followed by 32 hexadecimal digits" (34 characters); the
        # Key resource's schema: ^SK[0-9a-fA-F]{32}$ (twilio.com/docs/iam/api-keys/key-resource-v1).
        verified="prefix + 32 hex digits: the doc page and the Key resource's schema",
        fill_length=32,
    ),
    TokenFormat(
        "VAULT_TOKEN",
        "HashiCorp Vault",
        ("hvs.", "hvb.", "hvr."),
        rf"[{_URLSAFE}]{{24,250}}",
        "https://developer.hashicorp.com/vault/docs/concepts/tokens#token-formats",
        # "Token are expected to match (hv)?[sbr]\.[a-zA-Z0-9]{24}" (hvs./hvb./hvr. since
        # 1.10; the s./b./r. of 1.0-1.9 are too short a prefix to scan for). Enterprise's
        # server-side consistent tokens are longer and carry "_"/"-" (hvs.CAES…): hence
        # 24 and up, URL-safe.
        verified="prefixes and 24 base62 minimum: the tokens page (Token formats)",
    ),
    TokenFormat(
        "TERRAFORM_TOKEN",
        "HashiCorp Terraform Cloud",
        (".atlasv1.",),
        rf"[{_URLSAFE}]{{60,90}}",
        "https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/api-tokens",
        boundary="",
    ),
    TokenFormat(
        "DIGITALOCEAN_TOKEN",
        "DigitalOcean",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        r"[a-f0-9]{64}",
        "https://docs.digitalocean.com/notes/2022/api-token-format",
        # DigitalOcean's release note: personal access tokens (dop_v1_), OAuth tokens
        # (doo_v1_) and OAuth refresh tokens (dor_v1_). The note gives no length; the
        # 64 hex digits are what issued tokens show.
        verified="the three prefixes: docs.digitalocean.com/notes/2022/api-token-format",
    ),
    TokenFormat(
        "SHOPIFY_TOKEN",
        "Shopify",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
        r"[a-fA-F0-9]{32}",
        "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens",
        # "will increase from 32 to 38 characters, adding a static prefix of shpat_,
        # shpca_ or shppa_" (shopify.dev/changelog/length-of-the-shopify-access-token-is-
        # increasing); shpss_ for app secrets (.../changelog/app-secret-key-length-has-
        # increased). The alphabet (hex) is not stated there.
        verified="prefixes and 6 + 32 length: shopify.dev changelog (2020)",
    ),
    TokenFormat(
        "AZURE_STORAGE_KEY",
        "Azure Storage",
        ("AccountKey=",),
        r"[A-Za-z0-9+/]{86}==",
        "https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string",
        boundary="",
        # Microsoft Purview's definition of the key: "any combination of 86 ... letters,
        # digits, the forward slash (/), or plus sign (+)" and "two equal signs".
        verified=(
            "86 base64 characters + '==': "
            "learn.microsoft.com/purview/sit-defn-azure-storage-account-key-generic"
        ),
    ),
    TokenFormat(
        "AZURE_SAS_KEY",
        "Azure Service Bus / Event Hubs shared access key",
        ("SharedAccessKey=",),
        r"[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])",
        "https://learn.microsoft.com/dotnet/api/azure.provisioning.servicebus.servicebusaccesskeys.primarykey",
        boundary="",
        # The key of a connection string's shared access policy (Service Bus, Event
        # Hubs, Relay, Notification Hubs): "a base64-encoded 256-bit primary key for
        # signing and validating the SAS token" (ServiceBusAccessKeys.PrimaryKey); "a
        # SAS rule key must be a base64-encoded string of 44 bytes" (Set-SBAuthorizationRule).
        verified=(
            "base64 of 256 bits, 44 characters: learn.microsoft.com ServiceBusAccessKeys."
            "PrimaryKey and Set-SBAuthorizationRule (dn342004)"
        ),
    ),
    TokenFormat(
        "AZURE_SAS_TOKEN",
        "Azure shared access signature",
        ("sig=",),
        r"(?:[A-Za-z0-9+/]|%2[BbFf]){43}(?:=|%3[Dd])(?![A-Za-z0-9%])",
        "https://learn.microsoft.com/rest/api/storageservices/create-service-sas#specify-the-signature",
        # A SAS URL grants what its permissions say to whoever holds it. Its signature
        # is "an HMAC computed over the string-to-sign and key using the SHA256
        # algorithm, and then encoded by using Base64": 43 base64 characters and "=",
        # URL-encoded in a URL (%2B, %2F, %3D).
        verified="HMAC-SHA256 in Base64: learn.microsoft.com SasQueryParameters.Signature",
    ),
    TokenFormat(
        "ATLASSIAN_TOKEN",
        "Atlassian",
        ("ATATT3", "ATCTT3", "ATOAT3"),
        rf"[{_B62}_=-]{{150,250}}",
        "https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/",
        # Atlassian: "we use a varied API token length" (the doc page, so the bounds are
        # wide); "An API token is identified by the prefix ATAT" (Atlassian's Bamboo API,
        # docs.atlassian.com ... BitbucketCloudApiTokenUtils). Atlassian staff on its
        # community forum: "API Token: ATAT ... Access Tokens (Workspace, Project, Repo):
        # ATCT" (the T3 after them is as issued tokens show). ATOA: not checked.
        verified=(
            "ATAT (API) and ATCT (access token) prefixes: BitbucketCloudApiTokenUtils and "
            "Atlassian staff, community.atlassian.com qaq-p/3093481; varied length"
        ),
    ),
    TokenFormat(
        "ATLASSIAN_TOKEN",
        "Bitbucket app password",
        ("ATBB",),
        rf"[{_B62}]{{28,40}}(?![{_B62}_-])",
        "https://support.atlassian.com/bitbucket-cloud/docs/app-passwords/",
        boundary="",
        # Atlassian staff: "App Password: ATBB" (community.atlassian.com qaq-p/3093481).
        # The length is not documented: 28 to 40 letters and digits after the prefix. No
        # delimiter: judged whole.
        verified="ATBB prefix: Atlassian staff on community.atlassian.com; length not given",
    ),
    TokenFormat(
        "DATABRICKS_TOKEN",
        "Databricks",
        ("dapi",),
        r"[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9])",
        "https://docs.databricks.com/en/dev-tools/auth/pat.html",
    ),
    TokenFormat(
        "DOPPLER_TOKEN",
        "Doppler",
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.said.", "dp.ct.", "dp.scim.", "dp.audit."),
        # A service token may name its environment first: dp.st.dev.<40-44>.
        r"(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}",
        "https://docs.doppler.com/docs/token-formats",
        verified="every prefix and [a-zA-Z0-9]{40,44}: docs.doppler.com/docs/Auth-token-formats",
    ),
    TokenFormat(
        "DYNATRACE_TOKEN",
        "Dynatrace",
        ("dt0c01.", "dt0s01."),
        r"[A-Z0-9]{24}\.[A-Z0-9]{64}",
        "https://docs.dynatrace.com/docs/manage/identity-access-management/access-tokens-and-oauth-clients/access-tokens",
        # "prefix . 24-character public identifier . 64-character secret" (the example is
        # upper-case letters and digits; dynatrace-api/basics/dynatrace-api-authentication).
        verified="three dot-separated parts, 24 + 64 characters: the access-tokens page",
    ),
    TokenFormat(
        "GRAFANA_TOKEN",
        "Grafana",
        ("glsa_", "glc_"),
        rf"[{_B62}_=-]{{32,400}}",
        "https://grafana.com/docs/grafana/latest/administration/service-accounts/",
        # The service-accounts page's example: glsa_ + 32 base62 + "_" + 8 hex.
        verified="glsa_ prefix and example shape: administration/service-accounts page",
    ),
    TokenFormat(
        "SENTRY_TOKEN",
        "Sentry",
        ("sntrys_",),
        r"eyJ[A-Za-z0-9+/=]{20,400}_[A-Za-z0-9+/]{43}(?![A-Za-z0-9+/])",
        "https://docs.sentry.io/security-legal-pii/security/token-formats/",
        # Organization tokens: sntrys_[A-Za-z0-9+/=]+_[A-Za-z0-9+/]{43}, "about 180 to
        # 250 characters, since the payload contains the org slug": a base64 JSON
        # object, so it opens with eyJ and decodes to one.
        checksum=lambda v: _b64_json_object(v[len("sntrys_") :].rpartition("_")[0]),
        verified="payload + _ + 43 base64: Sentry's token-formats page",
    ),
    TokenFormat(
        "SENTRY_TOKEN",
        "Sentry user",
        # Personal tokens; sntrya_/sntryi_ are reserved for tokens issued later.
        ("sntryu_", "sntrya_", "sntryi_"),
        r"[a-f0-9]{64}(?![A-Za-z0-9])",
        "https://docs.sentry.io/security-legal-pii/security/token-formats/",
        verified="sntryu_[a-f0-9]{64} and the reserved prefixes: the token-formats page",
    ),
    TokenFormat(
        "NOTION_TOKEN",
        "Notion",
        ("ntn_", "secret_"),
        r"[A-Za-z0-9]{40,50}(?![A-Za-z0-9])",
        "https://developers.notion.com/docs/authorization",
    ),
    TokenFormat(
        "POSTMAN_KEY",
        "Postman",
        ("PMAK-",),
        r"[a-f0-9]{24}-[a-f0-9]{34}",
        "https://learning.postman.com/docs/developer/postman-api/authentication/",
    ),
    TokenFormat(
        "LINEAR_KEY",
        "Linear",
        ("lin_api_",),
        r"[A-Za-z0-9]{40}",
        "https://developers.linear.app/docs/graphql/working-with-the-graphql-api",
    ),
    TokenFormat(
        "PULUMI_TOKEN",
        "Pulumi",
        ("pul-",),
        r"[a-f0-9]{40}",
        "https://www.pulumi.com/blog/github-token-scanning-service/",
        # "Pulumi Access Tokens generated after June 28, 2019 ... contain the prefix
        # pul-" (Pulumi's announcement of GitHub token scanning); 40 hex digits as issued.
        verified="pul- prefix: pulumi.com/blog/github-token-scanning-service; length not given",
    ),
    TokenFormat(
        "PREFECT_KEY",
        "Prefect",
        ("pnu_",),
        r"[A-Za-z0-9]{36}",
        "https://docs.prefect.io/v3/manage/cloud/manage-users/api-keys",
    ),
    TokenFormat(
        "README_KEY",
        "ReadMe",
        ("rdme_",),
        r"[a-z0-9]{70}",
        "https://docs.readme.com/main/reference/intro/authentication",
    ),
    TokenFormat(
        "INFRACOST_KEY",
        "Infracost",
        ("ico-",),
        r"[A-Za-z0-9]{32}",
        "https://www.infracost.io/docs/features/environment_variables/",
    ),
    TokenFormat(
        "TYPEFORM_TOKEN",
        "Typeform",
        ("tfp_",),
        r"[A-Za-z0-9_.=-]{59,64}",
        "https://www.typeform.com/developers/get-started/personal-access-token/",
    ),
    TokenFormat(
        "FRAMEIO_TOKEN",
        "Frame.io",
        ("fio-u-",),
        r"[A-Za-z0-9_=-]{64}",
        "https://developer.frame.io/docs/getting-started/authentication",
    ),
    TokenFormat(
        "CLOJARS_TOKEN",
        "Clojars",
        ("CLOJARS_",),
        r"[a-z0-9]{60}",
        "https://github.com/clojars/clojars-web/wiki/Deploy-Tokens",
    ),
    TokenFormat(
        "SCALINGO_TOKEN",
        "Scalingo",
        ("tk-us-",),
        r"[A-Za-z0-9_-]{48}",
        "https://doc.scalingo.com/platform/cli/start#authentication",
    ),
    TokenFormat(
        "FLUTTERWAVE_KEY",
        "Flutterwave",
        ("FLWSECK_TEST-", "FLWSECK-", "FLWPUBK_TEST-", "FLWSECK_TEST"),
        r"[a-f0-9]{12,32}(?:-X)?",
        "https://developer.flutterwave.com/docs/integration-guides/authentication",
        # "Test keys will always have _TEST in the prefix (for example,
        # FLWPUBK_TEST-<32 hex digits>-X)"; the 12-hex-digit form is the encryption key.
        verified="_TEST prefixes and 32 hex + -X: the authentication page's example",
    ),
    TokenFormat(
        "SETTLEMINT_TOKEN",
        "SettleMint",
        ("sm_pat_", "sm_aat_", "sm_sat_"),
        r"[a-zA-Z0-9]{16}(?![A-Za-z0-9])",
        "https://console.settlemint.com/documentation/platform-components/security-and-authentication/personal-access-tokens",
    ),
    TokenFormat(
        "HARNESS_TOKEN",
        "Harness",
        ("pat.", "sat."),
        r"[A-Za-z0-9_-]{22}\.[a-z0-9]{24}\.[a-z0-9]{20}",
        "https://developer.harness.io/docs/platform/automation/api/add-and-manage-api-keys/",
    ),
    TokenFormat(
        "ADOBE_CLIENT_SECRET",
        "Adobe",
        ("p8e-",),
        r"[A-Za-z0-9]{32}",
        "https://developer.adobe.com/developer-console/docs/guides/authentication/",
    ),
    TokenFormat(
        "FACEBOOK_TOKEN",
        "Meta",
        ("EAAC", "EAAG", "EAAM", "EAAB", "EAAJ"),
        r"[A-Za-z0-9]{100,300}",
        "https://developers.facebook.com/docs/facebook-login/guides/access-tokens/",
        boundary="",
    ),
    TokenFormat(
        "TWITTER_BEARER",
        "X (Twitter)",
        ("A" * 21,),  # app-only bearer tokens open with a run of A
        r"[A-Za-z0-9%]{30,150}",
        "https://docs.x.com/fundamentals/authentication/oauth-2-0/bearer-tokens",
        boundary="A",
        # X calls the token "a byte array of unspecified format"; its page's (revoked)
        # example opens with 21 A and goes on in letters, digits and %-escapes. Base64
        # of zero-padded binary (an embedded font, an image) also runs A, and stays
        # mostly A after it (a zero byte is "A"): a token's body is not.
        checksum=lambda v: v.count("A", 21) * 2 <= len(v) - 21,
        verified="run of A, letters, digits, %: the (revoked) example on docs.x.com bearer-tokens",
    ),
    TokenFormat(
        "FLY_TOKEN",
        "Fly.io",
        ("FlyV1 fm1", "FlyV1 fm2_"),
        r"[A-Za-z0-9+/=_]{60,2000}",
        "https://fly.io/docs/security/tokens/",
        # Fly.io's own macaroon library writes tokens "FlyV1 fm2_lJPE..." (its README:
        # hexdocs.pm/macfly/readme.html); fm1 is the older encoding, not checked.
        verified="'FlyV1 fm2_' form: Fly.io's macfly library README (hexdocs.pm/macfly)",
    ),
    TokenFormat(
        "TAILSCALE_KEY",
        "Tailscale",
        ("tskey-api-", "tskey-auth-", "tskey-client-", "tskey-scim-", "tskey-webhook-"),
        r"[A-Za-z0-9]{6,24}-[A-Za-z0-9]{16,64}(?![A-Za-z0-9])",
        "https://tailscale.com/kb/1277/key-prefixes",
        # "The prefix starts with tskey- and is followed by the key type", then the key's
        # ID and its secret: tskey-api-<id>-<secret>. Lengths are not documented.
        verified="the five prefixes and the <id>-<secret> form: the key-prefixes page",
    ),
    TokenFormat(
        "DOCKER_TOKEN",
        "Docker Hub",
        ("dckr_pat_",),
        r"[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])",
        "https://docs.docker.com/reference/api/hub/latest/operations/AuthCreateAccessToken/",
        # Personal access tokens; the API reference's example shows the prefix. Lengths
        # are not documented.
        verified="dckr_pat_ prefix: Docker Hub API reference (Create access token)",
    ),
    TokenFormat(
        "AGE_SECRET_KEY",
        "age",
        ("AGE-SECRET-KEY-1",),
        r"[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        "https://age-encryption.org/v1",
        checksum=bech32_ok,
        # 32 random bytes, Bech32 with HRP AGE-SECRET-KEY- (52 data + 6 checksum).
        verified="HRP, 32-byte payload and Bech32 checksum: the age spec (C2SP age.md)",
    ),
    TokenFormat(
        "DISCORD_WEBHOOK",
        "Discord webhook",
        ("discord.com/api/webhooks/", "discordapp.com/api/webhooks/"),
        rf"\d{{17,20}}/[{_URLSAFE}]{{60,90}}(?![{_URLSAFE}])",
        "https://discord.com/developers/docs/resources/webhook#execute-webhook",
        boundary="",
        # Executing a webhook needs no other credential: POST /webhooks/{webhook.id}/
        # {webhook.token}, the id a snowflake (up to 20 digits), the token the URL-safe
        # secret (68 characters as issued; Discord documents no length, hence 60-90).
        # The prefix without the scheme, so the ptb./canary. hosts match too.
        verified="",
    ),
    TokenFormat(
        "SQUARE_SECRET",
        "Square OAuth application secret",
        ("sq0csp-",),
        rf"[{_URLSAFE}]{{43}}(?![{_URLSAFE}])",
        "https://developer.squareup.com/docs/oauth-api/create-urls-for-square-authorization",
        # The Developer Console's OAuth page shows the application secret, "sq0csp-"
        # then 43 URL-safe characters; "sq0idp-" is the application ID, public, not a
        # secret (https://developer.squareup.com/docs/build-basics/access-tokens).
        verified="",
    ),
    TokenFormat(
        "SQUARE_TOKEN",
        "Square access token",
        ("sq0atp-",),
        rf"[{_URLSAFE}]{{22}}(?![{_URLSAFE}])",
        "https://developer.squareup.com/docs/build-basics/access-tokens",
        # The access tokens of Connect v1 (sq0atp- + 22 URL-safe characters), still
        # accepted by the API.
        verified="",
    ),
    TokenFormat(
        "SQUARE_TOKEN",
        "Square access token (v2)",
        ("EAAA",),
        rf"[{_URLSAFE}]{{60}}(?![{_URLSAFE}])",
        "https://developer.squareup.com/reference/square/oauth-api/obtain-token",
        boundary="",
        # Personal and OAuth access tokens: "OAuth access tokens are 64 bytes long"
        # (ObtainToken's access_token field), EAAA + 60 URL-safe characters. No
        # delimiter after the prefix, so judged whole. Meta's tokens (EAAB…, EAAG…) run
        # to 100 characters and more: the exact length keeps the two apart.
        verified="64: ObtainToken's access_token, quoted by Square (forums/t/1655)",
    ),
    TokenFormat(
        "GROQ_KEY",
        "Groq",
        ("gsk_",),
        rf"[{_B62}]{{48,56}}(?![{_B62}])",
        "https://console.groq.com/docs/api-keys",
        # gsk_ and 52 base62 characters as issued; the page documents no length.
    ),
    TokenFormat(
        "XAI_KEY",
        "xAI",
        ("xai-",),
        rf"[{_B62}]{{70,90}}(?![{_B62}])",
        "https://docs.x.ai/docs/overview",
        # xai- and 80 base62 characters as issued; no documented length.
    ),
    TokenFormat(
        "REPLICATE_TOKEN",
        "Replicate",
        ("r8_",),
        rf"[{_B62}]{{37}}(?![{_B62}])",
        "https://replicate.com/docs/topics/security/api-tokens",
        # "40-character strings that always start with r8_": r8_ and 37 more. The page
        # names no alphabet; issued tokens are letters and digits.
        verified="r8_ and 40 characters in all: replicate.com/docs/topics/security/api-tokens",
    ),
    TokenFormat(
        "LANGSMITH_KEY",
        "LangSmith",
        ("lsv2_pt_", "lsv2_sk_"),
        r"[a-f0-9]{32}_[a-f0-9]{10}(?![A-Za-z0-9])",
        "https://docs.smith.langchain.com/administration/how_to_guides/organization_management/create_account_api_key",
        # Personal access tokens (lsv2_pt_) and service keys (lsv2_sk_).
    ),
    TokenFormat(
        "GOOGLE_OAUTH_SECRET",
        "Google OAuth client secret",
        ("GOCSPX-",),
        rf"[{_URLSAFE}]{{28}}(?![{_URLSAFE}])",
        "https://support.google.com/cloud/answer/15549257",
        # OAuth client secrets created since 2021 open with GOCSPX- (35 characters).
    ),
    TokenFormat(
        "GOOGLE_OAUTH_TOKEN",
        "Google OAuth access token",
        ("ya29.",),
        rf"[{_URLSAFE}]{{60,2000}}",
        "https://developers.google.com/identity/protocols/oauth2",
        # Short-lived access tokens; Google documents their size as variable (up to 2 KB).
    ),
    TokenFormat(
        "HEROKU_KEY",
        "Heroku",
        ("HRKU-",),
        rf"[{_URLSAFE}]{{50,70}}(?![{_URLSAFE}])",
        "https://devcenter.heroku.com/articles/authentication",
        # API keys issued since 2024 open with HRKU- (older ones are bare UUIDs, read
        # only under a key name).
    ),
    TokenFormat(
        "RUBYGEMS_KEY",
        "RubyGems",
        ("rubygems_",),
        r"[a-f0-9]{48}(?![A-Za-z0-9])",
        "https://guides.rubygems.org/api-key-scopes/",
        # rubygems_ and 48 hex digits.
    ),
    TokenFormat(
        "PLANETSCALE_TOKEN",
        "PlanetScale",
        ("pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
        rf"[{_URLSAFE}]{{32,64}}(?![{_URLSAFE}])",
        "https://planetscale.com/docs/concepts/service-tokens",
        # Service tokens, database passwords and OAuth tokens.
    ),
    TokenFormat(
        "NEWRELIC_KEY",
        "New Relic",
        ("NRAK-", "NRII-"),
        r"[A-Z0-9]{27}(?![A-Za-z0-9])",
        "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/",
        # User keys (NRAK-) and insert keys (NRII-); browser keys (NRJS-) are public.
    ),
    TokenFormat(
        "SOURCEGRAPH_TOKEN",
        "Sourcegraph",
        ("sgp_",),
        r"(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}(?![A-Za-z0-9])",
        "https://sourcegraph.com/docs/cli/how-tos/revoking_an_access_token",
        # sgp_, an optional instance identifier, and 40 hex digits. Sourcegraph's page:
        # "Access tokens are tokens starting with sgp_"; the rest is as issued tokens show
        # (hex digits in either case: A-F and a-f are the same digits).
        verified="sgp_ prefix: sourcegraph.com/docs/cli/how-tos/revoking_an_access_token",
    ),
    TokenFormat(
        "CONTENTFUL_TOKEN",
        "Contentful",
        ("CFPAT-",),
        rf"[{_URLSAFE}]{{43}}(?![{_URLSAFE}])",
        "https://www.contentful.com/developers/docs/references/authentication/",
        # Personal access tokens of the Content Management API.
    ),
    TokenFormat(
        "BREVO_KEY",
        "Brevo (Sendinblue)",
        ("xkeysib-", "xsmtpsib-"),
        rf"[a-f0-9]{{64}}-[{_B62}]{{16}}(?![{_B62}])",
        "https://developers.brevo.com/docs/getting-started",
        # API keys (xkeysib-) and SMTP keys (xsmtpsib-): 64 hex digits, "-", 16 base62.
    ),
    TokenFormat(
        "SHIPPO_TOKEN",
        "Shippo",
        ("shippo_live_", "shippo_test_"),
        r"[a-f0-9]{40}(?![A-Za-z0-9])",
        "https://docs.goshippo.com/docs/guides_general/authentication/",
    ),
    TokenFormat(
        "EASYPOST_KEY",
        "EasyPost",
        ("EZAK", "EZTK"),
        rf"[{_B62}]{{54}}(?![{_B62}])",
        "https://docs.easypost.com/docs/authentication",
        boundary="",
        # Production (EZAK) and test (EZTK) keys; no delimiter: judged whole.
    ),
    TokenFormat(
        "DUFFEL_TOKEN",
        "Duffel",
        ("duffel_live_", "duffel_test_"),
        rf"[{_URLSAFE}]{{43}}(?![{_URLSAFE}])",
        "https://duffel.com/docs/api/overview/test-mode",
        # "Testing tokens are easy to recognize: they start with duffel_test_"; live ones
        # are duffel_live_. The 43 characters are as issued tokens show.
        verified="duffel_test_ prefix: duffel.com/docs/api/overview/test-mode; length not given",
    ),
    TokenFormat(
        "MAPBOX_TOKEN",
        "Mapbox secret token",
        ("sk.eyJ",),
        rf"[{_URLSAFE}]{{20,200}}\.[{_URLSAFE}]{{20,30}}(?![{_URLSAFE}])",
        "https://docs.mapbox.com/help/dive-deeper/access-tokens/",
        # "All public access tokens start with pk while all secret access tokens start
        # with sk"; public ones (pk.) are meant to be shared. The JWT-like eyJ body is
        # as issued tokens show it.
        verified="sk prefix (pk public): docs.mapbox.com/help/dive-deeper/access-tokens",
    ),
    TokenFormat(
        "DROPBOX_TOKEN",
        "Dropbox",
        ("sl.",),
        rf"(?:u\.)?[{_URLSAFE}]{{120,1500}}",
        "https://developers.dropbox.com/oauth-guide",
        # Short-lived access tokens (sl., sl.u.), 130 characters and more.
    ),
    TokenFormat(
        "NETLIFY_TOKEN",
        "Netlify",
        ("nfp_",),
        rf"[{_B62}]{{36,40}}(?![{_B62}])",
        "https://docs.netlify.com/api/get-started/#authentication",
        # Personal access tokens (nfp_); no documented length.
    ),
    TokenFormat(
        "FIGMA_TOKEN",
        "Figma",
        ("figd_",),
        rf"[{_URLSAFE}]{{38,48}}(?![{_URLSAFE}])",
        "https://www.figma.com/developers/api#access-tokens",
        # Personal access tokens (figd_); no documented length.
    ),
    TokenFormat(
        "SUPABASE_KEY",
        "Supabase",
        ("sbp_", "sb_secret_"),
        rf"[{_URLSAFE}]{{30,64}}(?![{_URLSAFE}])",
        "https://supabase.com/docs/guides/api/api-keys",
        # Personal access tokens (sbp_) and secret API keys (sb_secret_); publishable
        # keys (sb_publishable_) are meant to be shared. Supabase's own key table gives
        # "sb_secret_..." (backend only) beside "sb_publishable_..."; sbp_ not checked.
        verified="sb_secret_ prefix: Supabase's key table (github.com/supabase/agent-skills)",
    ),
    TokenFormat(
        "CIRCLECI_TOKEN",
        "CircleCI",
        ("CCIPAT_", "CCIPRJ_"),
        rf"[{_B62}]{{20,24}}_[a-f0-9]{{40}}(?![A-Za-z0-9])",
        "https://circleci.com/changelog/new-format-for-api-access-tokens/",
        # Personal (CCIPAT_) and project (CCIPRJ_) API tokens:
        # "CCIPAT_<base58-UUID>_<40-char-hex string>" (a base58 UUID is 21-22 characters).
        verified="CCIPAT_/CCIPRJ_, base58 UUID, _, 40 hex: CircleCI changelog (new token format)",
    ),
    TokenFormat(
        "BUILDKITE_TOKEN",
        "Buildkite",
        ("bkua_",),
        r"(?:[A-Za-z0-9]{2,16}\.)?[a-f0-9]{40}(?![A-Za-z0-9])",
        "https://buildkite.com/docs/platform/security/tokens",
        # API access tokens: the page's example is bkua_, a short base64 id, ".", 40 hex
        # digits (bkua_MTA.<40 hex>); earlier tokens had no id part.
        verified="bkua_ and the <id>.<40 hex> example: buildkite.com/docs/platform/security/tokens",
    ),
    TokenFormat(
        "BUILDKITE_TOKEN",
        "Buildkite agent session",
        ("bkaa_",),
        rf"(?:[{_B62}]{{2,16}}\.)?[{_B62}]{{60,100}}(?![{_B62}])",
        "https://buildkite.com/docs/platform/security/tokens",
        # Agent session (access) tokens since January 2025: bkaa_, an id, ".", 77
        # base62 characters in the page's example.
        verified="bkaa_ and the <id>.<77 base62> example: the token security page",
    ),
    TokenFormat(
        "BUILDKITE_TOKEN",
        "Buildkite agent job",
        ("bkaj_",),
        rf"eyJ[{_URLSAFE}]{{10,2000}}\.[{_URLSAFE}]{{10,4000}}\.[{_URLSAFE}]{{20,1000}}",
        "https://buildkite.com/docs/platform/security/tokens",
        # Agent job tokens: bkaj_ and a signed JWT (header, claims, HS512 signature) in
        # the page's example; the "_" before it keeps the JWT rule from seeing it.
        verified="bkaj_ and a JWT body: the token security page's example",
    ),
    TokenFormat(
        "HUBSPOT_TOKEN",
        "HubSpot",
        ("pat-na1-", "pat-na2-", "pat-eu1-", "pat-ap1-"),
        r"[a-f0-9]{8,9}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}(?![A-Za-z0-9])",
        "https://developers.hubspot.com/docs/api/private-apps",
        # Private app access tokens: pat-, the data centre, a UUID. HubSpot's auth page
        # masks one as ***-***-*********-****-****-****-************ (a 9-character
        # group where a UUID has 8), so 8 or 9 there; the prefixes are not documented.
    ),
    TokenFormat(
        "CLOUDFLARE_ORIGIN_CA_KEY",
        "Cloudflare Origin CA key",
        ("v1.0-",),
        r"[a-f0-9]{24}-[a-f0-9]{146}(?![A-Za-z0-9])",
        "https://developers.cloudflare.com/fundamentals/api/get-started/ca-keys/",
        # Origin CA keys: v1.0-, 24 hex digits, "-", 146 hex digits (a version string
        # like v1.0-beta never reads so). Cloudflare: "The key value always starts with
        # v1.0-"; the parts after it are as issued keys show.
        verified="v1.0- prefix: developers.cloudflare.com/fundamentals/api/get-started/ca-keys",
    ),
    TokenFormat(
        "ALIBABA_ACCESS_KEY_ID",
        "Alibaba Cloud AccessKey ID",
        ("LTAI",),
        rf"[{_B62}]{{12,20}}(?![{_B62}])",
        "https://www.alibabacloud.com/help/en/ram/user-guide/create-an-accesskey-pair",
        boundary="",
        # AccessKey IDs open with LTAI (as AWS's AKIA, the id half of a key pair, which
        # the other scanners report too); no delimiter: judged whole.
    ),
    TokenFormat(
        "OCTOPUS_KEY",
        "Octopus Deploy",
        ("API-",),
        r"[A-Z0-9]{25,29}(?![A-Za-z0-9])",
        "https://octopus.com/docs/octopus-rest-api/how-to-create-an-api-key",
        # API- and upper-case letters and digits; an all-letter run (API-GATEWAY…) is a
        # name, so a key holds digits and letters both. Octopus staff: "we require that
        # API keys start with 'API-' and we may enforce a length requirement on them (32
        # or 33 characters IIRC)": 25 to 29 after API-, 29 to 33 in all.
        checksum=lambda v: any(c.isdigit() for c in v[4:]) and any(c.isalpha() for c in v[4:]),
        verified="API- prefix, '32 or 33 characters': Octopus staff, help.octopus.com/t/11255",
    ),
    TokenFormat(
        "SONARQUBE_TOKEN",
        "SonarQube",
        ("squ_", "sqp_", "sqa_"),
        r"[a-f0-9]{40}(?![A-Za-z0-9])",
        "https://docs.sonarsource.com/sonarqube-server/latest/user-guide/managing-tokens/",
        # User (squ_), project analysis (sqp_) and global analysis (sqa_) tokens, since
        # 9.5; the value is SecureRandom bytes written in hex (SonarSource staff on the
        # community forum). The manual itself names no prefix.
        verified=(
            "squ_/sqp_/sqa_ since 9.5 and hex: SonarSource staff, community.sonarsource.com "
            "t/78433 and t/23736; length not documented"
        ),
    ),
    TokenFormat(
        "PINECONE_KEY",
        "Pinecone",
        ("pcsk_",),
        rf"[{_B62}]{{4,10}}_[{_B62}]{{40,90}}(?![{_B62}])",
        "https://docs.pinecone.io/guides/projects/manage-api-keys",
        # pcsk_, the key's id, "_", its secret; lengths not documented.
    ),
    TokenFormat(
        "ONEPASSWORD_TOKEN",
        "1Password service account",
        ("ops_",),
        r"eyJ[A-Za-z0-9+/=_-]{100,1500}",
        "https://developer.1password.com/docs/service-accounts/",
        # Service account tokens: ops_ and base64 of the token's JSON.
    ),
    TokenFormat(
        "BRAINTREE_TOKEN",
        "Braintree",
        ("access_token$production$", "access_token$sandbox$"),
        r"[a-z0-9]{16}\$[a-f0-9]{32}(?![A-Za-z0-9])",
        "https://developer.paypal.com/braintree/docs/guides/authorization/access-tokens",
        # access_token$<environment>$<merchant id>$<32 hex digits>.
    ),
    TokenFormat(
        "TEAMS_WEBHOOK",
        "Microsoft Teams incoming webhook",
        (".webhook.office.com/webhookb2/",),
        r"[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[a-f0-9]{32}/[a-f0-9-]{36}"
        r"(?:/[A-Za-z0-9_-]{30,80})?",
        "https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook",
        boundary="",
        # Posting needs nothing but the URL: group id @ tenant id, the connector's id.
    ),
    TokenFormat(
        "LAUNCHDARKLY_KEY",
        "LaunchDarkly",
        ("api-", "sdk-"),
        r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}(?![A-Za-z0-9])",
        "https://launchdarkly.com/docs/home/account/environment/keys",
        # API access tokens (api-) and server-side SDK keys (sdk-), each a UUID; mobile
        # keys (mob-) and client ids ship in apps ("Mobile keys do not need to be kept
        # secret"). The page: "SDK keys always start with the prefix sdk-"; api- not checked.
        verified="sdk- prefix (mob- not secret): LaunchDarkly's SDK credentials page",
    ),
    TokenFormat(
        "CLICKUP_TOKEN",
        "ClickUp",
        ("pk_",),
        r"\d{1,12}_[A-Z0-9]{32}(?![A-Za-z0-9])",
        "https://clickup.com/api/developer-portal/authentication/",
        # Personal API tokens: pk_, the user id, "_", 32 upper-case letters and digits.
        # ClickUp: "Personal tokens will always begin with pk_"; the rest is as issued.
        verified="pk_ prefix: clickup.com/api/developer-portal/authentication",
    ),
    TokenFormat(
        "TELEGRAM_BOT_TOKEN",
        "Telegram",
        ("/bot",),
        r"\d{8,10}:AA[A-Za-z0-9_-]{33}",
        "https://core.telegram.org/bots/api#authorizing-your-bot",
        boundary="",
    ),
    TokenFormat(
        "ONEPASSWORD_SECRET_KEY",
        "1Password Secret Key",
        ("A3-",),
        r"[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})(?:-[A-Z0-9]{5}){3}(?![A-Za-z0-9-])",
        "https://1passwordstatic.com/files/security/1password-white-paper.pdf",
        # The white paper's "Secret Key": version "A3", the six-character account ID and
        # 26 random characters, shown in groups (its example A3-ASWWYB-798JRY-LJVD4-...).
        verified="A3 + 6 + 26 characters in dash groups: the 1Password security white paper",
    ),
    TokenFormat(
        "ARTIFACTORY_TOKEN",
        "JFrog Artifactory API key",
        ("AKCp",),
        r"[A-Za-z0-9]{60,80}",
        "https://jfrog.com/help/r/jfrog-platform-administration-documentation/access-tokens",
        boundary="",
        # Legacy API keys (removed end of 2024). JFrog's pages do not document their form;
        # the AKCp prefix and ~73 characters are what leaked keys show.
    ),
    TokenFormat(
        "ARTIFACTORY_TOKEN",
        "JFrog Artifactory reference token",
        ("cmVmdGtu",),
        r"[A-Za-z0-9]{56}(?![A-Za-z0-9])",
        "https://jfrog.com/help/r/jfrog-platform-administration-documentation/understanding-reference-tokens",
        boundary="",
        # JFrog: reference tokens "follow this pattern: cmVmd[A-Za-z0-9]{59}" (64 in all).
        # cmVmdGtu is base64 of "reftkn", how every reference token opens; the longer
        # prefix keeps a bare cmVmd… (base64 of any "ref…") from reading as a token.
        verified="64 characters, cmVmd + 59 alphanumerics: understanding-identity-tokens page",
    ),
    TokenFormat(
        "CLOUDFLARE_API_TOKEN",
        "Cloudflare",
        ("cfut_", "cfat_", "cfk_"),
        rf"[{_URLSAFE}]{{44,64}}(?![{_URLSAFE}])",
        "https://developers.cloudflare.com/fundamentals/api/get-started/token-formats/",
        # User API tokens (cfut_), account API tokens (cfat_) and the Global API Key
        # (cfk_): "a distinct prefix followed by 40 characters and a checksum". The
        # checksum's width is not given: 4 to 24 more characters. Tokens made before
        # the format carry no prefix and are read only under a key name.
        verified="cfut_/cfat_/cfk_ + 40 characters + checksum: Cloudflare's token formats page",
    ),
    TokenFormat(
        "DATADOG_TOKEN",
        "Datadog",
        ("ddpat_", "ddsat_", "ddapp_"),
        rf"[{_B62}]{{8,24}}_[{_B62}]{{40,80}}(?![{_B62}])",
        "https://docs.datadoghq.com/account_management/personal-access-tokens/",
        # Personal (ddpat_) and service (ddsat_) access tokens and the new application
        # keys (ddapp_): ddpat_<ALIAS>_<SECRET><CHECKSUM>, the alias base62 of the
        # token's UUID (up to 22), a 32-byte secret and a CRC32 "following the GitHub
        # checksum standard". The secret's encoding is not given: 40 to 80 base62.
        # Datadog's older API (32 hex) and application keys (40 hex) have no prefix.
        verified=(
            "ddpat_/ddsat_/ddapp_ and <alias>_<secret><crc32>: Datadog's "
            "account_management/personal-access-tokens page (DataDog/documentation)"
        ),
    ),
    TokenFormat(
        "PLAID_TOKEN",
        "Plaid",
        ("access-sandbox-", "access-development-", "access-production-"),
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z])",
        "https://plaid.com/docs/quickstart/glossary/",
        # "Plaid tokens are in the format [type]-[environment]-[uuid]", the UUID 8-4-4-
        # 4-12 hex. Only access tokens are here: they do not expire and reach an Item's
        # data; public and link tokens are short-lived and made to pass through clients.
        verified="[type]-[environment]-[uuid], UUID 8-4-4-4-12 hex: plaid.com quickstart glossary",
    ),
    # Password hashes an htpasswd file or a user database keeps: not a vendor's token but
    # the password's stand-in, cracked offline when it leaks (weak ones in seconds).
    TokenFormat(
        "PASSWORD_HASH",
        "bcrypt (Apache htpasswd -B, OpenBSD crypt)",
        ("$2y$", "$2b$", "$2a$"),
        r"\d{2}\$[./A-Za-z0-9]{53}",
        "https://httpd.apache.org/docs/2.4/misc/password_encryptions.html",
        # "$2y$" + crypt_blowfish: the page's example is $2y$05$ and 53 characters (a
        # 22-character salt and a 31-character hash); $2a$/$2b$ are the same algorithm's
        # other version markers.
        verified="$2y$, cost, 53 characters: the htpasswd -nbB example on the page",
    ),
    TokenFormat(
        "PASSWORD_HASH",
        "Apache MD5 (htpasswd -m)",
        ("$apr1$",),
        r"[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}",
        "https://httpd.apache.org/docs/2.4/misc/password_encryptions.html",
        # "The salt for an MD5 password is between $apr1$ and the following $ ... max 8
        # chars"; the hash after it is 22 characters in the page's examples.
        verified="$apr1$<salt, at most 8>$<22>: the htpasswd -nbm and openssl examples",
    ),
    TokenFormat(
        "PASSWORD_HASH",
        "Apache SHA1 (htpasswd -s)",
        ("{SHA}",),
        r"[A-Za-z0-9+/]{27}=",
        "https://httpd.apache.org/docs/2.4/misc/password_encryptions.html",
        # '"{SHA}" + Base64-encoded SHA-1 digest': 20 bytes, 28 base64 characters.
        verified="{SHA} + base64 of a SHA-1 digest (28 characters): the htpasswd -nbs example",
    ),
)

#: A Telegram bot token without the ``bot`` URL prefix: ``<bot id>:AA<33>``.
TELEGRAM_BARE = re.compile(r"(?<![\w:])(\d{8,10}):AA[A-Za-z0-9_-]{33}(?![\w-])")
#: A Discord bot token: base64 of the numeric bot id, a timestamp, an HMAC.
DISCORD_TOKEN = re.compile(r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}")


#: A Mailchimp API key: 32 hex digits, ``-us`` and the data centre.
MAILCHIMP_KEY = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}-us\d{1,2}(?!\d)")


def discord_ok(value: str) -> bool:
    """A Discord token's three parts (id, timestamp, HMAC) are not placeholders."""
    from .placeholders import is_placeholder

    return not any(is_placeholder(part) for part in value.split("."))


__all__ += ["DISCORD_TOKEN", "MAILCHIMP_KEY", "TELEGRAM_BARE", "discord_ok"]
