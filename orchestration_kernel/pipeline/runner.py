"""Run one pipeline: the DAG scheduler, step policies, handoffs and cancellation.

Each step starts the moment its last dependency has published its output on the bus
(topic ``run.<run_id>.step.<name>``); the time from that publish to the dependent step
starting is the handoff, recorded on the bus and in the audit. The first step a finished
step releases runs next in the same asyncio task, any others in tasks of their own: a
chain of steps is one task. Independent steps, and the models of a fan-out step, run
concurrently. There are no sleeps and no
thread hops: the whole run lives on the runtime loop.

Policies:

- ``when:`` false → the step is ``skipped`` (with the values the condition saw), and so is
  every step all of whose dependencies were skipped that way.
- ``on_error: skip`` → the step's output is its ``default``; independent siblings go on.
- ``on_error: fail`` → the run fails with :class:`PipelineError` carrying the partial
  result; steps still running are cancelled and marked ``cancelled``.
- ``pipeline.cancel()`` → every task is cancelled and marked, then :class:`RunCancelled`
  (with the partial result). If instead the task awaiting the run is cancelled, the same
  clean-up runs and ``CancelledError`` propagates, as asyncio expects (so
  ``asyncio.timeout`` and task groups keep working).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Coroutine, Mapping

from ..errors import (
    AuditWriteError,
    GuardianBlocked,
    PipelineError,
    ProviderTimeout,
    RunCancelled,
    SpecError,
)
from ..models import Delta, Message
from ..privacy import AuditOptions, audit_options
from .collaborators import Redactor, RunAudit, RunBus
from .engine_face import PipelineEngine, StepCallOptions
from .events import EventKind, Observer, PipelineEvent, notify
from .fan_out_text import labelled
from .fold import fold_conversation, turns_to_messages
from .invoke import CallFailed, call_model, default_prompt, json_instruction
from .loader import CompiledPipeline
from .memory import TurnWriter
from .private_turns import run_bus
from .result import FINAL_STATUSES, ModelCall, PipelineResult, StepResult
from .scope import Scope, format_value
from .spec import StepSpec

__all__ = ["Run", "StepFailed", "new_run_id"]

log = logging.getLogger("orchestration_kernel.pipeline")


#: "Not looked up yet" (``None`` means the engine has none).
_UNSET = object()


def new_run_id() -> str:
    """A short unique run id: 16 hex digits, 64 random bits."""
    return os.urandom(8).hex()


class StepFailed(Exception):
    """A step's model call(s) failed; ``calls`` records every call, ``error`` the cause."""

    def __init__(self, calls: list[ModelCall], error: BaseException) -> None:
        self.calls = calls
        self.error = error
        super().__init__(str(error))


class Run:
    """One execution of a compiled pipeline. Create it, then ``await run.execute()``
    on the runtime loop."""

    def __init__(
        self,
        compiled: CompiledPipeline,
        engine: PipelineEngine,
        *,
        input_data: object = None,
        namespace: Mapping[str, object] | None = None,
        session_id: str | None = None,
        observer: Observer | None = None,
        run_id: str | None = None,
        default_model: str | None = None,
        stream: bool | None = None,
    ) -> None:
        spec = compiled.spec
        self.compiled = compiled
        self.engine = engine
        self.observer = observer
        #: Stream from providers: a step's ``stream:`` wins, then this, then "if observed".
        self.stream = stream
        self.run_id = run_id or new_run_id()
        self.name = spec.name
        self.session_id = session_id or spec.session or getattr(engine, "session_id", None)
        self.default_model = spec.model or default_model
        self.specs: dict[str, StepSpec] = {s.name or "": s for s in spec.steps}
        self.steps: dict[str, StepResult] = {
            n: StepResult(name=n, model=s.model or self.default_model)
            for n, s in self.specs.items()
        }
        has_input = input_data is not None or spec.input is not None
        self.input = input_data if input_data is not None else spec.input
        self.scope = Scope(
            input=self.input, has_input=True, steps=self.steps, namespace=namespace or {}
        )
        self._input_given = has_input
        self.result = PipelineResult(
            run_id=self.run_id, pipeline=self.name, session_id=self.session_id,
            steps=list(self.steps.values()),
        )  # fmt: skip
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._remaining = dict(compiled.dag.waits)
        self._published: dict[str, float] = {}
        self._inactive: set[str] = set()  # skipped by `when:` (or because all deps were)
        self._completed = 0
        self._failure: tuple[str, BaseException] | None = None
        self._cancel_requested = False
        self._done: asyncio.Future[None] | None = None
        self._memory: TurnWriter | None = None  # the conversation writer, once needed
        self._t0 = time.perf_counter()
        self._wall0 = time.time()
        #: Set when the audit refused or could not commit one of this run's rows.
        self._audit_error: AuditWriteError | None = None
        self._bus: object = _UNSET  # the engine's collaborators, looked up on first use
        self._audit_trail: object = _UNSET
        self._audit_options: AuditOptions | None = None  # the engine's, for every row

    # -- collaborators (all optional) -------------------------------------------------
    @property
    def bus(self) -> RunBus | None:
        """The engine's ContextBus, or ``None`` (looked up once per run once it opens)."""
        if self._bus is not _UNSET:
            return self._bus  # type: ignore[return-value]
        try:
            bus: RunBus | None = getattr(self.engine, "bus", None)
        except Exception:  # a bus that cannot open must not stop a run
            log.exception("the context bus is unavailable")
            return None
        bus = run_bus(self.engine, bus)  # content logging off: turns stay in memory
        self._bus = bus
        return bus

    @property
    def audit(self) -> RunAudit | None:
        """The engine's audit trail, or ``None`` (looked up once per run)."""
        if self._audit_trail is _UNSET:
            self._audit_trail = getattr(self.engine, "audit", None)
        return self._audit_trail  # type: ignore[return-value]

    def _now(self) -> float:
        return self._wall0 + (time.perf_counter() - self._t0)

    def _audit(self, event: str, **cols: object) -> None:
        audit = self.audit
        if audit is None:
            return
        cols.setdefault("run_id", self.run_id)
        cols.setdefault("pipeline", self.name)
        cols.setdefault("session_id", self.session_id)
        options = self._audit_options
        if options is None:  # looked up once per run, as the trail itself is
            options = self._audit_options = audit_options(self.engine)
        try:
            audit.record(event, **options, **cols)
        except AuditWriteError as exc:  # refused: the run ends raising it, never "done"
            self._audit_error = exc
        except Exception:  # the audit has its own integrity checks; never break the run
            log.exception("audit record %s failed", event)

    def _emit(
        self,
        kind: EventKind,
        step: str | None = None,
        data: object = None,
        model: str | None = None,
    ) -> None:
        if self.observer is not None:  # no observer: build no event
            notify(self.observer, PipelineEvent(kind, self.run_id, step, model, data))

    # -- the run ---------------------------------------------------------------------
    async def execute(self) -> PipelineResult:
        """Run every step; returns the result or raises (see the module docstring)."""
        if self.audit is not None:
            self.audit.check_writable()  # fail fast: no run goes ahead unaudited
        await self._prepare()
        self._done = asyncio.get_running_loop().create_future()
        self._begin()
        try:
            for root in self.compiled.dag.roots:
                self._launch(root)
            await self._done
        except asyncio.CancelledError:
            await self._stop_all("the run was cancelled")
            await self._end("cancelled", "the run was cancelled")
            raise
        if self._cancel_requested:
            await self._stop_all("the run was cancelled")
            await self._end("cancelled", "the run was cancelled")
            raise RunCancelled(f"run {self.run_id} was cancelled", self.result)
        if self._failure is not None:
            name, exc = self._failure
            if isinstance(exc, StepFailed):  # name the provider's error, not our wrapper
                exc = exc.error
            await self._stop_all(f"step {name!r} failed")
            message = f"step {name!r} failed: {type(exc).__name__}: {exc}"
            await self._end("failed", message)
            if self._audit_error is not None:
                message += f" (and its audit rows were not committed: {self._audit_error})"
            raise PipelineError(
                f"pipeline {self.name or ''} {message}".replace("  ", " "), self.result
            ) from exc
        await self._end("done")
        if self._audit_error is not None:  # "done" is only true once its rows are committed
            cause = self._audit_error
            error = AuditWriteError(str(cause), cause.path, cause.cause)
            error.result = self.result  # type: ignore[attr-defined]
            raise error from cause
        return self.result

    def cancel(self) -> None:
        """Stop the run (call on the runtime loop): ``execute`` raises ``RunCancelled``."""
        self._cancel_requested = True
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    async def _prepare(self) -> None:
        """Fetch the session context if names need it, and check every name before running."""
        if self.compiled.deferred:
            bus = self.bus
            if bus is not None and hasattr(bus, "get_context"):
                try:
                    self.scope.context = await bus.get_context(self.session_id)
                except Exception:
                    log.exception("could not read the session context")
        problems = self.compiled.check_runtime_names(self.scope, input_known=self._input_given)
        if problems:
            raise SpecError(problems, source=self.compiled.source)

    def _begin(self) -> None:
        self.result.started_at = self._now()
        if self.audit is not None:
            self._audit("run_start", status="running", detail={
                "steps": list(self.specs), "levels": self.compiled.dag.levels(),
            })  # fmt: skip
        if self.observer is not None:
            self._emit("run_start", data=self.plan_rows())

    def plan_rows(self) -> list[dict[str, object]]:
        """The steps as the widgets first show them."""
        deps = self.compiled.dag.deps
        return [
            {"name": n, "model": self.steps[n].model, "depends_on": list(deps[n])}
            for n in self.specs
        ]

    async def _settle_memory(self) -> None:
        if self._memory is not None:
            await self._memory.settle()

    async def _end(self, status: str, error: str | None = None) -> None:
        res = self.result
        res.status = status  # type: ignore[assignment]
        res.error = error
        res.ended_at = self._now()
        res.latency_ms = (res.ended_at - (res.started_at or res.ended_at)) * 1000
        res.output = self._final_output()
        if self._memory is not None:
            self._memory.flush()
        if self.audit is not None:  # the totals below are for the audit row only
            self._audit_end(status, error)
            # The conversation writer is a task of its own and runs meanwhile: the run
            # waits for the audit's commit and the bus's at once, not one after the other.
            await self._flush_audit()
        await self._settle_memory()
        self._emit("run_end", data=res)

    def _audit_end(self, status: str, error: str | None) -> None:
        res = self.result
        usage = res.usage
        detail: dict[str, object] = {"steps": {s.name: s.status for s in res.steps}}
        if error:
            detail["error"] = error
        self._audit(
            "run_end",
            status=status,
            latency_ms=res.latency_ms,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=res.cost_usd,
            detail=detail,
        )

    async def _flush_audit(self) -> None:
        audit = self.audit
        if audit is None:
            return
        try:
            # aflush commits this run's rows and returns the head hash that covers them.
            self.result.head_hash = await audit.aflush()
            self.result._committed = audit.commit_point()
        except AuditWriteError as exc:  # the run must not report what was not committed
            self._audit_error = exc

    def _final_output(self) -> str | None:
        spec = self.compiled.spec
        if spec.output is not None:
            return self.steps[spec.output].output
        ordered = list(self.steps.values())
        for step in reversed(ordered):
            if step.status == "done":
                return step.output
        return next((s.output for s in reversed(ordered) if s.output is not None), None)

    # -- scheduling ------------------------------------------------------------------
    def _launch(self, name: str) -> None:
        self._tasks[name] = asyncio.get_running_loop().create_task(self._step(name))

    def _release(self, name: str) -> str | None:
        """Start the dependents whose last dependency ``name`` was. The first of them is
        returned instead, for the caller's task to run next: a chain of steps runs in one
        task, not a task each (a task costs more than a step's own bookkeeping). It starts
        when the others do, once the caller's bookkeeping (no awaits) is done."""
        carried: str | None = None
        for nxt in self.compiled.dag.dependents[name]:
            self._remaining[nxt] -= 1
            if self._remaining[nxt] == 0 and self._failure is None and not self._cancel_requested:
                if carried is None:
                    carried = nxt
                else:
                    self._launch(nxt)
        return carried

    def _finished(self) -> None:
        self._completed += 1
        if self._completed == len(self.steps) and self._done and not self._done.done():
            self._done.set_result(None)

    def _fail_run(self, name: str, exc: BaseException) -> None:
        if self._failure is None:
            self._failure = (name, exc)
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    async def _stop_all(self, reason: str) -> None:
        """Cancel running steps and mark every unfinished step ``cancelled``."""
        running = [t for t in self._tasks.values() if not t.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        now = self._now()
        for step in self.steps.values():
            if step.status not in FINAL_STATUSES:
                never = step.status == "pending"
                step.status = "cancelled"
                step.reason = f"never started: {reason}" if never else f"cancelled: {reason}"
                step.ended_at = now

    # -- one step ----------------------------------------------------------------------
    async def _step(self, name: str) -> None:
        """Run step ``name``, then each step it hands on (see :meth:`_release`)."""
        carried: str | None = name
        while carried is not None:
            carried = await self._one_step(carried)

    async def _one_step(self, name: str) -> str | None:
        """One step, start to end; returns the dependent this task runs next, if any."""
        sr = self.steps[name]
        self._handoff(name)
        try:
            await self._perform(name, sr)
        except asyncio.CancelledError:
            sr.status, sr.ended_at = "cancelled", self._now()
            sr.reason = sr.reason or "cancelled while running"
            self._audit(
                "step",
                step=name,
                status="cancelled",
                model=_label(sr.model),
                detail={"reason": sr.reason},
            )
            raise
        except Exception as exc:  # any step failure goes through the step's policy
            if not self._apply_policy(name, sr, exc):
                sr.ended_at = self._now()
                self._fail_run(name, exc)
                await self._publish(name, sr)
                self._record(name, sr)
                self._finished()
                return None
        sr.ended_at = sr.ended_at or self._now()
        await self._publish(name, sr)
        carried = self._release(name)  # dependents start once this bookkeeping is done
        self._record(name, sr)
        self._remember(sr)
        self._finished()
        # The task stays listed under the chain's first step: stopping the run cancels it,
        # whichever step of the chain it runs by then.
        return carried

    def _handoff(self, name: str) -> None:
        deps = self.compiled.dag.deps[name]
        published = [self._published[d] for d in deps if d in self._published]
        if not published:
            return
        ms = (time.perf_counter() - max(published)) * 1000
        self.result.handoffs_ms.append(ms)
        bus = self.bus
        if bus is not None and hasattr(bus, "record_handoff"):
            bus.record_handoff(ms)
        if self.audit is None:
            return
        source = max((d for d in deps if d in self._published), key=self._published.__getitem__)
        self._audit("handoff", step=name, latency_ms=ms, detail={"from": source, "to": name})

    async def _perform(self, name: str, sr: StepResult) -> None:
        spec = self.specs[name]
        deps = self.compiled.dag.deps[name]
        if deps and all(d in self._inactive for d in deps):
            self._skip(sr, spec, "every step it depends on was skipped")
            return
        cond = self.compiled.conditions[name]
        if cond is not None:
            ok, seen = cond.evaluate(self.scope)
            sr.when_values = seen
            if not ok:
                self._skip(sr, spec, f"when: {cond.source!r} was false")
                return
        sr.status, sr.started_at = "running", self._now()
        self._emit("step_start", name, sr)
        prompt, system = self._render(name, spec)
        guardian: Redactor | None = getattr(self.engine, "guardian", None)
        models = spec.models or [self.default_model or ""]
        encode = getattr(self.audit, "encode_pending", None)
        if encode is not None:
            # The rows queued so far (this run's start, the call's route and request
            # check) are encoded the first time the loop is free once the call is under
            # way, while it waits on the network, rather than at the run's end, before
            # the commit the run waits for.
            asyncio.get_running_loop().call_soon(encode)
        if guardian is None:
            sr.prompt = prompt
            calls = await self._run_calls(name, spec, models, prompt, system)
        else:
            # The result keeps the prompt as the Guardian would let it be stored, never
            # raw. Redacting it is a scan of the whole text: it runs the first time the
            # loop is free once the call is under way (while the request waits on the
            # network), and at the latest when the call returns or fails.
            redact = asyncio.get_running_loop().call_soon(_redact_into, sr, guardian, prompt)
            try:
                calls = await self._run_calls(name, spec, models, prompt, system)
            finally:
                if sr.prompt is None:
                    redact.cancel()
                    sr.prompt = guardian.redact(prompt)
        self._absorb(sr, spec, calls)

    def _skip(self, sr: StepResult, spec: StepSpec, reason: str) -> None:
        sr.status, sr.reason, sr.output = "skipped", reason, spec.default
        sr.started_at = sr.ended_at = self._now()
        self._inactive.add(sr.name)

    def _render(self, name: str, spec: StepSpec) -> tuple[str, str | None]:
        template = self.compiled.prompts[name]
        if template is not None:
            prompt = template.render(self.scope)
        else:
            deps = self.compiled.dag.deps[name]
            upstream = [(d, self.steps[d].output) for d in deps]
            prompt = default_prompt(
                spec.task or name,
                format_value(self.input) if self._input_given else None,
                [(d, text) for d, text in upstream if text],
            )
        if spec.format == "json":
            prompt += json_instruction(spec.json_schema)
        sys_template = self.compiled.systems[name]
        system = sys_template.render(self.scope) if sys_template is not None else None
        return prompt, system

    # -- model calls -------------------------------------------------------------------
    async def _run_calls(
        self, name: str, spec: StepSpec, models: list[str], prompt: str, system: str | None
    ) -> list[ModelCall]:
        payload: str | list[Message] = prompt
        if spec.context == "session":
            payload, system = await self._with_session(name, spec, models, prompt, system)
        try:
            if spec.timeout is None:  # no deadline: skip the timeout machinery
                return await self._calls(name, spec, models, payload, system)
            async with asyncio.timeout(spec.timeout):
                return await self._calls(name, spec, models, payload, system)
        except CallFailed as exc:
            raise StepFailed([exc.call], exc.error) from exc.error
        except TimeoutError as exc:
            raise ProviderTimeout(
                f"step {name!r} took longer than its timeout of {spec.timeout:g} s",
                phase="overall",
            ) from exc

    async def _calls(
        self,
        name: str,
        spec: StepSpec,
        models: list[str],
        payload: str | list[Message],
        system: str | None,
    ) -> list[ModelCall]:
        if len(models) == 1:
            return [await self._call(name, spec, models[0], payload, system)]
        return await self._fan_out(name, spec, models, payload, system)

    def _call(
        self,
        name: str,
        spec: StepSpec,
        model: str,
        payload: str | list[Message],
        system: str | None,
    ) -> Coroutine[object, None, ModelCall]:
        extra: StepCallOptions = {
            "run_id": self.run_id, "pipeline": self.name, "step": name,
            "session_id": self.session_id,
        }  # fmt: skip
        stream = spec.stream if spec.stream is not None else self.stream
        if stream is None:
            stream = self.observer is not None
        extra["stream"] = stream
        if spec.json_schema is not None and _simulated(self.engine, model):
            extra["json_schema"] = spec.json_schema  # the stand-ins shape their JSON by it
        on_delta = self._delta_sink(name, model) if stream and self.observer is not None else None
        return call_model(
            self.engine, model, payload, spec, system=system, on_delta=on_delta, extra=extra
        )

    def _delta_sink(self, name: str, model: str) -> Callable[[Delta], None]:
        def sink(delta: Delta) -> None:
            self._emit("delta", name, delta, model)

        return sink

    async def _fan_out(
        self,
        name: str,
        spec: StepSpec,
        models: list[str],
        payload: str | list[Message],
        system: str | None,
    ) -> list[ModelCall]:
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(self._call(name, spec, m, payload, system)) for m in models]
        try:
            if spec.on_error == "fail":
                await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            else:
                await asyncio.wait(tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        calls, errors = _collect(tasks, models)
        if errors and (spec.on_error == "fail" or len(errors) == len(models)):
            raise StepFailed(calls, errors[0])
        return calls

    async def _with_session(
        self, name: str, spec: StepSpec, models: list[str], prompt: str, system: str | None
    ) -> tuple[list[Message], str | None]:
        bus = self.bus
        await self._settle_memory()
        turns = await bus.conversation(self.session_id) if bus is not None else []
        pipeline = self.compiled.spec
        folded = await fold_conversation(
            self.engine, turns_to_messages(turns), step=name, models=models, prompt=prompt,
            system=system, max_tokens=spec.max_tokens, strategy=pipeline.fold,
            summary_model=pipeline.fold_model,
        )  # fmt: skip
        if folded.record is not None:
            self.result.folds.append(folded.record)
            self._audit(
                "fold",
                step=name,
                model=folded.record.model,
                detail=folded.record.model_dump(exclude={"summary"}),
            )
        return [*folded.messages, Message(role="user", content=prompt)], folded.system

    def _absorb(self, sr: StepResult, spec: StepSpec, calls: list[ModelCall]) -> None:
        sr.absorb(calls)
        failed = [c for c in calls if c.status != "done"]
        if spec.fans_out:
            sr.outputs = {
                c.model: (c.output or "") if c.status == "done" else (spec.default or "")
                for c in calls
            }
            sr.output = labelled(sr.outputs, calls)  # a failed model's section says why
            sr.data = {c.model: c.data for c in calls} if spec.format == "json" else None
        else:
            sr.output, sr.data = calls[0].output, calls[0].data
        if failed:
            sr.error = "; ".join(f"{c.model}: {c.error}" for c in failed)
            sr.reason = "on_error: skip: the failed models gave the default output"
        sr.status = "done"

    # -- policies ----------------------------------------------------------------------
    def _apply_policy(self, name: str, sr: StepResult, exc: Exception) -> bool:
        """Record a failed step; True when the run goes on (``on_error: skip``)."""
        spec = self.specs[name]
        error: BaseException = exc.error if isinstance(exc, StepFailed) else exc
        if isinstance(exc, StepFailed):
            sr.absorb(exc.calls)
        blocked = isinstance(error, GuardianBlocked)
        if isinstance(error, GuardianBlocked) and not sr.decisions:
            sr.decisions = list(error.decisions)
        sr.error, sr.error_type = str(error), type(error).__name__
        sr.status = "blocked" if blocked else "failed"
        if spec.on_error == "skip":
            sr.status = "blocked" if blocked else "skipped"
            sr.output = spec.default
            sr.reason = f"on_error: skip after {type(error).__name__}"
            return True
        sr.reason = "blocked by the Guardian" if blocked else f"failed: {type(error).__name__}"
        return False

    # -- after a step ------------------------------------------------------------------
    async def _publish(self, name: str, sr: StepResult) -> None:
        """Publish the step's outcome on the bus: the event its dependents start from."""
        bus = self.bus
        if bus is not None:
            try:
                await bus.publish(f"run.{self.run_id}.step.{name}", {
                    "run_id": self.run_id, "pipeline": self.name, "step": name,
                    "status": sr.status, "model": _label(sr.model), "output": sr.output,
                }, session_id=self.session_id)  # fmt: skip
            except Exception:
                log.exception("publishing step %s failed", name)
        self._published[name] = time.perf_counter()

    def _record(self, name: str, sr: StepResult) -> None:
        """Audit the finished step and tell the observer."""
        if self.audit is not None:
            self._audit_step(name, sr)
        self._emit("step_end", name, sr)

    def _audit_step(self, name: str, sr: StepResult) -> None:
        self._audit(
            "step", step=name, status=sr.status, model=_label(sr.model), provider=sr.provider,
            latency_ms=sr.latency_ms, ttft_ms=sr.ttft_ms, error_type=sr.error_type,
            input_tokens=sr.usage.input_tokens, output_tokens=sr.usage.output_tokens,
            cost_usd=sr.cost_usd, detail=_step_detail(sr),
        )  # fmt: skip

    def _remember(self, sr: StepResult) -> None:
        """Queue the step's prompt and reply for the session conversation (written in the
        background, see :mod:`.memory`; a ``context: session`` step waits for them)."""
        bus = self.bus
        if not self.compiled.spec.remember or sr.status != "done" or bus is None:
            return
        if not hasattr(bus, "append_turns"):
            return
        if self._memory is None:
            self._memory = TurnWriter(bus, self.session_id)
        label = _label(sr.model)
        self._memory.add(
            sr.name,
            [("user", sr.prompt or "", None), ("assistant", sr.output or "", label)],
            # The last step to finish: the run's end flushes next, so no timer is armed.
            flushed_soon=self._completed + 1 == len(self.steps),
        )


def _collect(
    tasks: list[asyncio.Task[ModelCall]], models: list[str]
) -> tuple[list[ModelCall], list[BaseException]]:
    calls: list[ModelCall] = []
    errors: list[BaseException] = []
    for task, model in zip(tasks, models, strict=True):
        if task.cancelled():
            calls.append(
                ModelCall(
                    model=model,
                    status="cancelled",
                    cost_usd=0.0,
                    error="cancelled: another model of the step failed",
                )
            )
            continue
        exc = task.exception()
        if isinstance(exc, CallFailed):
            calls.append(exc.call)
            errors.append(exc.error)
        elif exc is not None:
            calls.append(
                ModelCall(
                    model=model,
                    status="failed",
                    error=str(exc),
                    cost_usd=0.0,
                    error_type=type(exc).__name__,
                )
            )
            errors.append(exc)
        else:
            calls.append(task.result())
    return calls, errors


def _redact_into(sr: StepResult, guardian: Redactor, prompt: str) -> None:
    """Set the step's stored prompt (a loop callback: see :meth:`Run._perform`)."""
    sr.prompt = guardian.redact(prompt)


def _simulated(engine: PipelineEngine, model: str) -> bool:
    """True when an offline stand-in (the simulator or the local model) or the local model
    itself serves ``model``: each constrains its JSON to the step's schema."""
    with contextlib.suppress(Exception):
        return bool(engine.is_simulated(model)) or engine.resolve(model).startswith("local:")
    return False


def _label(model: str | list[str] | None) -> str | None:
    return ", ".join(model) if isinstance(model, list) else model


def _step_detail(sr: StepResult) -> dict[str, object]:
    detail: dict[str, object] = {}
    if sr.when_values is not None:
        detail["when_values"] = sr.when_values
    if sr.reason:
        detail["reason"] = sr.reason
    if sr.error:
        detail["error"] = sr.error
    if sr.simulated:
        detail["simulated"] = True
    if sr.outputs is not None:
        detail["models"] = list(sr.outputs)
    return detail
