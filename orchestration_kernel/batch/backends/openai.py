"""OpenAI's Batch API: a JSONL file (``files.create(purpose="batch")``), then
``batches.create(..., metadata=...)``; ``batches.retrieve``; output and error files through
``files.content``; ``batches.cancel``. At most 50,000 requests and 200 MB a batch.

Reconciliation: every batch carries ``metadata`` naming the job's uid and the chunk, so
after a crash the job lists the batches and adopts the one with its tag.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .base import Backend, ItemRequest, ItemResult, PollState, sdk_errors

if TYPE_CHECKING:
    from ..manifest import ChunkRecord

__all__ = ["OpenAIBatchBackend"]

_ENDPOINT = "/v1/chat/completions"
_QUEUED = {"validating"}
_RUNNING = {"in_progress", "finalizing", "cancelling"}
#: how many batches to look through when reconciling (newest first)
_LIST_LIMIT = 1000


def request_line(item: ItemRequest) -> dict[str, Any]:
    """One input line: ``{"custom_id", "method", "url", "body"}``."""
    messages = [{"role": "system", "content": item.system}] if item.system else []
    messages.append({"role": "user", "content": item.prompt})
    body: dict[str, Any] = {"model": item.model, "messages": messages}
    if item.max_tokens is not None:
        body["max_completion_tokens"] = item.max_tokens
    if item.temperature is not None:
        body["temperature"] = item.temperature
    return {"custom_id": item.custom_id, "method": "POST", "url": _ENDPOINT, "body": body}


class OpenAIBatchBackend(Backend):
    """OpenAI (and Azure OpenAI) through the Batch API."""

    label = "OpenAI Batch API"
    max_requests = 50_000
    max_bytes = 200 * 1024 * 1024

    def _tag(self, chunk: ChunkRecord) -> dict[str, str]:
        return {"orchestration_job": self.manifest.uid, "orchestration_chunk": chunk.id}

    async def submit(self, chunk: ChunkRecord, items: list[ItemRequest]) -> str:
        client = await self.client()
        data = "".join(json.dumps(request_line(i), ensure_ascii=False) + "\n" for i in items)
        name = f"{self.manifest.name}-{chunk.id}.jsonl"
        with sdk_errors(self, f"uploading {name}"):
            upload = await client.files.create(file=(name, data.encode()), purpose="batch")
        with sdk_errors(self, f"creating the batch of {chunk.id}"):
            batch = await client.batches.create(
                input_file_id=upload.id,
                endpoint=_ENDPOINT,
                completion_window="24h",
                metadata=self._tag(chunk),
            )
        return str(batch.id)

    async def find(self, chunk: ChunkRecord, claimed: set[str]) -> str | None:
        client = await self.client()
        tag = self._tag(chunk)
        seen = 0
        with sdk_errors(self, "listing batches"):
            async for batch in client.batches.list(limit=100):
                seen += 1
                if (batch.metadata or {}) == tag and batch.id not in claimed:
                    return str(batch.id)
                # Batches are listed newest first: older than our submit means not ours.
                started = chunk.submit_started or 0
                if batch.created_at < started - 600 or seen >= _LIST_LIMIT:
                    break
        return None

    async def poll(self, chunk: ChunkRecord) -> PollState:
        client = await self.client()
        with sdk_errors(self, f"checking {chunk.batch_id}"):
            batch = await client.batches.retrieve(chunk.batch_id)
        counts = batch.request_counts
        total = counts.total if counts else chunk.request_count
        phase = "queued" if batch.status in _QUEUED else "running"
        if batch.status not in _QUEUED | _RUNNING:
            phase = "ended"
        error = None
        if batch.status == "failed":
            errors = batch.errors.data if batch.errors and batch.errors.data else []
            error = "; ".join(str(e.message) for e in errors) or "the batch failed"
        return PollState(
            phase=phase,  # type: ignore[arg-type]
            status=str(batch.status),
            total=total,
            done=counts.completed if counts else 0,
            failed=counts.failed if counts else 0,
            error=error,
        )

    async def results(self, chunk: ChunkRecord) -> AsyncIterator[ItemResult]:
        client = await self.client()
        with sdk_errors(self, f"reading {chunk.batch_id}"):
            batch = await client.batches.retrieve(chunk.batch_id)
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            with sdk_errors(self, f"downloading {file_id}"):
                async with client.files.with_streaming_response.content(file_id) as response:
                    async for line in response.iter_lines():
                        if line.strip():
                            yield _result(json.loads(line))

    async def cancel(self, chunk: ChunkRecord) -> None:
        client = await self.client()
        with sdk_errors(self, f"cancelling {chunk.batch_id}"):
            await client.batches.cancel(chunk.batch_id)


def _result(line: dict[str, Any]) -> ItemResult:
    """An output or error file line as an :class:`ItemResult`."""
    custom = str(line.get("custom_id"))
    response = line.get("response") or {}
    error = line.get("error")
    if error:
        code = str(error.get("code") or "")
        status = "expired" if "expired" in code else "cancelled" if "cancel" in code else "failed"
        return ItemResult(custom, status, error=f"{code}: {error.get('message')}")  # type: ignore[arg-type]
    body = response.get("body") or {}
    if response.get("status_code") != 200:
        message = (body.get("error") or {}).get(
            "message"
        ) or f"status {response.get('status_code')}"
        return ItemResult(custom, "failed", error=str(message))
    choice = (body.get("choices") or [{}])[0]
    usage = body.get("usage") or {}
    return ItemResult(
        custom,
        "done",
        text=str((choice.get("message") or {}).get("content") or ""),
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=choice.get("finish_reason"),
    )
