"""Credentials in text: provider API keys, the vendor token formats of
:mod:`.secret_formats`, private-key blocks, JWTs, bearer tokens, values given to key-like
names (:mod:`.assignments`), passwords in URLs and ``curl -u``, and passwords in
credential files, command lines, SQL, HTTP clients' auth pairs and prose
(:mod:`.password_forms`).

Each rule is a precompiled regex behind a literal prefilter (``"sk-" in text``), so a
prompt with no key-like prefix costs a handful of substring searches; every repeat is
bounded, so the cost is linear in the text. Values that look like placeholders
(``sk-your-key-here``, ``${API_KEY}``, ``<token>``, ``xxxx``; see :mod:`.placeholders`)
are not secrets. One Hyperscan pass over the text (:mod:`.scan_gate`, once its database
is built) says which rules and scans can find anything at all; the others are skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TypedDict, Unpack

from ..errors import ConfigurationError
from ..models import Action
from . import scan_gate
from ._scan import (
    Anchored,
    Occurrences,
    OnePass,
    TokenSet,
    TriggerIndex,
    fold,
    is_word_char,
)
from .assignments import (
    BASIC_LITERALS,
    KEYWORDS,
    Assignment,
    find_assignments,
    find_basic_credentials,
)
from .context import GuardContext, Stage
from .kube_secrets import KIND_MARK, find_kube_secret_values
from .literal_gate import LiteralGate, min_width
from .password_forms import LITERALS as PASSWORD_LITERALS
from .password_forms import PGPASS_MARK, Sureness, find_password_forms, password_like
from .placeholders import (
    brackets_cross,
    is_metavariable,
    is_placeholder,
    is_time_uuid,
    says_placeholder_word,
)
from .policy import ALL_STAGES, BasePolicy, Outcome
from .redaction import Finding
from .secret_formats import (
    DISCORD_TOKEN,
    MAILCHIMP_KEY,
    TELEGRAM_BARE,
    TOKEN_FORMATS,
    TokenFormat,
    crc32_tail_ok,
    discord_ok,
    has_delimiter,
)

__all__ = [
    "SECRET_ENTITIES",
    "SecretDetector",
    "SecretsPolicy",
    "is_placeholder",
    "looks_random",
    "may_hold_secret",
    "shannon_entropy",
]


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s character distribution."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def looks_random(
    value: str, *, min_len: int = 16, min_entropy: float = 3.0, sequences: bool = True
) -> bool:
    """True for a value that reads like a generated credential, not a word or template
    (``sequences``: an ascending run like ``abcdef`` makes it a sample)."""
    if len(value) < min_len or is_placeholder(value, sequences=sequences):
        return False
    classes = sum(
        (
            value != value.upper(),  # has a lower-case letter
            value != value.lower(),  # has an upper-case letter
            bool(_DIGIT.search(value)),
            bool(_SYMBOL.search(value)),
        )
    )
    return classes >= 2 and shannon_entropy(value) >= min_entropy


@dataclass(frozen=True)
class _Rule:
    entity: str
    anchor: Anchored
    #: Which regex group holds the secret (0: the whole match).
    group: int = 0
    validate: Callable[[str], bool] | None = None
    #: Find the triggers in the lower-cased text (the pattern itself says ``(?i:...)``).
    fold_case: bool = False
    #: One cheap substring every match contains (checked before the triggers).
    gate: str = ""


class _RuleOptions(TypedDict, total=False):
    """``_Rule``'s optional fields, as ``_rule`` takes them."""

    group: int
    validate: Callable[[str], bool] | None
    fold_case: bool
    gate: str


def _rule(
    entity: str,
    triggers: tuple[str, ...],
    pattern: str,
    *,
    boundary: str = "-",
    word_start: bool = True,
    **kw: Unpack[_RuleOptions],
) -> _Rule:
    return _Rule(entity, Anchored(triggers, re.compile(pattern), word_start, boundary), **kw)


_CODE_CHARS = set("()[]")
#: A value opening with a name and a bracket (``get(``, ``cfg[``, ``m{``): a call, an
#: index or a block, code whatever its brackets do after.
_CALL_START = re.compile(r"[A-Za-z_][\w.]{0,80}[(\[{]")
_DIGIT = re.compile(r"\d")
_SYMBOL = re.compile(r"[^\w.-]")
_MASKED_TAIL = frozenset("#*•")


def _body_ok(body: str) -> bool:
    """A vendor token's random part is not a placeholder (``xxxx``, ``EXAMPLE``, ...)."""
    return not is_placeholder(body)


def _whole_ok(value: str) -> bool:
    """An undelimited vendor token (``AKIA…``, ``SK…``) judged whole: not a placeholder,
    filler counting only as one character repeated (see :mod:`.secret_formats`)."""
    return not is_placeholder(value, fill=False)


def _jwt_ok(value: str) -> bool:
    """A JWT's header and payload are base64url of JSON objects."""
    parts = value.split(".")
    for part in parts[:2]:
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
            if not isinstance(json.loads(raw), dict):
                return False
        except (ValueError, binascii.Error):
            return False
    return True


def _authorization_ok(value: str) -> bool:
    """An Authorization header's credential: sixteen characters or more (padding aside)
    that read as generated, or a Basic pair (:func:`_basic_pair_ok`)."""
    if len(value.rstrip("=")) >= 16 and looks_random(value, min_len=16, min_entropy=3.0):
        return True
    return _basic_pair_ok(value)


def _basic_pair_ok(value: str) -> bool:
    """Does ``value`` decode to ``user:password`` (printable ASCII, a colon, a user or a
    password that is no placeholder)?"""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("ascii")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    user, colon, password = raw.partition(":")
    if not colon or not raw.isprintable() or len(raw) < 6:
        return False
    return any(part and not is_placeholder(part, sequences=False) for part in (user, password))


def _github_ok(value: str) -> bool:
    """Not a placeholder, or carrying a valid CRC32 tail (a genuine token whatever its
    random part happens to spell)."""
    body = value.split("_", 1)[-1].removeprefix("pat_")
    return _body_ok(body) or (value.startswith("gh") and crc32_tail_ok(body))


def _anthropic_ok(value: str) -> bool:
    return looks_random(value.split("-", 3)[-1], min_len=20)  # the placeholder check inside


def _openai_ok(value: str) -> bool:
    body = value[3:]
    for kind in ("proj-", "svcacct-", "admin-", "None-"):
        if body.startswith(kind):
            body = body[len(kind) :]
            break
    return looks_random(body, min_len=20)


_RULES: tuple[_Rule, ...] = (
    _rule(
        "ANTHROPIC_API_KEY",
        ("sk-ant-",),
        r"sk-ant-[a-z0-9]{2,12}-[A-Za-z0-9_-]{20,400}",
        validate=_anthropic_ok,
    ),
    _rule("OPENAI_API_KEY", ("sk-",), r"sk-(?!ant-)[A-Za-z0-9_-]{20,400}", validate=_openai_ok),
    _rule(
        "GOOGLE_API_KEY",
        ("AIza",),
        r"AIza[0-9A-Za-z_-]{35}(?![\w-])",
        # No delimiter after AIza, but Google documents no form for its keys to judge a
        # whole value against (the delimiter reading needs one): the body is judged.
        validate=lambda v: _body_ok(v[4:]),
    ),
    _rule("PERPLEXITY_API_KEY", ("pplx-",), r"pplx-[A-Za-z0-9]{32,128}(?![\w-])"),
    _rule(
        "AWS_ACCESS_KEY_ID",
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        # The access-key prefixes of AWS's unique-ID table (long-term, STS temporary,
        # service bearer token, context-specific credential): https://docs.aws.amazon.
        # com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes.
        # No delimiter after the prefix: judged whole.
        r"A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])",
        boundary="",
        validate=_whole_ok,
    ),
    _rule(
        "GITHUB_TOKEN",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})(?!\w)",
        boundary="",
        gate="_",
        validate=_github_ok,
    ),
    _rule(
        "JWT",
        ("eyJ",),
        r"eyJ[A-Za-z0-9_-]{5,4000}\.eyJ[A-Za-z0-9_-]{5,8000}(?:\.[A-Za-z0-9_-]{0,1000})?",
        validate=_jwt_ok,
    ),
    _rule(
        "BEARER_TOKEN",
        ("bearer",),
        r"(?i:bearer)[ \t]{1,8}([A-Za-z0-9._~+/-]{16,1000}={0,2})",
        group=1,
        validate=lambda v: looks_random(v, min_len=16, min_entropy=3.0),
        fold_case=True,
    ),
    _rule(
        # An Authorization header's credential under another scheme (RFC 9110 11.6.2):
        # "token" (GitHub's), Basic, ApiKey, or none. Bearer has its own rule above.
        "SECRET",
        ("authorization",),
        r"(?i:authorization)[\"'\]]{0,3}[ \t]{0,4}[:=][ \t]{0,4}[\"']?"
        r"(?:(?i:token|basic|apikey|api-key|api-token|key|digest)[ \t]{1,4})?"
        r"([A-Za-z0-9._~+/-]{8,1000}={0,2})",
        boundary="",
        group=1,
        # Or HTTP Basic credentials, base64 of "user-id:password" (RFC 7617, section 2),
        # judged by what they decode to, so a short pair counts too.
        validate=lambda v: _authorization_ok(v),
        fold_case=True,
    ),
)


def _format_rule(fmt: TokenFormat) -> _Rule:
    prefixes = "|".join(re.escape(p) for p in fmt.prefixes)
    body = fmt.body
    if fmt.fill_length and not fmt.delimited:  # the documented length, filled
        fill = rf"(?P<fill>[A-Za-z0-9])(?P=fill){{{fmt.fill_length - 1}}}(?![A-Za-z0-9])"
        body = f"(?:{body}|{fill})"
    return _rule(
        fmt.entity,
        fmt.prefixes,
        f"(?:{prefixes}){body}",
        boundary=fmt.boundary,
        # A marker inside a token (".atlasv1.") follows the token's first part.
        word_start=fmt.prefixes[0][:1].isalnum(),
        validate=partial(_format_ok, fmt),
    )


def _periodic(body: str) -> bool:
    """Is ``body`` a unit of two to four characters said over and over (``123123…``,
    ``abab…``)? A generated body never is; a typed sample often is. (One character
    repeated is the placeholder rules' to judge, by the vendor's delimiter.)"""
    if len(set(body)) < 2:
        return False
    for unit in (2, 3, 4):
        if (
            len(body) >= 3 * unit
            and body == body[:unit] * (len(body) // unit) + body[: len(body) % unit]
        ):
            return True
    return False


def _format_ok(fmt: TokenFormat, value: str) -> bool:
    body = next((value[len(p) :] for p in fmt.prefixes if value.startswith(p)), value)
    if _periodic(body):
        return False
    if not fmt.delimited:
        # Judged whole, and from where the body starts too: a placeholder word is a
        # word there (``AKCpyour…``), though glued to the prefix.
        ok = _whole_ok(value) and not says_placeholder_word(body)
        return ok and (fmt.checksum is None or fmt.checksum(value))
    if not _body_ok(body) and not (fmt.proof is not None and fmt.proof(body)):
        return False
    return fmt.checksum is None or fmt.checksum(value)


_RULES = (*_RULES, *(_format_rule(f) for f in TOKEN_FORMATS))


#: Does a case-folded rule have a token gate? (Only then are the lower-cased text's
#: tokens worth computing: the bearer rule's trigger is one whole word, no gate.)
_FOLDED_GATES = any(
    gate is not None for r in _RULES if r.fold_case for gate in r.anchor.token_gates
)
SECRET_ENTITIES: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            "PRIVATE_KEY",
            *(r.entity for r in _RULES),
            "DISCORD_TOKEN",
            "TELEGRAM_BOT_TOKEN",
            "MAILCHIMP_KEY",
            "AZURE_CLIENT_SECRET",
            "AZURE_STORAGE_KEY",
            "PASSWORD",
            "SECRET",
        )
    )
)

# Key-like names, found by their last word (``OPENAI_API_KEY`` by ``key``), matched on
# the lower-cased text; the whole name is read back from the text.
_PASSWORD_WORDS = ("pass", "pwd", "pw", "contrase", "psk")
#: What a private-key block's header says; the body must then hold base64.
_PK_HEADER = re.compile(r"-----BEGIN ((?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?)-----")
_PK_BASE64 = re.compile(r"(?:\\n|\s){1,8}[A-Za-z0-9+/]{40}")
_PK_CUT = re.compile(r"(?:(?:\\n|\s){1,8}[A-Za-z0-9+/=]{8,200})*")
_PK_END = "-----END "
#: Where a private-key block starts (its header is matched there).
_PK_BEGIN = "-----BEGIN "


def _closing_trimmed(value: str) -> str:
    """``api_key=abc)`` is the end of a call, not part of the key: drop closing brackets
    that nothing in the value opened."""
    if any(ch in value for ch in "([{<"):
        return value
    return value.rstrip(")]}>")


#: A name's last word that says its value refers to the secret rather than being it
#: (``secret_name``, ``DB_PASSWORD_FILE``, ``tokenUrl``, ``api_key_header``).
_REFERENCE_PARTS = frozenset(
    {
        *("path", "file", "filename", "dir", "url", "uri", "endpoint", "location", "ref"),
        *("name", "arn", "env", "var", "header", "type", "field", "format", "label"),
        *("length", "len", "prefix", "suffix", "version", "region", "policy", "provider"),
        *("ttl", "expiry", "expires", "expiration", "description", "hint", "mode"),
        *("param", "parameter", "stdin", "fd"),
        # What the key is or how it is used, not the key: its id (``kms_key_id``), a hash
        # or size of it, the characters keys are made of, a key-press event, a key pair
        # object, a keystore alias.
        *("id", "ids", "hash", "size", "chars", "event", "alias", "pair"),
    }
)
#: A word part before the key word that makes the value something other than a
#: credential: published material (``public_key``, ``SshPublicKey``, ``publicToken``), a
#: database or storage record's key (``primaryKey``, ``bucket_key``, ``schemaKey``), an
#: anti-forgery token sent with every form (``csrf-token``).
_NOT_CREDENTIAL_KINDS = frozenset(
    {
        *("public", "pub", "publishable"),
        *("primary", "foreign", "schema", "sequence", "bucket", "partition", "sort"),
        *("idx", "index", "natural", "composite", "unique", "surrogate", "candidate"),
        *("csrf", "xsrf"),
    }
)
_PART_BEFORE = re.compile(r"(?:[A-Z]?[a-z0-9]+|[A-Z0-9]+)[_.\-]?$")
#: A directory path (``/home/user``, ``~/src``): what ``PWD`` holds.
#: A web or file address with no user, query or fragment (``https://host/GPG-KEY``): given
#: to a key-like name it says where something is (a public key's URL, ``--ask-password``
#: followed by the URL it opens), not the credential itself, unless a segment of its path
#: reads as generated (a webhook's secret).
_PLAIN_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s@?#]{0,300}")


def _secret_in_path(url: str) -> bool:
    """Does a segment of ``url``'s path read as generated (a webhook's secret, a key in
    the path: ``https://hooks.example.com/services/<random>``)?"""
    path = url.split("://", 1)[1].split("/")[1:]
    # A digit too: words joined by dashes (``GPG-KEY-elasticsearch``) mix cases and a
    # symbol but are a name; a generated secret of that length nearly always has one.
    return any(
        _DIGIT.search(seg) and looks_random(seg, min_len=12, min_entropy=3.0, sequences=False)
        for seg in path
    )


#: Words and blanks only, two words or more: a sentence, where a key (never holding a
#: blank) would stand. (Passwords are judged apart: a passphrase is words.)
_PROSE = re.compile(r"[A-Za-z]{1,40}(?:[ \t]{1,4}[A-Za-z]{1,40}){1,30}")
#: What a name and a value are compared as (``$DB_PASS``, ``'api-key'`` read bare).
_NAME_TRIM = "$'\"{}%<>[] "


def _names_itself(name: str, value: str) -> bool:
    """Is ``value`` the setting's own name (``TRAVEL_API_KEY: TRAVEL_API_KEY``,
    ``DB_PASSWORD=$DB_PASSWORD``)? A template left unfilled, not a credential."""
    bare = value.strip(_NAME_TRIM)
    return len(bare) >= 3 and bare.lower() == name.strip(_NAME_TRIM).lower()


_PATH = re.compile(r"~?/[\w.~/-]*")
#: ``psk`` as a Wi-Fi setting names it (``psk``, ``wpa_psk``, ``wifi.psk``), not a flag
#: that mentions it (``HAS_PSK``).
_PSK_NAME = re.compile(r"(?:^|[.])(?:(?:wpa|wpa2|wifi|wlan|wireless)[_.\-]?)?psk$", re.IGNORECASE)
_LAST_PART = re.compile(r"(?:[A-Z]?[a-z0-9]+|[A-Z0-9]+)$")


#: Words that, right after ``key``, make it another thing than a credential: a keyboard's
#: key and its events (``keyCode``, ``key_press``, ``KeyUp``), an animation key frame, a
#: music key signature, a DKIM key selector (published in DNS), a cipher's key meshing,
#: and a keyword.
#: What joins the words of a name or slug (``shorter-version``, ``not_set``).
_WORD_JOINS = re.compile(r"[-_]")
_OTHER_KEY_SENSES = frozenset(
    {
        *("code", "codes", "board", "press", "pressed", "stroke", "strokes", "up", "down"),
        *("left", "right", "frame", "frames", "signature", "signatures", "selector"),
        *("mesh", "meshing", "word", "words", "stone"),
    }
)
_NEXT_PART = re.compile(r"[_.\-]?([A-Z]?[a-z]+|[A-Z]+(?![a-z]))")


def _names_other_key(a: Assignment) -> bool:
    """Does the word part after ``key`` make the name something other than a key one
    keeps secret (``keyCode``, ``key_frame``, ``KEY_SELECTOR``; see
    :data:`_OTHER_KEY_SENSES`)?"""
    if a.keyword != "key":
        return False
    at = a.name.lower().rfind("key")
    m = _NEXT_PART.match(a.name, at + 3)
    return m is not None and m.group(1).lower() in _OTHER_KEY_SENSES


def _names_a_reference(name: str) -> bool:
    """Does ``name`` end in a word like ``_path``, ``Name``, ``_URL``?"""
    m = _LAST_PART.search(name)
    return m is not None and m.group().lower() in _REFERENCE_PARTS


def _names_no_credential(a: Assignment) -> bool:
    """Does the word part before the key word say the key is no credential
    (``public_key``, ``primaryKey``, ``csrf_token``)?"""
    at = a.name.lower().rfind(a.keyword)
    if at <= 0:
        return False
    m = _PART_BEFORE.search(a.name, 0, at)
    return m is not None and m.group().rstrip("_.-").lower() in _NOT_CREDENTIAL_KINDS


def _vendor_prefixes() -> dict[str, tuple[tuple[str, re.Pattern[str]], ...]]:
    """The rules' cased triggers that hold a delimiter (``xoxp-``, ``sm_aat_``, ``ghp_``),
    four characters or more and opening with a letter, with the rule's pattern, keyed by
    their first four characters."""
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for rule in _RULES:
        for trigger in () if rule.fold_case else rule.anchor.triggers:
            if len(trigger) >= 4 and trigger[0].isalpha() and has_delimiter(trigger):
                table.setdefault(trigger[:4], []).append((trigger, rule.anchor.pattern))
    return {key: tuple(entries) for key, entries in table.items()}


def _short_vendor_prefix(value: str) -> int:
    """The length of the vendor's delimited prefix ``value`` opens with, when what
    follows is not that vendor's form (``sm_aat_9cceh9`` cut short, ``xoxp-1234567890``
    without Slack's parts); else 0. Such a value is judged by what follows the prefix
    alone: a sample has little there, a key in a form the table does not know still
    reads as generated. (A value in the vendor's form is the vendor rule's to judge.)"""
    entries = _VENDOR_PREFIXES.get(value[:4])
    if not entries:
        return 0
    found = [(prefix, form) for prefix, form in entries if value.startswith(prefix)]
    if not found or any(form.match(value) is not None for _, form in found):
        return 0
    return max(len(prefix) for prefix, _ in found)


def _assignment_ok(a: Assignment, value: str, *, assigned: bool = False) -> bool:
    """Is the value given to a key-like name a credential?

    Passwords (``password``, ``pass``, ``pwd``, ``pw``, ``passcode``, ``psk``): six
    characters or more, not a placeholder, and not bare lower-case words unless quoted
    (``password: required`` is prose, ``pwd = see-below`` a name); under ``pwd``, not a
    directory (``PWD=/home/x``); under ``pass``, a word of its own too, never plain
    lower-case words, and under a bare ``pass`` only a quoted value or one given with
    ``=`` to ``PASS`` (``season pass: 2024-25`` is prose; ``assigned``: the value was
    given with ``=``).
    Keys, tokens, secrets: twelve characters or more that read as generated (two
    character classes and some entropy), or sixteen digits or more.

    Under a key name an ascending run (``1234567890abcdef…``) does not make a value a
    sample: what a person typed there is what the program uses. (After a vendor prefix
    it does: a real token's body is random, so a run marks a documentation sample.)
    """
    if (
        not a.quoted
        and _CODE_CHARS.union("{}").intersection(value)
        and (_CALL_START.match(value) is not None or not brackets_cross(value))
    ):
        return False  # a call, an index or a template: code that fetches the secret
    if _PLAIN_URL.fullmatch(value) and not _secret_in_path(value):
        return False  # an address: where something is, not a secret
    if _names_itself(a.name, value):
        return False  # DB_PASSWORD=DB_PASSWORD: the setting's name where its value goes
    if is_metavariable(value):
        return False  # --password=PAROLA, token: GITHUB_TOKEN: a name for the value
    if _names_a_reference(a.name) or _names_no_credential(a) or _names_other_key(a):
        return False  # where the secret is, or what it is called: not the secret
    value = value[_short_vendor_prefix(value) :]
    if any(w in a.keyword for w in _PASSWORD_WORDS):
        # A password is judged whole: a word glued to a run of one letter is a chosen
        # password, and only a value that is one character repeated is filler.
        if len(value) < 6 or is_placeholder(value, sequences=False, fill=False):
            return False
        if a.keyword == "pwd" and _PATH.fullmatch(value):
            return False  # the shell's working directory: PWD=/home/user
        if a.keyword == "psk" and not _PSK_NAME.search(a.name):
            return False  # three letters a random blob spells ("…1Psk:…"): a word part only
        # Lower-case words, alone or joined as a name is (``shorter-version``, ``see_below``).
        plain_word = all(part.isalpha() and part.islower() for part in _WORD_JOINS.split(value))
        if a.keyword == "pass":  # a word too: "season pass: 2024-25", first_pass = "merge"
            # A bare PASS counts written as an environment variable (PASS=…) or quoted.
            named = a.name.lower() != "pass" or (a.name == "PASS" and assigned)
            return (a.quoted or named) and not plain_word
        return a.quoted or not plain_word
    if _PROSE.fullmatch(value):
        return False  # "Get this from elsewhere": a note where a key goes, not a key
    if value.isdigit():
        return len(value) >= 16 and not is_placeholder(value, sequences=False)
    if is_time_uuid(value):
        return False  # a clock reading and a node: an identifier (see is_time_uuid)
    return looks_random(value, min_len=12, min_entropy=3.0, sequences=False)


_VENDOR_PREFIXES = _vendor_prefixes()

#: Which rules have a trigger in a text (:meth:`SecretDetector.find` starts only those).
_TRIGGERS = TriggerIndex([(r.anchor, r.fold_case) for r in _RULES])
#: The triggers looked for in the text itself (not lower-cased), found in one pass.
#: (And the literals the basic-credential scan starts from: it skips those found nowhere.)
_ONE_PASS = OnePass(
    [*(t for r in _RULES if not r.fold_case for t in r.anchor.triggers), *BASIC_LITERALS]
)


class SecretDetector:
    """Finds credentials: the provider and vendor rules, private keys, key-like
    assignments and basic-auth passwords."""

    def find(self, text: str) -> list[Finding]:
        """Every credential found, each as a span over the secret value only."""
        if not _may_hold(text):
            return []  # none of the literals any finding starts from: nothing to scan
        return self.scan(text)

    def scan(self, text: str) -> list[Finding]:
        """:meth:`find` without the literal gate in front (the same findings)."""
        gate = scan_gate.gate(_UNITS)
        units = gate.matching(text)
        if units is not None:
            return _scan_units(text, units, gate.uncovered)
        return _scan_all(text)


def _scan_all(text: str) -> list[Finding]:
    """:meth:`SecretDetector.scan` with every part, the rules started by their triggers
    found in one pass."""
    lower = fold(text)
    present = {False: TokenSet(text), True: TokenSet(lower) if _FOLDED_GATES else None}
    # Most texts hold the triggers of few rules: only those rules are started (the
    # triggers found in one pass decide which; a gated one's tokens read on demand).
    seen = _ONE_PASS.occurrences(text)  # the triggers looked for in the text itself
    rules = _TRIGGERS.rules_in(text, lower, present, seen)
    found = list(_rule_findings(text, rules, lower, present, seen))
    found.extend(_private_keys(text))
    found.extend(_bare_tokens(text))
    words = _WORD_PASS.occurrences(lower)  # the key words and the forms' literals
    found.extend(_assignment_findings(text, lower, words))
    found.extend(_kube_findings(text, lower))
    found.extend(_basic_findings(text, seen))
    found.extend(_password_form_findings(text, lower, found, words))
    return found


#: How many candidate values' verdicts (a rule's validation, an assignment's) are kept.
#: Each is a pure function of the value, and the same values come back: a conversation's
#: earlier messages are checked again with every call, and a reply quotes its prompt.
#: (The values stay in this process's memory, as the prompts holding them do; nothing is
#: written anywhere. ``bench.guardian_speed`` also measures with these memos emptied.)
_VERDICTS_KEPT = 4096
#: Longer values (a JWT runs to kilobytes) are judged afresh, so the memo stays small.
_VERDICT_CHARS = 256


def _rule_findings(
    text: str,
    rules: Iterable[int],
    lower: str,
    present: dict[bool, TokenSet | None],
    seen: Occurrences | None,
) -> Iterator[Finding]:
    """What the rules numbered ``rules`` (ascending) find; ``seen``: where the triggers
    of the text itself occur, if looked up in one pass."""
    for i in rules:
        rule = _RULES[i]
        haystack = lower if rule.fold_case else text
        if rule.gate and rule.gate not in haystack:
            continue
        there = None if rule.fold_case else seen
        for m in rule.anchor.finditer(haystack, text, present[rule.fold_case], there):
            value = m.group(rule.group)
            if text[m.end() : m.end() + 1] in _MASKED_TAIL:
                continue  # "xoxp-1234-####": a sample with its secret part masked
            if rule.validate is None or _accepts(i, value):
                start = m.start(rule.group)
                if not rule.anchor.word_start:  # "<id>.atlasv1.<secret>": the id too
                    floor = max(0, start - 32)
                    while start > floor and text[start - 1].isalnum():
                        start -= 1
                yield Finding(rule.entity, start, m.end(rule.group), 0.99)


def _accepts(index: int, value: str) -> bool:
    """``_RULES[index].validate(value)``, remembered for a value of at most
    :data:`_VERDICT_CHARS` characters."""
    if len(value) > _VERDICT_CHARS:
        validate = _RULES[index].validate
        return validate is None or validate(value)
    return _rule_accepts(index, value)


@lru_cache(maxsize=_VERDICTS_KEPT)
def _rule_accepts(index: int, value: str) -> bool:
    """``_RULES[index].validate(value)``, remembered (see :data:`_VERDICTS_KEPT`)."""
    validate = _RULES[index].validate
    return validate is None or validate(value)


@lru_cache(maxsize=_VERDICTS_KEPT)
def _assignment_accepts(
    name: str, keyword: str, quoted: bool, value: str, assigned: bool = False
) -> bool:
    """:func:`_assignment_ok` for an assignment of ``value`` to ``name`` (what it reads
    of the assignment), remembered (see :data:`_VERDICTS_KEPT`)."""
    return _assignment_ok(Assignment(name, keyword, 0, 0, quoted), value, assigned=assigned)


def _assigned(text: str, start: int) -> bool:
    """Is the value at ``start`` given with ``=`` (``PASS=…``, ``PASS="…"``), not ``:``
    or a blank (``PASS: test_x``, a test runner's line)?"""
    return text[max(0, start - 2) : start].endswith(("=", "='", '="'))


def _assignment_findings(
    text: str, lower: str, words: Occurrences | None = None
) -> Iterator[Finding]:
    """Credentials given to key-like names (``words``: see :data:`_WORD_PASS`)."""
    for a in find_assignments(text, lower, words):
        value = _closing_trimmed(text[a.start : a.end])
        if (
            _assignment_accepts(a.name, a.keyword, a.quoted, value, _assigned(text, a.start))
            if len(value) <= _VERDICT_CHARS
            else _assignment_ok(a, value, assigned=_assigned(text, a.start))
        ):
            entity = "PASSWORD" if any(w in a.keyword for w in _PASSWORD_WORDS) else "SECRET"
            yield Finding(entity, a.start, a.start + len(value), 0.8)


def _kube_findings(text: str, lower: str) -> Iterator[Finding]:
    """The values of Kubernetes Secret manifests (``kind: Secret``, under ``data:``:
    ``secret`` is an assignment key word, so this runs where assignments are looked for)."""
    if KIND_MARK in lower:
        for start, end in find_kube_secret_values(text):
            yield Finding("SECRET", start, end, 0.9)


_QUOTES = frozenset("\"'`\u201c")


def _password_form_findings(
    text: str, lower: str, found: list[Finding], words: Occurrences | None = None
) -> Iterator[Finding]:
    """Passwords in credential files, command lines, SQL, HTTP clients' auth pairs and
    prose (:mod:`.password_forms`), each once: a span ``found`` holds already (``--password
    X`` is a flag's value and "password X" in prose) is not found again."""
    spans = {(f.start, f.end) for f in found}
    for start, end, sureness in find_password_forms(text, lower, words):
        if (start, end) in spans:
            continue
        if sureness is Sureness.KEY_SAID:
            if _said_key_ok(text[start:end]):
                spans.add((start, end))
                yield Finding("SECRET", start, end, 0.8)
            continue
        quoted = start > 0 and text[start - 1] in _QUOTES
        if password_like(text[start:end], sureness, quoted):
            spans.add((start, end))
            yield Finding("PASSWORD", start, end, 0.8)


#: A key said in prose (``the API key is …``) is taken when it reads as generated: this
#: long, this varied, with digits among its letters (``ERC20-compatible`` and
#: ``in-the-vault`` are prose; a version or a date has too few letters).
_SAID_KEY_MIN_CHARS = 20
_SAID_KEY_MIN_ENTROPY = 3.5
_SAID_KEY_MIN_DIGITS = 2
_SAID_KEY_MIN_LETTERS = 6


#: A digest said after "key" is a fingerprint, public by design ("the host key is
#: SHA256:nThbg6…", as ``ssh-keygen -l`` prints it).
_DIGEST_SCHEMES = ("sha256:", "sha1:", "sha512:", "sha384:", "md5:")


def _said_key_ok(value: str) -> bool:
    """Does a value said after a key word in prose read as a generated key?"""
    if value[:7].lower().startswith(_DIGEST_SCHEMES):
        return False
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    return (
        digits >= _SAID_KEY_MIN_DIGITS
        and letters >= _SAID_KEY_MIN_LETTERS
        and looks_random(value, min_len=_SAID_KEY_MIN_CHARS, min_entropy=_SAID_KEY_MIN_ENTROPY)
    )


def _basic_findings(text: str, seen: Occurrences | None) -> Iterator[Finding]:
    """Passwords in URLs, ``curl -u`` and Bundler's credentials."""
    for start, end in find_basic_credentials(text, seen):
        if not is_placeholder(text[start:end], sequences=False) and end - start >= 4:
            yield Finding("PASSWORD", start, end, 0.8)


def _scan_units(text: str, units: set[int], uncovered: tuple[int, ...]) -> list[Finding]:
    """:meth:`SecretDetector.scan` running only the parts whose unit (see
    :data:`_UNITS`) matches somewhere in the text, or that the database does not cover
    (``uncovered``): the others would find nothing. In the same order, so the same
    findings in the same order."""
    live = units.union(uncovered) if uncovered else units
    rules = sorted(i for i in live if i < len(_RULES))
    folded = _ASSIGN_UNIT in live or _FORMS_UNIT in live or any(_RULES[i].fold_case for i in rules)
    lower = fold(text) if folded else text
    # Where the rules' triggers occur: one pass for them all when the rules to run have
    # more than a few (each alone is a str.find over the whole text).
    lookups = sum(_TRIGGER_COUNTS[i] for i in rules)
    seen = _ONE_PASS.occurrences(text) if lookups > _FINDS_BEFORE_ONE_PASS else None
    found: list[Finding] = []
    if rules:
        present = {False: TokenSet(text), True: TokenSet(lower) if _FOLDED_GATES else None}
        found.extend(_rule_findings(text, rules, lower, present, seen))
    if _PK_UNIT in live:
        found.extend(_private_keys(text))
    if _BARE_UNIT in live:
        found.extend(_bare_tokens(text))
    # The key words and the password forms' literals found in one pass, for both.
    words = _WORD_PASS.occurrences(lower) if folded and _WORDS_UNITS & live else None
    if _ASSIGN_UNIT in live:
        found.extend(_assignment_findings(text, lower, words))
        found.extend(_kube_findings(text, lower))
    if _BASIC_UNIT in live:
        found.extend(_basic_findings(text, seen))
    if _FORMS_UNIT in live:
        found.extend(_password_form_findings(text, lower, found, words))
    return found


#: How many triggers each rule has (looked up in the text when the rule runs).
_TRIGGER_COUNTS = tuple(0 if r.fold_case else len(r.anchor.triggers) for r in _RULES)
#: Trigger look-ups done one by one (``str.find``) before one pass finds them all.
_FINDS_BEFORE_ONE_PASS = 4


def _private_keys(text: str) -> Iterator[Finding]:
    """Private-key blocks with a base64 body (an empty or made-up body is not a key).
    The next ``-----END`` is looked up once and reused, so many headers stay linear."""
    pos = text.find(_PK_BEGIN)
    next_end = -2
    while pos >= 0:
        m = _PK_HEADER.match(text, pos)
        body = _PK_BASE64.match(text, m.end()) if m else None
        # A body of one or two characters repeated (``XXXX…``) is a placeholder.
        if m and body and len(set(body.group()[-40:])) > 2:
            if next_end != -1 and next_end < m.end():
                next_end = text.find(_PK_END, m.end())
            if next_end >= 0:
                close = text.find("-----", next_end + len(_PK_END))
                end = next_end if close < 0 else close + 5
            else:
                cut = _PK_CUT.match(text, m.end())  # cut off: as far as base64 goes
                end = cut.end() if cut else m.end()
            yield Finding("PRIVATE_KEY", m.start(), end, 0.99)
            pos = text.find(_PK_BEGIN, end)
        else:
            pos = text.find(_PK_BEGIN, pos + 1)


_DISCORD_MIDDLE = re.compile(r"\.[A-Za-z0-9_-]{6}\.")
#: The literals a Telegram bot token and a Mailchimp key are looked for after.
_TELEGRAM_MARK = ":AA"
_MAILCHIMP_MARK = "-us"
#: A Microsoft Entra (Azure AD) client secret: three characters, a digit, ``Q~`` and 31
#: to 34 more, 40 at most, of letters, digits and ``- _ . ~``. Microsoft Purview's
#: definition (learn.microsoft.com/purview/sit-defn-azure-ad-client-secret: "up to 40
#: characters"; its examples ``abc7Q~`` + 31 and ``abc8Q~`` + 34). Found after ``Q~``, the
#: match starting four characters before it.
_ENTRA_MARK = "Q~"
#: An Azure Storage account key written without its ``AccountKey=`` (a SQL credential's
#: ``SECRET``, a portal copy): 86 base64 characters and ``==`` (Microsoft Purview's
#: definition, learn.microsoft.com/purview/sit-defn-azure-storage-account-key-generic),
#: counted only with "Azure" on its line or within two lines of it, and not when the
#: line names it an integrity hash (``sha512-``) or a public key (``ssh-rsa``, ``PublicKey``).
#: A PuTTY private key file (``.ppk``): its first line is ``PuTTY-User-Key-File-<version>:
#: <algorithm>`` (PuTTY's manual, appendix C, "PPK file format"), then ``Name: value``
#: lines and base64 lines, ending with ``Private-MAC:``. Found at a line's start or
#: before its ``:``; the span runs over the file's lines that follow.
_PUTTY_MARK = "PuTTY-User-Key-File-"
_PUTTY_FILE = re.compile(
    r"PuTTY-User-Key-File-\d(?::[^\n]{0,200}|(?=[ \t]*(?:\r?\n|$)))"
    r"(?:\r?\n(?:[A-Za-z-]{1,40}:[^\n]{0,400}|[A-Za-z0-9+/=]{1,400}))*"
)
_AZURE_WORD = "azure"
_AZURE_KEY = re.compile(r"(?<![A-Za-z0-9+/=-])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])")
_AZURE_MENTION = re.compile(_AZURE_WORD, re.IGNORECASE)
_AZURE_NOT_KEY = re.compile(r"sha\d{3}-|ssh-|public", re.IGNORECASE)
_AZURE_LINES = 2
_ENTRA_SECRET = re.compile(
    r"(?<![A-Za-z0-9_.~-])[A-Za-z0-9_.~-]{3}\dQ~[A-Za-z0-9_.~-]{31,34}(?![A-Za-z0-9_.~-])"
)


def _bare_tokens(text: str) -> Iterator[Finding]:
    """Discord bot tokens, Telegram bot tokens without their URL prefix, and Mailchimp
    API keys (32 hex digits, ``-us`` and the data centre number)."""
    if _TELEGRAM_MARK in text:
        for m in TELEGRAM_BARE.finditer(text):
            if not is_placeholder(m.group()[m.group().index(":") + 3 :]):
                yield Finding("TELEGRAM_BOT_TOKEN", m.start(), m.end(), 0.95)
    # A Discord token's middle part (".", six characters, ".") is a literal-led search;
    # no token starts more than 26 characters before the first one.
    middle = _DISCORD_MIDDLE.search(text)
    if middle is not None:
        for m in DISCORD_TOKEN.finditer(text, max(0, middle.start() - 26)):
            if (m.start() == 0 or not is_word_char(text[m.start() - 1])) and discord_ok(m.group()):
                yield Finding("DISCORD_TOKEN", m.start(), m.end(), 0.95)
    if _MAILCHIMP_MARK in text:
        for m in MAILCHIMP_KEY.finditer(text):
            if not is_placeholder(m.group()[:32]):
                yield Finding("MAILCHIMP_KEY", m.start(), m.end(), 0.95)
    yield from _entra_secrets(text)
    yield from _putty_keys(text)
    # (Two substring scans first: a case-folded regex over every text costs more.)
    if ("zure" in text or "ZURE" in text) and _AZURE_MENTION.search(text) is not None:
        yield from _azure_storage_keys(text)


def _putty_keys(text: str) -> Iterator[Finding]:
    """PuTTY key files: the header at a line's start or followed by its ``:``."""
    at = text.find(_PUTTY_MARK)
    while at >= 0:
        ppk = _PUTTY_FILE.match(text, at)
        if ppk is not None:
            says_algorithm = ppk.group().startswith(":", len(_PUTTY_MARK) + 1)
            if says_algorithm or _line_start(text, at):
                yield Finding("PRIVATE_KEY", ppk.start(), ppk.end(), 0.95)
        at = text.find(_PUTTY_MARK, at + len(_PUTTY_MARK))


def _azure_storage_keys(text: str) -> Iterator[Finding]:
    """Bare Azure Storage account keys near a mention of Azure (see :data:`_AZURE_KEY`)."""
    for m in _AZURE_KEY.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _AZURE_NOT_KEY.search(text, line_start, m.start()) is not None:
            continue
        lo = line_start
        for _ in range(_AZURE_LINES):
            lo = text.rfind("\n", 0, max(lo - 1, 0)) + 1 if lo > 0 else 0
        hi = m.end()
        for _ in range(_AZURE_LINES + 1):
            nxt = text.find("\n", hi + 1)
            hi = len(text) if nxt < 0 else nxt
        if _AZURE_MENTION.search(text, lo, hi) is not None:
            yield Finding("AZURE_STORAGE_KEY", m.start(), m.end(), 0.9)


def _line_start(text: str, at: int) -> bool:
    """Is ``at`` the first non-blank character of its line?"""
    return not text[text.rfind("\n", 0, at) + 1 : at].strip()


def _entra_secrets(text: str) -> Iterator[Finding]:
    """Entra client secrets, one bounded match tried at each ``Q~`` (a filler body,
    ``xxxx…``, is a placeholder)."""
    at = text.find(_ENTRA_MARK, 4)
    while at >= 0:
        m = _ENTRA_SECRET.match(text, at - 4)
        if m is not None and not is_placeholder(m.group()[6:]):
            yield Finding("AZURE_CLIENT_SECRET", m.start(), m.end(), 0.95)
        at = text.find(_ENTRA_MARK, at + 2)


#: What every finding of :meth:`SecretDetector.find` starts from, read off the tables its
#: scans use: a rule's triggers (in the text, or lower-cased for a case-folded rule), a
#: private key's header, the Telegram and Mailchimp marks and the basic-credential
#: literals (in the text), the assignment key words (lower-cased); and a Discord token,
#: which has no literal but a shortest length and its middle part (:func:`_may_hold`).
#: A short text holding none of them (a model id, a route reason, a short reply) is
#: answered without the scans.
_GATE = LiteralGate(
    cased=[
        *(t for r in _RULES if not r.fold_case for t in r.anchor.triggers),
        _PK_BEGIN,
        _TELEGRAM_MARK,
        _MAILCHIMP_MARK,
        _ENTRA_MARK,
        _PUTTY_MARK,
        *BASIC_LITERALS,
    ],
    folded=[
        *(t for r in _RULES if r.fold_case for t in r.anchor.triggers),
        *KEYWORDS,
        *PASSWORD_LITERALS,
        _AZURE_WORD,
    ],
)
#: The fewest characters a Discord token spans.
_DISCORD_CHARS = min_width(DISCORD_TOKEN)


def _may_hold(text: str) -> bool:
    """``_GATE.may_hold(text)``, or a Discord token's length and middle part (``.``, six
    characters, ``.``: what :func:`_bare_tokens` looks for first). (A gate that let
    every text with a ``.`` through for a Discord token scanned most short replies.)"""
    if _GATE.may_hold(text):
        return True
    if ":" in text and PGPASS_MARK.search(text) is not None:  # a .pgpass line's port
        return True
    return len(text) >= _DISCORD_CHARS and _DISCORD_MIDDLE.search(text) is not None


#: The units of :mod:`.scan_gate` for the scan's parts: one per rule (its triggers, in
#: the text or lower-cased), then a private key's header, the bare tokens' marks (the
#: Telegram and Mailchimp literals, a Discord token's middle), the assignment key words
#: (lower-cased) and the basic-credential literals.
_UNITS: tuple[str, ...] = (
    *(
        scan_gate.literals(folded=r.anchor.triggers)
        if r.fold_case
        else scan_gate.literals(cased=r.anchor.triggers)
        for r in _RULES
    ),
    scan_gate.literals(cased=[_PK_BEGIN]),
    scan_gate.literals(
        cased=[_TELEGRAM_MARK, _MAILCHIMP_MARK, _ENTRA_MARK, _PUTTY_MARK], folded=[_AZURE_WORD]
    )
    + "|"
    + _DISCORD_MIDDLE.pattern,
    scan_gate.literals(folded=KEYWORDS),
    scan_gate.literals(cased=BASIC_LITERALS),
    scan_gate.literals(folded=PASSWORD_LITERALS) + "|" + PGPASS_MARK.pattern,
)
_PK_UNIT, _BARE_UNIT, _ASSIGN_UNIT, _BASIC_UNIT, _FORMS_UNIT = range(len(_RULES), len(_UNITS))
_WORDS_UNITS = frozenset({_ASSIGN_UNIT, _FORMS_UNIT})
#: The assignment key words and the password forms' literals, found in the lower-cased
#: text in one pass for both scans.
_WORD_PASS = OnePass((*KEYWORDS, *PASSWORD_LITERALS))


def may_hold_secret(text: str) -> bool:
    """Could :meth:`SecretDetector.find` find anything in ``text``? ``False`` only for a
    short text holding none of the literals every finding starts from (sub-µs)."""
    return _may_hold(text)


class SecretsPolicy(BasePolicy):
    """Blocks (input) or redacts (output) credentials; never lets one pass through.

    Even when the action is ``block``, the findings are redacted from the verdict's text,
    so what the audit stores has no secret in it.
    """

    name = "secrets"

    def __init__(
        self,
        *,
        input_action: Action = "block",
        output_action: Action = "redact",
        stages: Iterable[Stage] = ALL_STAGES,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, stages=stages)
        for action in (input_action, output_action):
            if action not in ("redact", "block"):
                raise ConfigurationError(
                    f"secrets are blocked or redacted, never passed through: got {action!r}; "
                    "use 'block' or 'redact'"
                )
        self.input_action: Action = input_action
        self.output_action: Action = output_action
        self.detector = SecretDetector()

    def find(self, text: str) -> list[Finding]:
        """Findings whose stand-in is ``<ENTITY>``."""
        return self.detector.find(text)

    def check(self, text: str, ctx: GuardContext, stage: Stage) -> Outcome | None:
        """Block or redact when a credential is found."""
        findings = self.find(text)
        if not findings:
            return None
        kinds = sorted({f.entity.lower().replace("_", " ") for f in findings})
        action = self.input_action if stage == "input" else self.output_action
        return Outcome(action, [f"credential found: {', '.join(kinds)}"], findings, 1.0)
