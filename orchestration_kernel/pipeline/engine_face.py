"""What a pipeline needs of the engine that runs it, as a Protocol.

The pipeline package sits beside the engine, never below it: it names this Protocol
instead of importing :class:`~orchestration_kernel.engine.OrchestrationEngine` (which is
one), so the types hold at the seam without an import pointing up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypedDict, Unpack

from ..models import Delta, Message, Reply
from ..runtime import Runtime

__all__ = ["PipelineEngine", "StepCallOptions"]


class StepCallOptions(TypedDict, total=False):
    """The labels and options a pipeline step adds to its engine call."""

    run_id: str | None
    pipeline: str | None
    step: str | None
    session_id: str | None
    stream: bool | None
    #: Only for simulated models (the stand-ins shape their JSON by it): the engine passes
    #: it on with its other extra keywords.
    json_schema: dict[str, object]


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

    async def complete(
        self,
        model: str,
        prompt: str | Sequence[Message],
        *,
        system: str | None = None,
        fallbacks: Sequence[str] | None = None,
        json_output: bool = False,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        on_delta: Callable[[Delta], object] | None = None,
        **options: Unpack[StepCallOptions],
    ) -> Reply: ...
