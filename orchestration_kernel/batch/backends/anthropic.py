"""Anthropic's Message Batches: ``messages.batches.create(requests=[{custom_id, params}])``,
``.retrieve``, ``.results`` (a JSONL stream), ``.cancel``. At most 100,000 requests or
256 MB a batch.

Anthropic batches carry no metadata, so reconciliation after a crash matches on what is
known: created no earlier than just before our submit, with our request count, and not
owned by another chunk. One candidate is adopted; several stop the job with
:class:`BatchReconcileError` (never a second submit).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ...errors import BatchReconcileError
from .base import Backend, ItemRequest, ItemResult, PollState, sdk_errors

if TYPE_CHECKING:
    from ..manifest import ChunkRecord

__all__ = ["AnthropicBatchBackend"]

#: Anthropic needs max_tokens; used when the job sets none
DEFAULT_MAX_TOKENS = 1024
#: seconds of clock difference allowed between us and the provider
CLOCK_SLACK = 120.0


def batch_request(item: ItemRequest) -> dict[str, Any]:
    """One ``{custom_id, params}`` entry."""
    params: dict[str, Any] = {
        "model": item.model,
        "max_tokens": item.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": item.prompt}],
    }
    if item.system:
        params["system"] = item.system
    if item.temperature is not None:
        params["temperature"] = item.temperature
    return {"custom_id": item.custom_id, "params": params}


class AnthropicBatchBackend(Backend):
    """Anthropic through Message Batches."""

    label = "Anthropic Message Batches"
    max_requests = 100_000
    max_bytes = 256 * 1024 * 1024

    async def submit(self, chunk: ChunkRecord, items: list[ItemRequest]) -> str:
        client = await self.client()
        with sdk_errors(self, f"creating the batch of {chunk.id}"):
            batch = await client.messages.batches.create(requests=[batch_request(i) for i in items])
        return str(batch.id)

    async def find(self, chunk: ChunkRecord, claimed: set[str]) -> str | None:
        client = await self.client()
        since = (chunk.submit_started or 0) - CLOCK_SLACK
        candidates: list[str] = []
        with sdk_errors(self, "listing message batches"):
            async for batch in client.messages.batches.list(limit=100):
                created = batch.created_at.timestamp()
                if created < since:
                    break  # newest first: the rest are older
                counts = batch.request_counts
                total = (
                    counts.processing + counts.succeeded + counts.errored
                    + counts.canceled + counts.expired
                )  # fmt: skip
                if total == chunk.request_count and batch.id not in claimed:
                    candidates.append(str(batch.id))
        if len(candidates) > 1:
            raise BatchReconcileError(
                f"job {self.manifest.name!r}, chunk {chunk.id}: the submit was interrupted and "
                f"{len(candidates)} Anthropic batches ({', '.join(candidates)}) match its time "
                f"and request count ({chunk.request_count}); Anthropic batches carry no "
                "metadata, so which is ours cannot be told. Nothing was resubmitted. Cancel "
                "the ones that are not yours in the console, then resume.",
                candidates,
            )
        return candidates[0] if candidates else None

    async def poll(self, chunk: ChunkRecord) -> PollState:
        client = await self.client()
        with sdk_errors(self, f"checking {chunk.batch_id}"):
            batch = await client.messages.batches.retrieve(chunk.batch_id)
        counts = batch.request_counts
        ended = batch.processing_status == "ended"
        return PollState(
            phase="ended" if ended else "running",
            status=str(batch.processing_status),
            total=chunk.request_count,
            done=counts.succeeded,
            failed=counts.errored + counts.expired + counts.canceled,
        )

    async def results(self, chunk: ChunkRecord) -> AsyncIterator[ItemResult]:
        client = await self.client()
        with sdk_errors(self, f"reading the results of {chunk.batch_id}"):
            stream = await client.messages.batches.results(chunk.batch_id)
            async for entry in stream:
                yield _result(entry)

    async def cancel(self, chunk: ChunkRecord) -> None:
        client = await self.client()
        with sdk_errors(self, f"cancelling {chunk.batch_id}"):
            await client.messages.batches.cancel(chunk.batch_id)


def _result(entry: Any) -> ItemResult:
    result = entry.result
    kind = result.type
    if kind == "succeeded":
        message = result.message
        text = "".join(getattr(b, "text", "") for b in message.content)
        return ItemResult(
            entry.custom_id,
            "done",
            text=text,
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            finish_reason=message.stop_reason,
        )
    if kind == "errored":
        error = getattr(getattr(result, "error", None), "error", None)
        return ItemResult(entry.custom_id, "failed", error=str(getattr(error, "message", error)))
    status = "expired" if kind == "expired" else "cancelled"
    return ItemResult(entry.custom_id, status, error=f"request {kind}")  # type: ignore[arg-type]
