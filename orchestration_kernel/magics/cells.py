"""The cell forms: ``%%orchestrate [NAME]`` (a YAML pipeline) and ``%%orchestrate --compare``.

Everything is checked before anything runs — the options, the ``--input`` and ``--over``
expressions, the spec (with YAML positions), an ``{input}`` with no ``--input``, every
model and every placeholder — and only then does the cell block on the session's runtime
until the run ends. Handlers get a :class:`~.context.CellContext`, never the magics.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from ..errors import (
    AllAttemptsFailed,
    GuardianBlocked,
    MissingKeyError,
    PipelineError,
    RunCancelled,
    SpecError,
)
from ..formatting import format_cost
from .args import evaluate_input
from .compare import (
    doubled_brace_notes,
    expression_notes,
    format_spec_notes,
    over_items,
    pipeline_notes,
    prompt_template,
    render_prompt,
)
from .context import CellContext
from .display import make_run_display
from .prompt_body import looks_like_prompt, prompt_cell_error
from .render import Rendered, render

__all__ = ["run_compare_cell", "run_pipeline", "run_pipeline_cell"]

#: How many ``--over`` items are compared at once (each item calls every model).
COMPARE_ITEMS_AT_ONCE = 8


def input_value(ctx: CellContext, args: argparse.Namespace) -> Any:
    """The value of ``--input`` (``None`` without it): a quoted word is text, and when a
    variable has that name too, a note says how to pass the variable instead."""
    if args.input is None:
        return None
    quoted = bool(getattr(args, "input_quoted", False))
    value = evaluate_input(args.input, ctx.user_ns, quoted=quoted)
    if quoted and value is args.input and args.input.strip() in ctx.user_ns:
        name = args.input.strip()
        ctx.notes(
            [
                f'--input "{name}" is the text {name!r} (you quoted it); for your variable '
                f"{name}, write --input {name} without quotes."
            ]
        )
    return value


def run_pipeline_cell(ctx: CellContext, args: argparse.Namespace, body: str) -> Any:
    """Load, check and run the pipeline in ``body``; show it live; render its output."""
    from ..pipeline.needs_input import missing_input_error

    if args.over is not None:  # once per row: orchestration_kernel.pipeline_matrix
        from .over import run_pipeline_over_cell

        return run_pipeline_over_cell(ctx, args, body)
    name = args.args[0] if args.args else None
    input_data = input_value(ctx, args)
    namespace = ctx.namespace
    options: dict[str, Any] = {
        "namespace": None if args.no_interpolate else namespace,
        # Session context keys resolve before the user's variables, so the load-time
        # check must see them (else {audience} set by bus.update_context fails).
        "context": None if args.no_interpolate else ctx.session_context(args.session),
        "interpolate": not args.no_interpolate,
        "default_model": ctx.default_model or None,
    }
    pipeline = _load(ctx, body, name, options)
    if args.dry_run:
        plan = pipeline.plan(input_data, namespace=options["namespace"])
        ctx.bind(args.out, plan)
        return plan
    if input_data is None:
        missing = missing_input_error(pipeline.compiled, "add --input EXPR to the magic's line")
        if missing is not None and name:
            # A named cell without --input defines a pipeline to run later with one:
            # registered, not run (and not reported as a run).
            ctx.manager.register(name, pipeline)
            print(_registered_text(name, args.out))
            if args.out:  # nothing ran, so no result: the pipeline is what there is to bind
                ctx.user_ns[args.out] = pipeline
            return None
        if missing is not None:
            raise missing
    if name:
        ctx.manager.register(name, pipeline)
    ctx.note_alias([m for s in pipeline.spec.steps for m in s.models or []])
    columns = [str(c) for c in input_data] if isinstance(input_data, Mapping) else []
    ctx.notes(pipeline_notes(pipeline.compiled, namespace, columns))
    return run_pipeline(ctx, args, pipeline, input_data)


def _registered_text(name: str, out: str | None) -> str:
    """What a named cell without ``--input`` says: registered, not run, how to run it,
    and what its ``--out`` holds (the pipeline: there is no result, and ``_orchestrate``
    keeps the last run's)."""
    text = (
        f"Pipeline {name!r} registered, not run: it reads {{input}}. Run it with "
        f"'%orchestrate run {name} --input EXPR', or add --input EXPR to this line."
    )
    if out:
        text += (
            f" --out {out}: nothing ran, so {out} holds the pipeline, not a result "
            f"({out}.run(text) runs it and returns the result)."
        )
    return text


def _load(ctx: CellContext, body: str, name: str | None, options: dict[str, Any]) -> Any:
    """The cell's pipeline; a body that is one prompt says how to send it instead."""
    from ..pipeline import Pipeline

    try:
        return Pipeline(body, engine=ctx.engine, name=name, **options)
    except SpecError as exc:
        if not looks_like_prompt(body):
            from .session_hint import other_session_notes

            ctx.notes(other_session_notes(ctx.engine.bus, ctx.session_id, exc))
            raise
        raise prompt_cell_error(ctx.engine, name, ctx.default_model or None) from exc


def run_pipeline(ctx: CellContext, args: argparse.Namespace, pipeline: Any, input_data: Any) -> Any:
    """Run ``pipeline`` (recording a named one's history) with a live display."""
    view = make_run_display(ctx.display, pipeline.name or "pipeline")
    # --no-stream asks providers for whole replies, not just a quieter display.
    kwargs = {
        "namespace": None if args.no_interpolate else ctx.namespace,
        "session_id": args.session or ctx.session_id,
        "stream": ctx.stream,
    }
    named = pipeline.name is not None and pipeline.name in ctx.manager

    def start(observer: Any) -> Any:
        if named:
            return ctx.manager.run(pipeline.name, input_data, observer=observer, **kwargs)
        return pipeline.execute(input_data, observer=observer, **kwargs)

    try:
        result = ctx.block(start, view, cancel=pipeline.cancel)
    except (PipelineError, RunCancelled) as exc:
        partial = getattr(exc, "result", None) or pipeline.last_result
        exc.result = partial
        _finish(ctx, args, view, partial, exc)
        raise
    except BaseException as exc:
        view.finish(None, exc)
        raise
    _finish(ctx, args, view, result, None)
    return render(result, args.format, ctx.shell, provenance=_provenance(ctx, result))


def _finish(ctx: CellContext, args: argparse.Namespace, view: Any, result: Any, error: Any) -> None:
    view.finish(result, error)
    if result is not None:
        ctx.ran(getattr(result, "run_id", None))
        ctx.bind(args.out, result)


def _provenance(ctx: CellContext, result: Any) -> dict[str, Any]:
    from ..provenance import provenance

    return provenance(result, ctx.engine.audit)


def run_compare_cell(ctx: CellContext, args: argparse.Namespace, body: str) -> Any:
    """One prompt on several models; with ``--over``, once per item (a matrix). Either
    way it is one run: one run id, one status (the worst cell), shown once."""
    from ..engine_args import model_names
    from ..matrix import MatrixInput, check_mode, matrix_prompts

    engine = ctx.engine
    models = model_names(args.compare, "compare")
    for model in models:
        engine.resolve(model)  # an unknown model fails now, with the nearest names
    ctx.note_alias(models)
    template = prompt_template(body, interpolate=not args.no_interpolate)
    namespace = ctx.namespace
    if args.over is None:
        prepared = MatrixInput.single(render_prompt(template, namespace))
    else:
        items = over_items(args.over, ctx.user_ns)
        prepared = matrix_prompts(template, items, namespace=namespace, what=f"--over {args.over}")
    first = prepared.items[0] if args.over is not None else None
    columns = list(first) if isinstance(first, Mapping) else []
    known = [*namespace, *columns]
    fields = [*known, "item"] if args.over is not None else known  # else {{item}} is meant
    ctx.notes(format_spec_notes(template, [*known, "item"]) + doubled_brace_notes(template, fields))
    ctx.notes(expression_notes(template, [*known, "item"]))
    ctx.notes(prepared.notes())
    from .window_notes import window_notes

    ctx.notes(window_notes(engine, models, prepared.prompts))
    check_mode("interactive", None)
    if args.dry_run:
        import pandas as pd

        rows = _compare_plan(engine, models, prepared.prompts)
        ctx.bind(args.out, pd.DataFrame(rows))  # data (a total is one .sum() away), not text
        return _compare_plan_text(rows, len(prepared.prompts))
    if args.over is not None and not args.yes:
        from .spend import confirm_compare_over

        confirm_compare_over(engine, models, prepared.prompts)
    if getattr(args, "cluster", None) is not None:  # rows on Dask: orchestration_kernel.cluster
        return _run_on_cluster(ctx, args, models, prepared)
    result = _run_compare(ctx, args, models, prepared)
    ctx.ran(result.run_id)
    # Shown once: the live view was replaced by the final one. The value is in
    # ``_orchestrate`` (and ``--out``), not echoed a second time as the cell's result.
    ctx.bind(args.out, result if args.over is not None else result.tables[0])
    refuse_nothing_answered(result, models)
    return None


def _run_compare(
    ctx: CellContext, args: argparse.Namespace, models: list[str], prepared: Any
) -> Any:
    """Run the cells with a live view that the final compare view then replaces."""
    from ..matrix import new_run_id
    from ..matrix_audit import run_audited_matrix
    from ..pipeline.events import PipelineEvent

    run_id = new_run_id()
    items = f" over {len(prepared.items)} items" if prepared.labels != [""] else ""
    view = make_run_display(ctx.display, f"compare {', '.join(models)}{items}")
    view.on_event(PipelineEvent("run_start", run_id, data=[]))  # the run id, before any cell

    def start(observer: Any) -> Any:
        return run_audited_matrix(
            ctx.engine, models, prepared, concurrency=COMPARE_ITEMS_AT_ONCE,
            run_id=run_id, observer=observer, pipeline="compare",
            session_id=args.session or ctx.session_id,
        )  # fmt: skip

    try:
        result = ctx.block(start, view)
    except RunCancelled as exc:  # the cells that answered are kept, as a pipeline's steps
        view.finish(None, exc)
        if exc.result is not None:
            ctx.ran(exc.result.run_id)
            ctx.bind(args.out, exc.result if args.over is not None else exc.result.tables[0])
        raise
    except BaseException as exc:
        view.finish(None, exc)
        raise
    final = render(
        result if args.over is not None else result.tables[0],
        args.format,
        ctx.shell,
        provenance=_provenance(ctx, result),
    )
    view.replace(final if final is not None else Rendered("", "text"))
    return result


def _run_on_cluster(
    ctx: CellContext, args: argparse.Namespace, models: list[str], prepared: Any
) -> Any:
    """``--cluster WHERE``: the matrix on Dask workers, with a live progress view."""
    from ..cluster import run_matrix_on_cluster
    from .over import cluster_progress

    with cluster_progress(f"compare {', '.join(models)} on {args.cluster}") as view:
        result = run_matrix_on_cluster(
            ctx.engine, models, prepared, cluster=args.cluster, pipeline="compare",
            session_id=args.session or ctx.session_id, progress=view,
        )  # fmt: skip
    ctx.ran(result.run_id)
    ctx.bind(args.out, result)
    shown = render(result, args.format, ctx.shell)
    if not result.replies and result.errors:  # shown first: the error names no cell
        from IPython.display import display

        display(shown)
    refuse_nothing_answered(result, models)
    return shown


def refuse_nothing_answered(result: Any, models: list[str]) -> None:
    """End a compare cell where no model answered anything as an error, as a failed
    pipeline cell ends: Run All stops there instead of running later cells on nothing.

    The view already shows each model's error and the result is kept (``_orchestrate``,
    ``--out``); the error says what the cell as a whole did: ``GuardianBlocked`` when the
    Guardian blocked every call, else ``AllAttemptsFailed``. A cell where some model
    answered is a result with errors in it, not a failure."""
    errors = list(result.errors.values())
    if result.replies or not errors:
        return
    if all(isinstance(error, GuardianBlocked) for error in errors):  # said as a pipeline says it
        raise GuardianBlocked(errors[-1].stage, errors[-1].decisions)
    if all(isinstance(error, MissingKeyError) for error in errors):
        raise _missing_keys(errors)  # the variables to set, not "no model answered"
    items = len(result.tables)
    what = f" any of the {items} items" if items > 1 else ""
    raise AllAttemptsFailed(
        ", ".join(models),
        errors,
        errors[-1],
        message=f"no model answered{what} ({', '.join(models)}): each error is shown above, "
        "and the result is in _orchestrate",
    )


def _missing_keys(errors: list[Any]) -> MissingKeyError:
    """One :class:`MissingKeyError` for a cell where no model had its provider's key:
    the first provider's, its message naming every variable to set."""
    by_provider = {error.provider: error for error in errors}
    first = next(iter(by_provider.values()))
    if len(by_provider) == 1:
        return MissingKeyError(first.provider, first.env_vars, first.model)
    names = [" or ".join(e.env_vars) or f"a key for {p}" for p, e in by_provider.items()]
    combined = MissingKeyError(first.provider, first.env_vars, first.model)
    combined.args = (
        f"No API key for {', '.join(by_provider)}: set {', '.join(names)} ('%orchestrate key "
        "PROVIDER' asks for one), or run offline on the simulator with '%orchestrate offline "
        "auto'.",
    )
    return combined


def _compare_plan(engine: Any, models: list[str], prompts: list[str]) -> list[dict[str, Any]]:
    """What a --compare would do, one row per model: resolved, who serves it, the input
    tokens of all its prompts and the estimated cost (replies assumed 256 tokens)."""
    tokens = sum(engine.estimate_tokens(p) for p in prompts)
    return [
        {
            "model": model,
            "resolves_to": engine.resolve(model),
            "served_by": engine.served_by(model),
            "prompts": len(prompts),
            "est_input_tokens": tokens,
            "est_cost_usd": engine.estimate_cost(model, tokens, 256 * len(prompts)),
        }
        for model in models
    ]


def _compare_plan_text(rows: list[dict[str, Any]], prompts: int) -> Rendered:
    lines = ["| model | resolves to | served by | est. cost |", "|---|---|---|---|"]
    for r in rows:
        cost = format_cost(r["est_cost_usd"])
        lines.append(f"| {r['model']} | {r['resolves_to']} | {r['served_by']} | {cost} |")
    tokens = rows[0]["est_input_tokens"] if rows else 0
    lines.append(f"\n{prompts} prompt(s), about {tokens} input tokens in all.")
    return Rendered("\n".join(lines), "markdown")
