"""One logical call: attempts over deployments and fallbacks, with the Guardian and
the audit at every step.

``CallRunner.run(spec, on_delta)`` is the whole reliability story in one place:

1. for each candidate (the model, then each fallback) the picker takes a deployment;
2. the Guardian checks the input for that model (a block never reaches a provider);
3. each deployment gets up to ``RetryPolicy.max_attempts`` tries, honouring
   ``Retry-After``, with one extra try after a 401 when the credential refreshes;
4. a stream that fails after showing text sends a ``reset`` delta before the retry;
5. the output is checked (on a rolling buffer while streaming) before it is returned.

``spec.timeout`` is the deadline of the whole call: attempts, limiter queues,
``Retry-After`` sleeps and fallbacks all count, and a wait the deadline cannot hold
fails at once. Every attempt, whatever it raises, gives its deployment back to the
router and writes its ``call`` row.

The runner is built from its collaborators and knows nothing of the engine: a
:class:`TargetPicker` (router and connections), a :class:`CallRecorder` (audit rows,
spend, replay), the Guardian, the retry policy and the catalogue. The call only ever
goes down: runner → picker / Guardian / adapter → SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .errors import (
    AllAttemptsFailed,
    ConfigurationError,
    GuardianBlocked,
    IncompleteStreamError,
    OrchestrationError,
    ProviderError,
    ProviderTimeout,
)
from .models import (
    Attempt,
    ChatRequest,
    Decision,
    Delta,
    Message,
    ProviderReply,
    Reply,
    StreamChunk,
    Usage,
)
from .providers.base import (
    Provider,
    Timeouts,
    request_sending_watcher,
    timeout_error,
    watching_request_sending,
    watching_stream_activity,
)
from .retry import RetryPolicy

if TYPE_CHECKING:
    from .guardian import GuardContext, Guardian, Identity, OutputMonitor, Verdict
    from .routing.catalogue import Catalogue
    from .routing.pools import Deployment

__all__ = ["CallRecorder", "CallRunner", "CallSpec", "Target", "TargetPicker"]

DeltaSink = Callable[[Delta], object]


@dataclass
class CallSpec:
    """Everything one call needs, already normalised by the engine."""

    model: str
    messages: list[Message]
    system: str | None = None
    fallbacks: list[str] = field(default_factory=list)
    stream: bool = False
    json_output: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)
    extra: dict[str, object] = field(default_factory=dict)
    run_id: str | None = None
    pipeline: str | None = None
    step: str | None = None
    session_id: str | None = None
    needs: set[str] = field(default_factory=set)
    #: The prompt's token estimate, filled in once by the runner.
    input_tokens: int | None = None
    #: Seconds for the whole logical call (``complete(timeout=...)``); ``None``: no deadline.
    timeout: float | None = None

    def prompt_text(self) -> str:
        """The system prompt and messages as one text (for token estimates)."""
        text = "\n".join(m.content for m in self.messages)
        return f"{self.system}\n{text}" if self.system else text


@dataclass
class Target:
    """A concrete place to send a request: a deployment, and who serves it."""

    name: str  # what the caller asked for (a model, alias, pool or "auto")
    provider: str  # the real provider the deployment belongs to
    model: str  # the provider's own model id
    deployment_id: str
    adapter: Provider
    simulated: bool
    deployment: Deployment | None = None
    route: dict[str, object] = field(default_factory=dict)
    #: True when an offline stand-in (the local model or the simulator) serves it.
    stand_in: bool = False

    @property
    def ref(self) -> str:
        """``provider:model`` of the model asked for (before simulation)."""
        return f"{self.provider}:{self.model}"

    @property
    def served_by(self) -> str:
        """The provider that answers: the stand-in's name (``local``, ``sim``) offline."""
        return str(self.adapter.name) if self.stand_in or self.simulated else self.provider


class Permit(Protocol):
    """The limiter's permit for one attempt; ``settle`` books the real token count."""

    def settle(self, tokens: int) -> None: ...


class TargetPicker(Protocol):
    """Chooses deployments and gives them back: the router and connections, for the runner."""

    def choose(self, name: str, spec: CallSpec) -> Target:
        """Take a deployment for the next attempt of ``name`` (pair with release/observe)."""
        ...

    def release(self, target: Target, error: BaseException | None) -> None:
        """Give back a deployment that was not called (blocked, replayed)."""
        ...

    def observe(
        self, target: Target, attempt: Attempt, reply: Reply | None, error: BaseException | None
    ) -> None:
        """Give back a deployment that was called, with how the attempt ended."""
        ...

    def limit(self, target: Target, spec: CallSpec) -> AbstractAsyncContextManager[Permit]:
        """Wait for the rate limits of the identity and the deployment."""
        ...


class CallRecorder(Protocol):
    """Writes what a call did: audit rows, spend, and answers from the audit (replay)."""

    @property
    def records(self) -> bool:
        """False when no row is written and nothing replayed (the runner then skips the
        request's canonical text, which only rows and replay use)."""
        ...

    def route(self, spec: CallSpec, target: Target) -> None: ...

    def attempt(
        self,
        attempt: Attempt,
        spec: CallSpec,
        target: Target,
        material: str | RequestMaterial,
        reply: Reply | None,
    ) -> None: ...

    def verdict(self, stage: str, verdict: Verdict, spec: CallSpec, target: Target) -> None: ...

    def replay(
        self, material: str | RequestMaterial, target: Target, spec: CallSpec
    ) -> Reply | None: ...

    def spend(self, reply: Reply, spec: CallSpec) -> None: ...


class RequestMaterial:
    """A request's canonical text (:func:`material_for`), made when first turned into a
    string: the audit hashes it (``str()``) when it encodes the row, on its writer's
    thread, so the call's own path does not serialise the prompt a second time. What it
    is made from is taken when the request is checked (the request's fields are read
    then, and the texts are immutable strings), so the text is the one ``material_for``
    gives at that moment. It pickles as that plain string (a cluster worker's captured
    rows)."""

    __slots__ = ("_parts", "_text")

    def __init__(self, ref: str, request: ChatRequest) -> None:
        stop = request.stop
        self._parts: tuple[object, ...] | None = (
            ref,
            request.system,
            tuple(request.messages),
            request.temperature,
            request.max_tokens,
            None if stop is None else tuple(stop),
            request.json_output,
        )
        self._text: str | None = None

    def __str__(self) -> str:
        text = self._text
        if text is None:
            assert self._parts is not None
            text = self._text = _material_text(*self._parts)  # type: ignore[arg-type]
            self._parts = None
        return text

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return (str, (str(self),))

    def __repr__(self) -> str:
        # Never the text: it holds the prompt (a credential in it, with checks off).
        made = "made" if self._text is not None else "not made yet"
        return f"<RequestMaterial: a request's canonical text, {made}>"


class _Prepared:
    """A checked request for one model; its canonical text is made on first use."""

    __slots__ = ("_material", "ctx", "decisions", "ref", "request")

    def __init__(
        self, request: ChatRequest, ctx: GuardContext | None, decisions: list[Decision], ref: str
    ) -> None:
        self.request = request
        self.ctx = ctx
        self.decisions = decisions
        self.ref = ref
        self._material: RequestMaterial | None = None

    @property
    def material(self) -> RequestMaterial:
        """The canonical text HMAC'd into the audit's ``request_hash`` (made when the
        audit reads it)."""
        if self._material is None:
            self._material = RequestMaterial(self.ref, self.request)
        return self._material


class _CandidateFailed(Exception):
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Deadline:
    """The whole call's deadline on the loop's clock (``None``: none)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._loop = asyncio.get_running_loop()
        self.at = None if seconds is None else self._loop.time() + seconds

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - self._loop.time()

    def cap(self, limit: float) -> float:
        """``limit``, or less when the deadline comes first."""
        left = self.remaining()
        return limit if left is None else max(0.0, min(limit, left))

    def passed(self, target: Target | None = None, why: str = "") -> ProviderTimeout:
        where = {"provider": target.provider, "model": target.model} if target else {}
        return ProviderTimeout(
            f"the call did not finish within its {self.seconds:g}s timeout{why}",
            phase="overall",
            **where,
        )


class CallRunner:
    """Runs one :class:`CallSpec` to a :class:`Reply`, from its collaborators.

    ``picker`` chooses and gives back deployments; ``recorder`` writes audit rows, spend
    and replays; ``guardian`` (or ``None``) checks input and output; ``retry`` decides
    retries; ``catalogue`` prices replies; ``identity`` labels requests; ``estimate``
    counts tokens offline.
    """

    def __init__(
        self,
        *,
        picker: TargetPicker,
        recorder: CallRecorder,
        guardian: Guardian | None,
        retry: RetryPolicy,
        catalogue: Catalogue,
        estimate: Callable[[str], int],
        identity: Identity | None = None,
    ) -> None:
        self.picker = picker
        self.recorder = recorder
        self.guardian = guardian
        self.retry = retry
        self.catalogue = catalogue
        self.estimate = estimate
        self.identity = identity

    # -- the whole call ------------------------------------------------------------
    def fill_estimate(self, spec: CallSpec) -> None:
        """Set ``spec.input_tokens`` (the prompt's token estimate) unless it is set.

        A pure function of the prompt: :meth:`run` does it first, and the engine does it
        in the caller's thread while the runtime thread wakes up for :meth:`run` (either
        may get there first; both give the same count)."""
        if spec.input_tokens is None:
            spec.input_tokens = self.estimate(spec.prompt_text())

    async def run(self, spec: CallSpec, on_delta: DeltaSink | None = None) -> Reply:
        """Try each candidate in turn; return the first checked reply."""
        self.fill_estimate(spec)
        deadline = _Deadline(spec.timeout)
        attempts: list[Attempt] = []
        if deadline.at is None:  # no deadline: no backstop to arm
            return await self._candidates(spec, attempts, deadline, on_delta)
        # A backstop: the checks below end the call cleanly; this ends anything else.
        backstop = asyncio.timeout(deadline.remaining())
        try:
            async with backstop:
                return await self._candidates(spec, attempts, deadline, on_delta)
        except TimeoutError as exc:
            if not backstop.expired():
                raise
            error = deadline.passed()
            error.attempts = attempts  # type: ignore[attr-defined]
            raise error from exc

    async def _candidates(
        self,
        spec: CallSpec,
        attempts: list[Attempt],
        deadline: _Deadline,
        on_delta: DeltaSink | None,
    ) -> Reply:
        decisions: list[Decision] = []
        candidates = [spec.model, *[f for f in spec.fallbacks if f != spec.model]]
        last: BaseException | None = None
        for name in candidates:
            try:
                return await self._candidate(name, spec, attempts, decisions, deadline, on_delta)
            except ConfigurationError as exc:
                if len(candidates) == 1:
                    raise
                last = exc
            except _CandidateFailed as failed:
                last = failed.error
            except ProviderTimeout as exc:  # the deadline passed: no fallback has time left
                exc.attempts = attempts  # type: ignore[attr-defined]
                raise
        if len(attempts) <= 1 and isinstance(last, OrchestrationError):
            if isinstance(last, ProviderError):
                last.attempts = attempts  # type: ignore[attr-defined]
            raise last
        raise AllAttemptsFailed(spec.model, attempts, last) from last

    def _request(self, target: Target, spec: CallSpec) -> ChatRequest:
        metadata = getattr(self.identity, "metadata", None)
        return ChatRequest(
            model=target.model,
            messages=spec.messages,
            system=spec.system,
            temperature=spec.temperature,
            max_tokens=spec.max_tokens,
            stop=spec.stop,
            json_output=spec.json_output,
            metadata=dict(metadata()) if callable(metadata) else {},
            extra=spec.extra,
        )

    def _guard_context(self, target: Target, spec: CallSpec, request: ChatRequest) -> GuardContext:
        tokens = spec.input_tokens or 0
        ref = target.ref
        info = self.catalogue.get(ref)
        # What ``catalogue.cost(ref, Usage(tokens, max_tokens, estimated))`` gives (the
        # same arithmetic: no cached or reasoning tokens), without making the Usage.
        cost = None if info is None else info.estimate_cost(tokens, request.max_tokens or 0)
        return _guard_context_type()(
            model=ref,
            provider=target.provider,
            session_id=spec.session_id,
            identity=self.identity,
            estimated_cost_usd=cost,
            input_tokens=tokens,
            run_id=spec.run_id,
            step=spec.step,
        )

    async def _prepare(
        self, target: Target, spec: CallSpec, checked: dict[str, _Prepared]
    ) -> _Prepared:
        """The Guardian-checked request for ``target``'s model (checked once per model)."""
        if target.ref in checked:
            return checked[target.ref]
        request = self._request(target, spec)
        # The Guardian's context (a cost estimate, a model): built only when checks run.
        ctx = None
        decisions: list[Decision] = []
        if self.guardian is not None:
            ctx = self._guard_context(target, spec, request)
            verdict, request = await self.guardian.check_request(request, ctx)
            self.recorder.verdict("input", verdict, spec, target)
            if verdict.blocked:
                raise GuardianBlocked("input", verdict.decisions)
            decisions = list(verdict.decisions)
        prepared = _Prepared(request, ctx, decisions, target.ref)
        checked[target.ref] = prepared
        return prepared

    def _context(self, prepared: _Prepared, target: Target, spec: CallSpec) -> GuardContext:
        """The Guardian's context of ``prepared`` (made now if checks were off at first).
        Only called with a Guardian."""
        if prepared.ctx is None:
            prepared.ctx = self._guard_context(target, spec, prepared.request)
        return prepared.ctx

    def _take(self, name: str, spec: CallSpec) -> Target:
        target = self.picker.choose(name, spec)
        try:
            self.recorder.route(spec, target)
        except BaseException as exc:
            self.picker.release(target, exc)
            raise
        return target

    # -- attempts on one candidate -------------------------------------------------
    async def _candidate(
        self,
        name: str,
        spec: CallSpec,
        attempts: list[Attempt],
        decisions: list[Decision],
        deadline: _Deadline,
        on_delta: DeltaSink | None,
    ) -> Reply:
        """Up to ``max_attempts`` tries of ``name``; a pool may move each try elsewhere."""
        policy = self.retry
        checked: dict[str, _Prepared] = {}
        refreshed = False
        number = 0
        while True:
            number += 1
            left = deadline.remaining()
            if left is not None and left <= 0:
                raise deadline.passed()
            target = self._take(name, spec)
            try:
                prepared = await self._prepare(target, spec, checked)
                if number == 1 or len(checked) > 1:
                    decisions.extend(d for d in prepared.decisions if d not in decisions)
                records = self.recorder.records
                material: str | RequestMaterial = prepared.material if records else ""
                replayed = self.recorder.replay(material, target, spec) if records else None
            except BaseException as exc:
                self.picker.release(target, exc)
                raise
            if replayed is not None:
                self.picker.release(target, None)
                replayed.decisions = list(decisions)
                return replayed
            attempt = Attempt(
                number=len(attempts) + 1,
                model=target.name,
                provider=target.served_by,
                deployment=target.deployment_id,
                simulated=target.simulated,
                started_at=time.time(),
            )
            attempts.append(attempt)
            shown = _Shown(on_delta)
            try:
                reply = await self._attempt(target, spec, prepared, attempt, shown, deadline)
            except BaseException as exc:
                # Whatever the attempt raised, its deployment is given back and it is audited.
                self._finish_attempt(attempt, _status_of(exc), exc)
                try:
                    self.picker.observe(target, attempt, None, exc)
                finally:
                    self.recorder.attempt(attempt, spec, target, material, None)
                if not isinstance(exc, ProviderError):
                    raise
                shown.reset()
                credential = getattr(target.adapter, "credential", None)
                if credential is not None and not refreshed and policy.refresh_worthy(exc):
                    refreshed = True
                    number -= 1  # the refresh retry does not use up an attempt
                    await _invalidate(credential)
                    continue
                if policy.should_retry(exc, number):
                    await self._wait_to_retry(policy.delay(number, exc), exc, target, deadline)
                    continue
                raise _CandidateFailed(exc) from exc
            self._finish_attempt(attempt, "ok", None)
            reply.attempts = list(attempts)
            reply.decisions = [*decisions, *reply.decisions]
            try:
                self.picker.observe(target, attempt, reply, None)
            finally:
                self.recorder.attempt(attempt, spec, target, material, reply)
            self.recorder.spend(reply, spec)
            return reply

    @staticmethod
    async def _wait_to_retry(
        delay: float, error: ProviderError, target: Target, deadline: _Deadline
    ) -> None:
        """Sleep before a retry; a wait past the deadline fails now, saying how long it was."""
        left = deadline.remaining()
        if left is not None and delay >= left:
            hint = error.retry_after
            why = (
                f": {target.provider} asked to retry after {hint:g}s, with {max(left, 0):.3g}s left"
                if hint is not None
                else f": the next retry would wait {delay:.3g}s, with {max(left, 0):.3g}s left"
            )
            raise deadline.passed(target, why) from error
        await asyncio.sleep(delay)

    @staticmethod
    def _finish_attempt(attempt: Attempt, status: str, error: BaseException | None) -> None:
        attempt.ended_at = time.time()
        attempt.status = status  # type: ignore[assignment]
        if attempt.latency_ms is None:
            attempt.latency_ms = (attempt.ended_at - attempt.started_at) * 1000.0
        if error is not None:
            attempt.error_type = type(error).__name__
            attempt.error = str(error) or type(error).__name__
            attempt.http_status = getattr(error, "status", None)

    async def _attempt(
        self,
        target: Target,
        spec: CallSpec,
        prepared: _Prepared,
        attempt: Attempt,
        shown: _Shown,
        deadline: _Deadline,
    ) -> Reply:
        """One try: wait for the limits, call the adapter, check the output."""
        timeouts = spec.timeouts
        limit = deadline.cap(timeouts.overall)
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(limit), self.picker.limit(target, spec) as permit:
                t0 = time.perf_counter()
                if spec.stream or shown.active:
                    raw, text, out_decisions, ttft = await self._stream_once(
                        target, spec, prepared, shown, t0
                    )
                else:
                    raw = await target.adapter.complete(prepared.request, timeouts)
                    ttft = None
                    text, out_decisions = await self._check_output(raw.text, prepared, spec, target)
                latency = (time.perf_counter() - t0) * 1000.0
                attempt.latency_ms, attempt.ttft_ms = latency, ttft
                reply = self._make_reply(
                    target, spec, prepared.request, raw, text, latency, ttft, out_decisions
                )
                # The real count replaces the estimate in the tokens-per-minute window.
                permit.settle(reply.usage.total_tokens)
        except TimeoutError as exc:
            raise timeout_error(
                "overall", limit, provider=target.provider, model=target.model
            ) from exc
        return reply

    def _make_reply(
        self,
        target: Target,
        spec: CallSpec,
        request: ChatRequest,
        raw: ProviderReply,
        text: str,
        latency_ms: float,
        ttft_ms: float | None,
        decisions: list[Decision],
    ) -> Reply:
        usage = usage_or_estimate(raw, request, text, self.estimate)
        extras = dict(raw.extras)
        if target.stand_in or target.simulated:
            cost: float | None = 0.0
            extras["stands_in_for"] = target.ref
            real = self.catalogue.priced_as(target.ref)  # sim:gpt-4o at openai:gpt-4o's price
            extras["priced_as"] = real
            extras["cost_if_real_usd"] = None if real is None else self.catalogue.cost(real, usage)
        else:
            cost = self.catalogue.cost(target.ref, usage)
        return Reply(
            text=text,
            model=target.name,
            resolved_model=target.ref,
            provider=target.served_by,
            deployment=target.deployment_id,
            response_model=raw.response_model,
            finish_reason=raw.finish_reason,
            usage=usage,
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            cost_usd=cost,
            decisions=decisions,
            extras=extras,
            simulated=target.simulated,
            run_id=spec.run_id,
            route=target.route,
        )

    async def _check_output(
        self, text: str, prepared: _Prepared, spec: CallSpec, target: Target
    ) -> tuple[str, list[Decision]]:
        if self.guardian is None:
            return text, []
        ctx = self._context(prepared, target, spec)
        verdict = await self.guardian.check_output(text, ctx)
        self.recorder.verdict("output", verdict, spec, target)
        if verdict.blocked:
            raise GuardianBlocked("output", verdict.decisions)
        return verdict.text, list(verdict.decisions)

    async def _stream_once(
        self,
        target: Target,
        spec: CallSpec,
        prepared: _Prepared,
        shown: _Shown,
        t0: float,
    ) -> tuple[ProviderReply, str, list[Decision], float | None]:
        timeouts = spec.timeouts
        guardian = self.guardian
        monitor = (
            guardian.output_monitor(self._context(prepared, target, spec)) if guardian else None
        )
        parts: list[str] = []
        last = None
        ttft: float | None = None
        watch = _Watchdog(timeouts)
        agen = target.adapter.stream(prepared.request, timeouts).__aiter__()
        # A wait for a rate-limit slot just before the request leaves (a shared limiter
        # booking again) is queueing, as the limiter's wait before the stream is: it does
        # not count against the provider's first-token limit.
        confirm = request_sending_watcher()
        queued = (
            watching_request_sending(watch.paused(confirm))
            if confirm is not None
            else contextlib.nullcontext()
        )
        try:
            with watching_stream_activity(watch.touch), queued:
                while True:
                    try:
                        # asyncio.timeout, not wait_for: the generator must keep running in
                        # this task (adapters hold context variables across chunks, and
                        # report activity through one), and no task is made per chunk.
                        async with watch.next_chunk():
                            chunk = await agen.__anext__()
                    except StopAsyncIteration:
                        break
                    except TimeoutError as exc:
                        raise timeout_error(
                            watch.phase, watch.limit, provider=target.provider, model=target.model
                        ) from exc
                    watch.touch()
                    if chunk.text:
                        if ttft is None:
                            ttft = (time.perf_counter() - t0) * 1000.0
                        parts.append(chunk.text)
                        shown.feed(chunk.text, monitor)
                    if chunk.finish_reason or chunk.usage or chunk.response_model:
                        last = _merge_final(last, chunk)
        finally:
            await _aclose(agen)
        if last is None or last.finish_reason is None:
            raise IncompleteStreamError(
                "stream ended without a finish reason", provider=target.provider, model=target.model
            )
        raw = ProviderReply(
            text="".join(parts),
            finish_reason=last.finish_reason,
            usage=last.usage,
            response_model=last.response_model,
            extras=last.extras,
        )
        if monitor is None:
            return raw, raw.text, [], ttft
        verdict = await monitor.finish()
        self.recorder.verdict("output", verdict, spec, target)
        shown.settle(verdict.text)
        if verdict.blocked:
            raise GuardianBlocked("output", verdict.decisions)
        return raw, verdict.text, list(verdict.decisions), ttft


class _Watchdog:
    """The silence a stream may keep: ``first_token`` until it has sent anything at all,
    then ``idle`` from its last sign of life (a chunk, an event, a keep-alive)."""

    def __init__(self, timeouts: Timeouts) -> None:
        self.timeouts = timeouts
        self.received = False
        self._scope: asyncio.Timeout | None = None
        self._loop = asyncio.get_running_loop()

    @property
    def phase(self) -> str:
        return "idle" if self.received else "first_token"

    @property
    def limit(self) -> float:
        return self.timeouts.idle if self.received else self.timeouts.first_token

    def next_chunk(self) -> asyncio.Timeout:
        self._scope = asyncio.timeout(self.limit)
        return self._scope

    def paused(self, wait: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """``wait``, with the current limit's clock stopped while it runs (the deadline
        moves on by the time waited)."""

        async def waiting() -> None:
            scope = self._scope
            when = scope.when() if scope is not None and not scope.expired() else None
            if scope is None or when is None:
                await wait()
                return
            began = self._loop.time()
            scope.reschedule(None)
            try:
                await wait()
            finally:
                if not scope.expired():
                    with contextlib.suppress(RuntimeError):  # the scope has exited
                        scope.reschedule(when + (self._loop.time() - began))

        return waiting

    def touch(self) -> None:
        self.received = True
        scope = self._scope
        if scope is not None and not scope.expired():
            # Between two chunks the scope has exited and cannot move: nothing to do then.
            with contextlib.suppress(RuntimeError):
                scope.reschedule(self._loop.time() + self.timeouts.idle)


def _status_of(error: BaseException) -> str:
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    if isinstance(error, GuardianBlocked):
        return "blocked"
    return "error"


def _merge_final(last: StreamChunk | None, chunk: StreamChunk) -> StreamChunk:
    if last is None:
        return chunk.model_copy()
    update: dict[str, object] = {}
    for name in ("finish_reason", "usage", "response_model"):
        value = getattr(chunk, name)
        if value is not None:
            update[name] = value
    if chunk.extras:
        update["extras"] = {**last.extras, **chunk.extras}
    return last.model_copy(update=update)


async def _aclose(agen: object) -> None:
    close = getattr(agen, "aclose", None)
    if close is None:
        return
    with contextlib.suppress(Exception, asyncio.CancelledError):  # a broken stream may not close
        await close()


class _Invalidating(Protocol):
    """A credential that can drop its cached value (sync or async)."""

    def invalidate(self) -> object: ...


async def _invalidate(credential: _Invalidating) -> None:
    result = credential.invalidate()
    if asyncio.iscoroutine(result):
        await result


class _Shown:
    """What the reader has been shown during one attempt, so a failure can take it back."""

    def __init__(self, sink: DeltaSink | None) -> None:
        self.sink = sink
        self.text = ""

    @property
    def active(self) -> bool:
        return self.sink is not None

    def _emit(self, kind: str, text: str) -> None:
        if self.sink is not None:
            self.sink(Delta(kind=kind, text=text))

    def feed(self, text: str, monitor: OutputMonitor | None) -> None:
        if monitor is None:
            self.text += text
            self._emit("text", text)
            return
        for kind, value in monitor.feed(text):
            if kind == "replace":
                self.text = value
            else:
                self.text += value
            self._emit(kind, value)

    def settle(self, final: str) -> None:
        """Make what is shown equal the checked text."""
        if final != self.text:
            if final.startswith(self.text):
                self._emit("text", final[len(self.text) :])
            else:
                self._emit("replace", final)
            self.text = final

    def reset(self) -> None:
        if self.text:
            self._emit("reset", "")
        self.text = ""


@functools.cache
def _guard_context_type() -> type[GuardContext]:
    """The Guardian's context class, imported on the first checked call (not with this
    module, and not again on every call)."""
    from .guardian import GuardContext

    return GuardContext


def usage_or_estimate(
    raw: ProviderReply, request: ChatRequest, text: str, estimate: Callable[[str], int]
) -> Usage:
    """The provider's usage when it reported any; otherwise our offline estimate."""
    if raw.usage is not None and (raw.usage.input_tokens or raw.usage.output_tokens):
        return raw.usage
    return Usage(
        input_tokens=estimate(request.prompt_text()),
        output_tokens=estimate(text),
        estimated=True,
    )


def material_for(ref: str, request: ChatRequest) -> str:
    """The canonical text of a request to model ``ref``, HMAC'd into the audit's
    ``request_hash``."""
    return _material_text(
        ref,
        request.system,
        request.messages,
        request.temperature,
        request.max_tokens,
        request.stop,
        request.json_output,
    )


def _material_text(
    ref: str,
    system: str | None,
    messages: Sequence[Message],
    temperature: float | None,
    max_tokens: int | None,
    stop: Sequence[str] | None,
    json_output: bool,
) -> str:
    return json.dumps(
        {
            "model": ref,
            "system": system,
            "messages": [[m.role, m.content] for m in messages],
            "temperature": temperature,
            "max_tokens": max_tokens,
            "stop": None if stop is None else list(stop),
            "json": json_output,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
