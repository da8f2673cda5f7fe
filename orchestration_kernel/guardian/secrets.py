"""Credentials in text: provider API keys, cloud and GitHub tokens, private-key blocks,
JWTs, bearer tokens, and high-entropy values assigned to key-like names.

Each rule is a precompiled regex behind a literal prefilter (``"sk-" in text``), so a
prompt with no key-like prefix costs a handful of substring searches. Values that look
like placeholders (``sk-your-key-here``, ``${API_KEY}``, ``<token>``) are not secrets.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..models import Action
from ._scan import Anchored, fold
from .context import GuardContext, Stage
from .policy import ALL_STAGES, BasePolicy, Outcome
from .redaction import Finding

__all__ = ["SECRET_ENTITIES", "SecretDetector", "SecretsPolicy", "shannon_entropy"]


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s character distribution."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_PLACEHOLDER_WORDS = (
    "your",
    "here",
    "example",
    "xxxx",
    "placeholder",
    "changeme",
    "redacted",
    "dummy",
    "insert",
    "replace",
    "todo",
    "****",
    "....",
)
#: A value starting with one of these is a template or a reference, not a literal.
_TEMPLATE_STARTS = ("<", "{", "$", "%(", "%{", "[", "(", "os.", "process.", "env.", "getenv")
#: A call or an index inside the value: code that fetches the secret, not the secret.
_CODE_CHARS = set("()[]")
_LITERALS = {"null", "none", "true", "false", "nil", "undefined", "empty", "secret", "password"}


def looks_random(value: str, *, min_len: int = 16, min_entropy: float = 3.0) -> bool:
    """True for a value that reads like a generated credential, not a word or template."""
    if len(value) < min_len or is_placeholder(value):
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
        )
    )
    return classes >= 2 and shannon_entropy(value) >= min_entropy


def is_placeholder(value: str) -> bool:
    """True for template values: ``<token>``, ``${KEY}``, ``your-key-here``, ``null``."""
    low = value.lower()
    if low in _LITERALS or low.startswith(_TEMPLATE_STARTS) or _CODE_CHARS.intersection(value):
        return True
    if len(set(low)) <= 2:  # "xxxxxxxx", "********"
        return True
    return any(w in low for w in _PLACEHOLDER_WORDS)


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


def _rule(
    entity: str,
    triggers: tuple[str, ...],
    pattern: str,
    *,
    boundary: str = "-",
    word_start: bool = True,
    **kw: Any,
) -> _Rule:
    return _Rule(entity, Anchored(triggers, re.compile(pattern), word_start, boundary), **kw)


def _anthropic_ok(value: str) -> bool:
    return looks_random(value.split("-", 3)[-1], min_len=20)


def _openai_ok(value: str) -> bool:
    body = value[3:]
    for kind in ("proj-", "svcacct-", "admin-", "None-"):
        if body.startswith(kind):
            body = body[len(kind) :]
            break
    return looks_random(body, min_len=20)


_RULES: tuple[_Rule, ...] = (
    _rule(
        "PRIVATE_KEY",
        ("-----BEGIN ",),
        r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
        r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"  # a whole block
        r"|(?:\s+[A-Za-z0-9+/]{8,}={0,2})*)",  # or a cut-off one: as far as base64 goes
        word_start=False,
        boundary="",
    ),
    _rule(
        "ANTHROPIC_API_KEY",
        ("sk-ant-",),
        r"sk-ant-[a-z0-9]{2,12}-[A-Za-z0-9_-]{20,}",
        validate=_anthropic_ok,
    ),
    _rule("OPENAI_API_KEY", ("sk-",), r"sk-(?!ant-)[A-Za-z0-9_-]{20,}", validate=_openai_ok),
    _rule("GOOGLE_API_KEY", ("AIza",), r"AIza[0-9A-Za-z_-]{35}(?![\w-])"),
    _rule("PERPLEXITY_API_KEY", ("pplx-",), r"pplx-[A-Za-z0-9]{32,}(?![\w-])"),
    _rule(
        "AWS_ACCESS_KEY_ID",
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        r"A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])",
        boundary="",
        gate="IA",
    ),
    _rule(
        "GITHUB_TOKEN",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})(?!\w)",
        boundary="",
        gate="_",
    ),
    _rule("JWT", ("eyJ",), r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    _rule(
        "BEARER_TOKEN",
        ("bearer",),
        r"(?i:bearer)\s+([A-Za-z0-9._~+/-]{16,}=*)",
        group=1,
        validate=lambda v: looks_random(v, min_len=16, min_entropy=3.0),
        fold_case=True,
    ),
)
SECRET_ENTITIES: tuple[str, ...] = (*(r.entity for r in _RULES), "SECRET")

# Key-like names, found by their last word (``OPENAI_API_KEY`` by ``key``), matched on
# the lower-cased text; the whole name is read back from the text.
_GENERIC = Anchored(
    ("key", "secret", "token", "pass", "pwd", "credential"),
    re.compile(
        r"(?:key|secret|token|passwd|password|passphrase|pwd|credentials?)[\"']?\s*"
        r"(?::=|=>|[:=])\s*[\"']?([^\s\"'`,;]{6,})"
    ),
    word_start=False,
)
_NAME_CHARS = set(string.ascii_letters + string.digits + "_.-")
_NAME_SUFFIXES = ("apikey", "accesskey", "secretkey", "authtoken", "accesstoken", "apitoken")
_PASSWORD_WORDS = ("pass", "pwd")


def _key_name(text: str, start: int) -> tuple[str, bool]:
    """The identifier that ends with the keyword at ``start``, and whether the keyword
    starts a word of it (``api_key`` yes, ``monkey`` no)."""
    begin = start
    while begin > 0 and text[begin - 1] in _NAME_CHARS:
        begin -= 1
    name = text[begin:start].lower()
    word = (
        begin == start
        or text[start - 1] in "_.-"
        or name.endswith(("api", "access", "secret", "auth"))
    )
    return name, word


def _closing_trimmed(value: str) -> str:
    """``api_key=abc)`` is the end of a call, not part of the key: drop closing brackets
    that nothing in the value opened."""
    if any(ch in value for ch in "([{<"):
        return value
    return value.rstrip(")]}>")


def _generic_ok(name: str, value: str) -> bool:
    if any(w in name for w in _PASSWORD_WORDS):
        return len(value) >= 6 and not is_placeholder(value)
    return looks_random(value, min_len=12, min_entropy=3.0)


class SecretDetector:
    """Finds credentials: the provider-specific rules, then key-like assignments."""

    def find(self, text: str) -> list[Finding]:
        """Every credential found, each as a span over the secret value only."""
        lower = fold(text)
        found: list[Finding] = []
        for rule in _RULES:
            haystack = lower if rule.fold_case else text
            if rule.gate and rule.gate not in haystack:
                continue
            for m in rule.anchor.finditer(haystack, text):
                value = m.group(rule.group)
                if rule.validate is None or rule.validate(value):
                    found.append(Finding(rule.entity, m.start(rule.group), m.end(rule.group), 0.99))
        if ":" not in text and "=" not in text:
            return found
        for m in _GENERIC.finditer(lower):
            name, word = _key_name(text, m.start())
            keyword = lower[m.start() : m.start(1)].split('"')[0].split("'")[0].rstrip(" :=>\t")
            value = _closing_trimmed(text[m.start(1) : m.end(1)])
            if word and _generic_ok(name + keyword, value):
                found.append(Finding("SECRET", m.start(1), m.start(1) + len(value), 0.8))
        return found


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
                raise ValueError(
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
