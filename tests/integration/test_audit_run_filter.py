"""Filtering the audit by a run id that is not there says so (session 10, explore).

A run id pasted short (``2ce538cf`` of ``2ce538cfa99a4947``, as git ids are) or mistyped
gave an empty frame without a word, read as "that run wrote nothing"."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit.odd_cells import AuditReadWarning


@pytest.fixture
def engine(tmp_path: Path):
    eng = OrchestrationEngine(offline="on", audit=tmp_path / "audit.sqlite")
    yield eng
    eng.close()


def test_a_short_or_wrong_run_id_warns_with_the_ids_it_holds(engine, tmp_path: Path) -> None:
    assert engine.audit is not None
    with pytest.warns(AuditReadWarning, match="It holds no runs yet"):
        engine.audit.to_dataframe(run="nope")
    first = engine.compare_sync(["gpt-4o"], "one").run_id
    last = engine.compare_sync(["gpt-4o"], "two").run_id
    assert first and last
    engine.audit.flush()
    with pytest.warns(AuditReadWarning, match=f"Did you mean '{last}'.*matched whole"):
        assert engine.audit.to_dataframe(run=last[:8]).empty
    with pytest.warns(AuditReadWarning, match=f"latest runs are '{last}', '{first}'"):
        engine.audit.export(tmp_path / "x.csv", run="zzzz")
    with warnings.catch_warnings():  # a run that is there, rows or not under other filters
        warnings.simplefilter("error", AuditReadWarning)
        assert len(engine.audit.to_dataframe(run=last)) > 0
        assert engine.audit.to_dataframe(run=last, since="2100-01-01").empty
