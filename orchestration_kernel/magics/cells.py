"""The cell forms: ``%%orchestrate [NAME]`` (a YAML pipeline) and ``%%orchestrate --compare``.

Everything is checked before anything runs — the options, the ``--input`` expression,
the spec (with YAML positions), every model and every placeholder — and only then does
the cell block on the session's runtime until the run ends.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from ..errors import PipelineError, RunCancelled
from ..formatting import format_cost
from .compare import CompareMatrix, items_of, prompt_template, render_prompt
from .display import make_run_display
from .render import render

if TYPE_CHECKING:
    from .orchestrate import OrchestrateMagics

__all__ = ["run_compare_cell", "run_pipeline_cell"]


def run_pipeline_cell(magics: OrchestrateMagics, args: argparse.Namespace, body: str) -> Any:
    """Load, check and run the pipeline in ``body``; show it live; render its output."""
    from ..pipeline import Pipeline

    name = args.args[0] if args.args else None
    input_data = magics.input_value(args)
    namespace = magics.namespace()
    options: dict[str, Any] = {
        "namespace": None if args.no_interpolate else namespace,
        "interpolate": not args.no_interpolate,
        "default_model": magics.default_model or None,
    }
    if args.dry_run:
        pipeline = Pipeline(body, engine=magics.engine, name=name, **options)
        plan = pipeline.plan(input_data, namespace=options["namespace"])
        magics.bind(args.out, plan)
        return plan
    if name:
        pipeline = magics.manager.register(name, body, **options)
    else:
        pipeline = Pipeline(body, engine=magics.engine, **options)
    _warn_uncatalogued(magics.engine, [m for s in pipeline.spec.steps for m in s.models or []])
    return _run_pipeline(magics, args, pipeline, input_data, options["namespace"])


def _warn_uncatalogued(engine: Any, models: list[str]) -> None:
    """Say so before running when a model resolves only by its prefix (a typo?)."""
    for model in dict.fromkeys(models):
        note = engine.model_note(model)
        if note:
            print(f"note: {note}", file=sys.stderr)


def _run_pipeline(
    magics: OrchestrateMagics,
    args: argparse.Namespace,
    pipeline: Any,
    input_data: Any,
    namespace: Any,
) -> Any:
    """Run ``pipeline`` (recording a named one's history) with a live display."""
    view = make_run_display(magics.display, pipeline.name or "pipeline")
    # --no-stream asks providers for whole replies, not just a quieter display.
    kwargs = {"namespace": namespace, "session_id": args.session, "stream": magics.streaming(args)}
    named = pipeline.name is not None and pipeline.name in magics.manager

    def start(observer: Any) -> Any:
        if named:
            return magics.manager.run(pipeline.name, input_data, observer=observer, **kwargs)
        return pipeline.execute(input_data, observer=observer, **kwargs)

    try:
        result = magics.block(start, view, stream=magics.streaming(args), cancel=pipeline.cancel)
    except (PipelineError, RunCancelled) as exc:
        partial = getattr(exc, "result", None) or pipeline.last_result
        exc.result = partial
        _finish(magics, args, view, partial, exc)
        raise
    except BaseException as exc:
        view.finish(None, exc)
        raise
    _finish(magics, args, view, result, None)
    return render(result, args.format, magics.shell)


def _finish(
    magics: OrchestrateMagics, args: argparse.Namespace, view: Any, result: Any, error: Any
) -> None:
    view.finish(result, error)
    if result is not None:
        magics.last_run_id = getattr(result, "run_id", None) or magics.last_run_id
        magics.bind(args.out, result)


#: How many ``--over`` items are compared at once (each item calls every model).
COMPARE_ITEMS_AT_ONCE = 8


def run_compare_cell(magics: OrchestrateMagics, args: argparse.Namespace, body: str) -> Any:
    """One prompt on several models; with ``--over``, once per item (a matrix)."""
    engine = magics.engine
    models = list(args.compare)
    for model in models:
        engine.resolve(model)  # an unknown model fails now, with the nearest names
    _warn_uncatalogued(engine, models)
    template = prompt_template(body, interpolate=not args.no_interpolate)
    namespace = magics.namespace()
    if args.over is None:
        prompts = [render_prompt(template, namespace)]
        items: list[Any] = []
        index = None
    else:
        items, index = items_of(args.over, namespace)
        prompts = [render_prompt(template, namespace, item) for item in items]
    if args.dry_run:
        plan = _compare_plan(engine, models, prompts)
        magics.bind(args.out, plan)
        return plan
    result = _run_compare(magics, models, prompts, items, index)
    magics.bind(args.out, result)
    return render(result, args.format, magics.shell)


def _run_compare(
    magics: OrchestrateMagics,
    models: list[str],
    prompts: list[str],
    items: list[Any],
    index: list[Any] | None,
) -> Any:
    from ..pipeline.events import PipelineEvent

    engine = magics.engine
    title = f"compare {', '.join(models)}" + (f" over {len(items)} items" if items else "")
    view = make_run_display(magics.display, title)
    labels = [str(item) for item in items] or ["prompt"]

    # Items run concurrently, a few at a time: a dataset should not take N round trips.
    gate = asyncio.Semaphore(COMPARE_ITEMS_AT_ONCE)

    async def one(label: str, prompt: str, observer: Any) -> Any:
        async with gate:
            for model in models:
                observer(PipelineEvent("step_start", "compare", f"{label} · {model}", model))
            table = await engine.compare(models, prompt)
        for model, reply in table.replies.items():
            step = f"{label} · {model}"
            observer(
                PipelineEvent("step_end", "compare", step, model, _ReplyStep(step, model, reply))
            )
        return table

    async def start(observer: Any) -> list[Any]:
        runs = (one(label, prompt, observer) for label, prompt in zip(labels, prompts, strict=True))
        return list(await asyncio.gather(*runs))

    try:
        tables = magics.block(start, view)
    except BaseException as exc:
        view.finish(None, exc)
        raise
    view.finish(None, None)
    if not items:
        return tables[0]
    return CompareMatrix(models=models, items=items, tables=tables, index=index)


class _ReplyStep:
    """A reply (or error) seen as a finished step, for the run display."""

    def __init__(self, name: str, model: str, reply: Any) -> None:
        ok = hasattr(reply, "text")
        self.name = name
        self.model = model
        self.status = "done" if ok else "failed"
        self.output = reply.text if ok else None
        self.error = None if ok else f"{type(reply).__name__}: {reply}"
        self.provider = getattr(reply, "provider", None)
        self.simulated = bool(getattr(reply, "simulated", False))
        self.latency_ms = getattr(reply, "latency_ms", None)
        self.ttft_ms = getattr(reply, "ttft_ms", None)
        self.cost_usd = getattr(reply, "cost_usd", None)
        self.usage = getattr(reply, "usage", None)
        self.guardian = getattr(reply, "guardian_action", "allow")
        self.reason = None


def _compare_plan(engine: Any, models: list[str], prompts: list[str]) -> Any:
    """What a --compare would do: each model, resolved, real or simulated, estimated cost."""
    from .render import Rendered

    tokens = sum(engine.estimate_tokens(p) for p in prompts)
    lines = ["| model | resolves to | served by | est. cost |", "|---|---|---|---|"]
    for model in models:
        cost = engine.estimate_cost(model, tokens, 256 * len(prompts))
        served = engine.served_by(model)
        est = format_cost(cost)
        lines.append(f"| {model} | {engine.resolve(model)} | {served} | {est} |")
    lines.append(f"\n{len(prompts)} prompt(s), about {tokens} input tokens in all.")
    return Rendered("\n".join(lines), "markdown")
