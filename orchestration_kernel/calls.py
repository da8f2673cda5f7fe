"""One logical call: attempts over deployments and fallbacks, with the Guardian and
the audit at every step.

``CallRunner.run(spec, on_delta)`` is the whole reliability story in one place:

1. for each candidate (the model, then each fallback) the router plans deployments;
2. the Guardian checks the input for that model (a block never reaches a provider);
3. each deployment gets up to ``RetryPolicy.max_attempts`` tries, honouring
   ``Retry-After``, with one extra try after a 401 when the credential refreshes;
4. a stream that fails after showing text sends a ``reset`` delta before the retry;
5. the output is checked (on a rolling buffer while streaming) before it is returned.

Every attempt, routing decision and Guardian decision is recorded in the audit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import (
    AllAttemptsFailed,
    ConfigurationError,
    GuardianBlocked,
    IncompleteStreamError,
    OrchestrationError,
    ProviderError,
)
from .models import Attempt, ChatRequest, Decision, Delta, Message, ProviderReply, Reply, Usage
from .providers.base import Provider, Timeouts, timeout_error

if TYPE_CHECKING:
    from .engine import OrchestrationEngine

__all__ = ["CallRunner", "CallSpec"]

DeltaSink = Callable[[Delta], Any]


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
    extra: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    pipeline: str | None = None
    step: str | None = None
    session_id: str | None = None
    needs: set[str] = field(default_factory=set)
    #: The prompt's token estimate, filled in once by the engine.
    input_tokens: int | None = None


@dataclass
class Target:
    """A concrete place to send a request: a deployment, and who serves it."""

    name: str  # what the caller asked for (a model, alias, pool or "auto")
    provider: str  # the real provider the deployment belongs to
    model: str  # the provider's own model id
    deployment_id: str
    adapter: Provider
    simulated: bool
    deployment: Any = None
    route: dict[str, Any] = field(default_factory=dict)
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


@dataclass
class _Prepared:
    request: ChatRequest
    ctx: Any
    decisions: list[Decision]
    material: str


class _CandidateFailed(Exception):
    def __init__(self, error: BaseException) -> None:
        self.error = error


class CallRunner:
    """Runs one :class:`CallSpec` to a :class:`Reply` for an engine."""

    def __init__(self, engine: OrchestrationEngine) -> None:
        self.engine = engine

    # -- the whole call ------------------------------------------------------------
    async def run(self, spec: CallSpec, on_delta: DeltaSink | None = None) -> Reply:
        """Try each candidate in turn; return the first checked reply."""
        attempts: list[Attempt] = []
        decisions: list[Decision] = []
        candidates = [spec.model, *[f for f in spec.fallbacks if f != spec.model]]
        last: BaseException | None = None
        for name in candidates:
            try:
                return await self._candidate(name, spec, attempts, decisions, on_delta)
            except ConfigurationError as exc:
                if len(candidates) == 1:
                    raise
                last = exc
            except _CandidateFailed as failed:
                last = failed.error
        if len(attempts) <= 1 and isinstance(last, OrchestrationError):
            if isinstance(last, ProviderError):
                last.attempts = attempts  # type: ignore[attr-defined]
            raise last
        raise AllAttemptsFailed(spec.model, attempts, last) from last

    def _request(self, target: Target, spec: CallSpec) -> ChatRequest:
        return ChatRequest(
            model=target.model,
            messages=spec.messages,
            system=spec.system,
            temperature=spec.temperature,
            max_tokens=spec.max_tokens,
            stop=spec.stop,
            json_output=spec.json_output,
            metadata=self.engine._request_metadata(spec),
            extra=spec.extra,
        )

    async def _prepare(
        self, target: Target, spec: CallSpec, checked: dict[str, _Prepared]
    ) -> _Prepared:
        """The Guardian-checked request for ``target``'s model (checked once per model)."""
        if target.ref in checked:
            return checked[target.ref]
        request = self._request(target, spec)
        ctx = self.engine._guard_context(target, spec, request)
        decisions: list[Decision] = []
        guardian = self.engine.guardian
        if guardian is not None:
            verdict, request = await guardian.check_request(request, ctx)
            self.engine._audit_verdict("input", verdict, spec, target)
            if verdict.blocked:
                raise GuardianBlocked("input", verdict.decisions)
            decisions = list(verdict.decisions)
        prepared = _Prepared(request, ctx, decisions, material_for(target, request))
        checked[target.ref] = prepared
        return prepared

    # -- attempts on one candidate -------------------------------------------------
    async def _candidate(
        self,
        name: str,
        spec: CallSpec,
        attempts: list[Attempt],
        decisions: list[Decision],
        on_delta: DeltaSink | None,
    ) -> Reply:
        """Up to ``max_attempts`` tries of ``name``; a pool may move each try elsewhere."""
        engine, policy = self.engine, self.engine.retry
        checked: dict[str, _Prepared] = {}
        refreshed = False
        number = 0
        while True:
            number += 1
            target = engine._choose_target(name, spec)
            try:
                prepared = await self._prepare(target, spec, checked)
            except BaseException as exc:
                engine._release(target, exc)
                raise
            if number == 1 or len(checked) > 1:
                decisions.extend(d for d in prepared.decisions if d not in decisions)
            replayed = engine._replay(prepared.material, target, spec)
            if replayed is not None:
                engine._release(target, None)
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
                async with engine._limit(target, spec) as permit:
                    reply = await self._attempt(
                        target, spec, prepared.request, prepared.ctx, attempt, shown
                    )
                    # The real count replaces the estimate in the tokens-per-minute window.
                    permit.settle(reply.usage.total_tokens)
            except asyncio.CancelledError as exc:
                self._finish_attempt(attempt, "cancelled", None)
                engine._observe(target, attempt, None, exc)
                engine._audit_attempt(attempt, spec, target, prepared.material, None)
                raise
            except GuardianBlocked as exc:
                self._finish_attempt(attempt, "blocked", exc)
                engine._observe(target, attempt, None, exc)
                engine._audit_attempt(attempt, spec, target, prepared.material, None)
                raise
            except ProviderError as exc:
                self._finish_attempt(attempt, "error", exc)
                engine._observe(target, attempt, None, exc)
                engine._audit_attempt(attempt, spec, target, prepared.material, None)
                shown.reset()
                credential = getattr(target.adapter, "credential", None)
                if credential is not None and not refreshed and policy.refresh_worthy(exc):
                    refreshed = True
                    number -= 1  # the refresh retry does not use up an attempt
                    await _invalidate(credential)
                    continue
                if policy.should_retry(exc, number):
                    await asyncio.sleep(policy.delay(number, exc))
                    continue
                raise _CandidateFailed(exc) from exc
            self._finish_attempt(attempt, "ok", None)
            reply.attempts = list(attempts)
            reply.decisions = [*decisions, *reply.decisions]
            engine._observe(target, attempt, reply, None)
            engine._audit_attempt(attempt, spec, target, prepared.material, reply)
            engine._after_success(reply, spec)
            return reply

    @staticmethod
    def _finish_attempt(attempt: Attempt, status: str, error: BaseException | None) -> None:
        attempt.ended_at = time.time()
        attempt.status = status  # type: ignore[assignment]
        if attempt.latency_ms is None:
            attempt.latency_ms = (attempt.ended_at - attempt.started_at) * 1000.0
        if error is not None:
            attempt.error_type = type(error).__name__
            attempt.error = str(error)
            attempt.http_status = getattr(error, "status", None)

    async def _attempt(
        self,
        target: Target,
        spec: CallSpec,
        request: ChatRequest,
        ctx: Any,
        attempt: Attempt,
        shown: _Shown,
    ) -> Reply:
        t0 = time.perf_counter()
        timeouts = spec.timeouts
        try:
            async with asyncio.timeout(timeouts.overall):
                if spec.stream or shown.active:
                    raw, text, out_decisions, ttft = await self._stream_once(
                        target, spec, request, ctx, shown, t0
                    )
                else:
                    raw = await target.adapter.complete(request, timeouts)
                    ttft = None
                    text, out_decisions = await self._check_output(raw.text, ctx, spec, target)
        except TimeoutError as exc:
            raise timeout_error(
                "overall", timeouts.overall, provider=target.provider, model=target.model
            ) from exc
        latency = (time.perf_counter() - t0) * 1000.0
        attempt.latency_ms, attempt.ttft_ms = latency, ttft
        return self.engine._make_reply(
            target, spec, request, raw, text, latency, ttft, out_decisions
        )

    async def _check_output(
        self, text: str, ctx: Any, spec: CallSpec, target: Target
    ) -> tuple[str, list[Decision]]:
        guardian = self.engine.guardian
        if guardian is None:
            return text, []
        verdict = await guardian.check_output(text, ctx)
        self.engine._audit_verdict("output", verdict, spec, target)
        if verdict.blocked:
            raise GuardianBlocked("output", verdict.decisions)
        return verdict.text, list(verdict.decisions)

    async def _stream_once(
        self,
        target: Target,
        spec: CallSpec,
        request: ChatRequest,
        ctx: Any,
        shown: _Shown,
        t0: float,
    ) -> tuple[ProviderReply, str, list[Decision], float | None]:
        timeouts = spec.timeouts
        guardian = self.engine.guardian
        monitor = guardian.output_monitor(ctx) if guardian is not None else None
        parts: list[str] = []
        last = None
        ttft: float | None = None
        agen = target.adapter.stream(request, timeouts).__aiter__()
        try:
            while True:
                limit = timeouts.first_token if ttft is None else timeouts.idle
                try:
                    # asyncio.timeout, not wait_for: the generator must keep running in this
                    # task (adapters may hold context variables across chunks), and no
                    # task is created per chunk.
                    async with asyncio.timeout(limit):
                        chunk = await agen.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    phase = "first_token" if ttft is None else "idle"
                    raise timeout_error(
                        phase, limit, provider=target.provider, model=target.model
                    ) from exc
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
        self.engine._audit_verdict("output", verdict, spec, target)
        shown.settle(verdict.text)
        if verdict.blocked:
            raise GuardianBlocked("output", verdict.decisions)
        return raw, verdict.text, list(verdict.decisions), ttft


def _merge_final(last: Any, chunk: Any) -> Any:
    if last is None:
        return chunk.model_copy()
    update: dict[str, Any] = {}
    for name in ("finish_reason", "usage", "response_model"):
        value = getattr(chunk, name)
        if value is not None:
            update[name] = value
    if chunk.extras:
        update["extras"] = {**last.extras, **chunk.extras}
    return last.model_copy(update=update)


async def _aclose(agen: Any) -> None:
    close = getattr(agen, "aclose", None)
    if close is None:
        return
    with contextlib.suppress(Exception, asyncio.CancelledError):  # a broken stream may not close
        await close()


async def _invalidate(credential: Any) -> None:
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
            self.sink(Delta(kind=kind, text=text))  # type: ignore[arg-type]

    def feed(self, text: str, monitor: Any) -> None:
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


def usage_or_estimate(raw: ProviderReply, request: ChatRequest, text: str, estimate: Any) -> Usage:
    """The provider's usage when it reported any; otherwise our offline estimate."""
    if raw.usage is not None and (raw.usage.input_tokens or raw.usage.output_tokens):
        return raw.usage
    return Usage(
        input_tokens=estimate(request.prompt_text()),
        output_tokens=estimate(text),
        estimated=True,
    )


def material_for(target: Target, request: ChatRequest) -> str:
    """The canonical text of a request, HMAC'd into the audit's ``request_hash``."""
    return json.dumps(
        {
            "model": target.ref,
            "system": request.system,
            "messages": [[m.role, m.content] for m in request.messages],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stop": request.stop,
            "json": request.json_output,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
