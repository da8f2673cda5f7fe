"""Widget views are one table per session: built-ins, registered result classes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.magics.render import compare_view
from orchestration_kernel.session import Session
from orchestration_kernel.widgets import CompareView, ViewRegistry, views_for


@dataclass
class Scorecard:
    scores: dict[str, float]


class ScorecardView:
    def __init__(self, card: Scorecard) -> None:
        self.card = card

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in self.card.scores.items())
        return f"<table>{rows}</table>"


def test_the_builtins_show_a_compare_table() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    table = engine.compare_sync(["gpt-4o-mini", "claude-haiku-4-5"], "hi")
    assert isinstance(compare_view(table), CompareView)


def test_a_registered_result_class_gets_its_view() -> None:
    views_for().register(Scorecard, ScorecardView)
    view = compare_view(Scorecard({"gpt-4o": 0.9}))
    assert isinstance(view, ScorecardView) and "gpt-4o" in view._repr_html_()
    assert compare_view("plain text") is None


def test_the_table_belongs_to_one_session() -> None:
    views_for().register(Scorecard, ScorecardView)
    other = Session()
    try:
        assert views_for(other).view(Scorecard({})) is None
    finally:
        other.close()


def test_a_non_class_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        ViewRegistry().register("Scorecard", ScorecardView)  # type: ignore[arg-type]
