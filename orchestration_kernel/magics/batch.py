"""``%%orchestrate --compare A B --over df --batch [--job NAME] [--yes]`` and
``%orchestrate jobs [NAME]``: batch jobs from a notebook.

The cell submits the job (after its plan; above the confirm threshold only with
``--yes``) and returns the :class:`~orchestration_kernel.batch.BatchJob` at once — batch
results take minutes to hours. ``await job.wait()`` (or ``%orchestrate jobs NAME``) later,
in this kernel or after a restart.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..errors import ConfigurationError
from .errors import usage
from .render import Rendered

#: the magics object (``OrchestrateMagics``); not imported here, which would be a cycle
OrchestrateMagics = Any

__all__ = ["check_batch_options", "jobs_command", "run_batch_cell"]


def check_batch_options(args: argparse.Namespace) -> None:
    """``--batch`` goes with ``--compare ... --over``; ``--job``/``--yes`` with ``--batch``."""
    batch = getattr(args, "batch", False)
    if not batch:
        for option in ("job", "yes"):
            if getattr(args, option, None):
                raise usage(f"--{option} only works with --batch: %%orchestrate --compare "
                            "m1 m2 --over VAR --batch --job NAME")  # fmt: skip
        return
    if args.compare is None or args.over is None:
        raise usage("--batch runs a --compare over a dataset: %%orchestrate --compare m1 m2 "
                    "--over VAR --batch [--job NAME] [--yes]")  # fmt: skip


def run_batch_cell(magics: OrchestrateMagics, args: argparse.Namespace, body: str) -> Any:
    """Submit the cell's prompt over ``--over`` on every ``--compare`` model as a batch job."""
    from ..batch import submit_sync
    from ..batch.submit import plan_job

    namespace = magics.namespace()
    items = _variable(args.over, namespace)
    if not body.strip():
        raise ConfigurationError("--batch needs a prompt: write it in the cell body")
    name = args.job or f"{args.over}-{time.strftime('%Y%m%d-%H%M%S')}"
    models = list(args.compare)
    if args.dry_run:
        plan = plan_job(magics.engine, models, body.strip(), items, name=name, namespace=namespace)
        magics.bind(args.out, plan)
        return plan
    job = submit_sync(
        magics.engine, models, body.strip(), items, name=name, confirm=bool(args.yes),
        namespace=namespace,
    )  # fmt: skip
    magics.bind(args.out, job)
    return job


def jobs_command(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    """``%orchestrate jobs``: every job and its state; ``jobs NAME``: one job, polled now."""
    from ..batch import BatchJob
    from ..batch.manifest import Manifest, list_jobs

    if rest:
        job = BatchJob.resume(rest[0], magics.engine)
        status = job.status()
        magics.bind(args.out, job)
        return status
    names = list_jobs()
    if not names:
        return Rendered("No batch jobs yet: `%%orchestrate --compare A B --over df --batch`.")
    lines = ["| job | rows | models | chunks | state |", "|---|---|---|---|---|"]
    for name in names:
        m = Manifest.load(name)
        states = sorted({c.state for c in m.chunks})
        state = "cancelled" if m.cancelled else ("done" if states == ["done"] else "running")
        models = ", ".join(r.name for r in m.models)
        lines.append(f"| {name} | {m.rows} | {models} | {len(m.chunks)} | {state} |")
    return Rendered("\n".join(lines))


def _variable(name: str, namespace: Any) -> Any:
    if name in namespace:
        return namespace[name]
    from .args import suggest

    close = suggest(name, [k for k in namespace if not str(k).startswith("_")])
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ConfigurationError(f"--over {name!r}: no such variable.{hint}")
