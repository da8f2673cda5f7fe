"""Routing strategies are one table per router: built-ins, added ones, unknown names."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError, OrchestrationError
from orchestration_kernel.routing import Deployment, Pool, Router, Strategy, StrategyRegistry
from orchestration_kernel.routing.clock import ManualClock
from orchestration_kernel.routing.pools import STRATEGIES


class LastFirst(Strategy):
    """The pool's members in reverse: simple enough to check by eye."""

    name = "last_first"
    why = "the last member first"

    def __init__(self) -> None:
        self.chosen_ids: list[str] = []

    def order(self, pool, rotated, view, input_tokens):
        return list(reversed(pool.deployments))

    def chosen(self, pool, deployment) -> None:
        self.chosen_ids.append(deployment.id)


def _pool(strategy: str) -> Pool:
    members = tuple(
        Deployment(id=f"p/{i}", provider="openai", model=m)
        for i, m in enumerate(["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"])
    )
    return Pool(name="p", deployments=members, strategy=strategy)


def test_the_builtins_are_in_every_new_registry() -> None:
    assert list(StrategyRegistry()) == list(STRATEGIES)


def test_an_unknown_strategy_names_the_known_ones() -> None:
    router = Router()
    with pytest.raises(ConfigurationError) as caught:
        router.add_pool(_pool("fastest"))
    message = str(caught.value)
    assert "'fastest'" in message and "pool 'p'" in message
    assert all(name in message for name in STRATEGIES)
    assert isinstance(caught.value, ValueError)  # except ValueError keeps working


def test_an_added_strategy_orders_and_is_told_of_each_choice() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    strategy = engine.add_strategy(LastFirst())
    engine.add_pool("p", [{"model": "gpt-4o-mini"}, {"model": "gpt-4o"}], strategy="last_first")
    reply = engine.complete_sync("p", "which one?")
    assert reply.resolved_model.endswith("gpt-4o")
    assert strategy.chosen_ids == ["p/1"]


def test_the_registry_belongs_to_one_engine() -> None:
    first = OrchestrationEngine(offline="on", audit=False)
    second = OrchestrationEngine(offline="on", audit=False)
    first.add_strategy(LastFirst())
    with pytest.raises(ConfigurationError, match="Unknown routing strategy 'last_first'"):
        second.add_pool("p", [{"model": "gpt-4o-mini"}], strategy="last_first")


def test_the_audit_reason_is_the_strategy_s() -> None:
    router = Router()
    router.strategies.add(LastFirst())
    router.add_pool(_pool("last_first"))
    deployment, decision = router.choose("p")
    assert deployment.id == "p/2"
    assert decision.strategy == "last_first" and decision.reasons["why"] == "the last member first"


def test_weighted_keeps_its_turns_in_its_own_state() -> None:
    router = Router()
    members = (
        Deployment(id="a", provider="openai", model="gpt-4o", weight=3),
        Deployment(id="b", provider="openai", model="gpt-4o-mini", weight=1),
    )
    router.add_pool(Pool(name="w", deployments=members, strategy="weighted"))
    picks = []
    for _ in range(8):
        dep, _ = router.choose("w")
        router.report(dep, ok=True, latency_ms=1.0)
        picks.append(dep.id)
    assert picks.count("a") == 6 and picks.count("b") == 2


def test_a_non_strategy_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not a routing strategy"):
        StrategyRegistry().add(object())  # type: ignore[arg-type]


def test_configuration_errors_are_value_errors_too() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ManualClock().advance(-1)
    assert isinstance(caught.value, OrchestrationError) and isinstance(caught.value, ValueError)
