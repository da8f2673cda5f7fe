"""What a pipeline needs of the engine that runs it, as a Protocol.

The pipeline package sits beside the engine, never below it: it names this Protocol
instead of importing :class:`~orchestration_kernel.engine.OrchestrationEngine` (which is
one), so the types hold at the seam without an import pointing up.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..models import Reply
from ..runtime import Runtime

__all__ = ["PipelineEngine"]


class PipelineEngine(Protocol):
    """The engine calls a pipeline makes: names, estimates and one completion."""

    @property
    def runtime(self) -> Runtime: ...

    def resolve(self, name: str) -> str: ...

    def model_note(self, name: str) -> str | None: ...

    def is_simulated(self, name: str) -> bool: ...

    def served_by(self, name: str) -> str: ...

    def context_window(self, name: str) -> int | None: ...

    def estimate_tokens(self, text: str, model: str | None = None) -> int: ...

    def estimate_cost(self, name: str, input_tokens: int, output_tokens: int) -> float | None: ...

    async def complete(self, model: str, prompt: Any, **kwargs: Any) -> Reply: ...
