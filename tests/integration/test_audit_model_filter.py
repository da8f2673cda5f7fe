"""Filtering the audit by the model the user called, as they typed it.

Offline, the simulator and the local model record the model they stand in for as
``provider:name`` (``openai:gpt-4o-mini``); ``to_dataframe(model="gpt-4o-mini")`` matched
only the simulator's ``call`` row (its responding model) and, with the local model, no
row at all. And a misspelt model gave an empty frame without a word.
"""

from __future__ import annotations

import warnings

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit.odd_cells import AuditReadWarning


@pytest.fixture
def engine(monkeypatch, tmp_path):
    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "auto")
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    monkeypatch.setenv("ORCHESTRATION_HOME", str(tmp_path))
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    eng = OrchestrationEngine()
    eng.complete_sync("gpt-4o-mini", "hello")
    eng.complete_sync("claude-sonnet-4-6", "hello")
    yield eng
    eng.close()


def _quietly(read):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AuditReadWarning)
        return read()


@pytest.mark.parametrize("name", ["gpt-4o-mini", "openai:gpt-4o-mini"])
def test_the_model_as_typed_selects_every_row_of_its_calls(engine, name) -> None:
    frame = _quietly(lambda: engine.audit.to_dataframe(model=name))
    everything = engine.audit.to_dataframe()
    mine = everything[everything["model"] == "openai:gpt-4o-mini"]
    assert len(frame) == len(mine) > 1
    assert set(frame["event"]) >= {"route", "guardian", "call"}
    assert set(frame["model"]) == {"openai:gpt-4o-mini"}


def test_the_same_filter_exports(engine, tmp_path) -> None:
    path = _quietly(lambda: engine.audit.export(tmp_path / "mini.csv", model="gpt-4o-mini"))
    lines = path.read_text().splitlines()
    assert len(lines) - 1 == len(engine.audit.to_dataframe(model="gpt-4o-mini"))


def test_a_misspelt_model_warns_with_the_near_names(engine) -> None:
    with pytest.warns(AuditReadWarning, match=r"'gpt4o-mini'.*Did you mean .*gpt-4o-mini"):
        frame = engine.audit.to_dataframe(model="gpt4o-mini")
    assert frame.empty


def test_a_model_never_called_lists_what_the_trail_holds(engine) -> None:
    with pytest.warns(AuditReadWarning, match=r"'llama'.*It holds .*claude-sonnet-4-6"):
        engine.audit.to_dataframe(model="llama")


def test_a_known_model_filtered_to_nothing_by_other_filters_says_nothing(engine) -> None:
    frame = _quietly(lambda: engine.audit.to_dataframe(model="gpt-4o-mini", event="handoff"))
    assert frame.empty
