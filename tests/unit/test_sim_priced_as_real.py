"""The simulator named after a real model (``sim:gpt-4o``) estimates what that model would
charge; a simulator name that names no priced model shows "unknown if real", never the
simulator's own $0 as if it were a price."""

from __future__ import annotations

import math
import re

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.models import Usage
from orchestration_kernel.routing.catalogue import Catalogue
from orchestration_kernel.routing.names import Resolver


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.mark.parametrize(
    ("name", "real"),
    [
        ("sim:gpt-4o", "openai:gpt-4o"),  # the model's own name
        ("sim:gpt-4", "openai:gpt-4"),  # a catalogued model of that name, as gpt-4 runs
        ("sim:claude-3", "anthropic:claude-sonnet-4-6"),  # a shipped alias
        ("sim:openai:gpt-4o-mini", "openai:gpt-4o-mini"),  # a full id
        ("openai:gpt-4o", "openai:gpt-4o"),  # a real model is priced as itself
    ],
)
def test_a_simulator_name_is_priced_as_the_real_model_it_names(
    catalogue: Catalogue, name: str, real: str
) -> None:
    usage = Usage(input_tokens=1_000, output_tokens=500)
    assert catalogue.priced_as(name) == real
    assert catalogue.cost_if_real(name, usage) == catalogue.cost(real, usage)
    assert catalogue.cost_if_real(name, usage) > 0


@pytest.mark.parametrize("name", ["sim:echo", "sim:claude-3-5-sonnet", "sim:sim:gpt-4o", "nope:x"])
def test_a_simulator_name_without_a_priced_model_is_unknown_not_free(
    catalogue: Catalogue, name: str
) -> None:
    assert catalogue.priced_as(name) is None
    assert catalogue.cost_if_real(name, Usage(input_tokens=10, output_tokens=10)) is None


def test_compare_on_simulators_shows_the_real_price_or_unknown(tmp_path) -> None:
    engine = OrchestrationEngine(offline="on", guardian=False, audit=tmp_path / "audit.sqlite")
    try:
        table = engine.compare_sync(["sim:gpt-4o", "sim:claude-3-5-sonnet"], "Say hi in a line")
    finally:
        engine.close()
    frame = table.to_dataframe().set_index("model")
    assert frame.loc["sim:gpt-4o", "cost_usd"] == 0.0  # what was spent
    assert frame.loc["sim:gpt-4o", "cost_if_real_usd"] > 0
    assert "openai:gpt-4o's price" in frame.loc["sim:gpt-4o", "cost_note"]
    assert math.isnan(frame.loc["sim:claude-3-5-sonnet", "cost_if_real_usd"])
    text = table._repr_markdown_()
    assert "unknown if real" in text
    assert not re.search(r"\$0\.00(?!\d) est\. if real", text), text


@pytest.mark.parametrize("bare", ["gpt-4", "gpt-4o", "claude-3", "gemini-pro", "gpt-4o-mini"])
def test_a_simulator_name_is_priced_as_the_engine_runs_that_bare_name(
    catalogue: Catalogue, bare: str
) -> None:
    runs = Resolver(catalogue).resolve(bare)
    assert catalogue.priced_as(f"sim:{bare}") == str(runs)
