"""What every batch backend does, and the values they exchange with the job.

A backend runs the chunks of one model: ``submit`` one chunk (exactly once — the job
writes the manifest first and reconciles with :meth:`Backend.find` after a crash),
``poll`` it, stream its ``results`` and ``cancel`` it. The provider backends drive the
official SDK clients the engine already holds for the provider (same keys, base URLs,
credentials); SDK errors come out as our :class:`~orchestration_kernel.errors.ProviderError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..engine_face import BatchEngine
    from ..manifest import ChunkRecord, Manifest, ModelRecord

__all__ = ["Backend", "ItemRequest", "ItemResult", "PollState", "sdk_errors"]

Phase = Literal["queued", "running", "ended"]
ItemStatus = Literal["done", "failed", "expired", "cancelled"]


@dataclass(frozen=True)
class ItemRequest:
    """One item to send: its ``custom_id`` and the request's parts."""

    custom_id: str
    model: str  # the provider's model id
    prompt: str
    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None

    def size(self) -> int:
        """Rough wire size in bytes (chunking against the providers' byte limits)."""
        return len(self.prompt.encode()) + len((self.system or "").encode()) + 200


@dataclass
class ItemResult:
    """One item's outcome as the provider reported it."""

    custom_id: str
    status: ItemStatus
    text: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None
    finish_reason: str | None = None


@dataclass
class PollState:
    """A chunk's provider-side state. ``done``/``failed`` are item counts where known."""

    phase: Phase
    status: str
    total: int
    done: int = 0
    failed: int = 0
    error: str | None = None  # the whole batch failed (validation): why


class Backend:
    """Base class: subclasses set the limits and implement the five operations."""

    #: what the plan calls this way of running
    label = "batch"
    #: the provider's limits for one batch
    max_requests = 50_000
    max_bytes = 200 * 1024 * 1024
    #: True when results are billed at the Batch API price
    discounted = True

    def __init__(self, engine: BatchEngine, model: ModelRecord, manifest: Manifest) -> None:
        self.engine = engine
        self.model = model
        self.manifest = manifest

    async def submit(self, chunk: ChunkRecord, items: list[ItemRequest]) -> str:
        """Create the provider batch for ``chunk``; its id."""
        raise NotImplementedError

    async def find(self, chunk: ChunkRecord, claimed: set[str]) -> str | None:
        """The batch an interrupted submit of ``chunk`` created, if any (never one in
        ``claimed``, the ids other chunks already own). Raises
        :class:`BatchReconcileError` when that cannot be told."""
        raise NotImplementedError

    async def poll(self, chunk: ChunkRecord) -> PollState:
        """The chunk's state now."""
        raise NotImplementedError

    def results(self, chunk: ChunkRecord) -> AsyncIterator[ItemResult]:
        """Every item's result, streamed (call once the chunk has ended)."""
        raise NotImplementedError

    async def cancel(self, chunk: ChunkRecord) -> None:
        """Ask the provider to cancel the chunk's batch."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release what the backend holds (nothing by default)."""

    def collected(self, chunk: ChunkRecord) -> None:
        """The chunk's results are a whole Parquet part and audited: drop any reply text
        the backend kept locally to get there (nothing by default)."""

    # -- shared -----------------------------------------------------------------------------
    async def client(self) -> Any:
        """The SDK client of the engine's adapter for this model's provider."""
        adapter = self.adapter()
        # The adapter makes its client lazily, bound to the running loop; reuse it.
        return await adapter._client_for_loop()

    def adapter(self) -> Any:
        """The engine's adapter for this model's deployment."""
        deployment = self.engine.router.plan(self.model.name)[0]
        return self.engine.providers.adapter(
            deployment.provider, api_key=deployment.api_key, base_url=deployment.base_url
        )


@contextlib.contextmanager
def sdk_errors(backend: Backend, what: str) -> Any:
    """Turn an SDK exception raised inside into our ProviderError (secrets scrubbed)."""
    from ...errors import ProviderError
    from ...providers._sdk import map_exception

    try:
        yield
    except ProviderError:
        raise
    except Exception as exc:
        adapter = backend.adapter()
        secrets = adapter._secrets() if hasattr(adapter, "_secrets") else []
        mapped = map_exception(
            exc, provider=backend.model.provider, model=backend.model.model, secrets=secrets
        )
        if mapped is exc:
            raise
        if isinstance(mapped, ProviderError):
            mapped.args = (f"{what}: {mapped}",)
        raise mapped from None
