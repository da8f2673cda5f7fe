"""``sim``: the offline simulator provider (``sim:echo``; called ``local`` before the
embedded model took that name).

It answers every model name without a network, deterministically, with configurable
latency, time to first token and streaming, and with scriptable failures. It exists
for tests, saved notebook outputs and benchmarks — whatever needs determinism — and it
is labelled as a simulator wherever it shows (``simulated = True`` travels into every
reply, step, audit row and widget; the audit records provider ``sim``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from ..errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ContentPolicyError,
    ContextWindowExceeded,
    IncompleteStreamError,
    ProviderError,
    RateLimitError,
    ServerError,
    UnknownNameError,
)
from ..models import ChatRequest, ProviderReply, StreamChunk, Usage
from ..user_spec import check_number
from .base import Timeouts

__all__ = ["SimProvider", "SimulatorConfig"]


class _Where(TypedDict):
    """Who a simulated fault names: the error's ``provider`` and ``model``."""

    provider: str
    model: str


#: Fault kind -> the error it raises, given the provider and model it names.
_FAULTS: dict[str, Callable[[_Where], ProviderError]] = {
    "rate_limit": lambda m: RateLimitError("simulated rate limit", retry_after=0.0, **m),
    "server_error": lambda m: ServerError("simulated server error", status=503, **m),
    "bad_request": lambda m: BadRequestError("simulated bad request", status=400, **m),
    "auth": lambda m: AuthenticationError("simulated authentication failure", status=401, **m),
    "context_window": lambda m: ContextWindowExceeded("simulated context overflow", **m),
    "content_policy": lambda m: ContentPolicyError("simulated content refusal", **m),
    "drop": lambda m: IncompleteStreamError("simulated dropped stream", **m),
    "no_finish": lambda m: IncompleteStreamError("simulated stream ended early", **m),
}


@dataclass
class SimulatorConfig:
    """How the simulator behaves.

    ``latency`` is seconds per call: a number, or a ``(low, high)`` range from which a
    deterministic per-prompt value is drawn. ``ttft`` is the share of it spent before
    the first token when streaming. ``chunks`` is how many pieces a stream has.
    """

    latency: float | tuple[float, float] = 0.0
    ttft_fraction: float = 0.3
    chunks: int = 4
    seed: int = 0

    def __post_init__(self) -> None:
        low_high = self.latency if isinstance(self.latency, tuple) else (self.latency,)
        for bound in low_high:
            check_number("SimulatorConfig", "latency", bound, low=0)
        if len(low_high) == 2 and low_high[0] > low_high[1]:
            raise ConfigurationError(
                f"SimulatorConfig: latency {self.latency!r} must be (low, high), low first"
            )
        check_number("SimulatorConfig", "ttft_fraction", self.ttft_fraction, low=0, high=1)
        check_number("SimulatorConfig", "chunks", self.chunks, low=1)


@dataclass
class _Fault:
    kind: str
    model: str | None
    remaining: int | None  # None: every time
    after_chunks: int = 1


class SimProvider:
    """The offline simulator. Deterministic: the same request gives the same reply."""

    credential: Any = None

    def __init__(
        self,
        *,
        api_key: Any = None,
        base_url: str | None = None,
        credential: Any = None,
        name: str = "sim",
        options: dict[str, Any] | None = None,
        config: SimulatorConfig | None = None,
    ) -> None:
        opts = dict(options or {})
        self.config = config or SimulatorConfig(**opts)
        self.name = name
        self.simulated = True
        self.calls = 0
        self._faults: list[_Fault] = []
        #: Maps a name given to :meth:`script` to the model id requests carry (the engine
        #: sets it: ``claude-3`` is an alias, and its requests say ``claude-sonnet-4-6``).
        self.model_id: Callable[[str], str] | None = None

    # -- scripting -----------------------------------------------------------------
    def script(
        self, kind: str, *, model: str | None = None, times: int | None = 1, after_chunks: int = 1
    ) -> None:
        """Make the next matching call(s) fail: ``rate_limit``, ``server_error``,
        ``bad_request``, ``auth``, ``context_window``, ``content_policy``, ``drop`` (mid-stream)
        or ``no_finish`` (stream ends without a finish reason)."""
        if kind not in _FAULTS:
            raise UnknownNameError.of("simulator fault", kind, _FAULTS)
        if model is not None and self.model_id is not None:
            model = self.model_id(model)  # an alias scripted never matched a request
        self._faults.append(_Fault(kind, model, times, after_chunks))

    def clear(self) -> None:
        """Forget scripted faults."""
        self._faults.clear()

    def _take_fault(self, model: str) -> _Fault | None:
        for fault in self._faults:
            if fault.model in (None, model):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    # -- behaviour -----------------------------------------------------------------
    def _seed(self, request: ChatRequest) -> int:
        text = f"{self.config.seed}|{request.model}|{request.prompt_text()}"
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")

    def _latency(self, request: ChatRequest) -> float:
        lat = self.config.latency
        if isinstance(lat, (tuple, list)):
            low, high = lat
            return random.Random(self._seed(request)).uniform(low, high)
        return float(lat)

    def reply_text(self, request: ChatRequest) -> str:
        """The deterministic reply for ``request``."""
        if request.json_output:
            return json.dumps(_json_for(request), sort_keys=True)
        last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        words = " ".join(last.split())
        gist = words if len(words) <= 160 else words[:157] + "..."
        tag = f"{self._seed(request) % 10_000:04d}"
        return f"[simulated {request.model} #{tag}] {gist}"

    def _usage(self, request: ChatRequest, text: str) -> Usage:
        # Roughly four characters a token: the simulator reports usage like a provider.
        return Usage(
            input_tokens=max(1, len(request.prompt_text()) // 4),
            output_tokens=max(1, len(text) // 4),
        )

    def _fail(self, fault: _Fault, request: ChatRequest) -> ProviderError:
        return _FAULTS[fault.kind]({"provider": self.name, "model": request.model})

    async def complete(self, request: ChatRequest, timeouts: Timeouts) -> ProviderReply:
        """Answer after the configured latency."""
        self.calls += 1
        fault = self._take_fault(request.model)
        delay = self._latency(request)
        if delay:
            await asyncio.sleep(delay)
        if fault is not None:
            raise self._fail(fault, request)
        text = self.reply_text(request)
        return ProviderReply(
            text=text,
            finish_reason="stop",
            usage=self._usage(request, text),
            response_model=request.model,
            extras={"simulated": True},
        )

    async def stream(self, request: ChatRequest, timeouts: Timeouts) -> AsyncIterator[StreamChunk]:
        """Stream the reply in ``chunks`` pieces; the first after ``ttft_fraction`` of latency."""
        self.calls += 1
        fault = self._take_fault(request.model)
        text = self.reply_text(request)
        pieces = _split(text, max(1, self.config.chunks))
        delay = self._latency(request)
        first = delay * self.config.ttft_fraction
        rest = (delay - first) / max(1, len(pieces))
        if fault is not None and fault.kind not in ("drop", "no_finish"):
            if delay:
                await asyncio.sleep(first)
            raise self._fail(fault, request)
        if first:
            await asyncio.sleep(first)
        for i, piece in enumerate(pieces):
            if fault is not None and fault.kind == "drop" and i >= fault.after_chunks:
                raise self._fail(fault, request)
            if i and rest:
                await asyncio.sleep(rest)
            yield StreamChunk(text=piece, response_model=request.model)
        if fault is not None:
            raise self._fail(fault, request)
        yield StreamChunk(
            finish_reason="stop",
            usage=self._usage(request, text),
            response_model=request.model,
            extras={"simulated": True},
        )

    async def aclose(self) -> None:
        """Nothing to close."""


def _split(text: str, n: int) -> list[str]:
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _json_for(request: ChatRequest) -> Any:
    """A minimal instance of the requested JSON schema (``extra['json_schema']``), or a summary."""
    schema = request.extra.get("json_schema")
    last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    gist = " ".join(last.split())[:80]
    if isinstance(schema, dict):
        return _instance(schema, gist)
    return {"summary": f"simulated {request.model}: {gist}"}


def _instance(schema: dict[str, Any], gist: str) -> Any:
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: _instance(v if isinstance(v, dict) else {}, gist) for k, v in props.items()}
    if kind == "array":
        item = schema.get("items")
        return [_instance(item, gist)] if isinstance(item, dict) else []
    if kind in ("number", "integer"):
        return 1
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return f"simulated: {gist}"
