"""``engine.pipeline_matrix(spec, df, cluster=...)``: a two-step pipeline over the rows of
a DataFrame on a real two-process Dask ``LocalCluster``, against the OpenAI wire server
over loopback; and the same rows in one kernel, and from the magic.

Row counts are small on purpose: the 2,000-row resume test of the matrix
(test_cluster_matrix.py) covers volume; these cover what a pipeline adds.
"""

# ruff: noqa: F811 (the fixtures below are imported, and pytest passes them by name)
from __future__ import annotations

import pickle

import pandas as pd
import pytest

from orchestration_kernel.cluster import ClusterProgress
from orchestration_kernel.errors import SpecError
from tests.conftest import fake_key
from tests.integration.test_cluster_matrix import (  # one LocalCluster, one server
    RPM,
    Stop,
    client,  # noqa: F401 (a fixture)
    make_engine,
    quota_noted,
    record_submits,
    server,  # noqa: F401 (a fixture)
    wait_until_quiet,
)
from tests.servers import Fault

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.timeout(300)

SPEC = """\
name: reviews
steps:
  - name: summary
    model: fast
    prompt: "Summarise {review} ({input[city]}){mark}"
  - name: grade
    model: fast
    prompt: "Grade {summary.output}"
"""


def echo(text: str) -> str:
    return f"Echo from gpt-4o-mini: {text}"


def reviews(rows: int) -> pd.DataFrame:
    cities = ["Oslo", "Lima", "Pune"]
    return pd.DataFrame(
        {"review": [f"r{i}" for i in range(rows)], "city": [cities[i % 3] for i in range(rows)]},
        index=[f"row{i}" for i in range(rows)],
    )


def test_a_pipeline_over_rows_resumes_on_the_cluster_and_audits_every_event_once(
    client, server, hermetic_home, monkeypatch, caplog
) -> None:
    key = fake_key("sk")
    engine = make_engine(server, key)
    rows, size = 40, 5  # 8 partitions of 5 rows, two calls per row
    df = reviews(rows)
    sent = record_submits(client, monkeypatch)
    seen: list[ClusterProgress] = []

    def stop_halfway(progress: ClusterProgress) -> None:
        seen.append(progress)
        if progress.partitions_done >= 4:
            raise Stop

    options = {"cluster": client, "partition_size": size, "job": "graded"}
    ns = {"mark": "!"}  # a caller's variable the prompts use: it travels with each row
    with quota_noted(caplog), pytest.raises(Stop):
        engine.pipeline_matrix_sync(SPEC, df, namespace=ns, progress=stop_halfway, **options)
    assert [p.partitions_done for p in seen] == list(range(5))
    assert seen[-1].rows_done == 20 and seen[-1].partitions_total == 8
    job_dir = hermetic_home / "cluster" / "graded"
    written = sorted(int(p.stem.split("-")[1]) for p in job_dir.glob("part-*.parquet"))
    assert len(written) == 4
    # The tasks carried the rows and the spec, never the key.
    assert len(sent) == 8 and not any(key.encode() in graph for graph in sent)
    assert not any(key.encode() in pickle.dumps(graph) for graph in sent)

    before = wait_until_quiet(server)
    resumed: list[ClusterProgress] = []
    with quota_noted(caplog):
        result = engine.pipeline_matrix_sync(
            SPEC, df, namespace=ns, progress=resumed.append, **options
        )
    assert result.skipped == written and len(result.computed) == 4
    assert sorted(result.computed + result.skipped) == list(range(8))
    assert len(server.requests) - before == 2 * size * 4  # only the rest: two calls a row
    assert resumed[0].partitions_skipped == 4 and resumed[-1].finished
    assert all(r.credential == key and r.status == 200 for r in server.requests)
    assert result.worker_limits == {"fast-1": RPM // 2}  # each worker: half the pool's quota

    # One row per input row, in order, one column per step, then status and error.
    frame = result.to_dataframe()
    assert list(frame.index) == list(df.index)
    assert list(frame.columns) == ["review", "city", "summary", "grade", "status", "error"]
    summaries = [echo(f"Summarise r{i} ({df['city'].iloc[i]})!") for i in range(rows)]
    assert list(frame["summary"]) == summaries
    assert list(frame["grade"]) == [echo(f"Grade {s}") for s in summaries]
    assert set(frame["status"]) == {"done"} and frame["error"].isna().all()
    assert result.status == "done" and not result.errors

    # The caller's audit: each row one run, its call, step and run events exactly once.
    audit = engine.audit.to_dataframe()
    job = audit[audit["run_id"].str.startswith(result.run_id + "-")]
    runs = [f"{result.run_id}-{i}" for i in range(rows)]
    assert sorted(set(job["run_id"])) == sorted(runs)
    per_run = job.groupby(["run_id", "event"]).size().unstack(fill_value=0)
    assert (per_run["call"] == 2).all() and (per_run["step"] == 2).all()
    assert (per_run["run_start"] == 1).all() and (per_run["run_end"] == 1).all()
    assert set(job["session_id"]) == {engine.session.id}
    assert [r.run_id for r in result.runs] == runs
    # The job itself: a pair per attempt under its own run id (stopped, then finished).
    own = audit[audit["run_id"] == result.run_id]
    assert list(own["event"]) == ["run_start", "run_end"] * 2
    assert list(own.loc[own["event"] == "run_end", "status"]) == ["failed", "done"]
    assert own.iloc[-1]["detail"]["rows"] == {"ok": rows, "failed": 0}
    assert engine.audit.verify()


def test_a_row_that_fails_is_a_failed_row_and_the_others_finish(server, hermetic_home) -> None:
    """In this kernel (no cluster): one row's step fails under ``on_error: fail``."""
    key = fake_key("sk")
    engine = make_engine(server, key)
    df = reviews(4)
    server.script(Fault.status(400, "bad request"), model="gpt-4o-mini", times=1)
    result = engine.pipeline_matrix_sync(SPEC, df, namespace={"mark": ""}, concurrency=1)
    frame = result.to_dataframe()
    assert list(frame["status"]) == ["failed", "done", "done", "done"]
    assert "400" in frame["error"].iloc[0] and pd.isna(frame["grade"].iloc[0])
    assert frame["grade"].iloc[3] == echo(f"Grade {echo('Summarise r3 (Oslo)')}")
    assert result.status == "failed" and list(result.errors) == [0]


def test_a_name_no_row_has_fails_before_anything_is_sent(server, hermetic_home) -> None:
    engine = make_engine(server, fake_key("sk"))
    with pytest.raises(SpecError, match=r"\{mark\}: unknown name 'mark'"):
        engine.pipeline_matrix_sync(SPEC, reviews(3), cluster="tcp://127.0.0.1:9")
    assert server.requests == []


def test_the_magic_runs_a_pipeline_cell_over_a_dataframe_on_the_cluster(
    client, monkeypatch, capsys
) -> None:
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "on")  # the workers get it from the config
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "orchestration_kernel")
    try:
        shell.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Lima", "Pune"]}, index=list("abc"))
        where = client.scheduler.address
        cell = (
            f"%%orchestrate --over df --cluster {where} --out graded\n"
            "steps:\n"
            "  - name: weather\n"
            "    model: gpt-4o\n"
            '    prompt: "Weather in {city}?"\n'
            "  - name: advice\n"
            "    model: gpt-4o\n"
            '    prompt: "What to wear for: {weather.output}"\n'
        )
        result = shell.run_cell(cell)
        assert result.success, result.error_in_exec
        shown = capsys.readouterr().out  # the progress view, as a terminal shows it
        assert f"pipeline over df on {where}\n0/3 partitions · 0/3 rows" in shown
        assert f"pipeline over df on {where}\n3/3 partitions · 3/3 rows" in shown
        frame = shell.user_ns["graded"].to_dataframe()
        assert list(frame.index) == ["a", "b", "c"]
        assert list(frame.columns) == ["city", "weather", "advice", "status", "error"]
        assert list(frame["status"]) == ["done"] * 3
        runs = shell.user_ns["graded"].runs
        assert [r.steps[0].prompt for r in runs] == [f"Weather in {c}?" for c in frame["city"]]
        in_kernel = shell.run_cell(cell.replace(f" --cluster {where}", ""))  # same rows here
        assert in_kernel.success, in_kernel.error_in_exec
        again = shell.user_ns["graded"]
        assert [r.steps[0].prompt for r in again.runs] == [r.steps[0].prompt for r in runs]
        assert list(again.to_dataframe()["status"]) == ["done"] * 3
        assert all(
            f"Weather in {c}?" in text  # the simulator echoes its prompt
            for c, text in zip(frame["city"], again.to_dataframe()["weather"], strict=True)
        )
        refused = shell.run_cell("%%orchestrate --cluster local\nsteps: []")
        assert not refused.success and "add --over VAR" in str(refused.error_in_exec)
    finally:
        shell.run_line_magic("unload_ext", "orchestration_kernel")
        for name in ("df", "graded", "_orchestrate"):
            shell.user_ns.pop(name, None)
