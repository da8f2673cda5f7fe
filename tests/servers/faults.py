"""Scripted faults: what a wire server does instead of (or while) answering normally.

A :class:`Fault` is a small pydantic spec, so the same value can be built in Python
(``Fault.rate_limit(retry_after=1.5)``) or sent as JSON to ``POST /_control/script`` of a
server running in another process. :class:`FaultBook` holds the scripted faults of one
server and hands out at most one per request, in the order they were scripted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Fault", "FaultBook", "FaultKind"]

FaultKind = Literal[
    "rate_limit",
    "server_error",
    "overloaded",
    "status",
    "delay",
    "first_token_delay",
    "drop_mid_stream",
    "no_finish_reason",
    "malformed_chunk",
    "stall",
    "think",
    "hold",
]

#: Faults that only change what happens once the (stream) body has started.
STREAM_FAULTS: frozenset[str] = frozenset(
    {
        "first_token_delay",
        "drop_mid_stream",
        "no_finish_reason",
        "malformed_chunk",
        "stall",
        "think",
    }
)


class Fault(BaseModel):
    """One scripted misbehaviour. Build it with the class methods, not by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FaultKind
    code: int | None = None  # the HTTP status of error faults
    message: str | None = None
    retry_after: float | str | None = None
    seconds: float = Field(default=0.0, ge=0.0)
    after_chunks: int = Field(default=2, ge=0)
    every: float = Field(default=0.5, gt=0.0)  # seconds between keep-alives of ``think``
    #: Only a request whose prompt text contains this takes the fault (None: any request).
    prompt: str | None = None

    @property
    def name(self) -> str:
        """The name logged in :attr:`LoggedRequest.fault` (the kind)."""
        return self.kind

    def for_prompt(self, text: str) -> Fault:
        """This fault, taken only by a request whose prompt contains ``text``: a request
        to the same model left in flight by an earlier test cannot take it."""
        return self.model_copy(update={"prompt": text})

    def matches(self, prompt_text: str) -> bool:
        """Whether a request with ``prompt_text`` may take this fault."""
        return self.prompt is None or self.prompt in prompt_text

    @classmethod
    def rate_limit(
        cls, retry_after: float | str | None = None, message: str | None = None
    ) -> Fault:
        """429 with a ``Retry-After`` header (seconds, or an HTTP date string) if given."""
        return cls(kind="rate_limit", code=429, retry_after=retry_after, message=message)

    @classmethod
    def server_error(cls, status: int = 500, message: str | None = None) -> Fault:
        """A 5xx answer in the provider's error shape."""
        if not 500 <= status <= 599:
            raise ValueError(f"server_error needs a 5xx status, got {status}; use Fault.status()")
        return cls(kind="server_error", code=status, message=message)

    @classmethod
    def overloaded(cls, message: str | None = None) -> Fault:
        """The provider's "overloaded" answer (Anthropic 529, others 503)."""
        return cls(kind="overloaded", message=message)

    @classmethod
    def status(cls, code: int, message: str | None = None) -> Fault:
        """Any error status (400, 401, 403, 404, 422, ...) with the given message."""
        if not 400 <= code <= 599:
            raise ValueError(f"Fault.status needs a 4xx or 5xx code, got {code}")
        return cls(kind="status", code=code, message=message)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before sending the response headers."""
        return cls(kind="delay", seconds=seconds)

    @classmethod
    def hold(cls, bound: float = 60.0) -> Fault:
        """Hold the request before the response headers until the test calls
        ``srv.release()`` (a server in this process; each call lets one held request go,
        oldest first), or ``bound`` seconds pass (a hang guard): a client can be killed
        mid-request however slowly the machine runs."""
        return cls(kind="hold", seconds=bound)

    @classmethod
    def first_token_delay(cls, seconds: float) -> Fault:
        """Send the headers, then wait ``seconds`` before the first stream chunk."""
        return cls(kind="first_token_delay", seconds=seconds)

    @classmethod
    def drop_mid_stream(cls, after_chunks: int = 2) -> Fault:
        """Abort the TCP connection after ``after_chunks`` content chunks."""
        return cls(kind="drop_mid_stream", after_chunks=after_chunks)

    @classmethod
    def no_finish_reason(cls) -> Fault:
        """End the stream cleanly but without a finish reason / stop event."""
        return cls(kind="no_finish_reason")

    @classmethod
    def malformed_chunk(cls, after_chunks: int = 1) -> Fault:
        """Send a garbage ``data:`` line after ``after_chunks`` content chunks."""
        return cls(kind="malformed_chunk", after_chunks=after_chunks)

    @classmethod
    def think(cls, seconds: float, every: float = 0.5) -> Fault:
        """Open the stream, then send only keep-alives (SSE comments, Anthropic ``ping``
        events) every ``every`` seconds for ``seconds`` before the text: a reasoning model."""
        return cls(kind="think", seconds=seconds, every=every, after_chunks=0)

    @classmethod
    def stall(cls, seconds: float, after_chunks: int = 1) -> Fault:
        """Stop sending after ``after_chunks`` chunks for ``seconds``, then close."""
        return cls(kind="stall", seconds=seconds, after_chunks=after_chunks)


@dataclass
class _Entry:
    fault: Fault
    model: str | None
    remaining: int | None  # None: every time


class FaultBook:
    """The scripted faults of one server; thread-safe (tests script from their own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(self, fault: Fault, model: str | None = None, times: int | None = 1) -> None:
        """Script ``fault`` for requests to ``model`` (None: any model), ``times`` times."""
        if times is not None and times < 1:
            raise ValueError(f"times must be >= 1 or None (every time), got {times}")
        with self._lock:
            self._entries.append(_Entry(fault, model, times))

    def clear(self) -> None:
        """Forget every scripted fault."""
        with self._lock:
            self._entries.clear()

    def take(self, model: str | None, prompt_text: str = "") -> Fault | None:
        """The first scripted fault that matches ``model`` (and ``prompt_text``, for a
        fault made :meth:`Fault.for_prompt`), used up by one."""
        with self._lock:
            for i, entry in enumerate(self._entries):
                if entry.model is not None and entry.model != model:
                    continue
                if not entry.fault.matches(prompt_text):
                    continue
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        del self._entries[i]
                return entry.fault
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
