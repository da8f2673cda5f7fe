"""The SDK clients' sockets on plain asyncio streams, not through ``anyio``.

httpcore (``httpcore2``) reaches the network through a *backend*; on asyncio its default
goes through ``anyio``. Per request that is a cancel scope and a deadline for every read
and write, a task group and a spawned task for every connect, and a pass through the
event loop's queue before every write. With many calls in flight each of those passes
waits behind every other call's next step, and their objects keep the cyclic garbage
collector busy. Issue 24's 1,000 held pipelines spent about a fifth of the runtime
loop's CPU there (``python -m bench.http_held_timeline --arms pipe,pipe-asyncio``).

:class:`AsyncioBackend` does the same work on ``asyncio.open_connection``: a read is one
``StreamReader.read`` under ``asyncio.timeout``, a write goes to the transport at once,
TLS is ``StreamWriter.start_tls``. Errors map to httpcore's own exceptions as its
``anyio`` backend maps them (a timeout to ``ConnectTimeout``/``ReadTimeout``/
``WriteTimeout``, a socket error to ``ConnectError``/``ReadError``/``WriteError``), so
the SDKs see the same errors. :func:`use_asyncio_backend` gives it to a connection pool.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Awaitable
from typing import Any

__all__ = ["HAPPY_EYEBALLS_DELAY_S", "AsyncioBackend", "AsyncioStream", "use_asyncio_backend"]

#: Seconds before the next of a host's addresses is tried while one is still connecting
#: (RFC 8305; ``anyio.connect_tcp``'s default, which httpcore's own backend uses).
HAPPY_EYEBALLS_DELAY_S = 0.25


class AsyncioStream:
    """httpcore's network stream over an asyncio ``StreamReader``/``StreamWriter``."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, httpcore: Any
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._httpcore = httpcore

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Up to ``max_bytes`` bytes; ``b""`` once the peer has closed."""
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise self._httpcore.ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise self._httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send ``buffer``; waits only while the transport's buffer is over its limit."""
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise self._httpcore.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            raise self._httpcore.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        """Close the connection: buffered bytes go out, then the socket is released.

        As httpcore's ``anyio`` backend does it: a graceful close, one pass of the loop
        for it to flush, then an abort so the socket never outlives the call."""
        transport = self._writer.transport
        if transport.is_closing():
            return
        transport.close()
        await asyncio.sleep(0)
        transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncioStream:
        """Upgrade this connection to TLS in place; return the stream to use from now on."""
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            self._writer.close()
            raise self._httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:
            self._writer.close()
            raise self._httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks of a stream: the socket, its addresses, TLS, readability."""
        if info == "is_readable":
            return self._is_readable()
        names = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }
        return self._writer.get_extra_info(names[info]) if info in names else None

    def _is_readable(self) -> bool:
        # httpcore asks this of an idle keep-alive connection: True means it cannot be
        # reused (the server closed it, or sent bytes nobody asked for). asyncio reads
        # the socket as data comes, so the answer is in the reader, not on the socket.
        reader = self._reader
        buffered = bool(getattr(reader, "_buffer", b""))
        closing = self._writer.transport.is_closing()
        return buffered or reader.at_eof() or reader.exception() is not None or closing


class AsyncioBackend:
    """httpcore's network backend on asyncio streams (see the module's docstring).

    ``httpcore`` is the httpcore module whose exceptions the SDK's httpx maps
    (``httpcore2`` for ``httpx2``)."""

    def __init__(self, httpcore: Any) -> None:
        self._httpcore = httpcore

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> AsyncioStream:
        """Open a TCP connection (TCP_NODELAY, as asyncio sets it).

        A name with several addresses is tried as ``anyio`` tries it ("happy eyeballs":
        the next address 0.25 s after the last attempt began), so a host whose IPv6
        route is broken still connects over IPv4 at once. An address given as such has
        no other to race: it is connected to directly (asyncio's race costs a task)."""
        local = None if local_address is None else (local_address, 0)
        delay = None if _is_address(host) else HAPPY_EYEBALLS_DELAY_S
        opening = asyncio.open_connection(host, port, local_addr=local, happy_eyeballs_delay=delay)
        stream = await self._open(opening, timeout)
        sock = stream.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return stream

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> AsyncioStream:
        """Open a Unix socket connection."""
        return await self._open(asyncio.open_unix_connection(path), timeout)

    async def _open(
        self,
        opening: Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]],
        timeout: float | None,
    ) -> AsyncioStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await opening
        except TimeoutError as exc:
            raise self._httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise self._httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(reader, writer, self._httpcore)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (httpcore's connect retries)."""
        await asyncio.sleep(seconds)


def _is_address(host: str) -> bool:
    """True for an IPv4 or IPv6 address written out (``127.0.0.1``, ``::1``)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def use_asyncio_backend(transport: Any) -> bool:
    """Give ``transport`` (an ``httpx.AsyncHTTPTransport``) the asyncio backend.

    False, and the transport left as it is, when its pool is not the shape this was
    written for (another httpx version): the ``anyio`` backend then carries on."""
    import importlib

    pool = getattr(transport, "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):
        return False
    module = importlib.import_module(type(pool).__module__.split(".")[0])
    if type(pool) is not getattr(module, "AsyncConnectionPool", None):
        return False  # a proxy pool or a mock: leave it alone
    pool._network_backend = AsyncioBackend(module)
    return True
