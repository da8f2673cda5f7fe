"""The cluster's caller-side pieces that need no cluster: the serialisable engine config
(never a key), rebuilding an engine from it, cells and errors coming back, the job folder,
progress lines and the audit capture."""

from __future__ import annotations

import json

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.cluster import CapturedAudit, ClusterProgress, engine_keys
from orchestration_kernel.cluster.config import CONFIG_VERSION, engine_from_config
from orchestration_kernel.cluster.runner import decode_cell, scheduler_address
from orchestration_kernel.cluster.store import JobStore
from orchestration_kernel.cluster.worker import encode_cell
from orchestration_kernel.compare import CompareTable
from orchestration_kernel.errors import ConfigurationError, GuardianBlocked, RateLimitError
from orchestration_kernel.guardian import Guardian
from orchestration_kernel.matrix import MatrixResult
from orchestration_kernel.privacy import keeps_content
from tests.conftest import fake_key


def configured_engine(provider_key: str, pool_key: str) -> OrchestrationEngine:
    engine = OrchestrationEngine(
        offline="auto",
        keys={"openai": provider_key},
        base_urls={"openai": "http://127.0.0.1:9/v1"},
        retry=RetryPolicy(max_attempts=5, base_delay=0.25),
        guardian=Guardian(["pii", "secrets"], pii_operator="mask"),
        content_logging=False,
        aliases={"house": "openai:gpt-4o-mini"},
    )
    engine.add_compatible("lab-vllm", "http://127.0.0.1:9/v1")
    engine.add_pool(
        "fast",
        [
            {"id": "a", "model": "openai:gpt-4o-mini", "rpm": 600, "tpm": 90_000,
             "max_in_flight": 7, "api_key": pool_key},
            {"id": "b", "model": "lab-vllm:llama3", "weight": 2.0},
        ],
        strategy="weighted",
    )  # fmt: skip
    return engine


def test_the_config_is_plain_data_without_keys_and_rebuilds_the_same_engine() -> None:
    provider_key, pool_key = fake_key("sk"), fake_key("pool")
    engine = configured_engine(provider_key, pool_key)
    config = engine.config()
    text = json.dumps(config)  # plain data
    assert provider_key not in text and pool_key not in text
    keys = engine_keys(engine, config)
    assert keys["openai"] == provider_key and keys["pool:fast:a"] == pool_key

    twin = OrchestrationEngine.from_config(json.loads(text), keys=keys)
    assert twin.config() == config  # every setting survived the trip
    assert twin.providers.key_for("openai").get() == provider_key
    assert twin.router.pools["fast"].get("a").api_key.get() == pool_key
    assert twin.resolve("house") == "openai:gpt-4o-mini"
    assert twin.resolve("lab-vllm:llama3") == "lab-vllm:llama3"
    assert twin.retry == engine.retry and not keeps_content(twin)
    assert twin.guardian.config.pii_operator == "mask"


def test_a_split_quota_divides_each_limit_between_workers() -> None:
    engine = configured_engine(fake_key(), fake_key())
    half = engine_from_config(engine.config(), engine_class=OrchestrationEngine, limit_share=2)
    member = half.router.pools["fast"].get("a")
    assert (member.rpm, member.tpm, member.max_in_flight) == (300, 45_000, 3)
    assert half.router.pools["fast"].get("b").rpm is None
    tiny = engine_from_config(engine.config(), engine_class=OrchestrationEngine, limit_share=1000)
    assert tiny.router.pools["fast"].get("a").max_in_flight == 1  # never below one


def test_what_cannot_travel_is_refused_clearly() -> None:
    engine = OrchestrationEngine(offline="on")
    engine.set_credential("openai", lambda: ("token", 9e12))
    with pytest.raises(ConfigurationError, match="openai use a refreshable credential"):
        engine.config()
    with pytest.raises(ConfigurationError, match="version"):
        engine_from_config(
            {**OrchestrationEngine(offline="on").config(), "version": 0},
            engine_class=OrchestrationEngine,
        )
    assert CONFIG_VERSION == 1


def test_a_bad_cluster_value_fails_before_any_call() -> None:
    engine = OrchestrationEngine(offline="on")
    with pytest.raises(ConfigurationError, match="not 'nowhere'"):
        engine.matrix_sync(["gpt-4o"], "{item}", ["x"], cluster="nowhere")
    assert engine.simulator.calls == 0


def test_cells_come_back_as_replies_and_errors_keeping_their_kind() -> None:
    engine = OrchestrationEngine(offline="on")
    reply = engine.complete_sync("gpt-4o", "hello")
    blocked = GuardianBlocked("input", [])
    limited = RateLimitError("slow down")
    cells = [encode_cell(x) for x in (reply, blocked, limited)]
    back = [decode_cell(json.loads(json.dumps(c))) for c in cells]
    assert back[0].model_dump() == reply.model_dump()
    assert isinstance(back[1], GuardianBlocked) and str(back[1]) == str(blocked)
    assert type(back[2]).__name__ == type(limited).__name__ and str(back[2]) == str(limited)
    table = CompareTable(prompt="p", replies={"m": back[1]})
    result = MatrixResult(models=["m"], items=["x"], tables=[table])
    assert result.status == "blocked"
    table.replies["m"] = back[2]
    assert result.status == "failed"
    assert result.to_dataframe()["m"][0] == f"error: {type(limited).__name__}: {limited}"


def test_the_job_folder_keeps_parts_and_drops_them_for_a_different_job(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match=r"job name '\.\./x'"):
        JobStore(tmp_path, "../x")
    store = JobStore(tmp_path, "job")
    first = {"models": ["m"], "rows": 3, "partition_size": 2, "digest": "d1", "run_id": "r1"}
    assert store.open(first)["run_id"] == "r1"
    store.write(1, 2, [{"m": {"ok": False, "kind": "E", "message": "x"}}])
    assert store.done(2) == {1} and store.read(1) == (
        2,
        [{"m": {"ok": False, "kind": "E", "message": "x"}}],
    )
    assert store.open({**first, "run_id": "r2"})["run_id"] == "r1"  # a rerun keeps its run id
    assert store.open({**first, "digest": "d2", "run_id": "r3"})["run_id"] == "r3"
    assert store.done(2) == set()  # other inputs under the same name start afresh


def test_progress_reads_as_one_line() -> None:
    line = str(ClusterProgress(3, 10, 1, 300, 1000, 2.0, 150.0, 4.7))
    assert line == "3/10 partitions (1 resumed) · 300/1,000 rows · 150.0 rows/s · ETA 5 s"
    assert not ClusterProgress(0, 1, 0, 0, 5, 0.0, 0.0, None).finished


def test_the_capture_hands_back_each_run_once() -> None:
    audit = CapturedAudit()
    audit.record("call", run_id="a", status="ok", detail={"n": 1})
    audit.record("call", run_id="b", status="ok")
    audit.record("route", run_id="a", status="chosen")
    taken = audit.take("a")
    assert [(kind, cols["status"]) for _, kind, cols in taken] == [
        ("call", "ok"),
        ("route", "chosen"),
    ]
    assert audit.take("a") == [] and len(audit.take("b")) == 1


def test_a_partition_runs_on_the_worker_side_with_the_plugins_keys() -> None:
    """What a worker does, in this process: keys from the plugin, events handed back."""
    pytest.importorskip("distributed")
    from orchestration_kernel.cluster.config import config_fingerprint
    from orchestration_kernel.cluster.plugin import KeyPlugin, worker_keys
    from orchestration_kernel.cluster.worker import _ENGINES, PartitionTask, run_partition

    engine = OrchestrationEngine(offline="on")  # simulated: the key is checked, never sent
    engine.add_pool("fast", [{"id": "f", "model": "openai:gpt-4o-mini", "rpm": 100}])
    config = engine.config()
    key = fake_key("sk")
    plugin = KeyPlugin("keys-test", {"openai": key})
    assert key not in repr(plugin)
    task = PartitionTask(
        job_id="j", index=3, start=30, labels=["a", "b"], prompts=["x", "y"], models=["fast"],
        engine_class=OrchestrationEngine, config=config, fingerprint=config_fingerprint(config),
        plugin="keys-test", run_id="run1", limit_share=2,
    )  # fmt: skip
    with pytest.raises(ConfigurationError, match="no keys for the job"):
        run_partition(task)
    plugin.setup()
    try:
        out = run_partition(task)
        [(worker_engine, _)] = [v for k, v in _ENGINES.items() if k[1] == "keys-test"]
        assert worker_engine.providers.key_for("openai").get() == key
        assert (out.index, out.start, out.limits) == (3, 30, {"f": 50})
        assert [c["fast"]["ok"] for c in out.cells] == [True, True]
        calls = [cols for _, kind, cols in out.events if kind == "call"]
        assert sorted(c["step"] for c in calls) == ["a", "b"]
        assert {c["run_id"] for c in calls} == {"run1.p3"}  # taken back: none left behind
        assert worker_engine.audit.take("run1.p3") == []
    finally:
        plugin.teardown()
    assert worker_keys("keys-test") is None
    assert not [k for k in _ENGINES if k[1] == "keys-test"]  # no engine outlives its keys


def test_the_offline_stand_in_travels_with_the_config(monkeypatch) -> None:
    """A worker's own ORCHESTRATION_OFFLINE_MODEL must not choose another stand-in."""
    engine = OrchestrationEngine(offline="on")
    engine.providers.set_offline_model("sim")
    config = engine.config()
    assert config["offline_model"] == "sim"
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "local")  # the worker's environment
    twin = OrchestrationEngine.from_config(config, audit=False)
    assert twin.providers.offline_model == "sim"


def test_a_pipeline_partition_runs_each_row_as_its_own_run_on_the_worker_side() -> None:
    """What a worker does for a pipeline over rows, in this process: one run per row,
    every event handed back under that row's run id, none left behind."""
    pytest.importorskip("distributed")
    from orchestration_kernel.cluster.config import config_fingerprint
    from orchestration_kernel.cluster.plugin import KeyPlugin
    from orchestration_kernel.cluster.rows import RowsTask, run_rows_partition
    from orchestration_kernel.cluster.worker import _ENGINES
    from orchestration_kernel.pipeline_matrix import pipeline_rows, spec_data

    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    pipeline = engine.create_pipeline(
        [{"name": "a", "model": "gpt-4o", "prompt": "A {city}"},
         {"name": "b", "model": "gpt-4o", "prompt": "B {a.output}", "when": "input.n > 1"}]
    )  # fmt: skip
    rows = pipeline_rows(pipeline, [{"city": "Oslo", "n": 1}, {"city": "Lima", "n": 2}],
                         namespace={"city": "nowhere"})  # fmt: skip
    # Records fill their keys as names, as a DataFrame's row does: the row's city wins.
    assert [ns["city"] for ns in rows.namespaces] == ["Oslo", "Lima"]
    config = engine.config()
    task = RowsTask(
        job_id="j", index=1, start=10, spec=spec_data(pipeline), inputs=rows.inputs,
        namespaces=rows.namespaces, engine_class=OrchestrationEngine, config=config,
        fingerprint=config_fingerprint(config), plugin="keys-rows", run_id="job",
    )  # fmt: skip
    plugin = KeyPlugin("keys-rows", {})
    plugin.setup()
    try:
        out = run_rows_partition(task)
        [(_, audit)] = [v for k, v in _ENGINES.items() if k[1] == "keys-rows"]
        assert [c["run_id"] for c in out.cells] == ["job-10", "job-11"]
        assert [[s["status"] for s in c["steps"]] for c in out.cells] == [
            ["done", "skipped"],
            ["done", "done"],
        ]
        runs = {cols["run_id"] for _, kind, cols in out.events if kind == "run_start"}
        assert runs == {"job-10", "job-11"}
        assert audit.take("job-10") == [] and audit.take("job-11") == []
    finally:
        plugin.teardown()
    assert not [k for k in _ENGINES if k[1] == "keys-rows"]


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("locall", "Did you mean 'local'?"),
        ("Local", "Did you mean 'local'?"),
        ("sched uler:8786", "not 'sched uler:8786'"),
        ("tcp://scheduler:87x6", "is not a scheduler address"),
        ("", "not ''"),
    ],
)
def test_a_mistyped_cluster_says_what_was_meant(typed: str, hint: str) -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    with pytest.raises(ConfigurationError) as caught:
        engine.matrix_sync(["sim:echo"], "{item}", ["x"], cluster=typed)
    assert hint in str(caught.value)
    assert engine.simulator.calls == 0


@pytest.mark.parametrize(
    ("typed", "address"),
    [
        ("127.0.0.1:8786", "tcp://127.0.0.1:8786"),
        (" scheduler.internal:8786 ", "tcp://scheduler.internal:8786"),
        ("[::1]:8786", "tcp://[::1]:8786"),
        ("tls://scheduler:8786", "tls://scheduler:8786"),
    ],
)
def test_a_bare_host_and_port_is_a_tcp_scheduler_as_dask_reads_it(typed: str, address: str) -> None:
    assert scheduler_address(typed) == address


def test_a_cluster_address_with_a_password_is_refused_without_echoing_it() -> None:
    """Dask echoed the whole address, password included, in a raw ValueError."""
    engine = OrchestrationEngine(offline="on", audit=False)
    with pytest.raises(ConfigurationError, match="takes no user name or password") as caught:
        engine.matrix_sync(["sim:echo"], "{item}", ["x"], cluster="tcp://ann:Hunter2pw@sched:1")
    assert "Hunter2pw" not in str(caught.value) and "ann:***@sched:1" in str(caught.value)


def test_the_config_reads_the_provider_settings_through_their_public_accessors() -> None:
    options = {"openai": {"azure": {"api_version": "2024-06-01"}}}
    engine = OrchestrationEngine(
        offline="on", base_urls={"openai": "http://127.0.0.1:9/v1"}, provider_options=options
    )
    providers = engine.providers
    assert providers.base_urls == {"openai": "http://127.0.0.1:9/v1"}
    assert providers.provider_options == options
    assert providers.options_for("openai") == options["openai"]
    assert providers.options_for("anthropic") is None
    # Copies: what a caller does with them changes nothing in the engine.
    providers.base_urls["openai"] = "http://elsewhere/v1"
    providers.provider_options["openai"]["azure"] = False
    providers.options_for("openai")["extra"] = 1  # type: ignore[index]
    assert providers.base_urls == {"openai": "http://127.0.0.1:9/v1"}
    assert providers.provider_options == options
    config = engine.config()
    assert config["base_urls"] == {"openai": "http://127.0.0.1:9/v1"}
    assert config["provider_options"] == options
