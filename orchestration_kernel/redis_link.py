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

import contextlib
import dataclasses
import os
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import ConfigurationError
from .near_names import did_you_mean

__all__ = [
    "ENV_VAR",
    "KERNELS_VAR",
    "RedisSettings",
    "Script",
    "ScriptArg",
    "check_refused",
    "client",
    "failure",
    "redact",
    "refused_credentials",
    "settings_from",
    "wait_until_answers",
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
    #: Where the URL came from, for messages: ``redis=`` or ``ORCHESTRATION_REDIS_URL``.
    source: str = dataclasses.field(default="redis=", compare=False)

    def __post_init__(self) -> None:
        _check_url(self.url, self.source)
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
    source = "redis="
    if value is None:
        value, source = os.environ.get(ENV_VAR) or None, ENV_VAR
        if value is None:
            return None
    if isinstance(value, RedisSettings):
        return value
    if isinstance(value, str):
        return RedisSettings(value.strip(), source=source)
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
    try:
        made = aioredis.Redis.from_url(
            settings.url,
            socket_timeout=settings.timeout,
            socket_connect_timeout=settings.timeout,
            decode_responses=False,
            # One immediate retry replaces a pooled connection a restarted server dropped;
            # longer outages are ours to handle (fall back, come back), not hidden in backoff.
            retry=Retry(NoBackoff(), 1),
        )
        # Builds (never opens) a connection: an option redis does not know fails now, here,
        # rather than as a TypeError out of the first call.
        made.connection_pool.make_connection()  # type: ignore[no-untyped-call]
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"{_named(settings)} cannot be used: {_scrub(str(exc), settings.url)}. Options "
            f"go in the query, such as ?{'&'.join(_SOME_OPTIONS)}."
        ) from None
    return made


def failure(exc: BaseException) -> str:
    """Why Redis did not serve us, for a message: ``did not answer (TimeoutError)``, or
    that it refused the URL's credentials (never quoting them)."""
    if refused_credentials(exc):
        return f"refused the user name or password in the URL ({type(exc).__name__})"
    return f"did not answer ({type(exc).__name__})"


def refused_credentials(exc: BaseException) -> bool:
    """True when Redis answered but refused the URL's user name or password (WRONGPASS,
    NOAUTH, a password sent to a server that has none): trying again will not help until
    the URL changes."""
    import redis.exceptions as rex

    if isinstance(exc, rex.AuthenticationError | rex.AuthenticationWrongNumberOfArgsError):
        return True
    text = str(exc).upper()
    return isinstance(exc, rex.ResponseError) and text.startswith(("NOAUTH", "WRONGPASS"))


def check_refused(exc: BaseException, settings: RedisSettings) -> None:
    """Raise a ConfigurationError (naming where the URL came from) when a Redis that
    answered refused this URL's settings: a database number it does not have, a password
    it wants. Any other error: return, for the caller to re-raise it."""
    import redis.exceptions as rex

    text = str(exc)
    if refused_credentials(exc):
        # Not an outage to ride out on local state: every kernel of the team would be
        # sharing nothing while each believed it shared (limits, context, live messages).
        said = re.split(r"[.,;] ", _scrub(text, settings.url))[0].rstrip(".")[:120]
        what = (
            "refused the user name or password in the URL"
            if _passwords(settings.url)
            else "wants a password, and the URL gives none"
        )
        raise ConfigurationError(
            f"Redis at {_named(settings)} {what} ({type(exc).__name__}: {said}). Shared "
            "state was not used and nothing was written; put the right password in the URL "
            "(redis://:PASSWORD@host:port/0, or ?password=...)."
        ) from None
    if isinstance(exc, rex.ResponseError) and text.upper().startswith(_REFUSALS):
        raise ConfigurationError(
            f"Redis at {_named(settings)} refused the connection: {_scrub(text, settings.url)}."
        ) from None


#: How a Redis server's replies begin when it refuses a connection's settings.
_REFUSALS = ("DB INDEX", "ERR DB INDEX", "ERR INVALID DB", "NOAUTH", "WRONGPASS", "NOPERM")
#: Query options worth naming when one is not known.
_SOME_OPTIONS = ("socket_timeout=2", "health_check_interval=30", "protocol=3")


def _named(settings: RedisSettings) -> str:
    """``ORCHESTRATION_REDIS_URL='redis://:***@host/0'`` (where it came from, redacted)."""
    source = settings.source.rstrip("=")
    return f"{source}={redact(settings.url)!r}"


def _scrub(text: str, url: str) -> str:
    """``text`` with the URL's passwords (if any) replaced, whatever a library put in it."""
    for password in _passwords(url):
        text = text.replace(password, "***")
    return text


#: A ``password=`` option in a URL's query (redis-py reads it from there too).
_QUERY_PASSWORD = re.compile(r"(?i)([?&;]password=)([^&;#]*)")


def _passwords(url: str) -> list[str]:
    """Every password ``url`` carries: after the user name, and as ``?password=``."""
    found = [m[2] for m in _QUERY_PASSWORD.finditer(url) if m[2]]
    found += [unquote(m) for m in found]
    with contextlib.suppress(ValueError):
        password = urlsplit(url).password
        if password:
            found += [password, unquote(password)]
    return sorted(set(found), key=len, reverse=True)  # longest first: no half-replaced one


def _check_url(url: object, source: str) -> None:
    """A URL redis can connect to, or a ConfigurationError naming where it came from and,
    for ``host:6379``-style values, the URL that was meant. A database is ``/N``."""
    example = "redis://localhost:6379/0"
    text = url if isinstance(url, str) else str(url)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - parsing it is the check: 'redis://host:63x9' fails here
    except ValueError:
        parts = None
    if (
        not isinstance(url, str)
        or parts is None
        or parts.scheme not in _SCHEMES
        or (parts.scheme != "unix" and not parts.hostname)
    ):
        hint = ""
        if isinstance(url, str) and "://" not in text and text.strip():
            # 'host:6379', 'redis//host:6379', 'redis:/host': the scheme's '://' went astray.
            meant = "redis://" + re.sub(r"^(rediss?:?|unix:?)?/*", "", text)
            hint = f" Did you mean {redact(meant)!r}?"
        elif isinstance(url, str) and parts is not None:
            hint = did_you_mean(parts.scheme, _SCHEMES)
        raise ConfigurationError(
            f"{source} takes a URL such as {example} (schemes: "
            f"{', '.join(_SCHEMES)}), not {redact(text)!r}.{hint}"
        )
    if parts.scheme != "unix" and parts.path.strip("/") and not parts.path.strip("/").isdigit():
        raise ConfigurationError(
            f"{source.rstrip('=')}={redact(text)!r}: the path after the host is the database "
            f"number (/0, /1, ...), not {parts.path!r}; to keep teams apart on one server, "
            "use RedisSettings(prefix=...)."
        )


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (also a ``?password=`` option)."""
    url = _QUERY_PASSWORD.sub(r"\1***", url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        # Not parsed as a URL with a password ('redis//:pw@host', 'user:pw@host'): any
        # 'user:password@' part is hidden all the same.
        return re.sub(r":[^:@/]*@", ":***@", url)
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{user}:***@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def wait_until_answers(settings: RedisSettings) -> None:
    """Return once Redis answers a PING, trying every ``settings.retry_after`` seconds on
    a fresh connection (what an outage's probe runs, off every caller's path). An error
    other than "cannot be reached" is raised."""
    import asyncio

    while True:
        await asyncio.sleep(settings.retry_after)
        probe = client(settings)
        try:
            await probe.ping()
        except Exception as exc:
            if refused_credentials(exc):
                return  # it answers: the next command meets the refusal and says so
            if not is_unavailable(exc):
                raise
            continue
        finally:
            with contextlib.suppress(Exception):
                await probe.aclose()
        return


def is_unavailable(exc: BaseException) -> bool:
    """True for the errors that mean "Redis cannot be reached right now". A refused
    password is not one (redis-py makes it a ``ConnectionError``): Redis answered, and
    waiting will not change its answer; :func:`check_refused` says so."""
    import redis.exceptions as rex

    unreachable = isinstance(exc, rex.ConnectionError | rex.TimeoutError | OSError)
    return unreachable and not refused_credentials(exc)
