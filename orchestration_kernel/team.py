"""Wiring a team's shared state into an engine: limits and bus on one Redis.

The engine calls :func:`share_limits` when it is made and :func:`shared_bus` for its
``bus``; both do nothing unless ``redis=`` or ``ORCHESTRATION_REDIS_URL`` names a server
(see :mod:`.redis_link`).
"""

from __future__ import annotations

import os
from typing import Any

from .redis_link import ENV_VAR, RedisSettings, settings_from

__all__ = ["engine_bus", "share_limits", "shared_bus"]


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
    """A ContextBus on the Redis store, closed with the session's runtime. From
    ``ORCHESTRATION_REDIS_URL``: the session's default bus, the one ``ContextBus()`` gives."""
    from .bus import ContextBus
    from .bus.redis_store import RedisStore

    if settings.source == ENV_VAR:
        default = ContextBus(session=session)
        if getattr(default.store, "settings", None) == settings:
            return default
        # The default bus was made before the variable was set: this engine's own store.

    store = RedisStore(settings)
    session.runtime.add_closer(store.close)
    return ContextBus(store, session=session)


def engine_bus(settings: RedisSettings | None, session: Any) -> Any:
    """``engine.bus``: on Redis when the engine shares state, else the session's default
    bus — but on SQLite when ``redis=False`` turned off what the variable turns on."""
    from .bus import ContextBus

    if settings is not None:
        return shared_bus(settings, session)
    if os.environ.get(ENV_VAR):  # redis=False, with ORCHESTRATION_REDIS_URL set
        bus = ContextBus(session.home / "bus.sqlite", session=session)
        session.runtime.add_closer(bus.close)
        return bus
    return ContextBus(session=session)
