"""Guardian policies by name — one table per Guardian.

A :class:`PolicyRegistry` maps a policy name to a factory that builds the policy from a
:class:`PolicySetup` (the Guardian's config, spend ledger, session key and the keys of
the model-backed checks). Each Guardian holds a registry of its own (so it lives on the
engine that holds the Guardian, not in module state), filled with the built-ins; add one
with ``guardian.register_policy(name, factory)`` and name it in ``policies=[...]`` or
``add_policy(name)``. A name the registry does not hold is a :class:`ConfigurationError`
listing the known ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from ..errors import ConfigurationError
from ..secrets import Secret
from .access import AccessControlPolicy
from .config import GuardianConfig
from .injection import InjectionPolicy
from .injection_model import InjectionModelPolicy
from .limits import LimitsPolicy, SpendLedger
from .moderation import ModerationPolicy
from .pii import PIIPolicy
from .policy import BasePolicy
from .secrets import SecretsPolicy
from .terms import TermsPolicy

__all__ = ["BUILTIN_FACTORIES", "PolicyFactory", "PolicyRegistry", "PolicySetup"]


@dataclass(frozen=True)
class PolicySetup:
    """What a policy factory may use: the Guardian's settings and shared state."""

    config: GuardianConfig
    ledger: SpendLedger
    session_key: bytes
    moderation_key: Secret | None = None
    injection_model_key: Secret | None = None


#: Builds one policy from a Guardian's setup.
PolicyFactory = Callable[[PolicySetup], BasePolicy]


def _limits(s: PolicySetup) -> BasePolicy:
    c = s.config
    return LimitsPolicy(
        max_input_tokens=c.max_input_tokens,
        allowed_models=c.allowed_models,
        session_budget_usd=c.session_budget_usd,
        identity_budget_usd=c.identity_budget_usd,
        ledger=s.ledger,
        access=c.access,
    )


def pii_policy(s: PolicySetup) -> PIIPolicy:
    """The built-in PII policy as ``s`` configures it (also the Guardian's redactor)."""
    c = s.config
    return PIIPolicy(
        entities=c.pii_entities,
        phone_regions=c.pii_phone_regions,
        operator=c.pii_operator,
        key=s.session_key,
        action=c.pii_action,
        stages=c.pii_stages,
    )


def _injection_model(s: PolicySetup) -> BasePolicy:
    c = s.config
    return InjectionModelPolicy(
        model=c.injection_model_name,
        api_key=s.injection_model_key,
        base_url=c.injection_model_base_url,
        timeout=c.injection_model_timeout,
        fail_closed=c.injection_model_fail_closed,
        action=c.injection_model_action,
    )


def _moderation(s: PolicySetup) -> BasePolicy:
    c = s.config
    return ModerationPolicy(
        api_key=s.moderation_key,
        base_url=c.moderation_base_url,
        model=c.moderation_model,
        threshold=c.moderation_threshold,
        stages=c.moderation_stages,
    )


#: The built-in policies' factories, by name (the order of ``BUILTIN_POLICIES``).
BUILTIN_FACTORIES: Mapping[str, PolicyFactory] = {
    "access": lambda s: AccessControlPolicy(s.config.access),
    "limits": _limits,
    "secrets": lambda s: SecretsPolicy(
        input_action=s.config.secrets_input_action, output_action=s.config.secrets_output_action
    ),
    "injection": lambda s: InjectionPolicy(
        threshold=s.config.injection_threshold,
        action=s.config.injection_action,
        stages=s.config.injection_stages,
    ),
    "pii": pii_policy,
    "terms": lambda s: TermsPolicy(
        s.config.blocked_terms, topics=s.config.blocked_topics, action=s.config.terms_action
    ),
    "moderation": _moderation,
    "injection_model": _injection_model,
}


class PolicyRegistry(Mapping[str, PolicyFactory]):
    """The policy names one Guardian knows and how to build each."""

    def __init__(self, factories: Mapping[str, PolicyFactory] | None = None) -> None:
        self._factories: dict[str, PolicyFactory] = dict(
            BUILTIN_FACTORIES if factories is None else factories
        )

    def register(self, name: str, factory: PolicyFactory) -> None:
        """Add (or replace) the policy ``name``, built by ``factory(setup)``."""
        if not isinstance(name, str) or not name.strip() or not callable(factory):
            raise ConfigurationError(
                f"register_policy needs a name and a factory taking a PolicySetup; got "
                f"{name!r}, {factory!r}"
            )
        self._factories[name] = factory

    def build(self, name: str, setup: PolicySetup) -> BasePolicy:
        """The policy ``name`` built for ``setup``; unknown names list the known ones."""
        factory = self._factories.get(name)
        if factory is None:
            raise ConfigurationError(
                f"unknown built-in policy {name!r}; known policies: {', '.join(self._factories)} "
                "(add one with guardian.register_policy(name, factory))"
            )
        return factory(setup)

    def __getitem__(self, name: str) -> PolicyFactory:
        return self._factories[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)
