"""The step graph: who waits for whom, in what order, and whether there is a cycle.

By default each step depends on the one before it. ``depends_on`` replaces that with
explicit edges (``[]``: no dependency). A step also waits for every step its prompt,
system prompt or ``when:`` refers to, since it cannot read an output that does not exist.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["DAG", "CycleError", "build_dag"]


class CycleError(ValueError):
    """The steps depend on each other in a loop. ``cycle`` lists it, first name repeated."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        if len(cycle) == 2:
            msg = f"step {cycle[0]!r} depends on itself"
        else:
            msg = "the steps depend on each other in a cycle: " + " -> ".join(cycle)
        super().__init__(msg)


@dataclass(frozen=True)
class DAG:
    """Dependencies (``deps``) and dependents of every step, and a topological order."""

    order: tuple[str, ...]
    deps: Mapping[str, tuple[str, ...]]
    dependents: Mapping[str, tuple[str, ...]]

    # The graph never changes once built: what every run asks of it is worked out once.
    @functools.cached_property
    def roots(self) -> tuple[str, ...]:
        """The steps that wait for nothing, in spec order."""
        return tuple(n for n in self.order if not self.deps[n])

    @functools.cached_property
    def waits(self) -> Mapping[str, int]:
        """How many distinct steps each step waits for (a run counts them down)."""
        return {n: len(set(d)) for n, d in self.deps.items()}

    def levels(self) -> list[list[str]]:
        """Steps grouped by depth: each level can run once the levels before it are done."""
        return [list(level) for level in self._levels]

    @functools.cached_property
    def _levels(self) -> tuple[tuple[str, ...], ...]:
        depth: dict[str, int] = {}
        for name in self.order:
            depth[name] = 1 + max((depth[d] for d in self.deps[name]), default=-1)
        out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for name in self.order:
            out[depth[name]].append(name)
        return tuple(tuple(level) for level in out)

    def ancestors(self, name: str) -> set[str]:
        """Every step ``name`` waits for, directly or not."""
        seen: set[str] = set()
        stack = list(self.deps[name])
        while stack:
            dep = stack.pop()
            if dep not in seen:
                seen.add(dep)
                stack.extend(self.deps[dep])
        return seen


def _find_cycle(names: list[str], deps: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle as a path with its first name repeated at the end, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in deps[node]:
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[node] = 2
        return None

    for name in names:
        if name not in state and (found := visit(name)):
            # Report it in data-flow order, from the member that comes first in the spec.
            loop = found[:-1][::-1]
            start = min(range(len(loop)), key=lambda i: names.index(loop[i]))
            loop = loop[start:] + loop[:start]
            return [*loop, loop[0]]
    return None


def build_dag(
    names: list[str],
    explicit: Mapping[str, list[str] | None],
    references: Mapping[str, Iterable[str]] | None = None,
) -> DAG:
    """Build the graph. ``explicit[name]`` is the step's ``depends_on`` (``None``: the step
    before); ``references[name]`` the step names it reads. Raises :class:`CycleError`.
    Unknown names must already have been rejected by the caller."""
    references = references or {}
    deps: dict[str, tuple[str, ...]] = {}
    for i, name in enumerate(names):
        given = explicit.get(name)
        edges = list(given) if given is not None else ([names[i - 1]] if i else [])
        edges += [r for r in references.get(name, ()) if r not in edges]
        deps[name] = tuple(edges)
    cycle = _find_cycle(names, deps)
    if cycle:
        raise CycleError(cycle)
    order = _topological(names, deps)
    dependents: dict[str, list[str]] = {n: [] for n in names}
    for name in order:
        for dep in deps[name]:
            dependents[dep].append(name)
    return DAG(tuple(order), deps, {k: tuple(v) for k, v in dependents.items()})


def _topological(names: list[str], deps: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Kahn's algorithm, keeping spec order among ready steps (deterministic)."""
    remaining = {n: len(set(deps[n])) for n in names}
    waiting: dict[str, list[str]] = {n: [] for n in names}
    for n in names:
        for d in set(deps[n]):
            waiting[d].append(n)
    ready = [(i, n) for i, n in enumerate(names) if remaining[n] == 0]
    position = {n: i for i, n in enumerate(names)}
    order: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for nxt in waiting[node]:
            remaining[nxt] -= 1
            if remaining[nxt] == 0:
                heapq.heappush(ready, (position[nxt], nxt))
    return order
