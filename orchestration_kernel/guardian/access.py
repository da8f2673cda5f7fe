"""The ``access`` policy: a call to a model the identity may not use is blocked, with
the reason, before anything is sent."""

from __future__ import annotations

from .context import GuardContext, Stage
from .identity import AccessPolicy
from .policy import BasePolicy, Outcome

__all__ = ["AccessControlPolicy"]


class AccessControlPolicy(BasePolicy):
    """Blocks input when :class:`AccessPolicy` denies ``ctx.identity`` the ``ctx.model``."""

    name = "access"

    def __init__(self, access: AccessPolicy | None = None, *, name: str | None = None) -> None:
        super().__init__(name=name, stages=("input",))
        self.access = access

    def check(self, text: str, ctx: GuardContext, stage: Stage) -> Outcome | None:
        """Allow unless the access policy denies the call."""
        if self.access is None or not ctx.model:
            return None
        reason = self.access.denial(ctx.identity, ctx.model)
        return None if reason is None else Outcome("block", [reason])
