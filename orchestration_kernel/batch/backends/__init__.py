"""Batch backends: one per provider Batch API, and concurrent calls for the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Backend, ItemRequest, ItemResult, PollState

if TYPE_CHECKING:
    from ..engine_face import BatchEngine
    from ..manifest import Manifest, ModelRecord

__all__ = [
    "BACKENDS",
    "Backend",
    "ItemRequest",
    "ItemResult",
    "PollState",
    "backend_kind",
    "make_backend",
]

#: providers with a Batch API, and the backend module that drives it
BACKENDS = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini"}


def backend_kind(provider: str, simulated: bool, options: dict[str, Any] | None = None) -> str:
    """``openai`` / ``anthropic`` / ``gemini`` for a provider with a Batch API we drive,
    else ``concurrent`` (Perplexity, compatible servers, the simulator, Vertex AI)."""
    if simulated or (options or {}).get("vertexai"):
        return "concurrent"
    return BACKENDS.get(provider, "concurrent")


def make_backend(engine: BatchEngine, model: ModelRecord, manifest: Manifest) -> Backend:
    """The backend object for ``model`` of the job."""
    if model.backend == "openai":
        from .openai import OpenAIBatchBackend

        return OpenAIBatchBackend(engine, model, manifest)
    if model.backend == "anthropic":
        from .anthropic import AnthropicBatchBackend

        return AnthropicBatchBackend(engine, model, manifest)
    if model.backend == "gemini":
        from .gemini import GeminiBatchBackend

        return GeminiBatchBackend(engine, model, manifest)
    from .concurrent import ConcurrentBackend

    return ConcurrentBackend(engine, model, manifest)
