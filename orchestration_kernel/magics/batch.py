"""``%%orchestrate --compare A B --over df --batch [--job NAME] [--yes]`` and
``%orchestrate jobs [NAME]``: batch jobs from a notebook.

The cell submits the job (after its plan; above the confirm threshold only with
``--yes``) and returns the :class:`~orchestration_kernel.batch.BatchJob` at once — batch
results take minutes to hours. ``await job.wait()`` (or ``%orchestrate jobs NAME``) later,
in this kernel or after a restart.
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

from ..errors import ConfigurationError
from .context import CellContext
from .errors import usage
from .render import Rendered

__all__ = ["check_batch_options", "jobs_command", "run_batch_cell"]


def check_batch_options(args: argparse.Namespace) -> None:
    """``--batch`` goes with ``--compare ... --over``; ``--job`` with ``--batch``; ``--yes``
    with ``--batch`` or ``--over`` (both ask before a costly run)."""
    batch = getattr(args, "batch", False)
    if not batch:
        if getattr(args, "job", None):
            raise usage("--job only works with --batch: %%orchestrate --compare "
                        "m1 m2 --over EXPR --batch --job NAME")  # fmt: skip
        if getattr(args, "yes", False) and getattr(args, "over", None) is None:
            raise usage("--yes only works with --over or --batch: it runs a costly cell "
                        "without asking")  # fmt: skip
        return
    if args.compare is None or args.over is None:
        raise usage("--batch runs a --compare over a dataset: %%orchestrate --compare m1 m2 "
                    "--over EXPR --batch [--job NAME] [--yes]")  # fmt: skip


def run_batch_cell(ctx: CellContext, args: argparse.Namespace, body: str) -> Any:
    """Submit the cell's prompt over ``--over`` on every ``--compare`` model as a batch job."""
    from ..batch import submit_sync
    from ..batch.submit import plan_job
    from .compare import over_items

    namespace = ctx.namespace
    items = over_items(args.over, ctx.user_ns)  # --over EXPR, as the interactive matrix
    if not body.strip():
        raise ConfigurationError("--batch needs a prompt: write it in the cell body")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", args.over).strip("-.") or "batch"
    name = args.job or f"{stem[:40]}-{time.strftime('%Y%m%d-%H%M%S')}"
    models = list(args.compare)
    if args.dry_run:
        plan = plan_job(ctx.engine, models, body.strip(), items, name=name, namespace=namespace)
        ctx.bind(args.out, plan)
        return plan
    job = _same_job(ctx, name, models, body.strip(), items, namespace) if args.job else None
    if job is None:
        job = submit_sync(
            ctx.engine, models, body.strip(), items, name=name, confirm=bool(args.yes),
            namespace=namespace,
        )  # fmt: skip
    ctx.bind(args.out, job)
    return job


def _same_job(
    ctx: CellContext, name: str, models: list[str], template: str, items: Any, namespace: Any
) -> Any:
    """The job ``--job NAME`` already names, when it is this cell's job (same prompt,
    models and row count): a notebook run again (Run All) picks it up instead of failing.
    A different job under that name is a clear error; no job yet is ``None``."""
    from ..batch import BatchJob
    from ..batch.manifest import Manifest
    from ..batch.submit import plan_job

    if not Manifest.exists(name):
        return None
    found = Manifest.load(name)
    rows = len(items) if hasattr(items, "__len__") else found.rows
    differs = [
        what
        for what, same in (
            ("prompt", found.template == template),
            ("models", [m.name for m in found.models] == models),
            ("rows", found.rows == rows),
        )
        if not same
    ]
    if differs:
        raise ConfigurationError(
            f"a batch job called {name!r} already exists with another {' and '.join(differs)}: "
            f"pick it up with BatchJob.resume({name!r}), or give this one another --job name"
        )
    print(f"note: batch job {name!r} already exists for this prompt, models and rows: "
          "picked up, nothing sent again.")  # fmt: skip
    job = BatchJob.resume(name, ctx.engine)
    # The estimate its submission showed, so the cell reads the same the second time.
    job.plan = plan_job(ctx.engine, models, template, items, name=name, namespace=namespace)
    return job


def jobs_command(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    """``%orchestrate jobs``: every job and its state; ``jobs NAME``: one job, polled now."""
    from ..batch import BatchJob
    from ..batch.manifest import Manifest, list_jobs

    if rest:
        job = BatchJob.resume(rest[0], ctx.engine)
        status = job.status()
        ctx.bind(args.out, job)
        return status
    names = list_jobs()
    if not names:
        return Rendered("No batch jobs yet: `%%orchestrate --compare A B --over df --batch`.")
    rows = [_job_row(name, Manifest) for name in names]
    if args.out:
        import pandas as pd

        ctx.bind(args.out, pd.DataFrame(rows))
    else:
        ctx.bind(None, rows)
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[k]) for k in head) + " |" for r in rows]
    if any(r["state"] == "running" for r in rows):
        # The table reads the manifests, polls nothing: a job may be done and uncollected.
        lines.append("\nrunning: as last collected; `%orchestrate jobs NAME` polls it now.")
    if any(r["state"] == _UNREADABLE for r in rows):
        lines.append(f"\n{_UNREADABLE}: `%orchestrate jobs NAME` says what is wrong with it.")
    return Rendered("\n".join(lines))


#: The state of a job whose manifest does not read (the others still list).
_UNREADABLE = "unreadable"


def _job_row(name: str, manifest: Any) -> dict[str, Any]:
    """One job's row of the ``%orchestrate jobs`` table; a manifest that does not read is
    a row that says so, so one damaged job does not hide every other."""
    from ..errors import BatchJobError

    try:
        m = manifest.load(name)
    except BatchJobError:
        return {"job": name, "rows": "", "models": "", "chunks": "", "state": _UNREADABLE}
    states = sorted({c.state for c in m.chunks})
    state = "cancelled" if m.cancelled else ("done" if states == ["done"] else "running")
    models = ", ".join(r.name for r in m.models)
    return {"job": name, "rows": m.rows, "models": models, "chunks": len(m.chunks), "state": state}
