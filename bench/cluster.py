"""11. A matrix on a Dask cluster: rows per second on a local two-worker cluster against
the same matrix in one kernel.

One matrix (one model, one prompt per row) against the OpenAI wire server in its own
process over loopback, with a fixed added latency per request. The single kernel runs it
with ``concurrency`` rows in flight and with twice that (as many as the cluster has in
all); the cluster has two worker processes (one thread each), each with ``concurrency``
rows in flight. The cluster's start and its first (cold) job are timed apart: workers
import the library and build their engine once. Each configuration runs ``repeats``
times, interleaved; every job is a fresh one (no partitions resumed).
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
            runs: dict[str, list[float]] = {"kernel": [], "kernel_2x": [], "cluster": []}
            for _ in range(sizes.cluster_repeats):
                runs["kernel"].append(_kernel_job(eng, rows, CONCURRENCY))
                runs["kernel_2x"].append(_kernel_job(eng, rows, 2 * CONCURRENCY))
                runs["cluster"].append(_cluster_job(eng, client, rows))
        finally:
            client.close()
            eng.close()
    return {
        "rows": rows,
        "latency_s": sizes.cluster_latency,
        "concurrency": CONCURRENCY,
        "workers": 2,
        "cluster_start_s": started_s,
        "cold_job_s": cold_s,
        "cold_job_rows": sizes.cluster_warmup_rows,
        "rows_per_s": {name: summarize([rows / s for s in walls]) for name, walls in runs.items()},
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
