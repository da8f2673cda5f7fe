"""Every result a notebook gets has ``cost_usd`` (session 10, explore). Before, a pipeline's
and a pipeline-over-rows' had it, while ``engine.compare()``'s table and a ``--compare
--over`` matrix met ``AttributeError: 'MatrixResult' object has no attribute 'cost_usd'``.
Real calls to the local OpenAI wire server, so prices are real catalogue prices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestration_kernel import OrchestrationEngine
from tests.servers import OpenAIServer


@pytest.fixture(scope="module")
def engine() -> Iterator[OrchestrationEngine]:
    with OpenAIServer() as srv:
        yield OrchestrationEngine(
            keys={"openai": "sk-test-" + "x" * 20},
            base_urls={"openai": srv.base_url},
            audit=False,
            retry=None,
        )


def test_a_comparison_and_a_matrix_say_what_they_cost(engine: OrchestrationEngine) -> None:
    table = engine.compare_sync(["gpt-4o", "gpt-4o-mini"], "hello there")
    each = [r.cost_usd for r in table.ok.values()]
    assert all(c is not None and c > 0 for c in each)
    assert table.cost_usd == pytest.approx(sum(each))  # type: ignore[arg-type]
    matrix = engine.matrix_sync(["gpt-4o", "gpt-4o-mini"], "say {item}", ["a", "bb", "ccc"])
    totals = [t["cost_usd"] for t in matrix.totals().values()]
    assert matrix.cost_usd is not None and matrix.cost_usd > table.cost_usd  # type: ignore[operator]
    assert matrix.cost_usd == pytest.approx(sum(totals))


def test_an_unknown_price_is_not_free(engine: OrchestrationEngine) -> None:
    table = engine.compare_sync(["gpt-4o", "openai:my-finetune-7"], "hello there")
    assert len(table.ok) == 2 and table.ok["openai:my-finetune-7"].cost_usd is None
    assert table.cost_usd is None
    matrix = engine.matrix_sync(["gpt-4o", "openai:my-finetune-7"], "say {item}", ["a"])
    assert matrix.cost_usd is None
