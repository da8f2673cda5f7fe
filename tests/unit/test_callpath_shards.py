"""The sharded transport the SDK clients get: each request goes to the least busy pool,
and a pool's place is given back when its response closes or its request fails."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from orchestration_kernel.providers.shards import sdk_http_client, sharded_transport

LIMITS = httpx2.Limits(max_connections=10, max_keepalive_connections=4)


class _Body(httpx2.AsyncByteStream):
    """A body read from the network as a real pool's is (open until closed)."""

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield b"ok"


def _recording(pools: int) -> tuple[object, list[int]]:
    """A transport of ``pools`` pools whose pools answer at once, noting which pool served."""
    transport = sharded_transport(httpx2, LIMITS, shards=pools)
    served: list[int] = []

    def pool(i: int) -> httpx2.MockTransport:
        def answer(request: httpx2.Request) -> httpx2.Response:
            served.append(i)
            if request.url.path == "/fail":
                raise httpx2.ConnectError("refused", request=request)
            if request.url.path == "/whole":  # a body that arrives with the response
                return httpx2.Response(200, content=b"ok")
            return httpx2.Response(200, stream=_Body())

        return httpx2.MockTransport(answer)

    transport._pools = [pool(i) for i in range(pools)]  # type: ignore[attr-defined]
    return transport, served


def test_one_call_at_a_time_stays_on_the_first_pool() -> None:
    async def go() -> list[int]:
        transport, served = _recording(3)
        async with httpx2.AsyncClient(transport=transport) as client:
            for _ in range(4):
                assert (await client.get("http://x/a")).text == "ok"
        return served

    assert asyncio.run(go()) == [0, 0, 0, 0]


def test_calls_in_flight_spread_over_the_pools_and_come_back() -> None:
    async def go() -> list[int]:
        transport, served = _recording(3)
        async with httpx2.AsyncClient(transport=transport) as client:
            open_ = [await client.send(client.build_request("GET", "http://x/a"), stream=True)]
            open_.append(await client.send(client.build_request("GET", "http://x/a"), stream=True))
            open_.append(await client.send(client.build_request("GET", "http://x/a"), stream=True))
            open_.append(await client.send(client.build_request("GET", "http://x/a"), stream=True))
            for response in open_[1:]:
                await response.aclose()
            await open_[1].aclose()  # closed twice: given back once
            await client.get("http://x/a")  # pools 1 and 2 are free again, 0 is not
        return served

    assert asyncio.run(go()) == [0, 1, 2, 0, 1]


def test_a_failed_request_gives_its_place_back() -> None:
    async def go() -> list[int]:
        transport, served = _recording(2)
        async with httpx2.AsyncClient(transport=transport) as client:
            with pytest.raises(httpx2.ConnectError):
                await client.get("http://x/fail")
            await client.get("http://x/whole")
            await client.get("http://x/a")
        return served

    assert asyncio.run(go()) == [0, 0, 0]


def test_the_limits_are_shared_between_the_pools() -> None:
    transport = sharded_transport(httpx2, LIMITS, shards=3)
    pools = transport._pools  # type: ignore[attr-defined]
    assert len(pools) == 3
    # 10 connections over 3 pools: 4 each at most (rounded up), 2 kept alive each.
    assert {p._pool._max_connections for p in pools} == {4}
    assert {p._pool._max_keepalive_connections for p in pools} == {2}


def test_the_sdk_client_keeps_its_own_defaults() -> None:
    import openai

    client = sdk_http_client(openai, httpx2)
    try:
        assert client.timeout == openai.DefaultAsyncHttpxClient().timeout
        assert client.follow_redirects is True
    finally:
        asyncio.run(client.aclose())
