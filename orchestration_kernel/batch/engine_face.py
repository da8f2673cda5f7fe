"""What a batch job needs of the engine that runs it, as a Protocol.

The batch package sits beside the engine (``engine.matrix(mode="batch")`` calls into it),
never below it: it names this Protocol instead of importing
:class:`~orchestration_kernel.engine.OrchestrationEngine` (which is one), so the types
hold at the seam without an import pointing up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..audit import AuditTrail
    from ..connections import ProviderSet
    from ..guardian import Guardian, Identity
    from ..models import Reply
    from ..providers.base import Timeouts
    from ..routing import Router
    from ..routing.catalogue import Catalogue
    from ..runtime import Runtime

__all__ = ["BatchEngine"]


class BatchEngine(Protocol):
    """The engine's collaborators a batch job reads, and the calls it makes."""

    @property
    def runtime(self) -> Runtime: ...

    @property
    def catalogue(self) -> Catalogue: ...

    @property
    def router(self) -> Router: ...

    @property
    def providers(self) -> ProviderSet: ...

    @property
    def timeouts(self) -> Timeouts: ...

    @property
    def guardian(self) -> Guardian | None: ...

    @property
    def audit(self) -> AuditTrail | None: ...

    @property
    def identity(self) -> Identity | None: ...

    @property
    def simulator(self) -> object: ...

    @property
    def session_id(self) -> str: ...

    def resolve(self, name: str) -> str: ...

    def estimate_tokens(self, text: str, model: str | None = None) -> int: ...

    async def complete(
        self,
        model: str,
        prompt: str,
        *,
        system: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        run_id: str | None = None,
        pipeline: str | None = None,
        step: str | None = None,
    ) -> Reply: ...
