"""Providers without a Batch API (Perplexity, OpenAI-compatible servers, the simulator):
the same job as concurrent calls through the engine's adapter, each answer appended to
``journal/<chunk>.jsonl`` as it arrives, so a restarted job skips what is already
answered. The simulator runs here too, which makes it answer a batch on a fast clock.

Billing is the provider's interactive price (no discount): the plan says so.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import ConnectionFailure, ProviderError
from ...storage.files import atomic_path
from ..manifest import cancel_requested
from .base import Backend, ItemRequest, ItemResult, PollState

if TYPE_CHECKING:
    from ..manifest import ChunkRecord

__all__ = ["ConcurrentBackend"]

#: attempts per item on a retryable error (rate limit, 5xx, timeout)
ATTEMPTS = 3


#: Seconds an interrupted chunk's calls already sent get to answer, so their answers are
#: journaled rather than asked (and paid for) again on resume.
INTERRUPT_GRACE = 2.0


async def _finish_on_interrupt(
    call: Coroutine[object, None, ItemResult], keep: Callable[[ItemResult], None]
) -> ItemResult:
    """``await call``; when the wait is cancelled (Ctrl-C), a call already sent gets
    :data:`INTERRUPT_GRACE` seconds to answer, and its answer is kept before the cancel
    goes on. Before, every call in flight was cut, and each was sent again on resume."""
    task = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        done, _ = await asyncio.wait({task}, timeout=INTERRUPT_GRACE)
        if task in done and not task.cancelled() and task.exception() is None:
            keep(task.result())
        else:
            task.cancel()
        raise


def _ends_a_line(path: Path) -> bool:
    """True when ``path`` is empty or its last byte is a newline."""
    with open(path, "rb") as fh:
        if fh.seek(0, 2) == 0:
            return True
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"


class ConcurrentBackend(Backend):
    """Concurrent calls, journaled row by row (see the module docstring)."""

    label = "concurrent calls"
    max_requests = 1_000  # a chunk is a unit of progress and of resumption here
    max_bytes = 1 << 62
    discounted = False
    #: calls in flight at once per chunk
    concurrency = 16
    #: set by the job: the items of a chunk
    items_for: Callable[[ChunkRecord], list[ItemRequest]]

    def _journal(self, chunk: ChunkRecord) -> Path:
        return self.manifest.journal_dir() / f"{chunk.id}.jsonl"

    def _answered(self, chunk: ChunkRecord) -> set[str]:
        path = self._journal(chunk)
        if not path.exists():
            return set()
        seen = set()
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    seen.add(json.loads(line)["custom_id"])
                except (ValueError, KeyError):
                    continue  # a line cut by a kill: that item is asked again
        return seen

    async def submit(self, chunk: ChunkRecord, items: list[ItemRequest]) -> str:
        return f"calls-{self.manifest.uid}-{chunk.id}"

    async def find(self, chunk: ChunkRecord, claimed: set[str]) -> str | None:
        return None  # nothing remote was created: submitting again is harmless

    async def poll(self, chunk: ChunkRecord) -> PollState:
        """Run every unanswered item of the chunk, journaling each answer; then ended."""
        if self.manifest.cancelled:
            return PollState("ended", "cancelled", chunk.request_count)
        answered = self._answered(chunk)
        todo = [i for i in self.items_for(chunk) if i.custom_id not in answered]
        gate = asyncio.Semaphore(self.concurrency)
        lock = asyncio.Lock()
        stopped = False
        path = self._journal(chunk)
        # A local append per answer is cheap next to the call it records.
        with open(path, "a", encoding="utf-8") as journal:  # noqa: ASYNC230
            if not _ends_a_line(path):
                # A kill cut the last line: end it, or the next answer would be glued to
                # it and lost with it.
                journal.write("\n")

            def keep(result: ItemResult) -> None:
                journal.write(json.dumps(result.__dict__, ensure_ascii=False) + "\n")
                journal.flush()  # a killed kernel keeps every answer written so far

            async def one(item: ItemRequest) -> None:
                nonlocal stopped
                async with gate:
                    # Another process may cancel the job meanwhile: its items stop here.
                    stopped = stopped or cancel_requested(self.manifest.dir)
                    if stopped:
                        return
                    result = await _finish_on_interrupt(self._call(item), keep)
                async with lock:
                    keep(result)

            calls = [asyncio.ensure_future(one(item)) for item in todo]
            try:
                await asyncio.gather(*calls)
            except asyncio.CancelledError:
                # The journal stays open while the calls in flight get their grace.
                await asyncio.wait(calls, timeout=INTERRUPT_GRACE + 1.0)
                raise
        if stopped:
            return PollState("ended", "cancelled", chunk.request_count)
        return PollState("ended", "completed", chunk.request_count, done=chunk.request_count)

    async def _call(self, item: ItemRequest) -> ItemResult:
        from ...models import ChatRequest, Message

        adapter = self.adapter()
        request = ChatRequest(
            model=item.model,
            messages=[Message(role="user", content=item.prompt)],
            system=item.system,
            max_tokens=item.max_tokens,
            temperature=item.temperature,
        )
        error: ProviderError | None = None
        for attempt in range(ATTEMPTS):
            try:
                reply = await adapter.complete(request, self.engine.timeouts)
            except ProviderError as exc:
                error = exc
                refused = isinstance(exc, ConnectionFailure) and exc.refused_locally
                if not exc.retryable or refused or attempt == ATTEMPTS - 1:
                    break
                await asyncio.sleep(min(exc.retry_after or 0.2 * 2**attempt, 5.0))
                continue
            usage = reply.usage
            return ItemResult(
                item.custom_id,
                "done",
                text=reply.text,
                input_tokens=usage.input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
                finish_reason=reply.finish_reason,
            )
        return ItemResult(item.custom_id, "failed", error=f"{type(error).__name__}: {error}")

    async def results(self, chunk: ChunkRecord) -> AsyncIterator[ItemResult]:
        path = self._journal(chunk)
        if not path.exists():
            return
        with open(path, encoding="utf-8") as fh:  # noqa: ASYNC230 - a local file, read once
            for line in fh:
                try:
                    yield ItemResult(**json.loads(line))
                except (ValueError, TypeError):
                    continue

    async def cancel(self, chunk: ChunkRecord) -> None:
        return None  # the job's cancelled flag stops the next poll

    def collected(self, chunk: ChunkRecord) -> None:
        """Rewrite the journal without the replies: they were the provider's raw text,
        before the Guardian's redaction, and the chunk's Parquet part (redacted) now
        stands for them. Which items were answered, and how, stays."""
        path = self._journal(chunk)
        if not path.exists():
            return
        kept = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill: its item was asked again
                if isinstance(row, dict):
                    row.pop("text", None)
                    kept.append(json.dumps(row, ensure_ascii=False) + "\n")
        with atomic_path(path) as temp:
            temp.write_text("".join(kept), encoding="utf-8")
