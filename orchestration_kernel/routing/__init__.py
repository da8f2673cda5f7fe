"""Routing: model names, the catalogue, token estimates, pools, breakers, limits,
metrics and the router that ties them together.

Every piece is engine-independent and importable on its own; the engine holds one
:class:`Router` and calls ``choose`` / ``limiter.acquire`` / ``report`` per attempt.
"""

from __future__ import annotations

from .breaker import BreakerPolicy, CircuitBreaker, counts_against_deployment
from .catalogue import Catalogue, ModelInfo, PriceTier
from .clock import Clock, ManualClock, SystemClock
from .limits import Limiter, Permit
from .metrics import Metrics
from .names import BUILTIN_PROVIDERS, ModelRef, Resolution, Resolver
from .pools import Deployment, Pool, load_pools, pools_from_mapping
from .router import AUTO, RouteDecision, Router, task_needs
from .strategies import RouterView, Strategy, StrategyRegistry
from .tokens import estimate_request_tokens, estimate_tokens

__all__ = [
    "AUTO",
    "BUILTIN_PROVIDERS",
    "BreakerPolicy",
    "Catalogue",
    "CircuitBreaker",
    "Clock",
    "Deployment",
    "Limiter",
    "ManualClock",
    "Metrics",
    "ModelInfo",
    "ModelRef",
    "Permit",
    "Pool",
    "PriceTier",
    "Resolution",
    "Resolver",
    "RouteDecision",
    "Router",
    "RouterView",
    "Strategy",
    "StrategyRegistry",
    "SystemClock",
    "counts_against_deployment",
    "estimate_request_tokens",
    "estimate_tokens",
    "load_pools",
    "pools_from_mapping",
    "task_needs",
]
