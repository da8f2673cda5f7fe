"""What the engine hands the Guardian (:class:`GuardContext`) and what it gets back
(:class:`Verdict`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..models import ACTION_RANK, Action, Decision

if TYPE_CHECKING:
    from .identity import Identity

__all__ = ["GuardContext", "Stage", "Verdict", "strictest"]

Stage = Literal["input", "output"]


@dataclass
class GuardContext:
    """Facts about one call that policies may look at.

    ``model`` is ``provider:model`` as resolved by the engine; ``estimated_cost_usd`` and
    ``input_tokens`` are the engine's estimates before the call (``None`` when unknown).
    """

    model: str = ""
    provider: str = ""
    session_id: str | None = None
    identity: Identity | None = None
    estimated_cost_usd: float | None = None
    input_tokens: int | None = None
    run_id: str | None = None
    step: str | None = None


def strictest(actions: list[Action] | tuple[Action, ...]) -> Action:
    """The strictest of ``actions`` (allow < warn < redact < block); ``allow`` if none."""
    best: Action = "allow"
    for action in actions:
        if ACTION_RANK[action] > ACTION_RANK[best]:
            best = action
    return best


@dataclass
class Verdict:
    """The Guardian's answer for one stage of one call.

    ``decisions`` holds the overall decision for the stage first (policy ``guardian``),
    then one decision per policy that did not allow. ``text`` is the text to send (input)
    or to show and store (output): redacted where a policy redacted.
    """

    action: Action
    stage: Stage
    text: str
    decisions: list[Decision] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """True when the call must not be sent (input) or the reply not shown (output)."""
        return self.action == "block"

    @property
    def overall(self) -> Decision | None:
        """The stage's overall decision (the first one), if any."""
        return self.decisions[0] if self.decisions else None

    @property
    def policy_decisions(self) -> list[Decision]:
        """The per-policy decisions, without the overall one."""
        return self.decisions[1:]

    @property
    def reasons(self) -> list[str]:
        """Every reason given by a policy that did not allow, prefixed with its name."""
        return [f"{d.policy}: {r}" for d in self.policy_decisions for r in d.reasons]
