"""Every alias the catalogue ships (the seed's ``claude-3``, ``claude-haiku``, …) points at
a model with a known price, so a stand-in answering for it shows what the real model
would cost ("$… est. if real"), not "unknown if real". The prices are the vendors'
published figures recorded in data/models.json with their source; none is invented."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.models import Usage
from orchestration_kernel.routing.catalogue import Catalogue
from orchestration_kernel.widgets import CompareView

CATALOGUE = Catalogue.load()


@pytest.mark.parametrize("alias", sorted(CATALOGUE.aliases))
def test_each_shipped_alias_points_at_a_priced_model(alias: str) -> None:
    target = CATALOGUE.aliases[alias]
    info = CATALOGUE.get(target)
    assert info is not None, f"{alias} -> {target}: not in the catalogue"
    assert info.input_price is not None and info.output_price is not None, (alias, target)
    assert info.source, (alias, target)  # where the figures came from
    assert CATALOGUE.cost(target, Usage(input_tokens=1000, output_tokens=1000)) is not None


def test_a_tiered_price_applies_above_its_threshold() -> None:
    # Haiku 5.5: $0.10/$0.50 per MTok up to 100,000 prompt tokens, $0.50/$2.50 above.
    haiku = CATALOGUE.aliases["claude-haiku"]
    assert CATALOGUE.cost(
        haiku, Usage(input_tokens=100_000, output_tokens=1_000_000)
    ) == pytest.approx(0.01 + 0.5)
    assert CATALOGUE.cost(haiku, Usage(input_tokens=100_001)) == pytest.approx(100_001 * 0.5 / 1e6)


def test_stand_ins_for_the_seed_names_show_an_estimate(tmp_path: Path) -> None:
    engine = OrchestrationEngine(offline="on", audit=tmp_path / "audit.sqlite")
    table = engine.compare_sync(["claude-3", "claude-haiku", "gpt-4", "gemini-pro"], "hi")
    view = CompareView(table)
    shown = "\n".join((view._text(), view._html(), table._repr_markdown_()))
    assert "unknown if real" not in shown
    assert shown.count("est. if real") >= 4
    frame = table.to_dataframe()
    assert frame["cost_if_real_usd"].notna().all()
