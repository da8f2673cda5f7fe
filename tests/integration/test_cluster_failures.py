"""A cluster job whose cluster fails under it: a clear ``ClusterError``, never Dask's bare
``CancelledError``, and an audit that says the run failed (not that someone cancelled it).

An in-process ``LocalCluster`` (threads, not processes) keeps this file fast; the
client's ``timeout`` bounds how long Dask tries to reconnect to a scheduler that is gone.
"""

from __future__ import annotations

import contextlib
import os
import threading

import pytest

from orchestration_kernel import OrchestrationEngine, SimulatorConfig
from orchestration_kernel.cluster.runner import _lost_partition
from orchestration_kernel.errors import ClusterError

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.timeout(120)


def test_a_scheduler_gone_mid_job_is_a_cluster_error_and_a_failed_run(hermetic_home) -> None:
    """Before: ``CancelledError`` with no message, and the run's end read ``cancelled``."""
    # 0.9 s a partition: the other nine take 8 s, ample for the scheduler to close first
    # on a busy machine (the job must not finish before it is gone).
    engine = OrchestrationEngine(offline="on", simulator=SimulatorConfig(latency=(0.3, 0.3)))
    client = distributed.Client(
        processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0", timeout="2s"
    )
    address = client.scheduler.address
    done: list[int] = []

    def close_scheduler_after_the_first(progress: object) -> None:
        done.append(getattr(progress, "partitions_done", 0))
        if done[-1] == 1:  # one partition kept, then the scheduler goes
            threading.Thread(
                target=client.cluster.sync, args=(client.cluster.scheduler.close,)
            ).start()

    try:
        with pytest.raises(ClusterError) as caught:
            engine.matrix_sync(
                ["sim:echo"], "{item}", [f"row {i}" for i in range(30)], cluster=client,
                job="gone", partition_size=3, concurrency=1,
                progress=close_scheduler_after_the_first,
            )  # fmt: skip
    finally:
        with contextlib.suppress(Exception):  # its scheduler is gone: closing may time out
            client.close(timeout=1)
        with contextlib.suppress(Exception):
            client.cluster.close(timeout=2)
    message = str(caught.value)
    assert address in message and "run the job again to compute the rest" in message
    kept = sorted((hermetic_home / "cluster" / "gone").glob("part-*.parquet"))
    assert f"{len(kept)} of 10 partitions are kept" in message
    audit = engine.audit.to_dataframe()
    ends = audit[audit["event"] == "run_end"]
    assert list(ends["status"]) == ["failed"]
    assert "ClusterError" in ends.iloc[0]["detail"]["error"]
    calls = audit[audit["event"] == "call"]
    assert len(calls) == 3 * len(kept) and calls["step"].is_unique  # kept = audited, once
    engine.close()


def test_a_partition_that_keeps_killing_workers_is_named() -> None:
    from distributed.scheduler import KilledWorker

    lost = _lost_partition(KilledWorker("k", None, 3), None, "local", 3, 8)
    assert isinstance(lost, ClusterError)
    assert "(local) lost a partition" in str(lost) and "3 of 8 partitions are kept" in str(lost)
    assert _lost_partition(ValueError("the work's own"), None, "local", 0, 1) is None


def test_a_worker_with_another_version_is_named_before_anything_is_sent(tmp_path) -> None:
    """Before: the job was sent and each partition failed on the worker with whatever the
    other version raised. The worker here is a separate process whose path finds another
    orchestration-kernel first (as a worker image built from an older release)."""
    import subprocess
    import sys

    from orchestration_kernel.errors import ConfigurationError

    older = tmp_path / "site" / "orchestration_kernel-0.0.1.dist-info"
    older.mkdir(parents=True)
    (older / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: orchestration-kernel\nVersion: 0.0.1\n"
    )
    engine = OrchestrationEngine(offline="on")
    # processes=True: the scheduler listens on TCP, where the other process can reach it.
    with distributed.LocalCluster(processes=True, n_workers=0, dashboard_address=":0") as cluster:
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
             "--nthreads", "1", "--no-nanny", "--no-dashboard"],
            env={**os.environ, "PYTHONPATH": str(older.parent)}, cwd=tmp_path,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            refused = pytest.raises(ConfigurationError, match="cannot run this job")
            with distributed.Client(cluster) as client, refused as caught:
                engine.matrix_sync(["sim:echo"], "{item}", ["a", "b"], cluster=client, job="v")
        finally:
            worker.terminate()
            worker.wait(30)
    message = str(caught.value)
    assert "orchestration-kernel 0.0.1" in message and "Nothing was sent" in message
    assert engine.audit.to_dataframe(event="call").empty
    engine.close()
