"""``engine.matrix(..., cluster=...)`` on a real two-process Dask ``LocalCluster``, against
the OpenAI wire server over loopback (the workers are other processes).

One cluster and one server serve the module: starting a cluster takes seconds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.cluster import ClusterProgress, ClusterQuotaWarning
from tests.conftest import fake_key
from tests.servers import OpenAIServer

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.timeout(300)

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05)
RPM = 4000  # the pool's quota: each of the two workers must apply half of it
#: Seconds of scheduling slack in the shared-limiter test: arrivals are counted over a
#: window this much shorter than the limiter's (as tests/integration/test_redis_team.py
#: does), so two workers on a busy machine cannot fail it by a few ms, while a cluster
#: that shares nothing (each worker the whole quota: twice it per window) still fails.
JITTER = 0.5


@contextlib.contextmanager
def quota_noted(caplog: pytest.LogCaptureFixture, match: str = "") -> Iterator[None]:
    """The block gave the cluster's quota note (a :class:`ClusterQuotaWarning`, also
    logged). Read from the log: the warning is raised on the engine's thread, and
    ``pytest.warns`` misses it whenever another thread saves and restores the process-wide
    warning filters meanwhile (``catch_warnings`` is not thread-safe)."""
    start = len(caplog.records)
    with caplog.at_level(logging.INFO, logger="orchestration_kernel.cluster"):
        yield
    notes = [r.getMessage() for r in caplog.records[start:] if r.name.endswith("cluster.runner")]
    assert any(match in note for note in notes), notes


def two_workers() -> Any:
    """A two-process ``LocalCluster``'s client (the workers inherit the environment now)."""
    return distributed.Client(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},  # no dashboard; health on any port
        silence_logs=logging.ERROR,
    )


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with two_workers() as made:
        yield made


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def make_engine(server: OpenAIServer, key: str) -> OrchestrationEngine:
    server.clear()
    server.require_bearer = lambda token: token == key  # only the caller's key answers
    engine = OrchestrationEngine(
        offline="off", keys={"openai": key}, base_urls={"openai": server.base_url}, retry=FAST
    )
    engine.add_pool("fast", [{"id": "fast-1", "model": "openai:gpt-4o-mini", "rpm": RPM}])
    return engine


def wait_until_quiet(server: OpenAIServer, quiet_s: float = 5.0, bound_s: float = 120) -> int:
    """The server's request count once it has stopped growing (cancelled partitions that
    were already running on a worker finish there; their replies are discarded). Quiet
    for seconds, not a moment: a busy machine can hold a worker's next request back."""
    deadline = time.monotonic() + bound_s
    count, since = len(server.requests), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = len(server.requests)
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return count


def record_submits(client: Any, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every task the client submits from now on, pickled as the scheduler receives it."""
    sent: list[bytes] = []
    submit = client.submit

    def recording_submit(fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(distributed.protocol.pickle.dumps((fn, args, kwargs)))
        return submit(fn, *args, **kwargs)

    monkeypatch.setattr(client, "submit", recording_submit)
    return sent


class Stop(Exception):
    """Raised by the progress callback to interrupt the job."""


def test_a_200_row_matrix_resumes_after_an_interruption_and_audits_each_call_once(
    client, server, hermetic_home, caplog
) -> None:
    key = fake_key("sk")
    engine = make_engine(server, key)
    # 20 partitions of 10: stopped after ten, resumed for the other ten. (It was 2,000 rows
    # in partitions of 100: the same partitions and the same checks, ten times the calls.)
    rows, size = 200, 10
    df = pd.DataFrame({"n": range(rows)}, index=[f"r{i}" for i in range(rows)])
    seen: list[ClusterProgress] = []

    def stop_halfway(progress: ClusterProgress) -> None:
        seen.append(progress)
        if progress.partitions_done >= 10:
            raise Stop

    options = {"cluster": client, "partition_size": size, "job": "reviews"}
    with (
        quota_noted(caplog, match="each of the 2 workers gets 1/2"),
        pytest.raises(Stop),
    ):
        engine.matrix_sync(["fast"], "Count {n}", df, progress=stop_halfway, **options)
    assert [p.partitions_done for p in seen] == list(range(11))
    assert seen[-1].rows_done == rows // 2 and seen[-1].partitions_total == 20
    assert seen[-1].rows_per_second > 0 and seen[-1].eta_s is not None
    job_dir = hermetic_home / "cluster" / "reviews"
    written = sorted(int(p.stem.split("-")[1]) for p in job_dir.glob("part-*.parquet"))
    assert len(written) == 10

    before = wait_until_quiet(server)
    resumed: list[ClusterProgress] = []
    with quota_noted(caplog):
        result = engine.matrix_sync(["fast"], "Count {n}", df, progress=resumed.append, **options)
    # Only the rest was computed: ten partitions, one request per row of them.
    assert result.skipped == written
    assert sorted(result.computed + result.skipped) == list(range(20))
    assert len(result.computed) == 10
    assert len(server.requests) - before == size * len(result.computed)
    assert resumed[0].partitions_skipped == 10 and resumed[-1].finished
    assert all(r.credential == key and r.status == 200 for r in server.requests)
    # Each worker applied half the pool's quota, and the cluster stayed inside it.
    assert result.worker_limits == {"fast-1": RPM // 2}
    starts = sorted(r.t_start for r in server.requests)
    assert max(sum(1 for t in starts if s <= t < s + 60) for s in starts[::5]) <= RPM

    # The result is aligned to the input.
    frame = result.to_dataframe()
    assert list(frame.index) == list(df.index)
    assert list(frame["n"]) == list(range(rows))
    assert list(frame["fast"]) == [f"Echo from gpt-4o-mini: Count {n}" for n in range(rows)]
    assert result.status == "done" and not result.errors

    # The caller's audit has every call exactly once, under one run id, in one chain.
    audit = engine.audit.to_dataframe()
    calls = audit[(audit["run_id"] == result.run_id) & (audit["event"] == "call")]
    assert len(calls) == rows
    assert sorted(calls["step"]) == sorted(df.index)
    assert set(calls["status"]) == {"ok"}
    assert set(calls["session_id"]) == {engine.session.id}
    # Each attempt at the job is a run_start/run_end pair under the job's one run id:
    # the one the progress callback stopped failed, the rerun finished every cell.
    runs = audit[(audit["run_id"] == result.run_id) & audit["event"].isin(["run_start", "run_end"])]
    assert list(runs["event"]) == ["run_start", "run_end"] * 2
    ends = runs[runs["event"] == "run_end"]
    assert list(ends["status"]) == ["failed", "done"]
    assert "Stop" in ends.iloc[0]["detail"]["error"]
    assert ends.iloc[1]["detail"]["cells"] == {"ok": rows, "failed": 0}
    assert engine.audit.verify()


def test_the_key_is_in_neither_the_task_graph_nor_any_log(
    client, server, monkeypatch, hermetic_home, caplog
) -> None:
    key = fake_key("sk")
    engine = make_engine(server, key)
    sent = record_submits(client, monkeypatch)
    with quota_noted(caplog):
        result = engine.matrix_sync(
            ["fast"], "Say {item}", [f"w{i}" for i in range(40)], cluster=client, partition_size=10
        )
    assert result.status == "done" and len(sent) == 4
    assert {r.credential for r in server.requests} == {key}  # the workers did use it
    secret = key.encode()
    assert not any(secret in graph for graph in sent)
    assert not any(secret in pickle.dumps(graph) for graph in sent)
    logs = {
        "workers": client.get_worker_logs(),
        "nannies": client.get_worker_logs(nanny=True),
        "scheduler": client.get_scheduler_logs(),
    }
    assert key not in json.dumps(logs, default=str)
    audit = engine.audit.to_dataframe()
    assert key not in audit.to_csv()
    assert key not in json.dumps(engine.config())
    assert key not in repr(result) and key not in str(result.to_dataframe())
    # One run_start/run_end pair, written by the caller only (the workers write none).
    runs = audit[(audit["run_id"] == result.run_id) & audit["event"].isin(["run_start", "run_end"])]
    assert list(runs["event"]) == ["run_start", "run_end"]
    assert runs.iloc[1]["status"] == "done" and runs.iloc[1]["detail"]["cells"]["ok"] == 40


def test_the_magic_runs_a_dataframe_over_the_cluster(client, monkeypatch, capsys) -> None:
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "on")  # the workers get it from the config
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "orchestration_kernel")
    try:
        shell.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Lima", "Pune"]}, index=list("abc"))
        # host:port, as a cluster's admin hands it out (Dask reads it as tcp://host:port)
        where = client.scheduler.address.removeprefix("tcp://")
        result = shell.run_cell(
            f"%%orchestrate --compare gpt-4o --over df --cluster {where} --out m\n"
            "Weather in {city}?"
        )
        assert result.success, result.error_in_exec
        assert "\n3/3 partitions · 3/3 rows" in capsys.readouterr().out  # the live progress line
        frame = shell.user_ns["m"].to_dataframe()
        assert list(frame.index) == ["a", "b", "c"] and list(frame["city"]) == [
            "Oslo",
            "Lima",
            "Pune",
        ]
        assert all(
            f"Weather in {c}?" in text
            for c, text in zip(frame["city"], frame["gpt-4o"], strict=True)
        )
        refused = shell.run_cell("%%orchestrate --compare gpt-4o --cluster local\nhi")
        assert not refused.success and "add --over VAR" in str(refused.error_in_exec)
    finally:
        shell.run_line_magic("unload_ext", "orchestration_kernel")
        for name in ("df", "m", "_orchestrate"):
            shell.user_ns.pop(name, None)


def test_with_a_shared_limiter_the_whole_cluster_keeps_one_quota(client) -> None:
    """``redis=`` (or ``ORCHESTRATION_REDIS_URL``) on the caller: every worker books on the
    same Redis, so the quota is not split and the cluster's arrivals stay inside it."""
    import importlib
    import inspect
    import warnings

    from tests.servers.spawn import spawn_server

    if "redis" not in inspect.signature(OrchestrationEngine).parameters:
        pytest.skip("the shared limiter (issue 22: engine redis=) is not on this branch yet")
    running_redis = pytest.importorskip("tests.redis_server").running_redis
    settings = importlib.import_module("orchestration_kernel.redis_link").RedisSettings
    window, quota = 2.0, 10  # a short window keeps the test short; the quota still binds
    # The server in a process of its own: this one runs the Dask scheduler and the job's
    # caller, whose work (a first Parquet write, say) would hold up an in-process server's
    # reading, and so its arrival stamps, for a moment.
    with running_redis() as redis, spawn_server("openai") as server:
        key = fake_key("sk")
        # The server builds its first reply from the SDK's types, imported then (seconds on
        # a busy machine, its loop held): requests arriving meanwhile would all be read, and
        # stamped, at once. One request first, so the stamps are the arrivals.
        OrchestrationEngine(
            offline="off", keys={"openai": key}, base_urls={"openai": server.base_url},
            audit=False, redis=False,
        ).complete_sync("openai:gpt-4o-mini", "warm up")  # fmt: skip
        server.clear()
        engine = OrchestrationEngine(
            offline="off", keys={"openai": key}, base_urls={"openai": server.base_url},
            retry=FAST, redis=settings(redis.url, window=window),
        )  # fmt: skip
        engine.add_pool("fast", [{"id": "fast-1", "model": "openai:gpt-4o-mini", "rpm": quota}])
        with warnings.catch_warnings():
            warnings.simplefilter("error", ClusterQuotaWarning)  # nothing is split
            result = engine.matrix_sync(
                ["fast"], "Say {item}", [f"w{i}" for i in range(40)], cluster=client,
                partition_size=5,
            )  # fmt: skip
        requests = server.requests
    assert result.status == "done" and result.worker_limits == {"fast-1": quota}
    assert len(requests) == 40 and all(r.credential == key for r in requests)
    # As the server saw them arrive, over a window JITTER shorter than the limiter's: the
    # bookings hold the quota exactly (tests/integration/test_redis_limits.py); the
    # moments between a booked start and the server reading the request vary a little.
    starts = sorted(r.t_start for r in requests)
    span = window - JITTER
    busiest = max(sum(1 for t in starts if s <= t < s + span) for s in starts)
    assert busiest <= quota, f"{busiest} requests arrived within {span} s (quota {quota})"


def test_a_notebook_interrupt_stops_the_cell_not_the_local_clusters_workers(client) -> None:
    """Jupyter's interrupt is a SIGINT to the kernel's process group, workers included:
    every worker of cluster='local' died, and the rerun waited for ever for new ones.
    The local cluster's workers get :class:`KeepThroughInterrupts` (here: on this one)."""
    import os
    import signal

    from orchestration_kernel.cluster.plugin import KeepThroughInterrupts

    client.register_plugin(KeepThroughInterrupts())
    before = client.run(os.getpid)
    for pid in before.values():
        os.kill(pid, signal.SIGINT)  # what the stop button sends them
    engine = OrchestrationEngine(offline="on", audit=False)
    result = engine.matrix_sync(["sim:echo"], "{item}", ["a", "b"], cluster=client, job="int")
    assert list(result.to_dataframe()["sim:echo"].str.endswith(("a", "b"))) == [True, True]
    assert client.run(os.getpid) == before  # the same worker processes, still up


def test_a_dead_local_cluster_is_replaced_and_a_workerless_one_is_named(monkeypatch) -> None:
    """A cluster without workers held the cell for ever (wait_for_workers had no bound)."""
    from orchestration_kernel.cluster import runner
    from orchestration_kernel.errors import ConfigurationError

    def small() -> Any:  # in-process, so this test starts in about a second
        return distributed.Client(processes=False, n_workers=1, dashboard_address=":0")

    monkeypatch.setattr(runner, "_local_client", small)
    monkeypatch.setattr(runner, "WORKER_WAIT", 0.5)
    engine = OrchestrationEngine(offline="on", audit=False)
    first = runner.connect("local", engine.session)
    first.cluster.scale(0)  # every worker gone, as after a kill
    deadline = time.monotonic() + 30
    while first.nthreads() and time.monotonic() < deadline:
        time.sleep(0.05)
    again = runner.connect("local", engine.session)
    assert again is not first and again.nthreads()  # a new cluster, with workers
    result = engine.matrix_sync(["sim:echo"], "{item}", ["x"], cluster="local", job="re")
    assert result.to_dataframe()["sim:echo"].iloc[0].endswith("x")
    bare = distributed.LocalCluster(processes=False, n_workers=0, dashboard_address=":0")
    refused = pytest.raises(ConfigurationError, match="has no worker: none joined")
    with bare, distributed.Client(bare) as workerless, refused as caught:
        engine.matrix_sync(["sim:echo"], "{item}", ["x"], cluster=workerless)
    assert bare.scheduler_address in str(caught.value)
    engine.session.close()


async def test_cancelling_the_await_stops_the_job_on_the_cluster(client, hermetic_home) -> None:
    """A notebook interrupt cancels ``await engine.matrix(...)``: the job's helper thread
    went on collecting partitions unseen (writing Parquet and audit rows), so a rerun
    started meanwhile computed them again and audited every call twice."""
    import asyncio

    from orchestration_kernel import SimulatorConfig

    engine = OrchestrationEngine(offline="on", simulator=SimulatorConfig(latency=(0.2, 0.2)))
    loop, first_done = asyncio.get_running_loop(), asyncio.Event()

    def progress(p: ClusterProgress) -> None:  # called on the job's helper thread
        if p.partitions_done:
            loop.call_soon_threadsafe(first_done.set)

    job = asyncio.ensure_future(
        engine.matrix(["sim:echo"], "{item}", [f"row {i}" for i in range(40)], cluster=client,
                      job="stopped", partition_size=1, concurrency=1, progress=progress)
    )  # fmt: skip
    await asyncio.wait_for(first_done.wait(), 120)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    kept = sorted((hermetic_home / "cluster" / "stopped").rglob("*.parquet"))
    calls = len(engine.audit.to_dataframe(event="call"))
    await asyncio.sleep(1.5)  # what a job left running would add meanwhile
    assert sorted((hermetic_home / "cluster" / "stopped").rglob("*.parquet")) == kept
    assert len(engine.audit.to_dataframe(event="call")) == calls < 40
