"""Gemini batch mode (google-genai): ``batches.create(model, src=[inline requests],
config={"display_name": ...})``, ``batches.get`` (results in ``dest.inlined_responses``),
``batches.cancel``. Inline requests must stay under 20 MB, so chunks are cut by size.

Reconciliation: the display name carries the job's uid and the chunk, so after a crash
the job lists the batches and adopts the one with its name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .base import Backend, ItemRequest, ItemResult, PollState, sdk_errors

if TYPE_CHECKING:
    from ..manifest import ChunkRecord

__all__ = ["GeminiBatchBackend"]

_QUEUED = {"JOB_STATE_PENDING", "JOB_STATE_QUEUED", "JOB_STATE_UNSPECIFIED"}
_RUNNING = {"JOB_STATE_RUNNING", "JOB_STATE_CANCELLING", "JOB_STATE_UPDATING"}
_LIST_LIMIT = 1000


def inline_request(item: ItemRequest) -> dict[str, Any]:
    """One inline request, with the ``custom_id`` as its metadata key."""
    config: dict[str, Any] = {}
    if item.max_tokens is not None:
        config["max_output_tokens"] = item.max_tokens
    if item.temperature is not None:
        config["temperature"] = item.temperature
    if item.system:
        config["system_instruction"] = item.system
    request: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [{"text": item.prompt}]}],
        "metadata": {"key": item.custom_id},
    }
    if config:
        request["config"] = config
    return request


def _state(job: object) -> str:
    state = getattr(job, "state", None)
    return str(getattr(state, "value", state) or "JOB_STATE_UNSPECIFIED")


class GeminiBatchBackend(Backend):
    """Gemini through batch mode, inline requests."""

    label = "Gemini batch mode"
    max_requests = 100_000
    max_bytes = 19 * 1024 * 1024  # under the 20 MB inline limit, with room for the envelope

    def _display_name(self, chunk: ChunkRecord) -> str:
        return f"orchestration-{self.manifest.uid}-{chunk.id}"

    async def submit(self, chunk: ChunkRecord, items: list[ItemRequest]) -> str:
        client = await self.client()
        with sdk_errors(self, f"creating the batch of {chunk.id}"):
            job = await client.aio.batches.create(
                model=self.model.model,
                src=[inline_request(i) for i in items],
                config={"display_name": self._display_name(chunk)},
            )
        return str(job.name)

    async def find(self, chunk: ChunkRecord, claimed: set[str]) -> str | None:
        client = await self.client()
        wanted = self._display_name(chunk)
        seen = 0
        with sdk_errors(self, "listing batches"):
            pager = await client.aio.batches.list(config={"page_size": 100})
            async for job in pager:
                seen += 1
                if job.display_name == wanted and job.name not in claimed:
                    return str(job.name)
                if seen >= _LIST_LIMIT:
                    break
        return None

    async def poll(self, chunk: ChunkRecord) -> PollState:
        client = await self.client()
        with sdk_errors(self, f"checking {chunk.batch_id}"):
            job = await client.aio.batches.get(name=chunk.batch_id)
        state = _state(job)
        phase = "queued" if state in _QUEUED else "running" if state in _RUNNING else "ended"
        error = None
        if state == "JOB_STATE_FAILED":
            error = str(getattr(job.error, "message", None) or "the batch failed")
        done = failed = 0
        responses = getattr(getattr(job, "dest", None), "inlined_responses", None) or []
        for response in responses:
            if response.error is None:
                done += 1
            else:
                failed += 1
        return PollState(
            phase=phase,  # type: ignore[arg-type]
            status=state,
            total=chunk.request_count,
            done=done,
            failed=failed,
            error=error,
        )

    async def results(self, chunk: ChunkRecord) -> AsyncIterator[ItemResult]:
        client = await self.client()
        with sdk_errors(self, f"reading {chunk.batch_id}"):
            job = await client.aio.batches.get(name=chunk.batch_id)
        for response in getattr(getattr(job, "dest", None), "inlined_responses", None) or []:
            yield _result(response)

    async def cancel(self, chunk: ChunkRecord) -> None:
        client = await self.client()
        with sdk_errors(self, f"cancelling {chunk.batch_id}"):
            await client.aio.batches.cancel(name=chunk.batch_id)


def _result(entry: Any) -> ItemResult:
    key = str((entry.metadata or {}).get("key", ""))
    if entry.error is not None:
        error = entry.error
        message = getattr(error, "message", None) or (
            error.get("message") if isinstance(error, dict) else str(error)
        )
        code = getattr(error, "code", None) or (error.get("code") if isinstance(error, dict) else 0)
        status = "cancelled" if code == 499 else "failed"
        return ItemResult(key, status, error=str(message))  # type: ignore[arg-type]
    response = entry.response
    usage = response.usage_metadata
    candidate = (response.candidates or [None])[0]
    finish = getattr(getattr(candidate, "finish_reason", None), "value", None)
    return ItemResult(
        key,
        "done",
        text=response.text or "",
        input_tokens=int(getattr(usage, "prompt_token_count", 0) or 0),
        output_tokens=int(getattr(usage, "candidates_token_count", 0) or 0),
        finish_reason=finish,
    )
