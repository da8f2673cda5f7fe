"""Offline names: ``local`` is the embedded model, ``sim`` the simulator; the simulator's
old names keep working for a release with one deprecation line; labels say who answered."""

from __future__ import annotations

import warnings

import pytest

from orchestration_kernel import OrchestrationEngine, offline
from orchestration_kernel.providers.local import LocalModelProvider
from orchestration_kernel.providers.sim import SimProvider
from orchestration_kernel.routing.names import ModelRef, Resolver


@pytest.fixture(autouse=True)
def _fresh_notices(monkeypatch):
    """Each test sees the one-time lines as a new process would."""
    monkeypatch.setattr(offline, "_told", set())


def test_old_local_names_mean_the_simulator_with_one_deprecation_line():
    resolver = Resolver()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert resolver.resolve("local:echo") == ModelRef("sim", "echo")
        assert resolver.resolve("local:echo") == ModelRef("sim", "echo")
        assert resolver.resolve("local:smollm2") == ModelRef("local", "smollm2")
    lines = [str(w.message) for w in caught if issubclass(w.category, FutureWarning)]
    assert len(lines) == 1 and "'sim:echo'" in lines[0] and "local:smollm2" in lines[0]


async def test_an_old_local_name_is_answered_and_audited_as_sim(tmp_path):
    engine = OrchestrationEngine(offline="on", audit=tmp_path / "a.sqlite")
    engine.providers.set_offline_model("local")  # the old name still means the simulator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        reply = await engine.complete("local:echo", "hello")
    assert reply.simulated and reply.provider == "sim" and reply.resolved_model == "sim:echo"
    engine.audit.flush()
    frame = engine.audit.to_dataframe()
    assert set(frame[frame["event"] == "call"]["provider"]) == {"sim"}


def test_local_provider_is_the_simulators_old_class_name():
    from orchestration_kernel.providers import local

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert local.LocalProvider is SimProvider
        assert local.LocalProvider is SimProvider
    lines = [w for w in caught if issubclass(w.category, FutureWarning)]
    assert len(lines) == 1 and "SimProvider" in str(lines[0].message)
    with pytest.raises(AttributeError):
        local.NoSuchThing  # noqa: B018


def test_the_offline_model_chooses_the_stand_in_adapter():
    engine = OrchestrationEngine(offline="auto", audit=False)
    engine.providers.set_offline_model("sim")
    assert engine.providers.adapter("openai") is engine.simulator
    engine.providers.set_offline_model("local")
    stand_in = engine.providers.adapter("openai")
    assert isinstance(stand_in, LocalModelProvider) and stand_in.name == "local"
    assert engine.providers.adapter("sim") is engine.simulator  # sim: always the simulator
    assert not engine.providers.is_simulated("local")  # the local model serves itself
    assert engine.is_simulated("gpt-4")


def test_labels_say_which_stand_in_answered():
    assert offline.model_label("gpt-4", "local") == "local model (offline stand-in for gpt-4)"
    assert offline.model_label("gpt-4", "sim", simulated=True) == "gpt-4 (simulated)"
    assert offline.model_label("local:smollm2", "local") == "local:smollm2"
    assert offline.model_label("gpt-4", "openai") == "gpt-4"
    assert offline.stand_in_label("sim") == "offline simulator"


def test_served_by_names_who_would_answer(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    engine = OrchestrationEngine(offline="auto", audit=False)
    engine.providers.set_offline_model("local")
    assert engine.served_by("gpt-4") == "local model"
    assert engine.served_by("local:smollm2") == "local model"
    assert engine.served_by("sim:echo") == "offline simulator"
    engine.providers.set_offline_model("sim")
    assert engine.served_by("gpt-4") == "offline simulator"
    engine.set_key("openai", "test-" + "k" * 20)
    assert engine.served_by("gpt-4") == "real provider"


def test_widgets_label_the_local_stand_in():
    from orchestration_kernel.widgets.render import model_html, model_text

    assert model_text("gpt-4", "local", False, "openai:gpt-4o") == (
        "local model (offline stand-in for gpt-4)"
    )
    assert "local model (offline stand-in for gpt-4)" in model_html("gpt-4", "local")
    assert model_text("gpt-4", "sim", True, "openai:gpt-4o").endswith("(simulated)")


def test_the_plan_says_the_local_model_would_answer(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    engine = OrchestrationEngine(offline="auto", audit=False)
    engine.providers.set_offline_model("local")
    plan = engine.create_pipeline([{"name": "a", "model": "gpt-4", "prompt": "x"}]).plan()
    assert plan.to_records()[0]["simulated"] == "local model"
    engine.providers.set_offline_model("sim")
    plan = engine.create_pipeline([{"name": "a", "model": "gpt-4", "prompt": "x"}]).plan()
    assert plan.to_records()[0]["simulated"] == "simulated"
