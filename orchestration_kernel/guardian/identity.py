"""Who is calling, and what they may use.

:class:`Identity` is the caller (user id, roles, an optional OAuth2 bearer token and
claims); its token is a :class:`~orchestration_kernel.secrets.Secret` and never shows
in a repr, a dump or a log. :class:`AccessPolicy` maps users and roles to
:class:`AccessRule` s: which ``provider:model`` patterns they may use, and the rate and
budget limits the engine's limiter enforces for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from pydantic import ConfigDict, Field, field_serializer, field_validator

from ..secrets import Secret
from ..user_spec import UserSpec

__all__ = ["AccessPolicy", "AccessRule", "Identity", "model_matches"]


class Identity(UserSpec):
    """The caller of a model: attached to the session, written to every audit row, sent
    as request metadata where a provider accepts it, and never put in the prompt."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    user_id: str = Field(min_length=1)
    roles: list[str] = Field(default_factory=list)
    #: An OAuth2 bearer token the user supplies; held as a Secret, hidden from repr.
    token: Secret | None = Field(default=None, repr=False)
    claims: dict[str, object] = Field(default_factory=dict)

    @field_validator("token", mode="before")
    @classmethod
    def _wrap_token(cls, value: object) -> Secret | None:
        if value is None or isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return Secret(value) if value else None
        raise ValueError("token must be a string or a Secret")

    @field_serializer("token")
    def _hide_token(self, token: Secret | None) -> str | None:
        return None if token is None else "********"

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What the audit's ``identity`` column shows: ``user`` or ``user (role, role)``."""
        return f"{self.user_id} ({', '.join(self.roles)})" if self.roles else self.user_id

    def metadata(self) -> dict[str, str]:
        """Request metadata for providers that accept an end-user id (never the token)."""
        return {"user_id": self.user_id}


def model_matches(patterns: Iterable[str], model: str) -> bool:
    """True when ``model`` (``provider:model``) matches any glob pattern.

    A pattern with a colon matches the full name (``openai:*``, ``*:gpt-4o*``); one without
    matches the model part only (``gpt-4o*``).
    """
    _, _, bare = model.rpartition(":")
    for pattern in patterns:
        target = model if ":" in pattern else bare
        if fnmatchcase(target, pattern):
            return True
    return False


class AccessRule(UserSpec):
    """What a user or role may use, and the limits on it.

    ``allow``/``deny`` are glob patterns over ``provider:model``. ``rpm``, ``tpm`` and
    ``budget_usd`` are enforced by the engine's limiter and the Guardian's budget check.
    """

    model_config = ConfigDict(extra="forbid")

    allow: list[str] = Field(default_factory=lambda: ["*"])
    deny: list[str] = Field(default_factory=list)
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
    budget_usd: float | None = Field(default=None, ge=0)


_LIMIT_FIELDS = ("rpm", "tpm", "budget_usd")


class AccessPolicy(UserSpec):
    """Users and roles mapped to access rules.

    The rules that apply to an identity are its user rule and its roles' rules; with none,
    ``default``. A call is allowed when some applicable rule allows the model and none
    denies it. Calls without an identity use ``anonymous`` (or ``default``). A ``None``
    default denies every identity that no rule names.
    """

    model_config = ConfigDict(extra="forbid")

    users: dict[str, AccessRule] = Field(default_factory=dict)
    roles: dict[str, AccessRule] = Field(default_factory=dict)
    default: AccessRule | None = Field(default_factory=AccessRule)
    anonymous: AccessRule | None = None

    def rules_for(self, identity: Identity | None) -> list[tuple[str, AccessRule]]:
        """(label, rule) for every rule that applies to ``identity``."""
        if identity is None:
            rule = self.anonymous or self.default
            return [("anonymous", rule)] if rule else []
        found: list[tuple[str, AccessRule]] = []
        if identity.user_id in self.users:
            found.append((f"user {identity.user_id!r}", self.users[identity.user_id]))
        found.extend((f"role {r!r}", self.roles[r]) for r in identity.roles if r in self.roles)
        if not found and self.default is not None:
            found.append(("default", self.default))
        return found

    def denial(self, identity: Identity | None, model: str) -> str | None:
        """Why ``identity`` may not use ``model``, or ``None`` when it may."""
        who = "anonymous caller" if identity is None else f"identity {identity.label!r}"
        rules = self.rules_for(identity)
        if not rules:
            return f"{who} has no access rule (no user, role or default rule applies)"
        for label, rule in rules:
            if model_matches(rule.deny, model):
                return f"{who} may not use {model}: denied by {label}"
        if not any(model_matches(rule.allow, model) for _, rule in rules):
            allowed = sorted({p for _, rule in rules for p in rule.allow})
            return f"{who} may not use {model}: allowed are {', '.join(allowed) or 'none'}"
        return None

    def limits_for(self, identity: Identity | None) -> AccessRule:
        """The effective limits: the user rule's value where set, else the most generous of
        the roles' (roles grant), else the default's."""
        rules = self.rules_for(identity)
        user = next((r for label, r in rules if label.startswith("user ")), None)
        values: dict[str, float] = {}  # rpm and tpm stay ints
        for name in _LIMIT_FIELDS:
            if user is not None and getattr(user, name) is not None:
                values[name] = getattr(user, name)
                continue
            granted = [getattr(r, name) for _, r in rules if getattr(r, name) is not None]
            if granted:
                values[name] = max(granted)
            elif self.default is not None and getattr(self.default, name) is not None:
                values[name] = getattr(self.default, name)
        return AccessRule(**values)
