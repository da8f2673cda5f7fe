"""Wiring a team's shared state into an engine: limits and bus on one Redis.

The engine calls :func:`share_limits` when it is made and :func:`shared_bus` for its
``bus``; both do nothing unless ``redis=`` or ``ORCHESTRATION_REDIS_URL`` names a server
(see :mod:`.redis_link`).
"""

from __future__ import annotations

from typing import Any

from .redis_link import RedisSettings, settings_from

__all__ = ["share_limits", "shared_bus"]


def share_limits(value: Any, limiter: Any, runtime: Any) -> RedisSettings | None:
    """Make ``limiter`` share its limits on Redis when ``value``/the variable names one.

    Returns the settings (kept by the engine for its bus), or None: nothing changes.
    """
    settings = settings_from(value)
    if settings is None:
        return None
    from .routing.shared_limits import SharedLimits

    backend = SharedLimits(settings)
    limiter.share(backend)
    runtime.add_closer(backend.aclose)
    return settings


def shared_bus(settings: RedisSettings, session: Any) -> Any:
    """A ContextBus on the Redis store, closed with the session's runtime."""
    from .bus import ContextBus
    from .bus.redis_store import RedisStore

    store = RedisStore(settings)
    session.runtime.add_closer(store.close)
    return ContextBus(store, session=session)
