"""Pipelines over rows on a Dask cluster: ``engine.pipeline_matrix(spec, df, cluster=...)``.

The same job as a cluster matrix (:func:`.runner.run_partitions`: keys in a worker
plugin, quotas split or shared, partition files, resume, progress), with a different
piece of work per partition: :func:`run_rows_partition` loads the spec (plain data, see
:func:`~orchestration_kernel.pipeline_matrix.spec_data`) on the worker's own engine and
runs :func:`~orchestration_kernel.pipeline_matrix.run_pipeline_rows` over the
partition's rows. Each row is a pipeline run with its own run id, so its call, step and
run events come back under that id and enter the caller's chain unchanged, once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..matrix_audit import MatrixRunAudit
from ..pipeline.result import PipelineResult
from ..pipeline_matrix import (
    PipelineMatrixResult,
    RowsInput,
    for_rows,
    row_run_ids,
    run_pipeline_rows,
    spec_data,
)
from ..repr_floor import masked_repr
from ..user_spec import check_concurrency
from .digest import DIGEST_KIND, DigestBuilder, JobDigest
from .progress import ClusterProgress
from .runner import ClusterJob, run_partitions
from .worker import PartitionOutcome, engine_for

__all__ = [
    "ClusterPipelineResult",
    "RowsTask",
    "run_pipeline_matrix_on_cluster",
    "run_rows_partition",
]


@masked_repr()  # its own generated repr too
@dataclass
class ClusterPipelineResult(PipelineMatrixResult, ClusterJob):
    """A :class:`PipelineMatrixResult` plus where the job ran and what this run computed."""


@dataclass(frozen=True)
class RowsTask:
    """One partition of a pipeline job: everything a worker needs except keys."""

    job_id: str
    index: int
    start: int
    spec: dict[str, Any]
    inputs: list[Any]
    namespaces: list[dict[str, Any]]
    engine_class: type
    config: dict[str, Any]
    fingerprint: str
    plugin: str
    run_id: str
    interpolate: bool = True
    default_model: str | None = None
    session_id: str | None = None
    concurrency: int = 8
    limit_share: int = 1
    shared_limits: bool = False


def run_rows_partition(task: RowsTask) -> PartitionOutcome:
    """Run the pipeline over every row of ``task`` on this worker's engine."""
    from ..pipeline import Pipeline

    engine, audit = engine_for(task)
    pipeline = Pipeline(
        task.spec, engine=engine, interpolate=task.interpolate, default_model=task.default_model
    )
    run_ids = row_run_ids(task.run_id, task.start, task.start + len(task.inputs))
    try:
        results = engine.runtime.run_sync(
            run_pipeline_rows(
                pipeline, task.inputs, task.namespaces, run_ids,
                concurrency=task.concurrency, session_id=task.session_id,
            )
        )  # fmt: skip
    finally:
        events = [event for run_id in run_ids for event in audit.take(run_id)]
    cells = [r.model_dump(mode="json") for r in results]
    limits = {d.id: d.rpm for pool in engine.router.pools.values() for d in pool.deployments}
    return PartitionOutcome(task.index, task.start, cells, events, limits, f"pid-{os.getpid()}")


def run_pipeline_matrix_on_cluster(
    engine: Any,
    pipeline: Any,
    rows: RowsInput,
    *,
    cluster: Any,
    concurrency: int = 8,
    partition_size: int | None = None,
    job: str | None = None,
    progress: Callable[[ClusterProgress], Any] | None = None,
    session_id: str | None = None,
) -> ClusterPipelineResult:
    """Run ``pipeline`` over ``rows`` on the cluster (blocking); see the module docstring."""
    check_concurrency(concurrency)
    pipeline = for_rows(pipeline)
    spec = spec_data(pipeline)
    interpolate = bool(pipeline.compiled.interpolate)
    default_model = pipeline.default_model
    steps = list(pipeline.step_names)
    digest = _digest(engine.session.home, spec, rows, interpolate, default_model)
    session = session_id or engine.session.id

    def task_for(common: dict[str, Any], index: int, start: int, stop: int) -> RowsTask:
        return RowsTask(
            **common, index=index, start=start, spec=spec, inputs=rows.inputs[start:stop],
            namespaces=rows.namespaces[start:stop], interpolate=interpolate,
            default_model=default_model, session_id=session, concurrency=concurrency,
        )  # fmt: skip

    # The job's own run_start/run_end rows (each row's run has its own pair besides).
    run = MatrixRunAudit(
        engine, steps, len(rows.inputs), pipeline=pipeline.name, session_id=session,
        kind="pipeline_matrix", names="steps",
    )  # fmt: skip
    done = run.around(
        lambda start: run_partitions(
            engine, cluster=cluster, kind="pipeline", rows=len(rows.inputs),
            manifest={"models": ["pipeline", *steps], "digest": digest.keyed,
                      "digest_kind": DIGEST_KIND},
            work=run_rows_partition, task_for=task_for, partition_size=partition_size, job=job,
            progress=progress, keep_run_ids=True, digest=digest, on_start=start,
        )
    )  # fmt: skip
    result = ClusterPipelineResult(
        steps=steps,
        items=rows.inputs,
        runs=[PipelineResult.model_validate(cell) for cell in done.rows()],
        index=rows.index,
        source=rows.source,
        run_id=done.run_id,
        pipeline=pipeline.name,
        **done.job_fields(),
    )
    run.finish_rows(result)  # committed before the result is returned
    return result


def _digest(
    home: Path, spec: dict[str, Any], rows: RowsInput, interpolate: bool, default_model: str | None
) -> JobDigest:
    """What identifies the job: the spec, its settings and every row's input and names
    (keyed: see :mod:`.digest`)."""
    h = DigestBuilder(home, json.dumps([spec, interpolate, default_model], sort_keys=True).encode())
    for value, names in zip(rows.inputs, rows.namespaces, strict=True):
        h.add(json.dumps([value, names], sort_keys=True, default=str).encode())
    return h.finish()
