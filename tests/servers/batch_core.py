"""What the three providers' Batch APIs share on the wire servers: a controllable clock,
the batches held in memory, scripted batch outcomes and per-request failures.

A batch moves through three phases on :class:`BatchClock` time: *queued* for
``srv.batch_queue_seconds``, *running* for ``srv.batch_run_seconds``, then *ended*. Each
provider server names the phases in its own vocabulary (OpenAI ``validating`` /
``in_progress`` / ``completed``; Anthropic ``in_progress`` / ``ended``; Gemini
``BATCH_STATE_PENDING`` / ``RUNNING`` / ``SUCCEEDED``). Outcomes:

* normal: every request answered, except those whose prompt holds one of
  ``srv.batch_fail_words`` (default ``["FAIL_ME"]``): those fail (partial failure);
* ``srv.script_batch("expire")``: the next batch created expires — the first half of its
  requests is answered, the rest come back expired;
* ``srv.script_batch("fail")``: the next batch fails validation as a whole;
* a cancel while queued cancels every request; while running, the requests not yet
  processed (by the clock's progress) come back cancelled.

Answers are computed once, when the batch ends, with the server's usual reply rules
(``reply_text``, ``set_reply``, echo), so a batch answers exactly what a live call would.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .base import Call, LoggedRequest, Route
from .faults import Fault
from .transport import HTTPRequest, Responder

__all__ = ["BatchClock", "BatchItem", "BatchMixin", "ItemResult", "SimBatch", "check_fields"]

Phase = Literal["queued", "running", "ended"]
Outcome = Literal["normal", "expire", "fail"]
ItemStatus = Literal["succeeded", "errored", "expired", "cancelled"]


class BatchClock:
    """Time for batches: wall-clock time plus an offset the test moves with :meth:`advance`."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the batch machinery sees them."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move batch time forward (queued batches start, running ones end)."""
        self.offset += seconds


@dataclass
class BatchItem:
    """One request inside a batch, as the server parsed it."""

    custom_id: str
    model: str
    body: dict[str, Any]
    prompt: str
    last_user: str
    max_tokens: Any = None


@dataclass
class ItemResult:
    """What a batch answered for one request."""

    item: BatchItem
    status: ItemStatus
    call: Call | None = None  # the answered call (status "succeeded")
    error: str | None = None


@dataclass
class SimBatch:
    """One batch held by a server."""

    id: str
    items: list[BatchItem]
    created: float
    queue_seconds: float
    run_seconds: float
    outcome: Outcome = "normal"
    model: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # provider fields (metadata, names)
    cancelled_at: float | None = None
    results: list[ItemResult] | None = None

    @property
    def custom_ids(self) -> list[str]:
        """Every request's ``custom_id``, in submission order."""
        return [item.custom_id for item in self.items]

    @property
    def started(self) -> float:
        return self.created + self.queue_seconds

    @property
    def ends(self) -> float:
        return self.started + self.run_seconds

    def phase(self, now: float) -> Phase:
        """Where the batch is at ``now`` (a cancel or a validation failure ends it)."""
        if self.outcome == "fail" or self.cancelled_at is not None:
            return "ended"
        if now < self.started:
            return "queued"
        if now < self.ends:
            return "running"
        return "ended"

    def ended_at(self) -> float:
        """When the batch ended (or will end)."""
        if self.outcome == "fail":
            return self.created
        if self.cancelled_at is not None:
            return min(self.cancelled_at, self.ends)
        return self.ends

    def progress(self, now: float) -> float:
        """The share of requests processed by ``now`` (0..1)."""
        if now <= self.started:
            return 0.0
        if self.run_seconds <= 0 or now >= self.ends:
            return 1.0
        return (now - self.started) / self.run_seconds

    def processed_count(self) -> int:
        """How many requests get a real answer (the rest expire or are cancelled)."""
        total = len(self.items)
        if self.outcome == "fail":
            return 0
        if self.outcome == "expire":
            return total // 2
        if self.cancelled_at is not None:
            return int(total * self.progress(self.cancelled_at))
        return total


def check_fields(
    value: Any, allowed: set[str] | frozenset[str], where: str, required: set[str] = frozenset()
) -> str | None:
    """An error message when ``value`` is not a dict of ``allowed`` keys with ``required``."""
    if not isinstance(value, dict):
        return f"{where}: expected an object"
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        return f"{where}: unknown parameter(s) {', '.join(unknown)}"
    missing = sorted(set(required) - set(value))
    if missing:
        return f"{where}: missing required parameter(s) {', '.join(missing)}"
    return None


def typed_dict_keys(cls: Any) -> tuple[frozenset[str], frozenset[str]]:
    """All keys and the required keys of an SDK ``TypedDict`` (its own parameter list)."""
    keys: set[str] = set()
    for klass in getattr(cls, "__mro__", [cls]):
        keys.update(getattr(klass, "__annotations__", {}))
    return frozenset(keys), frozenset(getattr(cls, "__required_keys__", ()))


class BatchMixin:
    """The batch state and helpers a provider server mixes in (before the server class)."""

    #: the answer body of one succeeded request (the server's non-stream builder)
    _item_json: Callable[[Call, bool], dict[str, Any]]

    def _init_batches(self) -> None:
        self.batch_clock = BatchClock()
        #: seconds a new batch stays queued, then running (batch clock time)
        self.batch_queue_seconds = 0.0
        self.batch_run_seconds = 0.0
        #: a request whose prompt holds one of these words fails (partial failure)
        self.batch_fail_words: list[str] = ["FAIL_ME"]
        self.batches: dict[str, SimBatch] = {}
        self._batch_outcomes: list[Outcome] = []
        self._batch_lock = threading.Lock()

    # -- for tests ------------------------------------------------------------------------
    def script_batch(self, outcome: Outcome, times: int = 1) -> None:
        """The next ``times`` batches created end with ``outcome`` (``expire`` or ``fail``)."""
        with self._batch_lock:
            self._batch_outcomes.extend([outcome] * times)

    def advance(self, seconds: float) -> None:
        """Move the batch clock forward by ``seconds``."""
        self.batch_clock.advance(seconds)

    @property
    def batch_creates(self) -> list[LoggedRequest]:
        """Logged batch-create requests that the server answered with a 2xx."""
        return [
            r
            for r in self.requests  # type: ignore[attr-defined]
            if r.model == "batches.create" and r.status is not None and r.status < 300
        ]

    # -- for the provider servers ---------------------------------------------------------
    def _new_batch(self, prefix: str, items: list[BatchItem], **meta: Any) -> SimBatch:
        with self._batch_lock:
            outcome = self._batch_outcomes.pop(0) if self._batch_outcomes else "normal"
            batch = SimBatch(
                id=f"{prefix}{uuid.uuid4().hex[:20]}",
                items=items,
                created=self.batch_clock.now(),
                queue_seconds=self.batch_queue_seconds,
                run_seconds=self.batch_run_seconds,
                outcome=outcome,
                meta=meta,
            )
            self.batches[batch.id] = batch
        return batch

    def _results(self, batch: SimBatch) -> list[ItemResult]:
        """Every request's result, computed once (only ask once the batch has ended)."""
        with self._batch_lock:
            if batch.results is not None:
                return batch.results
        processed = batch.processed_count()
        late: ItemStatus = {"expire": "expired", "fail": "errored"}.get(  # type: ignore[assignment]
            batch.outcome, "cancelled"
        )
        results = []
        for i, item in enumerate(batch.items):
            if i >= processed:
                results.append(ItemResult(item, late, error=f"batch {batch.outcome}"))
            elif any(word in item.prompt for word in self.batch_fail_words):
                results.append(ItemResult(item, "errored", error="scripted request failure"))
            else:
                results.append(ItemResult(item, "succeeded", call=self._answer(item)))
        with self._batch_lock:
            batch.results = results
        return results

    def _counts(self, batch: SimBatch, now: float) -> dict[str, int]:
        """Request counts by status at ``now`` (processing until the batch ends)."""
        total = len(batch.items)
        if batch.phase(now) != "ended":
            done = int(total * batch.progress(now))
            return {"processing": total - done, "succeeded": done}
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "expired": 0, "cancelled": 0}
        for result in self._results(batch):
            counts[result.status] += 1
        return counts

    def _answer(self, item: BatchItem) -> Call:
        """The call a live request would have made, without logging one."""
        request = HTTPRequest("POST", "/batch-item", {}, b"", time.monotonic())
        log = LoggedRequest("POST", "/batch-item", {}, {}, item.body, model=item.model)
        call = Call(request, log, item.model, False, item.prompt)
        call.reply = self.reply_for(log, item.last_user)  # type: ignore[attr-defined]
        limit = item.max_tokens
        if isinstance(limit, int) and 0 < limit < call.output_tokens:
            call.reply, call.truncated = call.reply[: limit * 4], True
        return call

    async def _serve_batch(
        self,
        request: HTTPRequest,
        responder: Responder,
        operation: str,
        build: Callable[[], Awaitable[tuple[int, Any]]],
        content_type: str = "application/json",
    ) -> None:
        """Log, authorise, apply a scripted fault (scripted for ``model=operation``, e.g.
        ``srv.script(Fault.delay(5), model="batches.create")``), wait the latency, then
        send what ``build`` returns: ``(status, dict | bytes)``. ``build`` runs after the
        wait even when the client has gone, as a provider finishes what it received."""
        server: Any = self
        log = server.new_log(request, model=operation)
        call = Call(request, log, operation, False, "")

        def record(resp: Responder) -> None:
            log.status, log.t_end = resp.status, time.monotonic()

        responder.on_finish = record
        try:
            if not await server._authorized(call, responder):
                return
            fault: Fault | None = server._faults.take(operation)
            log.fault = fault.name if fault else None
            if fault is not None and await server._answer_error_fault(fault, call, responder):
                return
            await server._pre_header_wait(fault, False)
            status, body = await build()
            if status >= 400:
                await server.send_error(responder, status, str(body), "status")
            elif isinstance(body, bytes):
                await responder.send(status, body, {"content-type": content_type})
            else:
                await responder.send_json(status, body)
        finally:
            responder.finish()

    def _batch_route(
        self, method: str, pattern: str, operation: str, handler: Callable[..., Any]
    ) -> Route:
        """A route whose handler runs inside :meth:`_serve_batch` as ``operation``."""

        async def serve(request: HTTPRequest, responder: Responder, match: re.Match[str]) -> None:
            async def build() -> tuple[int, Any]:
                return await handler(request, match)

            await self._serve_batch(request, responder, operation, build, *_content(operation))

        return Route(method, re.compile(pattern), serve)


def _content(operation: str) -> tuple[str, ...]:
    return ("application/jsonl",) if operation.endswith(".content") else ()
