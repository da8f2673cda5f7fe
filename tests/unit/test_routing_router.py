"""Pools and strategies, breakers in routing, reports, metrics and ``model: auto``."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from orchestration_kernel.errors import (
    BadRequestError,
    ConfigurationError,
    RunCancelled,
    ServerError,
    UnknownModelError,
)
from orchestration_kernel.models import Usage
from orchestration_kernel.routing import (
    BreakerPolicy,
    Catalogue,
    Deployment,
    ManualClock,
    Metrics,
    ModelRef,
    Pool,
    Router,
    load_pools,
    task_needs,
)
from orchestration_kernel.secrets import Secret

ALL = {"openai", "anthropic", "gemini", "perplexity"}


def _router(**kw) -> tuple[Router, ManualClock]:
    clock = ManualClock()
    policy = kw.pop("policy", BreakerPolicy(failure_threshold=2, cooldown=30))
    return Router(
        Catalogue.load(kw.pop("overrides", None)), clock=clock, breaker_policy=policy, **kw
    ), clock


def _deps(*ids: str, model: str = "gpt-4o-mini", **kw) -> list[Deployment]:
    return [Deployment(id=i, provider="openai", model=model, **kw) for i in ids]


def _serve(router: Router, name: str, n: int, **kw) -> list[str]:
    """Choose ``n`` times, reporting each call fine; the ids chosen."""
    chosen = []
    for _ in range(n):
        dep, _ = router.choose(name, **kw)
        chosen.append(dep.id)
        router.report(dep, ok=True, latency_ms=10)
    return chosen


def test_round_robin_takes_turns():
    router, _ = _router()
    router.add_pool(Pool(name="rr", deployments=_deps("a", "b", "c")))
    assert _serve(router, "rr", 7) == ["a", "b", "c", "a", "b", "c", "a"]
    assert [d.id for d in router.plan("rr")] == ["b", "c", "a"]


def test_weighted_follows_the_weights_smoothly():
    router, _ = _router()
    deps = [*_deps("heavy", weight=3), *_deps("light", weight=1)]
    router.add_pool(Pool(name="w", deployments=deps, strategy="weighted"))
    picks = _serve(router, "w", 400)
    counts = Counter(picks)
    assert counts["heavy"] == 300 and counts["light"] == 100
    assert "light" in picks[:4]  # smooth: not three hundred heavies first


def test_least_latency_prefers_the_measured_fastest():
    router, _ = _router()
    router.add_pool(Pool(name="ll", deployments=_deps("slow", "fast"), strategy="least_latency"))
    for dep_id, latency in (("slow", 900), ("fast", 100)):
        for _ in range(3):
            router.metrics.observe(
                model="openai:gpt-4o-mini", deployment=dep_id, ok=True, latency_ms=latency
            )
    dep, decision = router.choose("ll")
    assert dep.id == "fast"
    assert decision.strategy == "least_latency"
    lat = {c["id"]: c["latency_p50_ms"] for c in decision.reasons["candidates"]}
    assert lat["fast"] < lat["slow"]
    json.dumps(decision.as_detail())


def test_least_latency_measures_unmeasured_members_first():
    router, _ = _router()
    router.add_pool(Pool(name="ll", deployments=_deps("a", "b"), strategy="least_latency"))
    router.metrics.observe(model="openai:gpt-4o-mini", deployment="a", ok=True, latency_ms=5)
    assert router.choose("ll")[0].id == "b"


def test_least_cost_uses_catalogue_prices_and_puts_unknown_last():
    router, _ = _router()
    deps = [
        Deployment(id="dear", provider="openai", model="gpt-4o"),
        Deployment(id="unknown", provider="openai", model="not-in-catalogue"),
        Deployment(id="cheap", provider="openai", model="gpt-4o-mini"),
    ]
    router.add_pool(Pool(name="lc", deployments=deps, strategy="least_cost"))
    assert set(_serve(router, "lc", 5)) == {"cheap"}
    assert [d.id for d in router.plan("lc")] == ["cheap", "dear", "unknown"]


def test_least_busy_spreads_by_in_flight():
    router, _ = _router()
    router.add_pool(Pool(name="lb", deployments=_deps("a", "b", "c"), strategy="least_busy"))
    held = [router.choose("lb")[0] for _ in range(6)]  # none reported yet
    assert Counter(d.id for d in held) == {"a": 2, "b": 2, "c": 2}
    for dep in held:
        if dep.id != "b":
            router.report(dep, ok=True)
    assert router.in_flight("b") == 2
    picks = [router.choose("lb")[0].id for _ in range(4)]
    assert picks.count("b") == 0


def test_open_breakers_are_skipped_and_the_soonest_serves_when_all_are_open():
    router, clock = _router()
    router.add_pool(Pool(name="p", deployments=_deps("a", "b")))
    for _ in range(2):
        dep, _ = router.choose("p")
        assert dep.id == "a" or dep.id == "b"
    router.report("a", ok=False, error=ServerError("down"))
    router.report("b", ok=True)
    router.report(router.choose("p")[0], ok=False, error=ServerError("down"))
    assert router.breaker_state("a") == "open"
    assert {d.id for d in router.plan("p")} == {"b"}
    assert set(_serve(router, "p", 4)) == {"b"}
    clock.advance(10)
    for _ in range(2):
        dep, _ = router.choose("p")
        router.report(dep, ok=False, error=ServerError("down"))
    assert router.breaker_state("b") == "open"
    assert [d.id for d in router.plan("p")] == ["a"]  # opened earlier: half-open sooner
    dep, decision = router.choose("p")
    assert dep.id == "a" and "cooling down" in decision.reasons["why"]
    clock.advance(20)
    assert router.breaker_state("a") == "half_open"
    dep, _ = router.choose("p")  # the single probe
    assert dep.id == "a"
    router.report(dep, ok=True)
    assert router.breaker_state("a") == "closed"


def test_plain_models_get_one_implicit_deployment():
    router, _ = _router()
    dep, decision = router.choose("claude-3", input_tokens=100)
    assert dep.id == "anthropic:claude-sonnet-4-6"
    assert dep.ref == ModelRef("anthropic", "claude-sonnet-4-6")
    assert decision.strategy == "single"
    assert decision.reasons["resolution"]["how"] == "alias"
    assert router.plan("claude-3") == [dep]
    dep, decision = router.choose("gpt-4o", input_tokens=100)
    router.report(dep.id, ok=True, usage=Usage(input_tokens=1000, output_tokens=100))
    series = router.metrics.deployment("openai:gpt-4o")
    assert series.calls == 1 and series.cost_usd > 0
    with pytest.raises(UnknownModelError):
        router.choose("gtp-4o")


def test_typos_of_pool_names_are_suggested():
    router, _ = _router()
    router.add_pool(Pool(name="fast", deployments=_deps("a")))
    with pytest.raises(UnknownModelError) as info:
        router.choose("fsat")
    assert "fast" in info.value.suggestions


def test_needs_and_context_prefer_fitting_members():
    router, _ = _router()
    deps = [
        Deployment(id="small", provider="openai", model="gpt-4o-mini"),
        Deployment(id="search", provider="perplexity", model="sonar"),
    ]
    router.add_pool(Pool(name="mix", deployments=deps))
    dep, decision = router.choose("mix", needs={"search"})
    assert dep.id == "search" and "small" in decision.reasons["misfits"]
    dep, decision = router.choose("mix", needs={"teleport"})
    assert decision.reasons["unmet"]


def test_report_counts_in_flight_breaker_and_metrics():
    router, _ = _router()
    router.add_pool(Pool(name="p", deployments=_deps("a")))
    dep, _ = router.choose("p")
    assert router.in_flight(dep) == 1
    router.report(dep, ok=False, error=BadRequestError("bad"), latency_ms=3)
    assert router.in_flight(dep) == 0
    assert router.breaker_state(dep) == "closed"
    dep, _ = router.choose("p")
    router.report(dep, ok=False, error=RunCancelled())
    assert router.metrics.deployment("a").calls == 1  # cancellation is not a data point
    dep, _ = router.choose("p")
    router.report(dep, ok=False, error=asyncio.CancelledError())
    snap = router.snapshot()
    assert snap["deployments"]["a"]["error_types"] == {"BadRequestError": 1}
    assert snap["breakers"]["a"]["state"] == "closed"
    with pytest.raises(ConfigurationError):
        router.report("nope", ok=True)


def test_pool_validation():
    with pytest.raises(ValueError, match="repeats"):
        Pool(name="p", deployments=_deps("a", "a"))
    router, _ = _router()
    with pytest.raises(ConfigurationError):
        router.add_pool(Pool(name="auto", deployments=_deps("a")))


def test_deployment_repr_and_dump_hide_the_key():
    key = "sk-test-" + "x" * 20
    dep = Deployment(id="a", provider="openai", model="m", api_key=key)
    assert isinstance(dep.api_key, Secret) and dep.api_key.get() == key
    assert (
        key not in repr(dep) and key not in str(dep.model_dump()) and key not in str(dep.describe())
    )
    assert dep.describe()["has_key"] is True and not dep.limited


def test_pools_load_from_yaml_toml_and_json(tmp_path, monkeypatch):
    key = "sk-test-" + "y" * 20
    monkeypatch.setenv("ROUTING_TEST_KEY", key)
    yaml_text = """
pools:
  fast:
    strategy: least_latency
    deployments:
      - id: east
        model: openai:gpt-4o-mini
        api_key_env: ROUTING_TEST_KEY
        rpm: 600
      - model: gpt-4o-mini
        provider: openai
        base_url: http://127.0.0.1:9/v1
        weight: 2
"""
    (tmp_path / "pools.yaml").write_text(yaml_text)
    (tmp_path / "pools.toml").write_text(
        '[pools.cheap]\nstrategy = "least_cost"\n'
        '[[pools.cheap.deployments]]\nmodel = "anthropic:claude-haiku-4-5"\n'
    )
    (tmp_path / "pools.json").write_text(
        json.dumps({"pools": {"j": {"deployments": [{"model": "sim:echo"}]}}})
    )
    [fast] = load_pools(tmp_path / "pools.yaml")
    assert fast.strategy == "least_latency"
    east, second = fast.deployments
    assert east.api_key.get() == key and east.rpm == 600 and key not in repr(fast)
    assert second.id == "fast/1" and second.base_url and second.weight == 2
    assert load_pools(tmp_path / "pools.toml")[0].deployments[0].provider == "anthropic"
    assert load_pools(tmp_path / "pools.json")[0].deployments[0].model == "echo"
    (tmp_path / "bad.yaml").write_text("pools:\n  x:\n    strategy: fastest\n    deployments: []\n")
    with pytest.raises(ConfigurationError, match="round_robin"):
        load_pools(tmp_path / "bad.yaml")
    with pytest.raises(ConfigurationError):
        load_pools(tmp_path / "nope.yaml")


def test_router_load_config_applies_every_section(tmp_path):
    router, _ = _router()
    config = {
        "providers": ["ollama"],
        "models": {
            "ollama:*": {"input_price": 0, "output_price": 0},
            "openai:gpt-4o": {"input_price": 0.01},
        },
        "aliases": {"house": "ollama:llama3"},
        "pools": {"local-first": {"deployments": [{"model": "house"}, {"model": "gpt-4o"}]}},
    }
    (tmp_path / "routing.json").write_text(json.dumps(config))
    [pool] = router.load_config(tmp_path / "routing.json")
    assert [str(d.ref) for d in pool.deployments] == ["ollama:llama3", "openai:gpt-4o"]
    assert router.catalogue.get("openai:gpt-4o").input_price == 0.01
    assert router.catalogue.get("openai:gpt-4o").output_price is not None
    assert router.is_pool("local-first") and "local-first" in router.pools
    with pytest.raises(ConfigurationError, match="section"):
        router.load_config({"pool": {}})


def test_task_needs_reads_keywords():
    assert task_needs("Web research with citations") == {"search", "citations"}
    assert task_needs("analysis") == frozenset() and task_needs(None) == frozenset()


# -- auto ------------------------------------------------------------------------

_AUTO_MODELS = {
    "models": {
        "acme:tiny": {
            "context_window": 8000,
            "max_output_tokens": 2000,
            "input_price": 0.1,
            "output_price": 0.1,
            "capabilities": ["json"],
        },
        "acme:big": {
            "context_window": 1000000,
            "max_output_tokens": 8000,
            "input_price": 1.0,
            "output_price": 1.0,
            "capabilities": ["json", "long_context"],
        },
        "acme:seer": {
            "context_window": 100000,
            "max_output_tokens": 8000,
            "input_price": 5.0,
            "output_price": 5.0,
            "capabilities": ["json", "search"],
        },
    }
}


def _auto(router: Router, **kw):
    kw.setdefault("needs", set())
    return router.choose_auto(available_providers={"acme"}, expected_output_tokens=1000, **kw)


def test_auto_flips_on_context_size():
    router, _ = _router(overrides=_AUTO_MODELS)
    assert str(_auto(router, input_tokens=1000)[0]) == "acme:tiny"
    ref, decision = _auto(router, input_tokens=50_000)
    assert str(ref) == "acme:big"
    assert "acme:tiny" in str(decision.reasons["rejected"])


def test_auto_flips_on_a_required_capability():
    router, _ = _router(overrides=_AUTO_MODELS)
    assert str(_auto(router, input_tokens=1000, needs={"search"})[0]) == "acme:seer"
    assert str(_auto(router, input_tokens=1000, task="news research")[0]) == "acme:seer"


def test_auto_flips_on_price():
    router, _ = _router(overrides=_AUTO_MODELS)
    assert str(_auto(router, input_tokens=1000)[0]) == "acme:tiny"
    router.catalogue.add(
        {**_AUTO_MODELS["models"]["acme:tiny"], "input_price": 9.0, "output_price": 9.0},
        "acme:tiny",
    )
    ref, decision = _auto(router, input_tokens=1000)
    assert str(ref) == "acme:big"
    costs = {c["id"]: c["est_cost_usd"] for c in decision.reasons["candidates"]}
    assert costs["acme:big"] < costs["acme:tiny"]


def test_auto_flips_on_a_deployment_in_cooldown():
    router, clock = _router(overrides=_AUTO_MODELS)
    for _ in range(2):
        dep, _ = router.choose("acme:tiny")
        router.report(dep, ok=False, error=ServerError("down"))
    ref, decision = _auto(router, input_tokens=1000)
    assert str(ref) == "acme:big"
    assert decision.reasons["rejected"]["cooling down"] == ["acme:tiny"]
    clock.advance(30)
    assert str(_auto(router, input_tokens=1000)[0]) == "acme:tiny"  # half-open: probe it


def test_auto_prefers_healthy_and_reports_when_nothing_fits():
    router, _ = _router(overrides=_AUTO_MODELS, policy=BreakerPolicy(100, 30))
    for _ in range(4):
        router.report(router.deployment_for("acme:tiny"), ok=False, error=ServerError("x"))
    ref, decision = _auto(router, input_tokens=1000)
    assert str(ref) == "acme:big"
    with pytest.raises(ConfigurationError, match="no catalogue model"):
        _auto(router, input_tokens=10, needs={"teleport"})
    json.dumps(decision.as_detail())


def test_auto_over_the_real_catalogue_and_the_simulator():
    router, _ = _router()
    ref, decision = router.choose_auto(input_tokens=2000, needs=set(), available_providers=ALL)
    info = router.catalogue.get(ref)
    assert info is not None and not info.deprecated and info.has_price
    assert decision.reasons["candidates"][0]["id"] == str(ref)
    assert (
        router.choose_auto(input_tokens=10, needs={"search"}, available_providers=ALL)[0].provider
        == "perplexity"
    )
    big = router.choose_auto(input_tokens=600_000, needs=set(), available_providers=ALL)[0]
    assert router.catalogue.get(big).context_window >= 600_000
    local = router.choose_auto(input_tokens=10, needs=set(), available_providers={"sim"})[0]
    assert local == ModelRef("sim", "auto")


def test_auto_uses_the_soonest_when_every_fit_cools_down():
    only = {"models": {"acme:one": _AUTO_MODELS["models"]["acme:tiny"]}}
    router, _ = _router(overrides=only)
    for _ in range(2):
        router.report(router.deployment_for("acme:one"), ok=False, error=ServerError("x"))
    ref, decision = _auto(router, input_tokens=10)
    assert str(ref) == "acme:one" and "cooling" in decision.reasons["why"]


def test_metrics_dataframe_and_percentiles():
    metrics = Metrics()
    for i in range(1, 101):
        metrics.observe(
            model="m:x",
            deployment="d",
            ok=i % 10 != 0,
            latency_ms=i,
            ttft_ms=i / 2,
            usage=Usage(input_tokens=1, output_tokens=2),
            cost_usd=0.5 if i % 2 else None,
            error_type="ServerError" if i % 10 == 0 else None,
        )
    snap = metrics.snapshot()["models"]["m:x"]
    assert snap["calls"] == 100 and snap["errors"] == 10 and snap["error_rate"] == 0.1
    assert snap["latency_p50_ms"] < snap["latency_p95_ms"] < snap["latency_p99_ms"] <= 100
    assert snap["ttft_p50_ms"] < snap["latency_p50_ms"]
    assert snap["input_tokens"] == 100 and snap["output_tokens"] == 200
    frame = metrics.to_dataframe()
    assert set(frame["scope"]) == {"model", "deployment"} and len(frame) == 2
    assert metrics.model("nope") is None
    metrics.reset()
    assert metrics.snapshot() == {"models": {}, "deployments": {}}


def test_pools_from_code_mix_deployments_and_specs():
    from orchestration_kernel.routing import pools_from_mapping

    key = "sk-test-" + "z" * 20
    ready = Deployment(id="ready", provider="openai", model="gpt-4o")
    spec = {"p": {"deployments": [ready, {"model": "claude-3", "api_key": key}]}}
    router, _ = _router()
    [pool] = pools_from_mapping(spec, router.resolve)
    assert pool.deployments[0] is ready
    second = pool.deployments[1]
    assert second.provider == "anthropic" and second.api_key.get() == key
    assert key not in repr(pool)


def test_latency_percentiles_follow_the_sliding_window() -> None:
    from orchestration_kernel.routing.metrics import Series, percentile

    series = Series(window=3)
    for value in (50.0, 10.0, 40.0, 20.0, 30.0):
        series.add(True, value, None, None, 0.0, None)
    assert list(series.latencies) == [40.0, 20.0, 30.0]
    assert series.latency(50) == percentile([40.0, 20.0, 30.0], 50) == 30.0
    assert series.latency(100) == 40.0


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"models": ["openai:gpt-4o"]}, "'models' must be a mapping, not list"),
        ({"models": {"openai:x": "cheap"}}, "'models.openai:x' must be a mapping, not str"),
        ({"aliases": {"fast": 5}}, "alias 'fast' must name a model (a string), not int"),
        ({"providers": 3}, "'providers' must be a list of names"),
    ],
)
def test_a_malformed_routing_config_section_is_a_clear_configuration_error(
    config: dict[str, object], named: str
) -> None:
    router, _ = _router()
    with pytest.raises(ConfigurationError) as caught:
        router.load_config(config)
    assert named in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"aliases": {"fast": ["openai:gpt-4o"]}}, "alias 'fast' must name a model"),
        ({"models": {"openai:x": 3}}, "'models.openai:x' must be a mapping, not int"),
    ],
)
def test_a_malformed_catalogue_override_is_a_clear_configuration_error(
    overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Catalogue.load(overrides)
    assert named in str(caught.value)


def test_a_model_entry_of_null_in_a_catalogue_override_changes_nothing() -> None:
    before = Catalogue.load().get("openai:gpt-4o")
    assert before is not None
    assert Catalogue.load({"openai:gpt-4o": None}).get("openai:gpt-4o") == before
