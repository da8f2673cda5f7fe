"""11. A matrix on a Dask cluster: rows per second on a local two-worker cluster against
the same matrix in one kernel.

One matrix (one model, one prompt per row) against the OpenAI wire server in its own
process over loopback, with a fixed added latency per request. The single kernel runs it
with ``concurrency`` rows in flight and with twice that (as many as the cluster has in
all); the cluster has two worker processes (one thread each), each with ``concurrency``
rows in flight. The cluster's start and its first (cold) job are timed apart: workers
import the library and build their engine once. Each configuration runs ``repeats``
times, interleaved; every job is a fresh one (no partitions resumed).

Pipelines over rows (``engine.pipeline_matrix``) are timed the same way, on half as many
rows: a two-step pipeline (two calls a row, the second waiting on the first), in one
kernel and on the same cluster.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from bench.common import FAKE_OPENAI_KEY, Unavailable, component, engine
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["measure"]

CONCURRENCY = 8


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Rows per second: one kernel (two concurrencies) and a two-worker LocalCluster."""
    component("orchestration_kernel.cluster", "run_matrix_on_cluster")
    if sizes.name == "smoke":
        raise Unavailable(
            "skipped in the smoke run: a cluster takes tens of seconds to start; "
            "`make bench` measures it"
        )
    client_class = component("distributed", "Client")  # the [cluster] extra
    from tests.servers import spawn_server

    rows = sizes.cluster_rows
    pipeline_rows = max(1, rows // 2)  # two calls a row
    with spawn_server("openai", latency=sizes.cluster_latency) as server:
        eng = engine(
            offline="off", keys={"openai": FAKE_OPENAI_KEY}, base_urls={"openai": server.base_url}
        )
        t0 = time.perf_counter()
        client = client_class(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.ERROR,
        )  # fmt: skip
        started_s = time.perf_counter() - t0
        try:
            cold_s = _cluster_job(eng, client, sizes.cluster_warmup_rows)
            _kernel_job(eng, sizes.cluster_warmup_rows, CONCURRENCY)  # warm the kernel too
            _pipeline_job(eng, None, sizes.cluster_warmup_rows)  # the workers know the spec
            _pipeline_job(eng, client, sizes.cluster_warmup_rows)
            runs: dict[str, list[float]] = {
                "kernel": [], "kernel_2x": [], "cluster": [],
                "pipeline_kernel": [], "pipeline_cluster": [],
            }  # fmt: skip
            for _ in range(sizes.cluster_repeats):
                runs["kernel"].append(_kernel_job(eng, rows, CONCURRENCY))
                runs["kernel_2x"].append(_kernel_job(eng, rows, 2 * CONCURRENCY))
                runs["cluster"].append(_cluster_job(eng, client, rows))
                runs["pipeline_kernel"].append(_pipeline_job(eng, None, pipeline_rows))
                runs["pipeline_cluster"].append(_pipeline_job(eng, client, pipeline_rows))
        finally:
            client.close()
            eng.close()
    sizes_of = {name: pipeline_rows if name.startswith("pipeline") else rows for name in runs}
    return {
        "rows": rows,
        "latency_s": sizes.cluster_latency,
        "concurrency": CONCURRENCY,
        "workers": 2,
        "cluster_start_s": started_s,
        "cold_job_s": cold_s,
        "cold_job_rows": sizes.cluster_warmup_rows,
        "pipeline_rows": pipeline_rows,
        "rows_per_s": {
            name: summarize([sizes_of[name] / s for s in walls]) for name, walls in runs.items()
        },
        "wall_s": {name: summarize(walls) for name, walls in runs.items()},
    }


def _kernel_job(eng: Any, rows: int, concurrency: int) -> float:
    items = [f"{uuid.uuid4().hex[:6]} row {i}" for i in range(rows)]
    t0 = time.perf_counter()
    result = eng.matrix_sync(["gpt-4o-mini"], "Q {item}", items, concurrency=concurrency)
    wall = time.perf_counter() - t0
    if result.status != "done":
        raise RuntimeError(f"the single-kernel matrix ended {result.status}")
    return wall


def _cluster_job(eng: Any, client: Any, rows: int) -> float:
    items = [f"{uuid.uuid4().hex[:6]} row {i}" for i in range(rows)]
    t0 = time.perf_counter()
    result = eng.matrix_sync(
        ["gpt-4o-mini"], "Q {item}", items, cluster=client, concurrency=CONCURRENCY
    )
    wall = time.perf_counter() - t0
    if result.status != "done" or result.skipped:
        raise RuntimeError(f"the cluster matrix ended {result.status}")
    return wall


#: Two steps, the second on the first's output: two calls a row, one after the other.
PIPELINE = [
    {"name": "answer", "model": "gpt-4o-mini", "prompt": "Q {input}"},
    {"name": "check", "model": "gpt-4o-mini", "prompt": "Check {answer.output}"},
]


def _pipeline_job(eng: Any, client: Any, rows: int) -> float:
    """One fresh pipeline-over-rows job: in this kernel (``client`` None) or on the cluster."""
    items = [f"{uuid.uuid4().hex[:6]} row {i}" for i in range(rows)]
    where = {} if client is None else {"cluster": client}
    t0 = time.perf_counter()
    result = eng.pipeline_matrix_sync(PIPELINE, items, concurrency=CONCURRENCY, **where)
    wall = time.perf_counter() - t0
    if result.status != "done" or getattr(result, "skipped", None):
        raise RuntimeError(f"the pipeline over rows ended {result.status}: {result.errors}")
    return wall
