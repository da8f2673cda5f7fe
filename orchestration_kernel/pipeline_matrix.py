"""``engine.pipeline_matrix(spec, items)``: a multi-step pipeline run once per row.

```python
result = engine.pipeline_matrix(yaml_text, df)           # or a Pipeline, a list of steps
result = engine.pipeline_matrix(yaml_text, df, cluster="local")   # rows on Dask workers
result.to_dataframe()      # df's index and columns, one column per step, status, error
result.runs[0]             # row 0's PipelineResult
```

``spec`` is what :meth:`~.engine.OrchestrationEngine.create_pipeline` and a
``%%orchestrate`` YAML cell take. Each row is one pipeline run: ``{input}`` is the row (a
DataFrame row as a mapping, so ``{input[Some Column]}`` reaches any column; a Series'
or list's value as it is) and a DataFrame's columns are also names (``{review}``), ahead
of ``namespace`` (only the names the pipeline uses are taken from it). Rows are
independent: a row that fails (``on_error: fail``) is a ``failed`` row with its error and
never stops the others, and no row reads or extends the session's conversation (see
:func:`for_rows`).

Each row's run id is the job's run id with ``-<row position>`` after it, so one
``audit.to_dataframe()`` filtered on the prefix shows the whole job. This module knows
no Dask: :mod:`.cluster.rows` runs the same rows on workers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, OrchestrationError, RunCancelled, SpecError
from .matrix import (
    _is_dataframe,
    _is_series,
    _rows,
    input_frame,
    new_run_id,
    refuse_shadowed_column,
    refuse_unread_items,
    whole_names,
)
from .matrix_audit import MatrixRunAudit
from .matrix_labels import row_labels
from .near_attributes import NearAttributes
from .pipeline.result import PipelineResult
from .pipeline.scope import Scope
from .repr_floor import masked_repr
from .user_spec import check_concurrency

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PipelineMatrixResult",
    "RowsInput",
    "for_rows",
    "pipeline_rows",
    "prepare_rows",
    "row_run_ids",
    "run_pipeline_matrix",
    "run_pipeline_rows",
    "spec_data",
]


# -- the rows --------------------------------------------------------------------------
@dataclass
class RowsInput:
    """One pipeline input and one namespace per row, and where the rows came from."""

    inputs: list[Any]
    namespaces: list[dict[str, Any]]
    index: list[Any] | None = None
    source: Any = None

    @property
    def labels(self) -> list[str]:
        """A short label per row: its index entry, else its position."""
        keys = self.index if self.index is not None else range(len(self.inputs))
        return row_labels(keys)


def spec_data(pipeline: Any) -> dict[str, Any]:
    """A checked pipeline's spec as plain data (derived step names included): what a
    worker loads again, and what identifies the job for a rerun."""
    data: dict[str, Any] = pipeline.spec.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return data


def for_rows(pipeline: Any) -> Any:
    """``pipeline`` as each row runs it. Rows are independent runs (in any order, on any
    worker, resumable), so none reads or extends the session's conversation: a step with
    ``context: session`` is refused, and ``remember`` is turned off."""
    from .pipeline import Pipeline

    sessioned = [s.name for s in pipeline.spec.steps if s.context == "session"]
    if sessioned:
        raise ConfigurationError(
            f"step(s) {', '.join(map(str, sessioned))} read the session's conversation "
            "(context: session), but the rows of a pipeline matrix are independent runs: "
            "drop context: session, or pass what a row needs as a column"
        )
    if not pipeline.spec.remember:
        return pipeline
    rows = Pipeline(
        {**spec_data(pipeline), "remember": False}, engine=pipeline.engine,
        namespace=pipeline.namespace, interpolate=pipeline.compiled.interpolate,
        default_model=pipeline.default_model,
    )  # fmt: skip
    # The same steps, read from data: a problem found when the rows are checked still
    # names its line and column in the spec the user wrote (and quotes it).
    rows.compiled.positions = pipeline.compiled.positions
    rows.compiled.source = pipeline.compiled.source
    return rows


def pipeline_rows(
    pipeline: Any,
    items: Any,
    *,
    namespace: Mapping[str, Any] | None = None,
    what: str = "items",
) -> RowsInput:
    """The rows of ``items`` for ``pipeline`` (see the module docstring).

    Only the names the pipeline's prompts and conditions use are taken from ``namespace``
    (so a notebook's whole namespace never travels to a worker). The first row's names
    are checked now: a typo fails before anything is sent, as :class:`SpecError` naming
    its line.
    """
    values, extras, index = _rows(items, what)
    if not values:
        raise ConfigurationError(f"{what} is empty: there is nothing to run over")
    compiled = pipeline.compiled
    refuse_shadowed_column(extras[0], "input", _whole_names(compiled), what)
    base = namespace if namespace is not None else (pipeline.namespace or {})
    wanted = {ref.name for ref in compiled.deferred}
    shared = {name: base[name] for name in wanted if name in base}
    namespaces = [{**shared, **dict(extra)} for extra in extras]
    problems = compiled.check_runtime_names(
        Scope(input=values[0], has_input=True, namespace=namespaces[0])
    )
    if problems:  # the names of a DataFrame's columns and the namespace's, not this row's
        raise SpecError(problems, source=compiled.source)
    # After the names are checked, so a misspelt column fails first, naming near names.
    refuse_unread_items(
        _roots(compiled), _sources(compiled), extras[0], len(values), what, whole="input"
    )
    source = items if (_is_dataframe(items) or _is_series(items)) else None
    return RowsInput(inputs=values, namespaces=namespaces, index=index, source=source)


def _whole_names(compiled: Any) -> set[str]:
    """The names a pipeline's prompts and systems read whole (``{input}``)."""
    names: set[str] = set()
    for name, prompt in compiled.prompts.items():
        for template in (prompt, compiled.systems.get(name)):
            names |= whole_names(template) if template is not None else set()
    return names


def _roots(compiled: Any) -> set[str]:
    """Every name a pipeline's prompts, systems and conditions read (``{input}``, a
    column, a kernel name, an earlier step)."""
    names = {ref.name for ref in compiled.deferred} | ({"input"} if compiled.input_refs else set())
    for template in [*compiled.prompts.values(), *compiled.systems.values()]:
        names |= {p.root for p in template.placeholders} if template is not None else set()
    return names


def _sources(compiled: Any) -> str:
    """The text of every prompt and system, as written (for the ``{{name}}`` hint)."""
    templates = [*compiled.prompts.values(), *compiled.systems.values()]
    return "\n".join(t.source for t in templates if t is not None)


def row_run_ids(run_id: str, start: int, stop: int) -> list[str]:
    """The run ids of rows ``start`` to ``stop - 1`` of the job ``run_id``."""
    return [f"{run_id}-{row}" for row in range(start, stop)]


# -- running ---------------------------------------------------------------------------
async def run_pipeline_rows(
    pipeline: Any,
    inputs: Sequence[Any],
    namespaces: Sequence[Mapping[str, Any]],
    run_ids: Sequence[str],
    *,
    concurrency: int = 8,
    session_id: str | None = None,
) -> list[PipelineResult]:
    """Run ``pipeline`` once per row, ``concurrency`` rows at a time; a row's failure is
    its result's ``failed`` status, never an exception here."""
    check_concurrency(concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def one(value: Any, names: Mapping[str, Any], run_id: str) -> PipelineResult:
        async with gate:
            try:
                result: PipelineResult = await pipeline.execute(
                    value, namespace=names, run_id=run_id, session_id=session_id, stream=False
                )
                return result
            except OrchestrationError as exc:  # this row's (a step, a name, a bad value)
                partial = getattr(exc, "result", None)
                if isinstance(partial, PipelineResult):
                    return partial
                return PipelineResult(
                    run_id=run_id, pipeline=pipeline.name, session_id=session_id,
                    status="failed", error=f"{type(exc).__name__}: {exc}",
                )  # fmt: skip

    finished: dict[int, PipelineResult] = {}

    async def kept(row: int, value: Any, names: Mapping[str, Any], run_id: str) -> PipelineResult:
        finished[row] = result = await one(value, names, run_id)
        return result

    rows = zip(inputs, namespaces, run_ids, strict=True)
    try:
        return list(await asyncio.gather(*(kept(i, v, n, r) for i, (v, n, r) in enumerate(rows))))
    except asyncio.CancelledError:
        # An interrupt: the rows that finished were paid for, so they are kept (as a
        # pipeline keeps its finished steps); every other row says it was cancelled.
        runs = [
            finished.get(row) or _cancelled_run(pipeline, run_id, session_id)
            for row, run_id in enumerate(run_ids)
        ]
        raise RunCancelled(
            f"cancelled: {len(finished)} of {len(runs)} rows had finished", runs
        ) from None


def _cancelled_run(pipeline: Any, run_id: str, session_id: str | None) -> PipelineResult:
    """A row an interrupt stopped before it finished."""
    return PipelineResult(
        run_id=run_id, pipeline=pipeline.name, session_id=session_id,
        status="cancelled", error="cancelled before it finished",
    )  # fmt: skip


def prepare_rows(
    engine: Any,
    spec: Any,
    items: Any,
    *,
    namespace: Mapping[str, Any] | None = None,
    what: str = "items",
) -> tuple[Any, RowsInput]:
    """The :class:`~.pipeline.Pipeline` (``spec`` itself when it is one) and its rows."""
    from .pipeline import Pipeline

    pipeline = for_rows(spec if isinstance(spec, Pipeline) else engine.create_pipeline(spec))
    return pipeline, pipeline_rows(pipeline, items, namespace=namespace, what=what)


async def run_pipeline_matrix(
    pipeline: Any,
    rows: RowsInput,
    *,
    concurrency: int = 8,
    session_id: str | None = None,
) -> PipelineMatrixResult:
    """Every row of ``rows`` in this kernel, under one new job run id."""
    pipeline = for_rows(pipeline)
    run_id = new_run_id()
    steps = list(pipeline.step_names)
    # The job's own run_start/run_end rows (each row's run has its own pair besides).
    job = MatrixRunAudit(
        pipeline.engine, steps, len(rows.inputs), pipeline=pipeline.name,
        session_id=session_id, kind="pipeline_matrix", names="steps",
    )  # fmt: skip
    job.start(run_id)
    try:
        runs = await pipeline.engine.runtime.run(
            run_pipeline_rows(
                pipeline, rows.inputs, rows.namespaces, row_run_ids(run_id, 0, len(rows.inputs)),
                concurrency=concurrency, session_id=session_id,
            )
        )  # fmt: skip
    except BaseException as exc:
        cancelled = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | RunCancelled)
        job.end("cancelled" if cancelled else "failed", f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(Exception):  # the error it ends with is the one raised
            await job.acommit()
        if isinstance(exc, RunCancelled) and isinstance(exc.result, list):
            partial = PipelineMatrixResult(
                steps=steps, items=rows.inputs, runs=exc.result, index=rows.index,
                source=rows.source, run_id=run_id, pipeline=pipeline.name,
            )  # fmt: skip
            raise RunCancelled(
                f"run {run_id} was {exc} (kept in the partial result, e.g. _orchestrate or --out)",
                partial,
            ) from None
        raise
    result = PipelineMatrixResult(
        steps=steps, items=rows.inputs, runs=runs, index=rows.index,
        source=rows.source, run_id=run_id, pipeline=pipeline.name,
    )  # fmt: skip
    job.count_runs(runs)
    job.end(result.status)
    await job.acommit(result)  # committed before the result is returned
    return result


# -- the result ------------------------------------------------------------------------
_RUN_RANK = {"done": 0, "cancelled": 1, "failed": 2}


@masked_repr()  # no key in a repr (guardian=False too)
@dataclass
class PipelineMatrixResult(NearAttributes):
    """Every row's :class:`PipelineResult`; ``runs[i]`` is the row at position ``i``."""

    steps: list[str]
    items: list[Any]
    runs: list[PipelineResult] = field(default_factory=list)
    index: list[Any] | None = None
    source: Any = None
    #: The job's run id; row ``i`` ran as ``f"{run_id}-{i}"``.
    run_id: str | None = None
    pipeline: str | None = None

    @property
    def status(self) -> str:
        """The worst status of any row: ``done``, ``cancelled`` or ``failed``."""
        return max((r.status for r in self.runs), key=lambda s: _RUN_RANK.get(s, 2), default="done")

    @property
    def errors(self) -> dict[int, str]:
        """``{row position: error}`` for every row that did not finish ``done``."""
        return {i: r.error or r.status for i, r in enumerate(self.runs) if r.status != "done"}

    @property
    def cost_usd(self) -> float | None:
        """The job's cost, or ``None`` when any call's price is unknown."""
        costs = [r.cost_usd for r in self.runs]
        return None if any(c is None for c in costs) else float(sum(c or 0.0 for c in costs))

    def to_dataframe(self) -> pd.DataFrame:
        """The input beside the outputs: a DataFrame's own columns (a Series as one
        column, a list as ``item``), indexed like the input, then one column per step
        (its output; empty where it did not run), then ``status`` and ``error``. A name
        the input already uses gets `` (output)`` after it. Displayed as
        :meth:`.MatrixResult.to_dataframe` is (integers as integers, credentials masked)."""
        frame = input_frame(self.source, self.items, self.index, len(self.runs))
        taken = set(frame.columns)
        for step in self.steps:
            frame[_free(step, taken)] = [r.outputs.get(step) for r in self.runs]
        frame[_free("status", taken)] = [r.status for r in self.runs]
        frame[_free("error", taken)] = [r.error for r in self.runs]
        from .shown_frame import ShownFrame  # shown: 5 not 5.0, keys masked; values intact

        return ShownFrame(frame)

    def _repr_markdown_(self) -> str:
        done = sum(r.status == "done" for r in self.runs)
        head = f"**{self.pipeline or 'pipeline'}** over {len(self.runs)} rows: {done} done"
        failed = len(self.runs) - done
        return head + (f", {failed} not done (see `.errors`)" if failed else "")

    def __str__(self) -> str:
        """``print(...)`` in a plain script shows the summary, as a notebook does, not the
        repr of every row's run (``repr()`` keeps that)."""
        return self._repr_markdown_()


def _free(name: str, taken: set[Any]) -> str:
    column = name if name not in taken else f"{name} (output)"
    taken.add(column)
    return column
