"""Workers that join or leave after a cluster job counted them re-split the quotas.

Without a shared limiter each worker applies 1/N of each rate limit. N used to be fixed
when the job was submitted: a worker that joined later ran at the old share too, and the
cluster went past the quota (two workers each at the whole quota after starting with
one). Each partition now splits by the workers there are when it starts.

A real ``LocalCluster`` (worker processes) and the OpenAI wire server. The cluster is
resized from the job's first progress report, which comes after the job has counted
its workers and before any partition is submitted: every partition starts after the
change, whatever the machine's speed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.cluster import ClusterProgress
from tests.conftest import fake_key
from tests.servers import OpenAIServer

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.timeout(300)

RPM = 4000


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture(scope="module")  # one cluster for both (each test sets its own size)
def cluster() -> Iterator[Any]:
    made = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
        silence_logs=logging.ERROR,
    )
    with made, distributed.Client(made) as client:
        yield made, client


def wait_for_count(client: Any, count: int) -> None:
    """Until the scheduler has exactly ``count`` workers (a generous hang guard)."""
    deadline = time.monotonic() + 120
    while len(client.nthreads()) != count:
        assert time.monotonic() < deadline, f"the cluster never reached {count} workers"
        time.sleep(0.1)


def run_resized(server: Any, client: Any, resize: Any) -> Any:
    key = fake_key("sk")
    engine = OrchestrationEngine(
        offline="off",
        keys={"openai": key},
        base_urls={"openai": server.base_url},
        retry=RetryPolicy(max_attempts=1),
    )
    engine.add_pool("fast", [{"id": "fast-1", "model": "openai:gpt-4o-mini", "rpm": RPM}])
    resized: list[bool] = []

    def progress(report: ClusterProgress) -> None:
        if not resized:  # the first report: workers counted, nothing submitted yet
            resized.append(True)
            resize()

    result = engine.matrix_sync(
        ["fast"],
        "Say {item}",
        [f"r{i}" for i in range(8)],
        cluster=client,
        partition_size=2,
        progress=progress,
    )
    assert resized and result.status == "done" and not result.errors
    return result


def test_a_worker_that_joins_after_the_count_takes_its_share(server: Any, cluster: Any) -> None:
    made, client = cluster
    made.scale(1)
    wait_for_count(client, 1)

    def join() -> None:
        made.scale(2)
        wait_for_count(client, 2)

    result = run_resized(server, client, join)
    # Counted with one worker, run on two: each applies half the quota, not all of it.
    assert result.worker_limits == {"fast-1": RPM // 2}


def test_a_worker_that_leaves_after_the_count_gives_its_share_back(
    server: Any, cluster: Any
) -> None:
    made, client = cluster
    made.scale(2)
    wait_for_count(client, 2)

    def leave() -> None:
        made.scale(1)
        wait_for_count(client, 1)

    result = run_resized(server, client, leave)
    # Counted with two workers, run on one: it applies the whole quota.
    assert result.worker_limits == {"fast-1": RPM}
