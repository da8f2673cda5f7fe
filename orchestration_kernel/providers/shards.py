"""One HTTP transport made of several connection pools, for the SDK clients we make.

httpx's pool (httpcore's ``AsyncConnectionPool``) walks every connection it holds and
every request it queues each time a request arrives and each time a response closes: a
pass is linear in the requests in flight, so N calls at once cost N² steps, all on the
one event loop. With 1,000 calls held by a server at once that walk is seconds of CPU
in one interpreter (issue 24: 1,000 held pipelines), and the SDK's own default client
pays it too.

:class:`ShardedTransport` spreads the requests over ``shards`` pools, each with its share
of the limits, and sends each request to the pool with the fewest requests in flight
(the first such, so one call at a time always reuses the first pool's connection). Each
pass then walks about N / shards entries. The limits in total are the ones given
(``max_connections``, ``max_keepalive_connections``), split evenly; every other setting
is the one the SDK's default transport has (TLS verification, ``trust_env``, HTTP/1.1).
Each pool reaches the network through :mod:`.netio`'s asyncio backend, not ``anyio``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .netio import use_asyncio_backend

__all__ = ["SHARDS", "keep_every_connection", "sdk_http_client", "sharded_transport"]

#: Pools per transport: 1,000 calls in flight walk ~125 entries per pass, not 1,000.
SHARDS = 8


def sharded_transport(httpx_module: Any, limits: Any, shards: int = SHARDS) -> Any:
    """A transport for ``httpx_module`` (``httpx2`` or ``httpx``) of ``shards`` pools
    that share ``limits`` (an ``httpx.Limits``) between them."""
    return _transport_class(httpx_module)(limits, shards)


def sdk_http_client(sdk: Any, httpx_module: Any, **kwargs: Any) -> Any:
    """``sdk.DefaultAsyncHttpxClient(**kwargs)`` (the SDK's timeouts, limits, redirects)
    on a :func:`sharded_transport` that shares the SDK's default connection limits,
    keeping idle as many connections as it may open (:func:`keep_every_connection`)."""
    limits = getattr(getattr(sdk, "_constants", None), "DEFAULT_CONNECTION_LIMITS", None)
    if limits is None:  # pragma: no cover - another SDK layout: the SDK's documented limits
        limits = httpx_module.Limits(max_connections=1000, max_keepalive_connections=100)
    transport = sharded_transport(httpx_module, keep_every_connection(httpx_module, limits))
    return sdk.DefaultAsyncHttpxClient(transport=transport, **kwargs)


def keep_every_connection(httpx_module: Any, limits: Any) -> Any:
    """``limits`` with as many idle connections kept as may be open at once.

    The SDKs open up to 1,000 connections but keep 100 idle: after a burst of more
    calls than that, each one past the hundredth closes its connection as it finishes,
    and the next burst connects again (a TCP connect and, against a real API, a TLS
    handshake, each on the event loop's CPU). Kept, a connection costs an idle socket
    until the keep-alive expiry (the SDK's, 5 s) closes it, or the server does (an
    idle connection the server closed is never reused: :mod:`.netio`)."""
    if limits.max_connections is None:
        return limits
    return httpx_module.Limits(
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_connections,
        keepalive_expiry=limits.keepalive_expiry,
    )


_classes: dict[str, type] = {}


def _transport_class(httpx: Any) -> type:
    """The transport class for one httpx module (made once per module)."""
    made = _classes.get(httpx.__name__)
    if made is not None:
        return made

    class ShardedTransport(httpx.AsyncBaseTransport):  # type: ignore[misc]
        """Several connection pools behind one transport (see the module's docstring)."""

        def __init__(self, limits: Any, shards: int) -> None:
            def part(total: int | None, floor: int) -> int | None:
                return None if total is None else max(floor, -(-total // shards))

            each = httpx.Limits(
                max_connections=part(limits.max_connections, 1),
                max_keepalive_connections=part(limits.max_keepalive_connections, 1),
                keepalive_expiry=limits.keepalive_expiry,
            )
            self._pools = [httpx.AsyncHTTPTransport(limits=each) for _ in range(shards)]
            for pool in self._pools:
                use_asyncio_backend(pool)
            self._busy = [0] * shards

        async def handle_async_request(self, request: Any) -> Any:
            busy = self._busy
            index = busy.index(min(busy))  # the least busy pool, the first of equals
            busy[index] += 1
            try:
                response = await self._pools[index].handle_async_request(request)
            except BaseException:
                busy[index] -= 1
                raise
            if response.is_closed:  # its body came with it: nothing will close it later
                busy[index] -= 1
            else:
                response.stream = _Releasing(response.stream, busy, index)
            return response

        async def aclose(self) -> None:
            for pool in self._pools:
                await pool.aclose()

    class _Releasing(httpx.AsyncByteStream):  # type: ignore[misc]
        """A response body that gives its pool's place back when it is closed."""

        def __init__(self, inner: Any, busy: list[int], index: int) -> None:
            self._inner = inner
            self._busy: list[int] | None = busy
            self._index = index

        def __aiter__(self) -> AsyncIterator[bytes]:
            return self._inner.__aiter__()  # type: ignore[no-any-return]

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                busy, self._busy = self._busy, None
                if busy is not None:  # closed twice: counted once
                    busy[self._index] -= 1

    _classes[httpx.__name__] = ShardedTransport
    return ShardedTransport
