"""The ``limits`` policy: input size, the allowed-models list, and cost budgets per
session and per identity, checked before the call against its estimated cost.

The Guardian keeps a :class:`SpendLedger`; the engine feeds it after each call with
``guardian.record_spend(cost_usd, session_id, identity)``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable

from ..models import Action

# One token estimator for the whole package (routing, limits, the Guardian's size check);
# re-exported here, where it used to be a second one that disagreed with it.
from ..routing.tokens import estimate_tokens
from .context import GuardContext, Stage, strictest
from .identity import AccessPolicy, Identity, model_matches
from .policy import BasePolicy, Outcome

__all__ = ["LimitsPolicy", "SpendLedger", "estimate_tokens"]


def _identity_key(identity: Identity | str | None) -> str | None:
    if identity is None:
        return None
    return identity if isinstance(identity, str) else identity.user_id


class SpendLedger:
    """Money spent so far, per session and per identity. Safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, float] = {}
        self._identities: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"SpendLedger(sessions={len(self._sessions)}, identities={len(self._identities)})"

    def record(
        self, cost_usd: float | None, session_id: str | None, identity: Identity | str | None
    ) -> None:
        """Add ``cost_usd`` (ignored when unknown or not positive) to both accounts."""
        if cost_usd is None or cost_usd <= 0 or math.isnan(cost_usd):
            return
        who = _identity_key(identity)
        with self._lock:
            if session_id is not None:
                self._sessions[session_id] = self._sessions.get(session_id, 0.0) + cost_usd
            if who is not None:
                self._identities[who] = self._identities.get(who, 0.0) + cost_usd

    def session_spend(self, session_id: str | None) -> float:
        """Spent so far in ``session_id``."""
        with self._lock:
            return self._sessions.get(session_id, 0.0) if session_id else 0.0

    def identity_spend(self, identity: Identity | str | None) -> float:
        """Spent so far by ``identity`` (a user id or an :class:`Identity`)."""
        who = _identity_key(identity)
        with self._lock:
            return self._identities.get(who, 0.0) if who else 0.0


def _budget_check(what: str, budget: float, spent: float, estimate: float | None) -> Outcome:
    if spent >= budget:
        return Outcome("block", [f"{what} budget ${budget:.4f} is used up (spent ${spent:.4f})"])
    if estimate is None:
        return Outcome(
            "warn",
            [f"cost of this call is unknown, so the {what} budget cannot be checked in advance"],
        )
    if spent + estimate > budget:
        return Outcome(
            "block",
            [
                f"{what} budget ${budget:.4f} would be exceeded: spent ${spent:.4f} + "
                f"estimated ${estimate:.4f}"
            ],
        )
    return Outcome()


class LimitsPolicy(BasePolicy):
    """Blocks a call that is too long, uses a model not allowed, or would break a budget."""

    name = "limits"

    def __init__(
        self,
        *,
        max_input_tokens: int | None = None,
        allowed_models: Iterable[str] | None = None,
        session_budget_usd: float | None = None,
        identity_budget_usd: float | None = None,
        ledger: SpendLedger | None = None,
        access: AccessPolicy | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, stages=("input",))
        self.max_input_tokens = max_input_tokens
        self.allowed_models = tuple(allowed_models) if allowed_models is not None else None
        self.session_budget_usd = session_budget_usd
        self.identity_budget_usd = identity_budget_usd
        self.ledger = ledger or SpendLedger()
        self.access = access

    def check(self, text: str, ctx: GuardContext, stage: Stage) -> Outcome | None:
        """Run each configured limit; the strictest result wins, with every reason."""
        results = [self._tokens(text, ctx), self._model(ctx), *self._budgets(ctx)]
        parts = [p for p in results if p is not None and p.action != "allow"]
        if not parts:
            return None
        action: Action = strictest([p.action for p in parts])
        return Outcome(action, [r for p in parts for r in p.reasons])

    def _tokens(self, text: str, ctx: GuardContext) -> Outcome | None:
        if self.max_input_tokens is None:
            return None
        tokens = ctx.input_tokens if ctx.input_tokens is not None else estimate_tokens(text)
        if tokens <= self.max_input_tokens:
            return None
        return Outcome(
            "block",
            [
                f"input is about {tokens} tokens; the limit is {self.max_input_tokens} "
                "(max_input_tokens)"
            ],
        )

    def _model(self, ctx: GuardContext) -> Outcome | None:
        if self.allowed_models is None or not ctx.model:
            return None
        if model_matches(self.allowed_models, ctx.model):
            return None
        return Outcome(
            "block",
            [f"model {ctx.model} is not in the allowed models: {', '.join(self.allowed_models)}"],
        )

    def identity_budget(self, identity: Identity | None) -> float | None:
        """The tighter of the configured identity budget and the access rule's budget."""
        budgets = [self.identity_budget_usd]
        if self.access is not None and identity is not None:
            budgets.append(self.access.limits_for(identity).budget_usd)
        known = [b for b in budgets if b is not None]
        return min(known) if known else None

    def _budgets(self, ctx: GuardContext) -> list[Outcome]:
        out: list[Outcome] = []
        estimate = ctx.estimated_cost_usd
        if self.session_budget_usd is not None and ctx.session_id is not None:
            spent = self.ledger.session_spend(ctx.session_id)
            out.append(_budget_check("session", self.session_budget_usd, spent, estimate))
        budget = self.identity_budget(ctx.identity)
        if budget is not None and ctx.identity is not None:
            spent = self.ledger.identity_spend(ctx.identity)
            out.append(_budget_check(f"identity {ctx.identity.user_id!r}", budget, spent, estimate))
        return out
