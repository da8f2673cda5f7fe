"""``%%orchestrate [NAME] --over EXPR [--cluster WHERE]`` with a pipeline (YAML) body: the
pipeline once per row of ``EXPR`` (:mod:`orchestration_kernel.pipeline_matrix`), in this
kernel or on Dask workers, with a live progress view of a cluster job.

```
%%orchestrate --over reviews --cluster local --out graded
steps:
  - name: summary
    model: gpt-4o-mini
    prompt: "Summarise: {review}"
  - name: grade
    model: gpt-4o-mini
    prompt: "Grade 1-5: {summary.output}"
```

``graded.to_dataframe()`` is ``reviews`` beside one column per step, ``status`` and
``error``; the cell shows that frame, with credentials masked in the rows it shows
(:mod:`orchestration_kernel.shown_frame`).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import ConfigurationError, RunCancelled, SpecError
from .compare import over_items, pipeline_notes
from .context import CellContext
from .prompt_body import looks_like_prompt

__all__ = ["cluster_progress", "missing_notes", "run_pipeline_over_cell"]


@contextlib.contextmanager
def cluster_progress(title: str) -> Iterator[Any]:
    """A :class:`~orchestration_kernel.widgets.matrix_view.MatrixProgressView`, shown at
    once; if the job stops early (Ctrl-C, an error) the view says so before it goes on."""
    from ..widgets.matrix_view import MatrixProgressView

    view = MatrixProgressView(title)
    view.show()
    try:
        yield view
    except BaseException as exc:
        view.fail(exc)
        raise


def missing_notes(compiled: Any, rows: Any, columns: list[str]) -> list[str]:
    """The note ``--compare --over`` gives (:meth:`.MatrixInput.notes`) for a pipeline over
    rows: a column a step's prompt names that is empty (None, NaN, NaT) in some rows, whose
    prompts go out with a blank there. Before, only the matrix said so."""
    from ..matrix import MatrixInput

    templates = [*compiled.prompts.values(), *compiled.systems.values()]
    used = {name for t in templates if t is not None for name in t.names}
    missing = {
        f"{{{column}}}": [i for i, row in enumerate(rows.inputs) if row.get(column) is None]
        for column in columns
        if column in used
    }
    missing = {raw: positions for raw, positions in missing.items() if positions}
    if not missing:
        return []
    found = MatrixInput(items=rows.inputs, prompts=[], labels=rows.labels, missing=missing)
    return found.notes("rows")


def run_pipeline_over_cell(ctx: CellContext, args: argparse.Namespace, body: str) -> Any:
    """Check the spec and the rows (the first row's names too), then run every row."""
    from ..pipeline import Pipeline
    from ..pipeline_matrix import prepare_rows

    name = args.args[0] if args.args else None
    try:
        pipeline = Pipeline(
            body, engine=ctx.engine, name=name, default_model=ctx.default_model or None
        )
    except SpecError as exc:
        if not looks_like_prompt(body):
            raise
        model = ctx.default_model or "gpt-4o-mini"
        raise ConfigurationError(
            f"--over {args.over} with no --compare runs a pipeline (YAML steps) once per row, "
            f"and this cell is one prompt. To send it once per row, name the model(s): "
            f"%%orchestrate --compare {model} --over {args.over}"
        ) from exc
    ctx.note_alias([m for s in pipeline.spec.steps for m in s.models or []])
    items = over_items(args.over, ctx.user_ns)
    pipeline, rows = prepare_rows(
        ctx.engine, pipeline, items, namespace=ctx.namespace, what=f"--over {args.over}"
    )
    first = rows.inputs[0]
    columns = [str(c) for c in first] if isinstance(first, Mapping) else []
    ctx.notes(pipeline_notes(pipeline.compiled, ctx.namespace, columns))
    ctx.notes(missing_notes(pipeline.compiled, rows, columns))
    if args.dry_run or not args.yes:  # the first row's plan: every row runs the same steps
        plan = pipeline.plan(rows.inputs[0], namespace=rows.namespaces[0])
        if args.dry_run:
            ctx.bind(args.out, plan)
            return plan
        from .spend import confirm_pipeline_over

        confirm_pipeline_over(ctx.engine, plan, len(rows.inputs))
    session_id = args.session or ctx.session_id
    if args.cluster is None:
        result = _run_rows(ctx, args, pipeline, rows, session_id)
    else:
        from ..cluster import run_pipeline_matrix_on_cluster

        title = f"{pipeline.name or 'pipeline'} over {args.over} on {args.cluster}"
        with cluster_progress(title) as view:
            result = run_pipeline_matrix_on_cluster(
                ctx.engine, pipeline, rows, cluster=args.cluster, session_id=session_id,
                progress=view,
            )  # fmt: skip
    ctx.ran(result.run_id)  # `%orchestrate audit` shows the job and every row's run
    ctx.bind(args.out, result)
    from ..shown_frame import ShownFrame

    # The frame itself, values intact; only what the notebook shows of it is masked.
    return ShownFrame(result.to_dataframe())


def _run_rows(
    ctx: CellContext, args: argparse.Namespace, pipeline: Any, rows: Any, session_id: str | None
) -> Any:
    """Every row in this kernel. An interrupt cancels the job; the rows that finished are
    kept (``_orchestrate``, ``--out``), as a pipeline cell keeps its finished steps."""
    from ..pipeline_matrix import run_pipeline_matrix
    from .runner import run_blocking

    def start(observer: Any) -> Any:
        return run_pipeline_matrix(pipeline, rows, session_id=session_id)

    try:
        return run_blocking(ctx.engine.runtime, start)
    except RunCancelled as exc:
        if exc.result is not None:
            ctx.ran(exc.result.run_id)
            ctx.bind(args.out, exc.result)
        raise
