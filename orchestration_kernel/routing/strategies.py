"""Routing strategies: how a pool orders its members for the next call — one table.

A strategy is an object with a ``name``, a ``why`` (the reason the audit gives for a
choice) and an ``order`` method; :class:`Strategy` is the base with a no-op ``chosen``
hook for strategies that keep state between choices (``weighted`` does). Each
:class:`~.router.Router` holds a :class:`StrategyRegistry` of its own, filled with the
built-ins; add one with ``engine.add_strategy(MyStrategy())`` (or
``router.strategies.add(...)``) and name it in a pool's ``strategy``. A pool naming an
unknown strategy is a :class:`ConfigurationError` listing the known ones.

Adding one (docs/ARCHITECTURE.md has the whole example)::

    class Cheapest(Strategy):
        name = "cheapest_first"
        why = "lowest catalogue price"

        def order(self, pool, rotated, view, input_tokens):
            return sorted(rotated, key=lambda d: view.estimated_cost(d, input_tokens or 1000) or 0)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Protocol

from ..errors import ConfigurationError
from .pools import Deployment, Pool

__all__ = [
    "BUILTIN_STRATEGIES",
    "LeastBusy",
    "LeastCost",
    "LeastLatency",
    "RoundRobin",
    "RouterView",
    "Strategy",
    "StrategyRegistry",
    "Weighted",
]

#: Input tokens assumed for cost when a call does not say.
_DEFAULT_INPUT_TOKENS = 1000


class RouterView(Protocol):
    """What a strategy may read of the router: live counts, measured latency, prices."""

    def in_flight(self, deployment: Deployment | str) -> int: ...

    def median_latency(self, deployment: Deployment) -> float | None: ...

    def estimated_cost(self, deployment: Deployment, input_tokens: int) -> float | None: ...


class Strategy:
    """Base of routing strategies. Subclasses set ``name`` and ``why`` and implement
    :meth:`order`; one instance serves one router, so it may keep state per pool."""

    name: str = ""
    #: Why a member this strategy put first was chosen (the audit's ``route`` reason).
    why: str = ""

    def order(
        self,
        pool: Pool,
        rotated: list[Deployment],
        view: RouterView,
        input_tokens: int | None,
    ) -> list[Deployment]:
        """``pool``'s members, best first. ``rotated``: the members starting at the
        pool's turn (it moves on one per choice), for strategies that take turns."""
        raise NotImplementedError

    def chosen(self, pool: Pool, deployment: Deployment) -> None:
        """Called after each choice in ``pool`` (for strategies that keep state)."""


class RoundRobin(Strategy):
    """Each member in turn."""

    name = "round_robin"
    why = "next in turn"

    def order(
        self, pool: Pool, rotated: list[Deployment], view: RouterView, input_tokens: int | None
    ) -> list[Deployment]:
        return rotated


class Weighted(Strategy):
    """Smooth weighted round-robin (as nginx): the next pick first, then by weight."""

    name = "weighted"
    why = "smooth weighted round-robin: its turn by weight"

    def __init__(self) -> None:
        self._current: dict[str, dict[str, float]] = {}

    def _scores(self, pool: Pool) -> dict[str, float]:
        current = self._current.get(pool.name)
        if current is None or set(current) != {d.id for d in pool.deployments}:
            current = self._current[pool.name] = {d.id: 0.0 for d in pool.deployments}
        return current

    def order(
        self, pool: Pool, rotated: list[Deployment], view: RouterView, input_tokens: int | None
    ) -> list[Deployment]:
        current = self._scores(pool)
        scores = {d.id: current[d.id] + d.weight for d in pool.deployments}
        first = max(pool.deployments, key=lambda d: scores[d.id])
        rest = sorted((d for d in pool.deployments if d is not first), key=lambda d: -d.weight)
        return [first, *rest]

    def chosen(self, pool: Pool, deployment: Deployment) -> None:
        current = self._scores(pool)
        for d in pool.deployments:
            current[d.id] += d.weight
        current[deployment.id] -= sum(d.weight for d in pool.deployments)


class LeastLatency(Strategy):
    """Lowest recent median latency first; members never measured come first."""

    name = "least_latency"
    why = "lowest recent median latency (unmeasured members first)"

    def order(
        self, pool: Pool, rotated: list[Deployment], view: RouterView, input_tokens: int | None
    ) -> list[Deployment]:
        def key(dep: Deployment) -> tuple[int, float]:
            p50 = view.median_latency(dep)
            return (0, 0.0) if p50 is None else (1, p50)  # unmeasured first: measure it

        return sorted(pool.deployments, key=key)


class LeastCost(Strategy):
    """Lowest estimated cost from the catalogue first; unknown prices last."""

    name = "least_cost"
    why = "lowest estimated cost from the catalogue (unknown prices last)"

    def order(
        self, pool: Pool, rotated: list[Deployment], view: RouterView, input_tokens: int | None
    ) -> list[Deployment]:
        tokens = input_tokens if input_tokens is not None else _DEFAULT_INPUT_TOKENS

        def key(dep: Deployment) -> tuple[int, float]:
            cost = view.estimated_cost(dep, tokens)
            return (1, 0.0) if cost is None else (0, cost)

        return sorted(pool.deployments, key=key)


class LeastBusy(Strategy):
    """Fewest calls in flight first; ties take turns."""

    name = "least_busy"
    why = "fewest calls in flight"

    def order(
        self, pool: Pool, rotated: list[Deployment], view: RouterView, input_tokens: int | None
    ) -> list[Deployment]:
        return sorted(rotated, key=view.in_flight)


#: The built-in strategies, in the order the docs list them.
BUILTIN_STRATEGIES: tuple[type[Strategy], ...] = (
    RoundRobin,
    Weighted,
    LeastLatency,
    LeastCost,
    LeastBusy,
)


class StrategyRegistry(Mapping[str, Strategy]):
    """The strategies one router knows, by name: the built-ins plus any added."""

    def __init__(self, strategies: Iterable[Strategy] | None = None) -> None:
        self._by_name: dict[str, Strategy] = {}
        for strategy in (
            strategies if strategies is not None else (cls() for cls in BUILTIN_STRATEGIES)
        ):
            self.add(strategy)

    def add(self, strategy: Strategy) -> Strategy:
        """Add (or replace) a strategy under its ``name``."""
        name = getattr(strategy, "name", "")
        if (
            not isinstance(name, str)
            or not name.strip()
            or not callable(getattr(strategy, "order", None))
        ):
            raise ConfigurationError(
                f"{strategy!r} is not a routing strategy: it needs a non-empty 'name' and an "
                "'order(pool, rotated, view, input_tokens)' method (subclass "
                "orchestration_kernel.routing.Strategy)"
            )
        self._by_name[name] = strategy
        return strategy

    def get_strategy(self, name: str, *, pool: str | None = None) -> Strategy:
        """The strategy called ``name``; a :class:`ConfigurationError` listing the known
        ones when there is none (``pool`` names the pool that asked, for the message)."""
        strategy = self._by_name.get(name)
        if strategy is None:
            where = f" (pool {pool!r})" if pool else ""
            raise ConfigurationError(
                f"Unknown routing strategy {name!r}{where}. Known strategies: "
                f"{', '.join(self._by_name)}. Add one with engine.add_strategy(...)."
            )
        return strategy

    def __getitem__(self, name: str) -> Strategy:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def as_mapping(self) -> Mapping[str, Strategy]:
        """A read-only view of the table."""
        return MappingProxyType(self._by_name)

    def __repr__(self) -> str:
        return f"StrategyRegistry({', '.join(self._by_name)})"
