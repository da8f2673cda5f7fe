"""The shared base of every wire server: lifecycle, request log, faults, control routes.

A provider server subclasses :class:`WireServer`, declares its routes and turns a
:class:`Call` into the provider's JSON body or SSE frames (built from the SDK's own types).
Everything that is the same for every provider — auth, scripted faults, added latency,
streaming with drops/stalls/garbage, logging, the ``/_control`` routes, running in a
thread or in the foreground — lives here, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .faults import STREAM_FAULTS, Fault, FaultBook
from .transport import HTTPRequest, HTTPServer, Responder

__all__ = ["Call", "LoggedRequest", "Route", "StreamPlan", "WireServer", "count_tokens"]

ReplySource = str | Callable[["LoggedRequest"], str] | None
RouteHandler = Callable[[HTTPRequest, Responder, "re.Match[str]"], Awaitable[None]]

_DEFAULT_REPLY_LIMIT = 500


@dataclass
class LoggedRequest:
    """What reached the server: one entry of ``srv.requests``.

    ``status`` is the HTTP status sent (None if the connection was dropped before
    headers); ``fault`` names the scripted fault applied, if any; ``credential`` is the
    bearer token or API key the client presented.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    model: str | None = None
    stream: bool = False
    t_start: float = 0.0
    t_end: float | None = None
    status: int | None = None
    fault: str | None = None
    credential: str | None = None
    api_version: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (for ``GET /_control/requests``)."""
        return dataclasses.asdict(self)


@dataclass
class Call:
    """One model request being answered: the inputs the provider builders need."""

    request: HTTPRequest
    log: LoggedRequest
    model: str
    stream: bool
    prompt_text: str
    reply: str = ""
    truncated: bool = False  # the reply was cut at the request's max tokens
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:24])
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def input_tokens(self) -> int:
        """Deterministic prompt token count (about four characters a token)."""
        return count_tokens(self.prompt_text)

    @property
    def output_tokens(self) -> int:
        """Deterministic completion token count."""
        return count_tokens(self.reply)


@dataclass
class StreamPlan:
    """A stream's frames: always-sent prelude, content chunks, and the two possible endings."""

    prelude: list[bytes]
    content: list[bytes]
    finale: list[bytes]
    unfinished: list[bytes] = field(default_factory=list)  # ending for no_finish_reason


@dataclass(frozen=True)
class Route:
    """A method and path pattern mapped onto a handler."""

    method: str
    pattern: re.Pattern[str]
    handler: RouteHandler


def count_tokens(text: str) -> int:
    """A deterministic, tokenizer-free token estimate (at least 1)."""
    return max(1, (len(text) + 3) // 4)


def split_text(text: str, parts: int) -> list[str]:
    """Split ``text`` into at most ``parts`` non-empty pieces of near-equal length."""
    parts = max(1, min(parts, len(text) or 1))
    size, extra = divmod(len(text), parts)
    pieces, pos = [], 0
    for i in range(parts):
        end = pos + size + (1 if i < extra else 0)
        pieces.append(text[pos:end])
        pos = end
    return [p for p in pieces if p] or [""]


def sse(data: Any, event: str | None = None) -> bytes:
    """One Server-Sent Event frame; ``data`` is JSON-encoded unless it is already a str."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


class WireServer:
    """Base class: a loopback HTTP server speaking one provider's protocol.

    Use it as a context manager (in-process: own thread and loop, random free port), or
    call :meth:`serve_forever` in the foreground (subprocess mode, ``python -m tests.servers``).
    Settable from any thread: ``latency``, ``reply_text``, ``chunk_count``, ``require_bearer``,
    ``echo_credential`` (a refused credential is quoted back in the 401 message, as OpenAI's
    "Incorrect API key provided: ..." does).
    """

    echo_credential: bool = False

    provider: ClassVar[str] = "base"
    #: status and error "type" the provider uses for "overloaded"
    overloaded_status: ClassVar[int] = 503

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        chunk_count: int = 5,
        reply_text: ReplySource = None,
        require_bearer: Callable[[str], bool] | None = None,
        log_limit: int = 100_000,
    ) -> None:
        self.host = host
        self.latency = latency
        self.chunk_count = chunk_count
        self.reply_text: ReplySource = reply_text
        self.require_bearer = require_bearer
        self._port = port
        self._faults = FaultBook()
        self._holds = self._releases = 0  # Fault.hold: the n-th hold waits for the n-th release
        self._replies: dict[str | None, str] = {}
        self._log: deque[LoggedRequest] = deque(maxlen=log_limit)
        self._lock = threading.Lock()
        self._http = HTTPServer(self._dispatch, host, port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._control_routes() + self.routes()

    # ----------------------------------------------------------------- public API
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self._http.port}"

    @property
    def port(self) -> int:
        """The bound port."""
        return self._http.port

    @property
    def connection_count(self) -> int:
        """TCP connections accepted so far (keep-alive reuse keeps this low)."""
        return self._http.connections

    @property
    def base_url(self) -> str:
        """What the provider SDK's ``base_url`` wants (overridden per provider)."""
        return self.url

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the request log, oldest first (control routes are not logged)."""
        with self._lock:
            return [dataclasses.replace(r) for r in self._log]

    def clear(self) -> None:
        """Clear the request log and every scripted fault."""
        with self._lock:
            self._log.clear()
        self._faults.clear()

    def script(self, fault: Fault, model: str | None = None, times: int | None = 1) -> None:
        """Apply ``fault`` to requests for ``model`` (None: all), ``times`` times (None: always).

        One fault fires per request; several scripted faults fire in the order scripted.
        """
        self._faults.add(fault, model, times)

    def release(self) -> None:
        """Let the oldest request held by a :meth:`Fault.hold` go on (or the next one to be
        held, if none is yet): it then finishes what it received, even if its client has gone."""
        with self._lock:
            self._releases += 1

    def set_reply(self, text: str | None, model: str | None = None) -> None:
        """Answer ``text`` to ``model`` (None: to every model without its own reply)."""
        if text is None:
            self._replies.pop(model, None)
        else:
            self._replies[model] = text

    def start(self) -> WireServer:
        """Start serving in a daemon thread with its own event loop; returns self."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        errors: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._thread_main,
            args=(ready, errors),
            name=f"{self.provider}-wire-server",
            daemon=True,
        )
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        """Stop the server and its thread; open connections are closed."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._http.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    def serve_forever(self, on_ready: Callable[[WireServer], None] | None = None) -> None:
        """Serve in the foreground until interrupted (subprocess mode)."""

        async def main() -> None:
            await self._http.start()
            if on_ready is not None:
                on_ready(self)
            try:
                await asyncio.Event().wait()
            finally:
                await self._http.stop()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())

    def __enter__(self) -> WireServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._thread is not None else "stopped"
        return f"<{type(self).__name__} {where}>"

    # ------------------------------------------------------------ for subclasses
    def routes(self) -> list[Route]:
        """The provider's routes; subclasses override."""
        return []

    def error_payload(
        self, status: int, message: str, kind: str, retry_after: float | str | None = None
    ) -> dict[str, Any]:
        """The provider's error body; ``kind`` is the fault kind or "auth"/"not_found"."""
        return {"error": {"code": status, "message": message}}

    def credential(self, request: HTTPRequest) -> str | None:
        """The token or key a request presents (``Authorization: Bearer`` by default)."""
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def malformed_frame(self) -> bytes:
        """A garbage SSE frame for :meth:`Fault.malformed_chunk`."""
        return b'data: {"this is": not json, really\n\n'

    def keepalive_frame(self) -> bytes:
        """A keep-alive that carries no data: an SSE comment, which SDK decoders skip."""
        return b": keep-alive\n\n"

    def stream_headers(self) -> dict[str, str]:
        """Headers of an SSE response."""
        return {"content-type": "text/event-stream", "cache-control": "no-cache"}

    def reply_for(self, log: LoggedRequest, last_user: str) -> str:
        """The text to answer: per-model reply, else ``reply_text``, else an echo."""
        model = log.model
        if model in self._replies:
            return self._replies[model]
        if None in self._replies:
            return self._replies[None]
        source = self.reply_text
        if callable(source):
            return source(log)
        if source is not None:
            return source
        return f"Echo from {model}: {last_user}"[:_DEFAULT_REPLY_LIMIT]

    def make_call(
        self,
        request: HTTPRequest,
        *,
        model: str,
        stream: bool,
        prompt: str,
        last_user: str,
        max_tokens: Any = None,
        **log_fields: Any,
    ) -> Call:
        """Log ``request`` and prepare its :class:`Call`, the reply cut at ``max_tokens``."""
        log = self.new_log(request, model=model, stream=stream, **log_fields)
        call = Call(request, log, model, stream, prompt)
        call.reply = self.reply_for(log, last_user)
        if isinstance(max_tokens, int) and 0 < max_tokens < count_tokens(call.reply):
            call.reply, call.truncated = call.reply[: max_tokens * 4], True
        return call

    def new_log(self, request: HTTPRequest, **fields: Any) -> LoggedRequest:
        """Create and record the log entry of ``request``."""
        entry = LoggedRequest(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=request.headers,
            json=request.json(),
            t_start=request.t_start,
            credential=self.credential(request),
            **fields,
        )
        with self._lock:
            self._log.append(entry)
        return entry

    async def serve_call(
        self,
        call: Call,
        responder: Responder,
        build_json: Callable[[Call, bool], dict[str, Any]],
        build_stream: Callable[[Call, bool], StreamPlan] | None = None,
    ) -> None:
        """Answer a model call: auth, scripted fault, latency, then JSON or SSE."""
        log = call.log

        def record(resp: Responder) -> None:
            log.status, log.t_end = resp.status, time.monotonic()

        responder.on_finish = record
        try:
            if not await self._authorized(call, responder):
                return
            fault = self._faults.take(call.model, call.prompt_text)
            log.fault = fault.name if fault else None
            if fault is not None and await self._answer_error_fault(fault, call, responder):
                return
            await self._pre_header_wait(fault, call.stream and build_stream is not None)
            if call.stream and build_stream is not None:
                plan = build_stream(call, not _is(fault, "no_finish_reason"))
                await self._send_stream(plan, fault, responder)
            else:
                await self._send_body(build_json, call, fault, responder)
        finally:
            responder.finish()  # not yet run if the client went away first

    async def send_error(
        self,
        responder: Responder,
        status: int,
        message: str,
        kind: str,
        retry_after: float | str | None = None,
    ) -> None:
        """Send an error in the provider's shape (with ``Retry-After`` when given)."""
        headers = {} if retry_after is None else {"retry-after": _retry_after_text(retry_after)}
        payload = self.error_payload(status, message, kind, retry_after)
        await responder.send_json(status, payload, headers)

    # ----------------------------------------------------------------- internals
    def _thread_main(self, ready: threading.Event, errors: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._http.start())
        except BaseException as exc:  # e.g. port in use: report it to start()
            errors.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _dispatch(self, request: HTTPRequest, responder: Responder) -> None:
        for route in self._routes:
            if route.method != request.method:
                continue
            match = route.pattern.match(request.path)
            if match:
                await route.handler(request, responder, match)
                return
        self.new_log(request, status=404, t_end=time.monotonic())
        await self.send_error(
            responder, 404, f"no route for {request.method} {request.path}", "not_found"
        )

    async def _authorized(self, call: Call, responder: Responder) -> bool:
        check = self.require_bearer
        if check is None:
            return True
        token = call.log.credential
        if token and check(token):
            return True
        call.log.fault = "unauthorized"
        message = "invalid or expired credential" if token else "missing credential"
        if token and self.echo_credential:
            message = f"Incorrect API key provided: {token}. You can find your API key at ..."
        await self.send_error(responder, 401, message, "auth")
        return False

    async def _answer_error_fault(self, fault: Fault, call: Call, responder: Responder) -> bool:
        """Answer an error-status fault; False when the fault is not one."""
        if fault.kind == "rate_limit":
            status = 429
            message = fault.message or f"Rate limit reached for {call.model}. Please retry."
        elif fault.kind == "overloaded":
            status, message = self.overloaded_status, fault.message or "Overloaded"
        elif fault.kind in ("server_error", "status"):
            status = fault.code or 500
            message = fault.message or f"scripted error {status}"
        else:
            return False
        await self._latency()
        await self.send_error(responder, status, message, fault.kind, fault.retry_after)
        return True

    async def _pre_header_wait(self, fault: Fault | None, streaming: bool) -> None:
        await self._latency()
        if fault is None:
            return
        if fault.kind == "hold":
            await self._hold(fault.seconds)
            return
        # Stream-only waits become a plain delay when there is no stream to stall.
        waits = {"delay"} if streaming else {"delay", "first_token_delay", "stall", "think"}
        if fault.kind in waits:
            await asyncio.sleep(fault.seconds)

    async def _hold(self, bound: float) -> None:
        with self._lock:
            self._holds += 1
            ticket = self._holds
        deadline = time.monotonic() + bound
        # release() comes from the test's thread, a counter under the lock (no loop of its own)
        while self._releases < ticket and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)

    async def _latency(self) -> None:
        if self.latency > 0:
            await asyncio.sleep(self.latency)

    async def _send_body(
        self,
        build_json: Callable[[Call, bool], dict[str, Any]],
        call: Call,
        fault: Fault | None,
        responder: Responder,
    ) -> None:
        if _is(fault, "malformed_chunk"):
            await responder.send(200, b'{"id": "broken', {"content-type": "application/json"})
            return
        body = json.dumps(build_json(call, not _is(fault, "no_finish_reason"))).encode()
        if _is(fault, "drop_mid_stream"):
            # Headers promise a body that never comes: the client sees a dropped connection.
            await responder.start(
                200, {"content-type": "application/json", "content-length": str(len(body))}
            )
            responder.abort()
            return
        await responder.send(200, body, {"content-type": "application/json"})

    async def _send_stream(
        self, plan: StreamPlan, fault: Fault | None, responder: Responder
    ) -> None:
        await responder.start(200, self.stream_headers())
        if _is(fault, "first_token_delay"):
            await asyncio.sleep(fault.seconds)  # type: ignore[union-attr]
        for frame in plan.prelude:
            await responder.write(frame)
        for i in range(len(plan.content) + 1):
            if fault is not None and fault.kind in STREAM_FAULTS and i == fault.after_chunks:
                if fault.kind == "think":
                    await self._keep_alive(responder, fault.seconds, fault.every)
                if fault.kind == "stall":
                    await asyncio.sleep(fault.seconds)
                if fault.kind in ("drop_mid_stream", "stall"):
                    responder.abort()
                    return
                if fault.kind == "malformed_chunk":
                    await responder.write(self.malformed_frame())
            if i < len(plan.content):
                await responder.write(plan.content[i])
        ending = plan.unfinished if _is(fault, "no_finish_reason") else plan.finale
        for frame in ending:
            await responder.write(frame)
        await responder.end()

    async def _keep_alive(self, responder: Responder, seconds: float, every: float) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while (left := until - loop.time()) > 0:
            await asyncio.sleep(min(every, left))
            await responder.write(self.keepalive_frame())

    def _control_routes(self) -> list[Route]:
        return [
            Route("GET", re.compile(r"^/_control/requests$"), self._ctl_requests),
            Route("POST", re.compile(r"^/_control/script$"), self._ctl_script),
            Route("POST", re.compile(r"^/_control/clear$"), self._ctl_clear),
            Route("POST", re.compile(r"^/_control/config$"), self._ctl_config),
            Route("GET", re.compile(r"^/_control/health$"), self._ctl_health),
        ]

    async def _ctl_requests(self, request: HTTPRequest, responder: Responder, _: Any) -> None:
        await responder.send_json(200, [r.to_json() for r in self.requests])

    async def _ctl_script(self, request: HTTPRequest, responder: Responder, _: Any) -> None:
        spec = dict(request.json() or {})
        model, times = spec.pop("model", None), spec.pop("times", 1)
        try:
            fault = Fault.model_validate(spec.get("fault", spec))
            self.script(fault, model=model, times=times)
        except ValueError as exc:
            await responder.send_json(400, {"error": {"message": str(exc)}})
            return
        await responder.send_json(200, {"ok": True, "scripted": len(self._faults)})

    async def _ctl_clear(self, request: HTTPRequest, responder: Responder, _: Any) -> None:
        self.clear()
        await responder.send_json(200, {"ok": True})

    async def _ctl_config(self, request: HTTPRequest, responder: Responder, _: Any) -> None:
        spec = request.json() or {}
        for key in ("latency", "chunk_count", "reply_text"):
            if key in spec:
                setattr(self, key, spec[key])
        for model, text in (spec.get("replies") or {}).items():
            self.set_reply(text, model=model or None)
        await responder.send_json(200, {"ok": True})

    async def _ctl_health(self, request: HTTPRequest, responder: Responder, _: Any) -> None:
        await responder.send_json(200, {"ok": True, "provider": self.provider})


def _is(fault: Fault | None, kind: str) -> bool:
    return fault is not None and fault.kind == kind


def _retry_after_text(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def message_text(content: Any) -> str:
    """The text of a message's content: a str, or a list of text parts/blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return ""
