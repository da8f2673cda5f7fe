"""``Pipeline``: a checked spec bound to an engine, run with ``await pipeline.execute(...)``.

```python
pipeline = engine.create_pipeline([
    {"model": "gpt-4", "task": "analysis"},
    {"model": "claude-3", "task": "synthesis"},
])
result = await pipeline.execute("some text")   # from any loop
result = pipeline.run("some text")             # blocking twin, for scripts
```

The spec is checked when the pipeline is created (every problem at once, with YAML
positions). Names a prompt uses from the user's variables or the session context are
checked then if ``namespace``/``context`` are given, and otherwise when a run starts,
before any step runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

from ..errors import RunCancelled
from .engine_face import PipelineEngine
from .events import Observer
from .loader import CompiledPipeline, load_pipeline
from .needs_input import missing_input_error
from .plan import PipelinePlan, make_plan
from .result import PipelineResult
from .runner import Run
from .scope import Scope
from .spec import PipelineSpec

__all__ = ["Pipeline"]


class Pipeline:
    """A runnable pipeline.

    ``spec``: a list of step dicts, a dict with ``steps:``, YAML text or a
    :class:`PipelineSpec`. ``engine``: the :class:`OrchestrationEngine` (default: the
    session's). ``namespace``: the user's variables (a notebook's ``user_ns``).
    ``context``: the session context, for load-time checks. ``interpolate=False`` makes
    every brace literal (``--no-interpolate``). ``default_model``: for steps naming none.
    """

    def __init__(
        self,
        spec: object,
        *,
        engine: PipelineEngine | None = None,
        name: str | None = None,
        namespace: Mapping[str, object] | None = None,
        context: Mapping[str, object] | None = None,
        interpolate: bool = True,
        default_model: str | None = None,
    ) -> None:
        if engine is None:
            from ..session import Session

            engine = Session.current().engine
        self.engine: PipelineEngine = engine
        self.namespace = namespace
        self.context = context
        # The engine has no default model of its own: a step's model, else this one.
        self.default_model = default_model
        self.compiled: CompiledPipeline = load_pipeline(
            spec, name=name, resolve_model=getattr(engine, "resolve", None),
            namespace=namespace, context=context, interpolate=interpolate,
            default_model=self.default_model,
        )  # fmt: skip
        self.last_result: PipelineResult | None = None
        self._runs: set[Run] = set()

    @property
    def spec(self) -> PipelineSpec:
        """The checked spec (unnamed steps have their derived names)."""
        return self.compiled.spec

    @property
    def name(self) -> str | None:
        """The pipeline's name."""
        return self.compiled.spec.name

    @property
    def step_names(self) -> list[str]:
        """Step names in spec order."""
        return self.compiled.spec.step_names

    # -- running -------------------------------------------------------------------
    def _new_run(
        self,
        input_data: object,
        namespace: Mapping[str, object] | None,
        session_id: str | None,
        observer: Observer | None,
        run_id: str | None,
        stream: bool | None = None,
    ) -> Run:
        if input_data is None:
            missing = missing_input_error(self.compiled, "pass one, e.g. pipeline.run(text)")
            if missing is not None:
                raise missing
        return Run(
            self.compiled, self.engine, input_data=input_data,
            namespace=namespace if namespace is not None else self.namespace,
            session_id=session_id, observer=observer, run_id=run_id,
            default_model=self.default_model, stream=stream,
        )  # fmt: skip

    async def _execute(self, run: Run) -> PipelineResult:
        self._runs.add(run)
        try:
            return await run.execute()
        finally:
            self._runs.discard(run)
            self.last_result = run.result

    async def execute(
        self,
        input_data: object = None,
        *,
        namespace: Mapping[str, object] | None = None,
        session_id: str | None = None,
        observer: Observer | None = None,
        run_id: str | None = None,
        stream: bool | None = None,
    ) -> PipelineResult:
        """Run the pipeline on ``input_data`` and return its :class:`PipelineResult`.

        ``stream``: ask providers for streamed replies (default: when an ``observer``
        watches); a step's own ``stream:`` key wins.

        Raises :class:`SpecError` (before any step runs) if a name does not resolve,
        :class:`PipelineError` (with ``.result``) when a step fails under
        ``on_error: fail``, and :class:`RunCancelled` after :meth:`cancel`. If the awaiting
        task itself is cancelled, the run is cancelled cleanly and ``CancelledError``
        propagates; :attr:`last_result` then holds the partial result.
        """
        run = self._new_run(input_data, namespace, session_id, observer, run_id, stream)
        try:
            result: PipelineResult = await self.engine.runtime.run(self._execute(run))
            return result
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise RunCancelled(f"run {run.run_id} was cancelled", run.result) from None

    def run(
        self,
        input_data: object = None,
        *,
        namespace: Mapping[str, object] | None = None,
        session_id: str | None = None,
        observer: Observer | None = None,
        run_id: str | None = None,
        stream: bool | None = None,
    ) -> PipelineResult:
        """Blocking twin of :meth:`execute`. Ctrl-C cancels the run cleanly and raises
        :class:`RunCancelled` with the partial result."""
        run = self._new_run(input_data, namespace, session_id, observer, run_id, stream)
        try:
            result: PipelineResult = self.engine.runtime.run_sync(self._execute(run))
            return result
        except (KeyboardInterrupt, asyncio.CancelledError) as exc:
            raise RunCancelled(f"run {run.run_id} was interrupted", run.result) from exc

    #: The blocking twin under the rule's name (``<coroutine>_sync``); ``run`` is kept
    #: because the contract shows ``pipeline.run(input)``.
    execute_sync = run

    def cancel(self) -> None:
        """Cancel every run of this pipeline in progress (from any thread)."""
        runtime = self.engine.runtime
        for run in list(self._runs):
            if runtime.in_loop():
                run.cancel()
            else:
                with contextlib.suppress(RuntimeError):  # the loop is already closed
                    runtime.loop.call_soon_threadsafe(run.cancel)

    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return bool(self._runs)

    # -- inspecting ------------------------------------------------------------------
    def plan(
        self, input_data: object = None, *, namespace: Mapping[str, object] | None = None
    ) -> PipelinePlan:
        """The dry run: steps, models (real or simulated), order and estimated cost.

        With ``namespace`` (or one given at creation) it also checks every name now.
        """
        ns = namespace if namespace is not None else self.namespace
        if ns is not None:
            from ..errors import SpecError

            scope = Scope(input=input_data, namespace=ns, context=self.context)
            problems = self.compiled.check_runtime_names(scope, input_known=input_data is not None)
            if problems:
                raise SpecError(problems, source=self.compiled.source)
        return make_plan(self.compiled, self.engine, self.default_model)

    def __repr__(self) -> str:
        return f"Pipeline(name={self.name!r}, steps={self.step_names!r})"
