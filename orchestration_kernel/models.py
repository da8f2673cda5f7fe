"""The typed values that cross module boundaries: requests, replies, usage, deltas,
attempts and Guardian decisions.

Adapters speak :class:`ChatRequest` → :class:`ProviderReply` / :class:`StreamChunk`;
the engine turns those into the user-facing :class:`Reply` and :class:`Delta`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .formatting import format_ms
from .repr_floor import masked_repr
from .storage.commit import Commit
from .user_spec import UserSpec

__all__ = [
    "Action",
    "Attempt",
    "ChatRequest",
    "Decision",
    "Delta",
    "EvidenceSpan",
    "Message",
    "ProviderReply",
    "Reply",
    "Role",
    "StreamChunk",
    "Usage",
]

Role = Literal["system", "user", "assistant"]
Action = Literal["allow", "warn", "redact", "block"]

#: Strictness order of Guardian actions: the strictest decision wins.
ACTION_RANK: dict[str, int] = {"allow": 0, "warn": 1, "redact": 2, "block": 3}


@masked_repr()
class Message(UserSpec):
    """One chat turn."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


@masked_repr()
class ChatRequest(BaseModel):
    """A provider-neutral chat request, as adapters receive it.

    ``model`` is the provider's own model id (``gpt-4o-mini``), already resolved.
    ``system`` is kept apart from ``messages`` so each adapter can put it where its
    API wants it (Anthropic's ``system`` field, Gemini's ``system_instruction``).
    """

    model: str
    messages: list[Message]
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    json_output: bool = False
    #: Request metadata a provider may accept (e.g. an end-user id); never put in the prompt.
    metadata: dict[str, str] = Field(default_factory=dict)
    #: Provider-specific parameters passed through untouched.
    extra: dict[str, Any] = Field(default_factory=dict)

    def prompt_text(self) -> str:
        """All text the model will read, system prompt first (for checks and estimates)."""
        parts = [self.system] if self.system else []
        parts.extend(m.content for m in self.messages)
        return "\n".join(parts)


class Usage(BaseModel):
    """Token counts. ``estimated`` is True when we counted, not the provider."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            estimated=self.estimated or other.estimated,
        )


@masked_repr()
class ProviderReply(BaseModel):
    """What an adapter returns for one successful non-streaming call."""

    text: str
    finish_reason: str | None = None
    usage: Usage | None = None
    response_model: str | None = None
    #: Provider extras kept for the user: citations, search results, safety ratings, ids.
    extras: dict[str, Any] = Field(default_factory=dict)


@masked_repr()
class StreamChunk(BaseModel):
    """One piece of a streamed reply, as an adapter yields it.

    Text arrives in ``text``; the last chunk carries ``finish_reason`` (and usage where
    the provider sends it). A stream whose chunks never carry a finish reason is
    incomplete, and the engine treats it as a failed attempt.
    """

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    response_model: str | None = None
    extras: dict[str, Any] = Field(default_factory=dict)


class EvidenceSpan(BaseModel):
    """Where a policy found something: the entity type and its position, never the value."""

    entity: str
    start: int
    end: int
    score: float | None = None


@masked_repr()
class Decision(BaseModel):
    """One Guardian decision: what a policy decided about one stage of one call, and why."""

    action: Action
    policy: str
    stage: Literal["input", "output"]
    reasons: list[str] = Field(default_factory=list)
    spans: list[EvidenceSpan] = Field(default_factory=list)
    elapsed_ms: float = 0.0
    score: float | None = None
    threshold: float | None = None
    #: True when the policy itself failed and the Guardian failed closed.
    guardian_failure: bool = False

    @property
    def rank(self) -> int:
        """Strictness: allow < warn < redact < block."""
        return ACTION_RANK[self.action]

    def __str__(self) -> str:
        why = "; ".join(self.reasons) if self.reasons else "no findings"
        return f"{self.action} by {self.policy} ({self.stage}): {why}"


@masked_repr()
class Attempt(BaseModel):
    """One try of one deployment: every retry and fallback is an attempt."""

    number: int
    model: str
    provider: str
    deployment: str | None = None
    status: Literal["ok", "error", "cancelled", "blocked"] = "ok"
    error_type: str | None = None
    error: str | None = None
    http_status: int | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    started_at: float = 0.0
    ended_at: float = 0.0
    simulated: bool = False
    replayed: bool = False


@masked_repr("_repr_markdown_")  # no key in a repr, guardian=False too
class Reply(BaseModel):
    """A complete, checked reply, as ``engine.complete`` returns it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    text: str
    #: The name the caller asked for (``gpt-4``, a pool name, ``auto``).
    model: str
    #: ``provider:model`` that actually answered.
    resolved_model: str = ""
    provider: str = ""
    deployment: str | None = None
    response_model: str | None = None
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    #: ``None`` when the model has no known price: unknown is not free.
    cost_usd: float | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    extras: dict[str, Any] = Field(default_factory=dict)
    #: True when the offline simulator answered, not a real provider.
    simulated: bool = False
    replayed: bool = False
    run_id: str | None = None
    #: Why the router picked this deployment (pool strategy, ``auto`` grounds).
    route: dict[str, Any] = Field(default_factory=dict)
    _committed: Commit | None = PrivateAttr(default=None)

    @property
    def committed(self) -> Commit:
        """Awaitable: returns once this call's audit rows are committed (raises
        ``AuditWriteError`` if that fails). The audit commits in groups, so a reply is
        returned up to ``flush_interval`` (0.2 s) before its rows are on disk."""
        return self._committed or Commit.settled()

    @property
    def guardian_action(self) -> str:
        """The strictest Guardian action on this reply (``allow`` when none)."""
        if not self.decisions:
            return "allow"
        return max(self.decisions, key=lambda d: d.rank).action

    def _repr_markdown_(self) -> str:
        from .offline import cost_if_real, reply_stood_in, stand_in_cost_text

        label = " (simulated)" if self.simulated else ""
        stand_in = reply_stood_in(self)  # its $0 is not the price of the model asked for
        cost = stand_in_cost_text(self.cost_usd, cost_if_real(self), stand_in=stand_in)
        return (
            f"{self.text}\n\n---\n*{self.resolved_model or self.model}{label} · "
            f"{format_ms(self.latency_ms)} · {self.usage.total_tokens} tokens · {cost}*"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """A plain-text frontend (terminal IPython, jupyter console, the text/plain of a
        saved notebook) shows the text and its summary line, as the markdown does, not
        the repr of every attempt and decision (``repr()`` keeps that)."""
        printer.text(self._repr_markdown_())  # masked: masked_repr wraps it

    def __str__(self) -> str:
        return self.text


@masked_repr()
class Delta(BaseModel):
    """One update of a streamed reply.

    ``text``: append ``text`` to what is shown. ``reset``: an attempt failed, discard
    what was shown (a retry follows). ``replace``: the Guardian replaced the text shown
    so far with ``text``.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["text", "reset", "replace"]
    text: str = ""
