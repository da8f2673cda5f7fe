"""The SDK clients we make keep as many idle connections as they may open (issue 24).

The SDKs' default pool opens up to 1,000 connections but keeps only 100 once idle, so
each burst of more than 100 calls at once closed the rest as they finished and opened
them again for the next burst (a TCP connect each, and a TLS handshake against a real
API). Our clients keep every connection they opened, until it has been idle for the
SDK's keep-alive expiry, so a second burst as large as the first opens none.
"""

from __future__ import annotations

import asyncio

import httpx2
import openai

from orchestration_kernel.providers.shards import sdk_http_client

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def _burst_server(n: int, connections: list[int]):
    """A handler that answers requests in bursts of ``n``: none before all ``n`` arrived
    (so a burst holds ``n`` connections at once), counting the connections opened."""
    waiting: list[asyncio.Future[None]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            try:
                await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            arrived = asyncio.get_running_loop().create_future()
            waiting.append(arrived)
            if len(waiting) == n:
                for w in waiting:
                    w.set_result(None)
                waiting.clear()
            await arrived
            writer.write(OK)
        writer.close()

    return handler


def test_a_second_burst_reuses_every_connection_of_the_first() -> None:
    n = 130  # more than the SDK's 100 idle connections
    connections: list[int] = []

    async def go() -> tuple[int, int]:
        server = await asyncio.start_server(_burst_server(n, connections), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, sdk_http_client(openai, httpx2) as client:
            url = f"http://127.0.0.1:{port}/"
            first = await asyncio.gather(*(client.get(url) for _ in range(n)))
            opened = len(connections)
            second = await asyncio.gather(*(client.get(url) for _ in range(n)))
            assert [r.text for r in first + second] == ["ok"] * (2 * n)
            return opened, len(connections)

    opened, after = asyncio.run(go())
    assert opened == n
    assert after == n  # the second burst opened none
