"""The provider interface every adapter implements, and the pieces adapters share.

An adapter is small (as in Simon Willison's ``llm``): it turns a :class:`ChatRequest`
into one SDK call and maps the SDK's answers and errors back. It never retries,
never routes and never checks content — the engine does all of that, once.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from ..errors import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailure,
    ContentPolicyError,
    ContextWindowExceeded,
    NotFoundError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
)
from ..models import ChatRequest, ProviderReply, StreamChunk
from ..user_spec import check_number

__all__ = [
    "Provider",
    "Timeouts",
    "error_from_status",
    "note_request_sending",
    "note_stream_activity",
    "parse_retry_after",
    "request_sending_watcher",
    "stream_watched",
    "watching_request_sending",
    "watching_stream_activity",
]

_V = TypeVar("_V")

#: Who wants to hear that the stream in progress (in this task) received something.
_STREAM_ACTIVITY: ContextVar[Callable[[], None] | None] = ContextVar(
    "orchestration_stream_activity", default=None
)


def note_stream_activity() -> None:
    """An adapter calls this for every event its stream receives, text or not (a role
    chunk, ``message_start``, a keep-alive): the engine's idle limit starts again."""
    touch = _STREAM_ACTIVITY.get()
    if touch is not None:
        touch()


def stream_watched() -> bool:
    """True while a stream read in this task is watched for activity (see
    :func:`watching_stream_activity`): only then is there anyone to note activity for."""
    return _STREAM_ACTIVITY.get() is not None


#: Who wants to hear that a request of this task is about to be sent (the limiter's permit).
_REQUEST_SENDING: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "orchestration_request_sending", default=None
)


async def note_request_sending() -> None:
    """An adapter's HTTP client awaits this just before it sends a request, so a shared
    rate limiter can check that the call still holds its slot: set-up after the permit
    (a cold SDK's first request, a blocked event loop) must not move the request a window
    away from the start it booked."""
    confirm = _REQUEST_SENDING.get()
    if confirm is not None:
        await confirm()


def request_sending_watcher() -> Callable[[], Awaitable[None]] | None:
    """What :func:`note_request_sending` awaits in this task now (``None``: nothing), so
    a caller can wrap it (the engine pauses a stream's first-token limit around it)."""
    return _REQUEST_SENDING.get()


class _Setting(Generic[_V]):
    """``with``: ``var`` holds ``value`` inside the block, and what it held before after.
    A class, not a generator context manager: it is entered on every call's path."""

    __slots__ = ("_token", "_value", "_var")

    def __init__(self, var: ContextVar[_V], value: _V) -> None:
        self._var = var
        self._value = value

    def __enter__(self) -> None:
        self._token = self._var.set(self._value)

    def __exit__(self, *exc: object) -> None:
        self._var.reset(self._token)


def watching_request_sending(
    confirm: Callable[[], Awaitable[None]],
) -> contextlib.AbstractContextManager[None]:
    """Await ``confirm`` at each :func:`note_request_sending` of requests sent in this block."""
    return _Setting(_REQUEST_SENDING, confirm)


def watching_stream_activity(touch: Callable[[], None]) -> contextlib.AbstractContextManager[None]:
    """Call ``touch`` on every :func:`note_stream_activity` of streams read in this block."""
    return _Setting(_STREAM_ACTIVITY, touch)


@dataclass(frozen=True)
class Timeouts:
    """Per-call time limits in seconds.

    ``first_token`` is how long a stream may stay silent before it sends anything at all,
    generous by default because reasoning models think before they speak; once a stream
    has sent anything (an event, a keep-alive), ``idle`` is the longest silence allowed.
    ``overall`` bounds one attempt; ``complete(timeout=...)`` is the whole call's deadline.
    """

    connect: float = 10.0
    first_token: float = 120.0
    idle: float = 30.0
    overall: float = 600.0

    def __post_init__(self) -> None:
        for name in ("connect", "first_token", "idle", "overall"):
            check_number("Timeouts", name, getattr(self, name), low=0, open_low=True)


@runtime_checkable
class Provider(Protocol):
    """What the engine needs from an adapter.

    ``name`` is the provider's name (``openai``); ``simulated`` is True only for the
    offline simulator. ``complete`` and ``stream`` raise :class:`ProviderError`
    subclasses, never SDK exceptions. ``stream`` yields chunks; the last one carries
    ``finish_reason``. Adapters make their SDK clients lazily, on the runtime loop.
    """

    name: str
    simulated: bool

    async def complete(self, request: ChatRequest, timeouts: Timeouts) -> ProviderReply:
        """One non-streaming call."""
        ...

    def stream(self, request: ChatRequest, timeouts: Timeouts) -> AsyncIterator[StreamChunk]:
        """One streaming call."""
        ...

    async def aclose(self) -> None:
        """Close SDK clients."""
        ...


_CONTEXT_WORDS = (
    "context length",
    "context window",
    "maximum context",
    "too many tokens",
    "prompt is too long",
    "context_length_exceeded",
    "input token count",
    "context size",  # llama.cpp: "request (N tokens) exceeds the available context size"
)
_POLICY_WORDS = ("content policy", "content_policy", "safety", "content_filter", "moderation")


def error_from_status(
    status: int | None,
    message: str,
    *,
    provider: str,
    model: str | None = None,
    retry_after: float | None = None,
    body: object = None,
) -> ProviderError:
    """Map an HTTP status (and the provider's message) onto our error classes.

    Shared by every adapter so that a 429 means the same thing from every vendor.
    """
    kw: dict[str, Any] = {"provider": provider, "model": model, "status": status, "body": body}
    lowered = message.lower()
    if status == 429:
        return RateLimitError(message, retry_after=retry_after, **kw)
    if status is not None and (status >= 500 or status == 408):
        return ServerError(message, retry_after=retry_after, **kw)
    if status in (401, 403):
        return AuthenticationError(message, **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status in (400, 413, 422) or status is None:
        if any(w in lowered for w in _CONTEXT_WORDS) or status == 413:
            return ContextWindowExceeded(message, **kw)
        if any(w in lowered for w in _POLICY_WORDS):
            return ContentPolicyError(message, **kw)
        if status is None:
            return ConnectionFailure(message, **kw)
        return BadRequestError(message, **kw)
    return BadRequestError(message, **kw)


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date)."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        value = headers.get("retry-after")
    except Exception:
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def timeout_error(phase: str, seconds: float, *, provider: str, model: str) -> ProviderTimeout:
    """A :class:`ProviderTimeout` whose message says which limit was hit."""
    return ProviderTimeout(
        f"no {phase.replace('_', ' ')} within {seconds:g}s",
        phase=phase,
        provider=provider,
        model=model,
    )
