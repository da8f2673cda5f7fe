"""The Guardian's options as a spec a user can write (in code, YAML or a pipeline's
``guardian:`` section): which built-in policies do what."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from ..models import Action
from ..user_spec import UserSpec
from .context import Stage
from .identity import AccessPolicy
from .phones import DEFAULT_PHONE_REGIONS
from .redaction import Operator

__all__ = ["BUILTIN_POLICIES", "DEFAULT_MAX_TEXT_CHARS", "OPT_IN_POLICIES", "GuardianConfig"]

#: Twice the largest catalogued context window (1,048,576 tokens) at 4 characters a token.
DEFAULT_MAX_TEXT_CHARS = 2 * 1_048_576 * 4

#: The built-in policies, in the order they run. ``moderation`` and ``injection_model``
#: run only when enabled.
BUILTIN_POLICIES: tuple[str, ...] = (
    "access",
    "limits",
    "secrets",
    "injection",
    "pii",
    "terms",
    "moderation",
    "injection_model",
)
#: Built-in policies that call out to a service: they run only when turned on.
OPT_IN_POLICIES: tuple[str, ...] = ("moderation", "injection_model")


def _both_stages() -> list[Stage]:
    return ["input", "output"]


def _input_stage() -> list[Stage]:
    return ["input"]


class GuardianConfig(UserSpec):
    """Options of the built-in policies. Unknown keys are an error, so typos surface."""

    model_config = ConfigDict(extra="forbid")

    #: A policy that raises blocks the call (True) or only warns (False).
    fail_closed: bool = True
    pii_operator: Operator = "replace"
    pii_entities: list[str] | None = None
    #: Regions whose national phone formats (no country code) are recognised.
    pii_phone_regions: list[str] = Field(default_factory=lambda: list(DEFAULT_PHONE_REGIONS))
    pii_action: Action = "redact"
    pii_stages: list[Stage] = Field(default_factory=_both_stages)
    secrets_input_action: Literal["redact", "block"] = "block"
    secrets_output_action: Literal["redact", "block"] = "redact"
    injection_threshold: float = Field(default=0.5, gt=0, le=1)
    injection_action: Action = "block"
    injection_stages: list[Stage] = Field(default_factory=_input_stage)
    blocked_terms: list[str] = Field(default_factory=list)
    blocked_topics: dict[str, list[str]] = Field(default_factory=dict)
    terms_action: Action = "block"
    max_input_tokens: int | None = Field(default=None, gt=0)
    allowed_models: list[str] | None = None
    session_budget_usd: float | None = Field(default=None, ge=0)
    identity_budget_usd: float | None = Field(default=None, ge=0)
    access: AccessPolicy | None = None
    moderation: bool = False
    moderation_model: str = "omni-moderation-latest"
    moderation_base_url: str | None = None
    moderation_threshold: float | None = Field(default=None, gt=0, le=1)
    moderation_stages: list[Stage] = Field(default_factory=_both_stages)
    #: Ask a model whether each prompt is an injection (off by default; see
    #: :class:`~orchestration_kernel.guardian.InjectionModelPolicy`).
    injection_model: bool = False
    injection_model_name: str = "gpt-4o-mini"
    injection_model_base_url: str | None = None
    injection_model_timeout: float = Field(default=5.0, gt=0)
    #: A failed model check (error, timeout, unreadable answer) blocks (True) or warns.
    injection_model_fail_closed: bool = True
    injection_model_action: Action = "block"
    #: Texts longer than this many characters are blocked unchecked. The default is twice
    #: the largest catalogued context window (1,048,576 tokens) at 4 characters a token.
    max_text_chars: int = Field(default=DEFAULT_MAX_TEXT_CHARS, gt=0)
    #: Texts from this many characters on are checked in a worker thread, so the event
    #: loop (and every other call on it) keeps running meanwhile.
    offload_chars: int = Field(default=65_536, ge=0)
