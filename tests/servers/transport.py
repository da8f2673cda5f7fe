"""A minimal asyncio HTTP/1.1 server on ``h11``, with keep-alive and low-level control.

Why not a framework: the wire servers must be able to abort a connection mid-body, stall
between chunks and write arbitrary bytes into a stream, and aiohttp must stay
uninstalled (google-genai switches to it when it is importable). ``h11`` does the
protocol bookkeeping; this module does the socket work and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import h11

__all__ = ["HTTPRequest", "HTTPServer", "Responder"]

_READ_SIZE = 65536
_MAX_HEAD = 64 * 1024


@dataclass
class HTTPRequest:
    """One parsed request: what a handler sees."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    t_start: float
    path: str = field(init=False)
    query: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Responder:
    """Writes one response on a connection: whole, streamed, or broken on purpose."""

    def __init__(self, conn: h11.Connection, writer: asyncio.StreamWriter) -> None:
        self._conn = conn
        self._writer = writer
        self.started = False
        self.aborted = False
        self.status: int | None = None
        #: called once, just before the response's last bytes go out (or the connection is
        #: closed), so a request log is complete by the time the client has the response
        self.on_finish: Callable[[Responder], None] | None = None

    def finish(self) -> None:
        """Run :attr:`on_finish` (once)."""
        hook, self.on_finish = self.on_finish, None
        if hook is not None:
            hook(self)

    async def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """A complete response with a Content-Length."""
        hdrs = dict(headers or {})
        hdrs["content-length"] = str(len(body))
        await self.start(status, hdrs)
        self.finish()
        if body:
            await self.write(body)
        await self.end()

    async def send_json(
        self, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> None:
        """A complete JSON response."""
        hdrs = {"content-type": "application/json"}
        hdrs.update(headers or {})
        await self.send(status, json.dumps(payload).encode(), hdrs)

    async def start(self, status: int, headers: dict[str, str]) -> None:
        """Send the status line and headers (chunked when there is no Content-Length)."""
        self.started = True
        self.status = status
        items = [(k.encode(), str(v).encode()) for k, v in headers.items()]
        self._writer.write(self._conn.send(h11.Response(status_code=status, headers=items)))
        await self._writer.drain()

    async def write(self, data: bytes) -> None:
        """Send body bytes (one chunk when chunked) and flush them to the socket."""
        self._writer.write(self._conn.send(h11.Data(data=data)))
        await self._writer.drain()

    async def end(self) -> None:
        """Finish the body cleanly."""
        self.finish()
        self._writer.write(self._conn.send(h11.EndOfMessage()))
        await self._writer.drain()

    def abort(self) -> None:
        """Close the TCP connection now: the client sees an incomplete response.

        ``close`` (not ``transport.abort``) so bytes already written still reach the
        client before the FIN — a drop *after* two chunks must deliver those chunks.
        """
        self.finish()
        self.aborted = True
        self._writer.close()


Handler = Callable[[HTTPRequest, Responder], Awaitable[None]]


class HTTPServer:
    """Serves ``handler`` on ``host:port`` with HTTP/1.1 keep-alive, inside a running loop."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0  # accepted so far: lets tests see keep-alive reuse

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        assert self._server is not None, "server not started"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Bind and listen; a large backlog so 1,000+ clients can connect at once."""
        self._server = await asyncio.start_server(
            self._on_connect, self._host, self._port, backlog=4096, limit=_MAX_HEAD
        )

    async def stop(self) -> None:
        """Stop listening and cancel every open connection (stalled ones included)."""
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self.connections += 1
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, h11.ProtocolError):
            pass  # the client went away or spoke garbage: nothing to answer
        except asyncio.CancelledError:
            pass  # stop(): swallowed, or asyncio logs every cancelled connection as an error
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEAD)
        while True:
            request = await _read_request(conn, reader)
            if request is None:
                return
            responder = Responder(conn, writer)
            await self._run_handler(request, responder)
            if responder.aborted or conn.our_state is not h11.DONE:
                return
            if conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _run_handler(self, request: HTTPRequest, responder: Responder) -> None:
        try:
            await self._handler(request, responder)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a bug in a handler: answer 500 rather than hang the client
            if responder.started:
                responder.abort()
            else:
                await responder.send_json(500, {"error": {"message": f"test server bug: {exc!r}"}})


async def _read_request(conn: h11.Connection, reader: asyncio.StreamReader) -> HTTPRequest | None:
    """Read one full request (head and body), or None when the client closed."""
    head: h11.Request | None = None
    t_start = 0.0
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(_READ_SIZE)
            conn.receive_data(data)
            if not data and conn.their_state is h11.IDLE:
                return None
            continue
        if isinstance(event, h11.Request):
            head, t_start = event, time.monotonic()
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            headers = {k.decode().lower(): v.decode("latin-1") for k, v in head.headers}
            return HTTPRequest(
                method=head.method.decode(),
                target=head.target.decode("latin-1"),
                headers=headers,
                body=bytes(body),
                t_start=t_start,
            )
        elif isinstance(event, h11.ConnectionClosed):
            return None
        else:  # h11.PAUSED cannot happen before we answer; treat anything else as closed
            return None
