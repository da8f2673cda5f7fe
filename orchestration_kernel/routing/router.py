"""The router: which deployment serves a name, in which order, and why.

It ties the pieces together: names resolve through the :class:`Resolver`, pools order
their deployments by strategy, breakers take failing deployments out for a cooldown,
the :class:`Limiter` queues calls over a limit, and :class:`Metrics` keep the numbers
that ``least_latency`` and ``auto`` read. Each decision carries a JSON-able
``reasons`` dict for the audit's ``detail``.

The engine's side of the contract::

    deployment, decision = router.choose(name, input_tokens=n, needs={"json"})
    async with router.limiter.acquire(deployment, tokens=n) as permit:
        ...call...
    router.report(deployment, ok=True, latency_ms=..., usage=...)   # exactly once per choose

``plan(name)`` gives the whole failover order without taking anything.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from ..errors import ConfigurationError, RunCancelled
from ..models import Usage
from ..near_names import did_you_mean
from .breaker import BreakerPolicy, BreakerState, CircuitBreaker
from .catalogue import Catalogue, ModelInfo
from .clock import Clock, SystemClock
from .config import read_config_file, section
from .limits import Limiter
from .metrics import Metrics
from .names import ModelRef, Resolver
from .pools import Deployment, Pool, pools_from_mapping
from .strategies import StrategyRegistry

__all__ = ["AUTO", "TASK_NEEDS", "RouteDecision", "Router", "task_needs"]

#: The model name that asks the router to pick.
AUTO = "auto"
#: A routing config's sections, in the order they apply.
_SECTIONS = ("providers", "models", "aliases", "pools")

#: Words in a step's ``task`` and the capabilities they require of an ``auto`` model.
TASK_NEEDS: dict[str, frozenset[str]] = {
    "search": frozenset({"search"}),
    "research": frozenset({"search"}),
    "web": frozenset({"search"}),
    "news": frozenset({"search"}),
    "citations": frozenset({"search", "citations"}),
    "cite": frozenset({"search", "citations"}),
    "json": frozenset({"json"}),
    "extract": frozenset({"json"}),
    "extraction": frozenset({"json"}),
    "reasoning": frozenset({"reasoning"}),
    "math": frozenset({"reasoning"}),
    "proof": frozenset({"reasoning"}),
    "vision": frozenset({"vision"}),
    "image": frozenset({"vision"}),
}

_DEFAULT_INPUT_TOKENS = 1000
_UNHEALTHY_ERROR_RATE = 0.5
_UNHEALTHY_MIN_CALLS = 3


def task_needs(task: str | None) -> frozenset[str]:
    """Capabilities a free-text ``task`` implies (``"web research"`` -> ``{"search"}``)."""
    if not task:
        return frozenset()
    words = re.findall(r"[a-z]+", task.lower())
    return frozenset().union(*(TASK_NEEDS.get(w, frozenset()) for w in words))


class _AutoEntry(TypedDict):
    """A catalogue model ``model: auto`` may pick; ``rank`` orders them (lowest first)."""

    id: str
    est_cost_usd: float | None
    context_window: int | None
    unhealthy: bool
    latency_p50_ms: float | None
    rank: tuple[bool, bool, float, float, str]


@dataclass(frozen=True)
class RouteDecision:
    """What was chosen for a name, and the grounds, ready for the audit's ``detail``."""

    requested: str
    deployment_id: str
    model: str
    strategy: str
    reasons: dict[str, object] = field(default_factory=dict)

    def as_detail(self) -> dict[str, object]:
        """The JSON-able record for an audit ``route`` event."""
        return {
            "requested": self.requested,
            "deployment": self.deployment_id,
            "model": self.model,
            "strategy": self.strategy,
            **self.reasons,
        }


class Router:
    """Routes names to deployments. Use it from one event loop (the runtime's)."""

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        resolver: Resolver | None = None,
        *,
        clock: Clock | None = None,
        breaker_policy: BreakerPolicy | None = None,
        metrics: Metrics | None = None,
        limiter: Limiter | None = None,
        expected_output_tokens: int = 1024,
        strategies: StrategyRegistry | None = None,
    ) -> None:
        self.catalogue = catalogue if catalogue is not None else Catalogue.load()
        self.resolver = resolver if resolver is not None else Resolver(self.catalogue)
        self.clock = clock or SystemClock()
        self.breaker_policy = breaker_policy or BreakerPolicy()
        self.metrics = metrics if metrics is not None else Metrics()
        self.limiter = limiter if limiter is not None else Limiter(self.clock)
        #: Output tokens assumed for cost and context fit when a call sets no max.
        self.expected_output_tokens = expected_output_tokens
        self._pools: dict[str, Pool] = {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self._assigned: dict[str, int] = {}
        self._turn: dict[str, int] = {}
        #: The routing strategies pools may name: the built-ins plus any added.
        self.strategies = strategies if strategies is not None else StrategyRegistry()
        self._implicit: dict[str, Deployment] = {}

    # -- configuration -------------------------------------------------------------

    @property
    def pools(self) -> dict[str, Pool]:
        """Registered pools by name (a copy)."""
        return dict(self._pools)

    def add_pool(self, pool: Pool) -> Pool:
        """Register (or replace) a pool. Its name must not be ``auto`` or a provider prefix."""
        if pool.name.lower() == AUTO or ":" in pool.name:
            raise ConfigurationError(
                f"Pool name {pool.name!r} is reserved or contains ':'; choose a plain name "
                "such as 'fast'."
            )
        self.strategies.get_strategy(pool.strategy, pool=pool.name)  # unknown: say so now
        self._pools[pool.name] = pool
        self._turn[pool.name] = 0
        return pool

    def load_config(self, source: str | Path | Mapping[str, object]) -> list[Pool]:
        """Apply a routing config (file or mapping): ``providers``, ``models``, ``aliases``,
        ``pools`` sections, in that order. Returns the pools added."""
        raw = source if isinstance(source, Mapping) else read_config_file(source)
        unknown = set(raw) - set(_SECTIONS)
        if unknown:
            hints = "".join(did_you_mean(name, _SECTIONS) for name in sorted(unknown))
            raise ConfigurationError(
                f"Unknown routing config section(s): {', '.join(sorted(unknown))}.{hints} "
                "Expected providers, models, aliases, pools."
            )
        providers = raw.get("providers") or ()
        if not isinstance(providers, Iterable):
            raise ConfigurationError("Routing config 'providers' must be a list of names.")
        for name in providers:
            self.resolver.add_provider(str(name))
        for model_id, fields in section(raw, "models").items():
            current = self.catalogue.get(model_id)
            base = current.model_dump(exclude={"id"}) if current else {}
            more = section({model_id: fields}, model_id, "models")
            self.catalogue.add({**base, **more}, model_id)
        for alias, target in section(raw, "aliases").items():
            if not isinstance(target, str):
                raise ConfigurationError(
                    f"Routing config alias {alias!r} must name a model (a string), "
                    f"not {type(target).__name__}."
                )
            self.resolver.add_alias(alias, target)
        pools = pools_from_mapping({"pools": raw.get("pools") or {}}, self.resolver.resolve)
        return [self.add_pool(p) for p in pools]

    def is_pool(self, name: str) -> bool:
        """True when ``name`` is a registered pool."""
        return name in self._pools

    def resolve(self, name: str) -> ModelRef:
        """A model name's reference; pool names count among the suggestions on a typo."""
        return self.resolver.resolve(name, also_known=[*self._pools, AUTO])

    def deployment_for(self, ref: ModelRef | str) -> Deployment:
        """The implicit deployment of a plain model (id ``provider:model``)."""
        key = str(ref)
        dep = self._implicit.get(key)
        if dep is None:
            ref = ref if isinstance(ref, ModelRef) else ModelRef.parse(key)
            dep = self._implicit[key] = Deployment(id=key, provider=ref.provider, model=ref.model)
        return dep

    # -- state ---------------------------------------------------------------------

    def breaker(self, deployment: Deployment | str) -> CircuitBreaker:
        """The circuit breaker of a deployment (made on first use)."""
        key = _key(deployment)
        found = self._breakers.get(key)
        if found is None:
            found = self._breakers[key] = CircuitBreaker(self.breaker_policy, self.clock)
        return found

    def breaker_state(self, deployment: Deployment | str) -> BreakerState:
        """``closed``, ``open`` or ``half_open``."""
        return self.breaker(deployment).state

    def in_flight(self, deployment: Deployment | str) -> int:
        """Calls chosen for this deployment and not yet reported (queued ones included)."""
        return self._assigned.get(_key(deployment), 0)

    # -- ordering ------------------------------------------------------------------

    def plan(
        self, name: str, *, input_tokens: int | None = None, needs: Iterable[str] = ()
    ) -> list[Deployment]:
        """The deployments for ``name`` in the order they would be tried (no state taken).

        A pool gives its members ordered by strategy without open breakers; when every
        member is cooling down, only the one soonest to half-open. A model gives its
        one implicit deployment.
        """
        if name not in self._pools:
            return [self.deployment_for(self.resolve(name))]
        ordered = self._candidates(self._pools[name], input_tokens, set(needs))[0]
        usable = [d for d in ordered if self.breaker(d).available()]
        return usable or [self._soonest(ordered)]

    def _soonest(self, deployments: list[Deployment]) -> Deployment:
        return min(deployments, key=lambda d: self.breaker(d).seconds_until_half_open())

    def _candidates(
        self, pool: Pool, input_tokens: int | None, needs: set[str]
    ) -> tuple[list[Deployment], dict[str, object]]:
        """Members in strategy order, the ones that fit ``needs``/context first."""
        ordered = self._order(pool, input_tokens)
        fitting = [d for d in ordered if not self._misfit(d, input_tokens, needs)]
        notes: dict[str, object] = {}
        if len(fitting) < len(ordered):
            notes["misfits"] = {
                d.id: self._misfit(d, input_tokens, needs) for d in ordered if d not in fitting
            }
        if not fitting:
            notes["unmet"] = "no member fits; trying all in strategy order"
            return ordered, notes
        return fitting + [d for d in ordered if d not in fitting], notes

    def _misfit(
        self,
        dep: Deployment,
        input_tokens: int | None,
        needs: set[str],
        ref: ModelRef | None = None,
    ) -> str | None:
        """Why ``dep`` cannot serve this call, judged from the catalogue (None: it can).
        ``ref``: ``dep.ref`` when the caller has it already (each access builds one)."""
        info = self.catalogue.get(ref or dep.ref)
        if info is None:
            return None  # unknown model: nothing to judge by
        missing = needs - info.capabilities
        if missing:
            return f"lacks {', '.join(sorted(missing))}"
        return _context_misfit(info, input_tokens or 0, self.expected_output_tokens)

    def _order(self, pool: Pool, input_tokens: int | None) -> list[Deployment]:
        members = list(pool.deployments)
        start = self._turn.get(pool.name, 0) % len(members)
        rotated = members[start:] + members[:start]
        strategy = self.strategies.get_strategy(pool.strategy, pool=pool.name)
        return strategy.order(pool, rotated, self, input_tokens)

    def _advance(self, pool: Pool, chosen: Deployment) -> None:
        """Move the pool's turn on after a choice, and tell its strategy."""
        self._turn[pool.name] = self._turn.get(pool.name, 0) + 1
        self.strategies.get_strategy(pool.strategy, pool=pool.name).chosen(pool, chosen)

    def median_latency(self, deployment: Deployment) -> float | None:
        """The deployment's recent median latency in ms (None: not measured yet)."""
        series = self.metrics.deployment(deployment.id)
        return series.latency(50) if series else None

    def estimated_cost(self, deployment: Deployment, input_tokens: int) -> float | None:
        """The catalogue's cost estimate for a call of ``input_tokens`` (None: unknown)."""
        return self._estimate(deployment.ref, input_tokens)

    def _estimate(self, ref: ModelRef, input_tokens: int) -> float | None:
        info = self.catalogue.get(ref)
        if info is None:
            return None
        return info.estimate_cost(input_tokens, self._expected_output(info))

    def _expected_output(self, info: ModelInfo | None) -> int:
        cap = info.max_output_tokens if info and info.max_output_tokens else None
        return min(self.expected_output_tokens, cap) if cap else self.expected_output_tokens

    # -- choosing ------------------------------------------------------------------

    def choose(
        self, name: str, *, input_tokens: int | None = None, needs: Iterable[str] = ()
    ) -> tuple[Deployment, RouteDecision]:
        """Take the deployment that serves the next call of ``name``, with the grounds.

        Pair every ``choose`` with one :meth:`report`: that releases the in-flight count
        and, in half-open, the breaker's single probe.
        """
        needs = set(needs)
        if name not in self._pools:
            return self._choose_model(name, input_tokens, needs)
        pool = self._pools[name]
        ordered, notes = self._candidates(pool, input_tokens, needs)
        chosen = next((d for d in ordered if self.breaker(d).acquire()), None)
        why = self.strategies.get_strategy(pool.strategy, pool=pool.name).why
        if chosen is None:
            chosen = self._soonest(ordered)
            why = "every member is cooling down; this one reaches half-open soonest"
        self._advance(pool, chosen)
        self._assigned[chosen.id] = self.in_flight(chosen) + 1
        reasons: dict[str, object] = {
            "pool": pool.name,
            "why": why,
            "needs": sorted(needs),
            "input_tokens": input_tokens,
            "candidates": [self._describe(d, input_tokens) for d in ordered],
            **notes,
        }
        decision = RouteDecision(name, chosen.id, str(chosen.ref), pool.strategy, reasons)
        return chosen, decision

    def _choose_model(
        self, name: str, input_tokens: int | None, needs: set[str]
    ) -> tuple[Deployment, RouteDecision]:
        how = self.resolver.explain(name, also_known=[*self._pools, AUTO])
        dep = self.deployment_for(how.ref)
        self.breaker(dep).acquire()
        self._assigned[dep.id] = self.in_flight(dep) + 1
        ref = dep.ref  # on every call's path: made once, not once per use below
        reasons: dict[str, object] = {
            "why": "a single model: its own deployment",
            "resolution": how.as_dict(),
            "needs": sorted(needs),
            "misfit": self._misfit(dep, input_tokens, needs, ref),
            "candidates": [self._describe(dep, input_tokens, ref)],
        }
        return dep, RouteDecision(name, dep.id, str(ref), "single", reasons)

    def _describe(
        self, dep: Deployment, input_tokens: int | None, ref: ModelRef | None = None
    ) -> dict[str, object]:
        ref = ref or dep.ref
        series = self.metrics.deployment(dep.id)
        breaker = self.breaker(dep)
        tokens = input_tokens if input_tokens is not None else _DEFAULT_INPUT_TOKENS
        return {
            "id": dep.id,
            "model": str(ref),
            "weight": dep.weight,
            "breaker": breaker.state,
            "in_flight": self.in_flight(dep),
            "latency_p50_ms": series.latency(50) if series else None,
            "recent_error_rate": series.recent_error_rate if series else None,
            "est_cost_usd": _round(self._estimate(ref, tokens)),
        }

    def choose_auto(
        self,
        *,
        input_tokens: int,
        needs: Iterable[str] = (),
        task: str | None = None,
        available_providers: Iterable[str],
        expected_output_tokens: int | None = None,
    ) -> tuple[ModelRef, RouteDecision]:
        """Pick a catalogue model for ``model: auto``.

        Keeps models of ``available_providers`` that are current, have every needed
        capability (``needs`` plus what ``task`` implies), fit the context (input plus
        expected output within the window) and are not cooling down; then takes the
        cheapest estimated call, healthy ones before ones failing lately, faster first
        on a tie. Raises :class:`ConfigurationError` when nothing qualifies.
        """
        required = set(needs) | task_needs(task)
        providers = {p.lower() for p in available_providers}
        out_tokens = expected_output_tokens or self.expected_output_tokens
        kept, rejected = self._auto_candidates(required, providers, input_tokens, out_tokens)
        cooling = rejected.get("cooling down", [])
        if not kept and not cooling:
            raise ConfigurationError(_no_auto_model(required, providers, input_tokens, rejected))
        ranked = sorted(kept, key=lambda c: c["rank"])
        if ranked:
            chosen, why = ranked[0]["id"], _auto_why(ranked)
        else:
            chosen = min(cooling, key=lambda i: self.breaker(i).seconds_until_half_open())
            why = "every fitting model is cooling down; this one reaches half-open soonest"
        ref = ModelRef.parse(chosen)
        reasons: dict[str, object] = {
            "why": why,
            "task": task,
            "needs": sorted(required),
            "input_tokens": input_tokens,
            "expected_output_tokens": out_tokens,
            "available_providers": sorted(providers),
            "candidates": [{k: v for k, v in c.items() if k != "rank"} for c in ranked[:8]],
            "rejected": {k: sorted(v) for k, v in rejected.items()},
        }
        return ref, RouteDecision(AUTO, chosen, chosen, AUTO, reasons)

    def _auto_candidates(
        self, required: set[str], providers: set[str], input_tokens: int, out_tokens: int
    ) -> tuple[list[_AutoEntry], dict[str, list[str]]]:
        kept: list[_AutoEntry] = []
        rejected: dict[str, list[str]] = {}
        for info in self.catalogue:
            ref_id = info.id.replace(":*", ":auto")
            reason = self._auto_reject(info, ref_id, required, providers, input_tokens, out_tokens)
            if reason:
                rejected.setdefault(reason, []).append(ref_id)
                continue
            kept.append(self._auto_entry(info, ref_id, input_tokens, out_tokens))
        rejected.pop("provider not available", None)  # noise: not worth an audit row
        return kept, rejected

    def _auto_reject(
        self,
        info: ModelInfo,
        ref_id: str,
        required: set[str],
        providers: set[str],
        input_tokens: int,
        out_tokens: int,
    ) -> str | None:
        if info.provider not in providers:
            return "provider not available"
        if info.deprecated:
            return "deprecated"
        if required - info.capabilities:
            return "lacks " + ", ".join(sorted(required - info.capabilities))
        misfit = _context_misfit(info, input_tokens, out_tokens)
        if misfit:
            return "context: " + misfit.split(":")[0]
        if not self.breaker(ref_id).available():
            return "cooling down"
        return None

    def _auto_entry(
        self, info: ModelInfo, ref_id: str, input_tokens: int, out_tokens: int
    ) -> _AutoEntry:
        cost = info.estimate_cost(
            input_tokens, min(out_tokens, info.max_output_tokens or out_tokens)
        )
        series = self.metrics.deployment(ref_id) or self.metrics.model(ref_id)
        unhealthy = bool(
            series
            and series.calls >= _UNHEALTHY_MIN_CALLS
            and (series.recent_error_rate or 0.0) > _UNHEALTHY_ERROR_RATE
        )
        p50 = series.latency(50) if series else None
        rank = (unhealthy, cost is None, cost or 0.0, p50 if p50 is not None else 0.0, ref_id)
        return {
            "id": ref_id,
            "est_cost_usd": _round(cost),
            "context_window": info.context_window,
            "unhealthy": unhealthy,
            "latency_p50_ms": p50,
            "rank": rank,
        }

    # -- outcomes ------------------------------------------------------------------

    def report(
        self,
        deployment: Deployment | str,
        *,
        ok: bool,
        latency_ms: float | None = None,
        ttft_ms: float | None = None,
        usage: Usage | None = None,
        cost_usd: float | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Record how a chosen call ended: breaker, metrics and in-flight count.

        A cancelled call (``asyncio.CancelledError``, :class:`RunCancelled`) only frees
        its slot. ``cost_usd`` is computed from the catalogue when not given.
        """
        dep = self._lookup(deployment)
        self._assigned[dep.id] = max(0, self.in_flight(dep) - 1)
        breaker = self.breaker(dep)
        if isinstance(error, asyncio.CancelledError | RunCancelled):
            breaker.release()
            return
        if ok:
            breaker.record_success()
        else:
            breaker.record_failure(error)
        ref = dep.ref
        if cost_usd is None and ok and usage is not None:
            cost_usd = self.catalogue.cost(ref, usage)
        self.metrics.observe(
            model=str(ref),
            deployment=dep.id,
            ok=ok,
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            usage=usage,
            cost_usd=cost_usd,
            error_type=type(error).__name__ if error is not None else None,
        )

    def _lookup(self, deployment: Deployment | str) -> Deployment:
        if isinstance(deployment, Deployment):
            return deployment
        for pool in self._pools.values():
            found = pool.get(deployment)
            if found is not None:
                return found
        if deployment in self._implicit:
            return self._implicit[deployment]
        raise ConfigurationError(f"No deployment with id {deployment!r} has been chosen.")

    def snapshot(self) -> dict[str, object]:
        """Monitoring numbers plus breaker and limiter state, JSON-able."""
        return {
            **self.metrics.snapshot(),
            "breakers": {k: b.snapshot() for k, b in self._breakers.items()},
            "limits": self.limiter.snapshot(),
            "in_flight": {k: v for k, v in self._assigned.items() if v},
        }

    def __repr__(self) -> str:
        return f"Router(pools={sorted(self._pools)}, catalogue={self.catalogue!r})"


def _key(deployment: Deployment | str) -> str:
    return deployment if isinstance(deployment, str) else deployment.id


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 8)


def _context_misfit(info: ModelInfo, input_tokens: int, out_tokens: int) -> str | None:
    """Why a call of this size does not fit ``info``'s window (None when it fits)."""
    window = info.context_window
    out = min(out_tokens, info.max_output_tokens) if info.max_output_tokens else out_tokens
    if window is not None and input_tokens + out > window:
        return f"too small: {input_tokens} + {out} tokens > window {window}"
    return None


def _auto_why(ranked: list[_AutoEntry]) -> str:
    best = ranked[0]
    if best["unhealthy"]:
        return "every fitting model has failed lately; the cheapest of them"
    if best["est_cost_usd"] is None:
        return "no fitting model has a known price; first by name"
    others = len(ranked) - 1
    return f"cheapest estimated call among {others + 1} fitting, healthy models"


def _no_auto_model(
    required: set[str], providers: set[str], input_tokens: int, rejected: dict[str, list[str]]
) -> str:
    grounds = "; ".join(f"{why}: {len(ids)}" for why, ids in sorted(rejected.items()))
    return (
        f"model: auto found no catalogue model for providers {sorted(providers) or '[]'} "
        f"with capabilities {sorted(required) or '[]'} and {input_tokens} input tokens "
        f"({grounds or 'no candidates'}). Name a model, drop a requirement, or configure a "
        "provider key."
    )
