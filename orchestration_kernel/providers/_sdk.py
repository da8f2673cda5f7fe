"""What the SDK adapters share: a client made lazily on the runtime loop, and one mapping
of every SDK / httpx / httpx2 exception onto :mod:`orchestration_kernel.errors`.

The mapping is duck-typed on class names and attributes (``status_code``, ``code``,
``response.headers``) so that it covers openai and anthropic (on ``httpx2``),
perplexityai (on ``httpx`` 0.x) and google-genai without importing any of them. Which
SDKs' exceptions it maps is read from each provider's ``ProviderInfo.sdk_modules``
(:mod:`.registry`), plugins' included; the transports below are common to all.

Adapters outside this package import these names from the public :mod:`.sdk`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from ..addresses import shown_address
from ..errors import (
    ConnectionFailure,
    FatalProviderError,
    IncompleteStreamError,
    ProviderError,
    ProviderTimeout,
)
from ..models import ChatRequest, Message, ProviderReply, StreamChunk, Usage
from ..secrets import Secret, guard_logs, mask
from .base import (
    Timeouts,
    error_from_status,
    note_request_sending,
    note_stream_activity,
    parse_retry_after,
    stream_watched,
)
from .credentials import LoopLocks, TokenProvider, detached
from .registry import sdk_modules

__all__ = [
    "SDKAdapter",
    "StreamState",
    "chat_messages",
    "chat_usage",
    "end_user",
    "http_timeout",
    "map_exception",
    "scrub",
    "split_system",
]

#: Transport modules whose exceptions we translate whatever the provider; with the SDK
#: modules each ProviderInfo declares, anything else is our own bug and propagates.
_TRANSPORT_MODULES = frozenset({"httpx", "httpx2", "httpcore", "h11", "json"})
_TIMEOUT_NAMES = frozenset({"TimeoutException", "APITimeoutError", "TimeoutError"})
_CONNECT_NAMES = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout", "ProxyError"})
_MALFORMED_NAMES = frozenset(
    {"JSONDecodeError", "ValidationError", "UnknownApiResponseError", "DecodingError", "SSEError"}
)
_NETWORK_NAMES = frozenset(
    {
        "APIConnectionError",
        "NetworkError",
        "TransportError",
        "ProtocolError",
        "RemoteProtocolError",
        "ReadError",
        "WriteError",
        "CloseError",
        "StreamError",
        "ConnectionError",
        "IncompleteRead",
    }
)
#: Error ``type`` names that providers put in a body (also inside a stream) → HTTP status.
_TYPE_STATUS = {
    "overloaded_error": 529,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "api_error": 500,
    "server_error": 500,
    "internal_error": 500,
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "RESOURCE_EXHAUSTED": 429,
    "UNAVAILABLE": 503,
    "INTERNAL": 500,
    "INVALID_ARGUMENT": 400,
}


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every form of every known secret value (and any bearer token) masked."""
    return mask(text, secrets)


def _scrub_body(body: object, secrets: list[str]) -> Any:
    if isinstance(body, str):
        return scrub(body, secrets)
    if isinstance(body, dict):
        return {k: _scrub_body(v, secrets) for k, v in body.items()}
    if isinstance(body, list | tuple):
        return [_scrub_body(v, secrets) for v in body]
    return body


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes, outermost first (cycles cut)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for err in _chain(exc) for cls in type(err).__mro__}


def _status(exc: BaseException) -> int | None:
    """The HTTP status an SDK error carries (``status_code``, or google-genai's ``code``)."""
    for attr in ("status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _message(exc: BaseException) -> str:
    """The provider's own message (from the error body where the SDK parsed one)."""
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("message"), str) and inner["message"]:
        return str(inner["message"])
    for attr in ("api_message", "message"):
        value = getattr(exc, attr, None)
        if isinstance(value, str) and value:
            return value
    return str(exc) or type(exc).__name__


def _retry_delay(body: object) -> float | None:
    """Google's ``RetryInfo`` detail (``"retryDelay": "1.5s"``): Gemini's Retry-After."""
    inner = body.get("error", body) if isinstance(body, dict) else None
    details = inner.get("details") if isinstance(inner, dict) else None
    for detail in details if isinstance(details, list) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                return None
    return None


def _body_error_type(body: object) -> str | None:
    """``error.type`` / ``error.status`` / ``type`` from an error body, wherever it is."""
    if not isinstance(body, dict):
        return None
    inner = body.get("error", body)
    if isinstance(inner, dict):
        for key in ("type", "status", "code"):
            value = inner.get(key)
            if isinstance(value, str) and value in _TYPE_STATUS:
                return value
    return None


def _is_sdk_error(exc: BaseException, modules: frozenset[str]) -> bool:
    return any(type(err).__module__.split(".")[0] in modules for err in _chain(exc)) or (
        isinstance(exc, OSError | asyncio.TimeoutError)
    )


def map_exception(
    exc: BaseException,
    *,
    provider: str,
    model: str | None,
    secrets: list[str],
    streaming: bool = False,
    modules: frozenset[str] | None = None,
) -> BaseException:
    """The :class:`ProviderError` for an SDK exception (``exc`` itself if it is not one of
    the SDKs' and so is a bug to surface). ``streaming``: the body had started arriving.
    ``modules``: the SDK modules to translate besides the transports (default: those every
    known provider declares)."""
    known = _TRANSPORT_MODULES | (sdk_modules() if modules is None else modules)
    if isinstance(exc, ProviderError) or not _is_sdk_error(exc, known):
        return exc
    names = _names(exc)
    message = scrub(_message(exc), secrets)
    body = _scrub_body(getattr(exc, "body", getattr(exc, "details", None)), secrets)
    kw: dict[str, Any] = {"provider": provider, "model": model}
    status = _status(exc)
    if status is not None and status >= 400:
        headers = getattr(getattr(exc, "response", None), "headers", None)
        retry_after = parse_retry_after(headers)
        if retry_after is None:
            retry_after = _retry_delay(body)
        return error_from_status(status, message, retry_after=retry_after, body=body, **kw)
    if status is not None or "APIError" in names or "APIStatusError" in names:
        # An error event inside a 200 stream: classify by the error type it names.
        kind = _body_error_type(body)
        if kind is not None:
            return error_from_status(_TYPE_STATUS[kind], message, body=body, **kw)
        if not names & (_TIMEOUT_NAMES | _NETWORK_NAMES | _CONNECT_NAMES):
            return IncompleteStreamError(f"error event in the stream: {message}", body=body, **kw)
    return _transport_error(names, message, streaming, kw)


def _transport_error(
    names: set[str], message: str, streaming: bool, kw: dict[str, Any]
) -> ProviderError:
    if names & _TIMEOUT_NAMES:
        phase = "connect" if names & _CONNECT_NAMES else ("idle" if streaming else "first_token")
        return ProviderTimeout(f"request timed out ({phase.replace('_', ' ')})", phase=phase, **kw)
    if names & _MALFORMED_NAMES:
        return IncompleteStreamError(f"malformed response chunk: {message}", **kw)
    if names & _CONNECT_NAMES:
        return ConnectionFailure(f"could not connect: {message}", **kw)
    if names & _NETWORK_NAMES:
        if streaming:
            return IncompleteStreamError(f"the stream was cut off: {message}", **kw)
        return ConnectionFailure(f"connection lost: {message}", **kw)
    return FatalProviderError(message, **kw)


@functools.lru_cache(maxsize=64)
def http_timeout(module: Any, timeouts: Timeouts) -> Any:
    """An ``httpx``/``httpx2`` Timeout: connect from ``timeouts``, and a read timeout long
    enough for the first token (the engine enforces first-token/idle/overall itself).
    Made once per distinct ``timeouts`` (frozen, and the SDKs only read it)."""
    read = max(timeouts.first_token, timeouts.idle)
    return module.Timeout(timeouts.overall, connect=timeouts.connect, read=read)


def activity_hooks(httpx_module: Any) -> dict[str, list[Any]]:
    """httpx event hooks that report every byte a response receives — keep-alives the
    SDK's decoder drops included — with :func:`note_stream_activity`, so a reasoning
    model that keeps its connection alive before its first token is not idle; and each
    request about to be sent with :func:`note_request_sending` (the limiter's check)."""
    noting = _noting_stream_class(httpx_module)

    async def sending(request: Any) -> None:
        await note_request_sending()

    async def watch(response: Any) -> None:
        if stream_watched():  # a plain completion has nobody to tell: its body goes as is
            response.stream = noting(response.stream)

    return {"request": [sending], "response": [watch]}


@functools.cache
def _noting_stream_class(httpx_module: Any) -> type:
    class NotingStream(httpx_module.AsyncByteStream):  # type: ignore[misc]
        """A response body that notes activity for each chunk it passes on."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner
            self._live: Any = None  # the iteration under way, closed with the body

        def __aiter__(self) -> AsyncIterator[bytes]:
            self._live = self._relay()
            return self._live  # type: ignore[no-any-return]

        async def _relay(self) -> AsyncIterator[bytes]:
            async for chunk in self._inner:
                note_stream_activity()
                yield chunk

        async def aclose(self) -> None:
            # A body closed before its end (the reader stopped early) closes the iteration
            # now, in this task, rather than leaving it to the garbage collector.
            live, self._live = self._live, None
            try:
                if live is not None and not live.ag_running:
                    await live.aclose()
            finally:
                await self._inner.aclose()

    return NotingStream


def closing_iteration(stream: Any) -> contextlib.AbstractAsyncContextManager[Any]:
    """``async with closing_iteration(stream) as items: async for item in items``: iterate
    ``stream`` and close the iteration on the way out, also when the reader stops early
    (an ``async for`` alone leaves an unfinished async generator to the garbage collector,
    which closes it later, in another task, or warns when the loop is gone)."""
    items = aiter(stream)
    if hasattr(items, "aclose"):
        return contextlib.aclosing(items)
    return contextlib.nullcontext(items)


class StreamState:
    """What an adapter remembers while reading a stream: the finish reason, usage, model
    and extras arrive in different chunks, and go out together in the last one."""

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.response_model: str | None = None
        self.extras: dict[str, Any] = {}

    async def relay(
        self, stream: Any, absorb: Callable[[Any, StreamState], str]
    ) -> AsyncIterator[StreamChunk]:
        """Yield the text of each SDK chunk (``absorb`` notes the rest in this state)."""
        async with closing_iteration(stream) as chunks:
            async for chunk in chunks:
                note_stream_activity()  # a chunk without text still shows the stream is alive
                text = absorb(chunk, self)
                if text:
                    yield StreamChunk(text=text)

    def final_chunk(self) -> StreamChunk:
        """The closing chunk; an incomplete stream (no finish reason) is an error."""
        if self.finish_reason is None:
            raise IncompleteStreamError("the stream ended without a finish reason")
        return StreamChunk(
            finish_reason=self.finish_reason,
            usage=self.usage,
            response_model=self.response_model,
            extras=self.extras,
        )


def absorb_chat_chunk(chunk: Any, state: StreamState) -> Any:
    """Note a chat-completions chunk's model, usage and finish reason in ``state``;
    return its first choice's delta (``None`` when the chunk has no choices)."""
    state.response_model = getattr(chunk, "model", None) or state.response_model
    if getattr(chunk, "usage", None) is not None:
        state.usage = chat_usage(chunk.usage)
    if not chunk.choices:
        return None
    choice = chunk.choices[0]
    if choice.finish_reason:
        state.finish_reason = choice.finish_reason
    return getattr(choice, "delta", None)


async def relay_and_close(
    stream: Any, absorb: Callable[[Any, StreamState], str]
) -> AsyncIterator[StreamChunk]:
    """A chat-completions stream's text chunks, then its closing chunk; always closed."""
    state = StreamState()
    try:
        async with closing_iteration(state.relay(stream, absorb)) as chunks:
            async for chunk in chunks:
                yield chunk
    finally:
        await stream.close()
    yield state.final_chunk()


class SDKAdapter:
    """Base of the SDK adapters: the constructor every adapter shares, a lazily made and
    reused SDK client, credential handling and error mapping around each call.

    Subclasses implement :meth:`_make_client`, :meth:`_complete` and :meth:`_stream`.
    """

    simulated: bool = False
    #: The provider name used when the caller gives none.
    default_name: str = "provider"
    #: SDK modules whose exceptions this adapter maps, besides every known provider's
    #: (the registry adds its ProviderInfo's ``sdk_modules`` when it builds the adapter).
    sdk_modules: frozenset[str] = frozenset()

    def __init__(
        self,
        *,
        api_key: Secret | str | None = None,
        base_url: str | None = None,
        credential: TokenProvider | None = None,
        name: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.name = name or self.default_name
        self.api_key = Secret(api_key) if isinstance(api_key, str) else api_key
        self.base_url = base_url
        self.credential = credential
        self.options = dict(options or {})
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._client_locks = LoopLocks()

    def __repr__(self) -> str:
        auth = "credential" if self.credential else ("key" if self.api_key else "none")
        return f"{type(self).__name__}(name={self.name!r}, base_url={self.base_url!r}, auth={auth})"

    # -- the Provider protocol ----------------------------------------------------------
    async def complete(self, request: ChatRequest, timeouts: Timeouts) -> ProviderReply:
        """One non-streaming call; SDK errors come out as :class:`ProviderError`."""
        try:
            client = await self._client_for_loop()
            reply = await self._complete(client, request, timeouts)
            if reply.finish_reason is None:
                # A body without a finish reason is as cut off as such a stream.
                raise IncompleteStreamError("the response has no finish reason")
            return reply
        except Exception as exc:
            mapped = self._map(exc, request, streaming=False)
            if mapped is exc:
                raise
        raise detached(mapped)

    async def stream(self, request: ChatRequest, timeouts: Timeouts) -> AsyncIterator[StreamChunk]:
        """One streaming call; the last chunk carries the finish reason (and usage)."""
        started = finished = False
        try:
            client = await self._client_for_loop()
            # Closed here, whatever ends the stream: left open, the layers below (and the
            # SDK's response) would wait for the garbage collector to close them.
            async with closing_iteration(self._stream(client, request, timeouts)) as chunks:
                async for chunk in chunks:
                    started, finished = True, chunk.finish_reason is not None
                    yield chunk
            if not finished:  # never pass a cut-off stream on as complete
                raise IncompleteStreamError("the stream ended without a finish reason")
        except Exception as exc:
            mapped = self._map(exc, request, streaming=started)
            if mapped is exc:
                raise
        else:
            return
        raise detached(mapped)

    async def ready(self) -> None:
        """Make the SDK client now (importing the SDK on first use), before the call asks a
        rate limiter for its slot: made after the permit, a cold process's import would
        start the request long after its slot (a shared limiter's window counts slots,
        the provider counts arrivals). Errors are left for the call itself to raise."""
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            return  # made already: every call after the first
        with contextlib.suppress(Exception):
            await self._client_for_loop()

    async def aclose(self) -> None:
        """Close the SDK client (and its connections)."""
        client, loop = self._client, self._client_loop
        self._client, self._client_loop = None, None
        if client is None or loop is None:
            return
        if loop is asyncio.get_running_loop():
            await self._close_client(client)
        elif loop.is_running():
            # Connections belong to the loop that made them: close them there.
            future = asyncio.run_coroutine_threadsafe(self._close_client(client), loop)
            await asyncio.wrap_future(future)
        # else: that loop is closed, and its connections died with it.

    # -- for subclasses -----------------------------------------------------------------
    async def _make_client(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    async def _complete(
        self, client: object, request: ChatRequest, timeouts: Timeouts
    ) -> ProviderReply:  # pragma: no cover - abstract
        raise NotImplementedError

    def _stream(
        self, client: object, request: ChatRequest, timeouts: Timeouts
    ) -> AsyncIterator[StreamChunk]:  # pragma: no cover - abstract
        raise NotImplementedError

    async def _close_client(self, client: Any) -> None:
        await client.close()

    async def _bearer(self) -> str:
        """The current credential token (refreshed if due), for per-request auth."""
        assert self.credential is not None
        return (await self.credential.get()).get()

    def _secrets(self) -> list[str]:
        """Every secret value an error message must not show."""
        values = [self.api_key.get()] if self.api_key else []
        token = self.credential.current if self.credential else None
        if token is not None:
            values.append(token.value.get())
        return values

    # -- internals ----------------------------------------------------------------------
    async def _client_for_loop(self) -> Any:
        """The SDK client, made on first use. A client is bound to the loop that made it,
        so one used from another loop is replaced rather than reused."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._client_loop is loop:
            return self._client
        async with self._client_locks.get():  # concurrent first calls make one client
            if self._client is None or self._client_loop is not loop:
                self._client = await self._make_client()
                guard_logs()  # the SDK's loggers exist now; mask keys in them
                self._client_loop = loop
        return self._client

    def _map(self, exc: BaseException, request: ChatRequest, *, streaming: bool) -> BaseException:
        mapped = map_exception(
            exc,
            provider=self.name,
            model=request.model,
            secrets=self._secrets(),
            streaming=streaming,
            modules=sdk_modules() | self.sdk_modules,
        )
        if isinstance(mapped, ProviderError) and mapped.provider is None:
            # Raised inside an adapter without a provider: name it, as mapped errors do.
            mapped.provider = self.name
            mapped.args = (f"[{self.name}] {mapped.args[0]}", *mapped.args[1:])
        if isinstance(mapped, ProviderError):
            mapped.model = mapped.model or request.model
        refused = isinstance(mapped, ConnectionFailure) and "could not connect" in str(mapped)
        if refused and self.base_url:
            # Which address refused: a local server (Ollama, vLLM) not started is the
            # usual cause, and the provider's name alone does not say where we looked.
            where = shown_address(self.base_url)
            mapped.args = (f"{mapped.args[0]} (at {where}: is the server running?)",
                           *mapped.args[1:])  # fmt: skip
            if isinstance(mapped, ConnectionFailure):  # (always: ``refused`` says so)
                from ..loopback import is_loopback

                mapped.refused_locally = is_loopback(self.base_url)  # see loopback.py
        return mapped


def chat_usage(usage: object) -> Usage | None:
    """:class:`Usage` from an OpenAI-style ``usage`` object (OpenAI, Perplexity, compatible)."""
    if usage is None:
        return None
    details_in = getattr(usage, "prompt_tokens_details", None)
    details_out = getattr(usage, "completion_tokens_details", None)
    reasoning = getattr(details_out, "reasoning_tokens", None) or getattr(
        usage, "reasoning_tokens", None
    )
    return Usage(
        input_tokens=getattr(usage, "prompt_tokens", None) or 0,
        output_tokens=getattr(usage, "completion_tokens", None) or 0,
        cached_input_tokens=getattr(details_in, "cached_tokens", None) or 0,
        reasoning_tokens=reasoning or 0,
    )


def chat_messages(request: ChatRequest) -> list[dict[str, str]]:
    """Chat-completions messages, the system prompt first as a ``system`` message."""
    head = [{"role": "system", "content": request.system}] if request.system else []
    return head + [{"role": m.role, "content": m.content} for m in request.messages]


def split_system(request: ChatRequest) -> tuple[str | None, list[Message]]:
    """The system prompt (with any ``system`` turns folded in) and the other turns, for
    APIs that keep the system prompt out of the conversation (Anthropic, Gemini)."""
    parts = [request.system] if request.system else []
    parts += [m.content for m in request.messages if m.role == "system"]
    turns = [m for m in request.messages if m.role != "system"]
    return ("\n\n".join(parts) if parts else None), turns


def end_user(request: ChatRequest) -> str | None:
    """The end-user id a caller put in the request metadata, if any."""
    for key in ("user", "user_id", "end_user", "safety_identifier"):
        if request.metadata.get(key):
            return request.metadata[key]
    return None
