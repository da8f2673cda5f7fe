"""Where the team's shared state lives: one Redis server, named by a URL.

``OrchestrationEngine(redis="redis://host:6379/0")`` (or ``ORCHESTRATION_REDIS_URL``)
makes every kernel on that server share its rate limits
(:mod:`.routing.shared_limits`) and its bus (:mod:`.bus.redis_store`). Without a URL
nothing here is imported and nothing changes.

The ``redis`` client (the ``[redis]`` extra) is imported only when a URL is given, so
the core works without it. A URL's password never appears in a repr, log or error:
:func:`redact` replaces it.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigurationError

__all__ = [
    "ENV_VAR",
    "KERNELS_VAR",
    "RedisSettings",
    "Script",
    "ScriptArg",
    "client",
    "redact",
    "settings_from",
]

#: An argument of a Lua script (redis sends each as a string).
ScriptArg = str | int | float


class Script(Protocol):
    """A registered Lua script (``redis.asyncio`` ``Script``): what we call."""

    def __call__(self, *, keys: list[str], args: list[ScriptArg]) -> Awaitable[object]: ...


#: The environment variable that turns shared state on for every engine in the process.
ENV_VAR = "ORCHESTRATION_REDIS_URL"
#: The team's expected number of kernels, when ``RedisSettings(kernels=...)`` is not given.
KERNELS_VAR = "ORCHESTRATION_REDIS_KERNELS"

_SCHEMES = ("redis", "rediss", "unix")


@dataclass(frozen=True)
class RedisSettings:
    """How to reach the shared Redis, and the shared limiter's timing.

    ``window``: seconds a deployment's ``rpm``/``tpm`` count over (60 = per minute; tests
    use a few seconds). ``lease_ttl``: seconds an in-flight slot outlives a kernel that
    stopped renewing it (a killed kernel frees its slots after this). ``prefix``: the
    key prefix, so several teams can share one server. ``timeout``: seconds before an
    unanswered command counts as "Redis is down". ``retry_after``: seconds between
    attempts to get back to Redis after it went away. ``start_slack``: seconds a call's
    request may leave after its booked start; one later than that (held up between its
    permit and its request) books again rather than land in a window already full.
    ``kernels``: how many kernels the team expects to share the quotas; if Redis cannot be
    reached from the start, the local fallback divides each quota by this until Redis has
    answered once (then by the kernels it last saw). Default ``ORCHESTRATION_REDIS_KERNELS``,
    else 1 (a lone kernel's fallback keeps the whole quota).
    """

    url: str
    window: float = 60.0
    lease_ttl: float = 30.0
    prefix: str = "orchestration"
    timeout: float = 1.0
    retry_after: float = 1.0
    start_slack: float = 0.2
    kernels: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or urlsplit(self.url).scheme not in _SCHEMES:
            raise ConfigurationError(
                f"redis= takes a URL such as redis://localhost:6379/0 (schemes: "
                f"{', '.join(_SCHEMES)}), not {redact(str(self.url))!r}."
            )
        for name in ("window", "lease_ttl", "timeout", "retry_after", "start_slack"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise ConfigurationError(
                    f"RedisSettings.{name} must be > 0 seconds, not {value!r}."
                )

        # Resolved now, so the settings travel whole (to cluster workers, say).
        object.__setattr__(self, "kernels", _expected_kernels(self.kernels))

    def __repr__(self) -> str:
        return f"RedisSettings({redact(self.url)!r}, window={self.window})"


def _expected_kernels(value: int | None) -> int:
    """``kernels=`` checked, else ``ORCHESTRATION_REDIS_KERNELS``, else 1."""
    where = "RedisSettings.kernels"
    if value is None:
        text = os.environ.get(KERNELS_VAR, "").strip()
        if not text:
            return 1
        where = KERNELS_VAR
        try:
            value = int(text)
        except ValueError:
            raise ConfigurationError(
                f"{KERNELS_VAR} must be a whole number of kernels (>= 1), not {text!r}."
            ) from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"{where} must be a whole number of kernels (>= 1), not {value!r}."
        )
    return value


def settings_from(value: Any) -> RedisSettings | None:
    """The settings for an engine's ``redis=`` argument, else ``ORCHESTRATION_REDIS_URL``.

    ``None`` (and no variable): shared state is off. ``False`` turns it off even when the
    variable is set.
    """
    if value is False:
        return None
    if value is None:
        value = os.environ.get(ENV_VAR) or None
        if value is None:
            return None
    if isinstance(value, RedisSettings):
        return value
    if isinstance(value, str):
        return RedisSettings(value.strip())
    raise ConfigurationError(
        f"redis= takes a URL string or a RedisSettings, not {type(value).__name__}."
    )


def client(settings: RedisSettings) -> Any:
    """A ``redis.asyncio.Redis`` for ``settings`` (imported here, on first use)."""
    try:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
    except ImportError:  # pragma: no cover - the extra is installed wherever tests run
        raise ConfigurationError(
            "Shared state on Redis needs the redis client: pip install "
            "'orchestration-kernel[redis]'."
        ) from None
    return aioredis.Redis.from_url(
        settings.url,
        socket_timeout=settings.timeout,
        socket_connect_timeout=settings.timeout,
        decode_responses=False,
        # One immediate retry replaces a pooled connection a restarted server dropped;
        # longer outages are ours to handle (fall back, come back), not hidden in backoff.
        retry=Retry(NoBackoff(), 1),
    )


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{user}:***@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def is_unavailable(exc: BaseException) -> bool:
    """True for the errors that mean "Redis cannot be reached right now"."""
    import redis.exceptions as rex

    return isinstance(exc, rex.ConnectionError | rex.TimeoutError | OSError)
