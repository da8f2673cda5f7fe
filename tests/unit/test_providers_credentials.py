"""TokenProvider: the shapes a token source may return, caching and refresh, one refresh
for concurrent callers, and secrets kept out of every repr."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest

from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.providers.credentials import (
    OAuth2ClientCredentials,
    Token,
    TokenProvider,
    as_token_provider,
)
from orchestration_kernel.secrets import Secret


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    "result",
    [
        Token(Secret("tok-a"), 10_000.0),
        ("tok-a", 10_000.0),
        (Secret("tok-a"), 10_000),
        SimpleNamespace(token="tok-a", expires_on=10_000),  # azure.core AccessToken
        SimpleNamespace(token="tok-a", expires_at=10_000),  # anthropic AccessToken
        SimpleNamespace(access_token="tok-a", expires_at=10_000),
    ],
    ids=["Token", "tuple", "secret-tuple", "expires_on", "expires_at", "access_token"],
)
async def test_source_shapes_are_cached_until_expiry(result: object) -> None:
    calls: list[int] = []

    def source() -> object:
        calls.append(1)
        return result

    clock = Clock()
    provider = TokenProvider(source, clock=clock, skew=60)
    assert (await provider.get()).get() == "tok-a"
    await provider.get()
    assert len(calls) == 1
    clock.now = 10_000 - 30  # inside the skew
    await provider.get()
    assert len(calls) == 2 and provider.refreshes == 2


async def test_bare_string_source_is_asked_every_time() -> None:
    calls: list[int] = []

    async def source() -> str:
        calls.append(1)
        return f"tok-{len(calls)}"

    provider = TokenProvider(source)
    assert (await provider.get()).get() == "tok-1"
    assert (await provider.get()).get() == "tok-2"


async def test_object_with_get_token_and_async_call() -> None:
    class Source:
        def get_token(self) -> tuple[str, None]:
            return "from-object", None

    class AsyncCallable:
        async def __call__(self) -> Token:
            return Token(Secret("from-async-call"), None)

    assert (await TokenProvider(Source()).get()).get() == "from-object"
    assert (await TokenProvider(AsyncCallable()).get()).get() == "from-async-call"


async def test_sync_source_returning_awaitable() -> None:
    async def later() -> str:
        return "awaited"

    assert (await TokenProvider(lambda: later()).get()).get() == "awaited"


async def test_invalidate_forces_a_refresh() -> None:
    n = iter(range(1, 100))
    provider = TokenProvider(lambda: (f"tok-{next(n)}", 1e12))
    assert (await provider.get()).get() == "tok-1"
    provider.invalidate()
    assert provider.current is None
    assert (await provider.get()).get() == "tok-2"


async def test_concurrent_callers_share_one_refresh() -> None:
    started = threading.Event()
    calls: list[int] = []

    async def source() -> tuple[str, float]:
        calls.append(1)
        started.set()
        await asyncio.sleep(0.05)
        return "shared", 1e12

    provider = TokenProvider(source)
    values = await asyncio.gather(*(provider.get() for _ in range(10)))
    assert {v.get() for v in values} == {"shared"} and len(calls) == 1


def test_usable_from_several_loops() -> None:
    provider = TokenProvider(lambda: ("tok", 1e12))
    assert asyncio.run(provider.get()).get() == "tok"
    provider.invalidate()
    assert asyncio.run(provider.get()).get() == "tok"


async def test_bad_sources_and_results_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="callable"):
        TokenProvider(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="must return"):
        await TokenProvider(lambda: 42).get()


def test_reprs_never_show_tokens_or_secrets() -> None:
    provider = TokenProvider(lambda: "x")
    assert "empty" in repr(provider)
    cred = OAuth2ClientCredentials("http://127.0.0.1:9/token", "cid", "cs-" + "q" * 20)
    assert "q" * 20 not in repr(cred) and "cid" in repr(cred)
    with pytest.raises(ConfigurationError, match="auth_method"):
        OAuth2ClientCredentials("http://x/token", "cid", "s", auth_method="jwt")


def test_as_token_provider() -> None:
    assert as_token_provider(None) is None
    provider = TokenProvider(lambda: "x")
    assert as_token_provider(provider) is provider
    assert isinstance(as_token_provider(lambda: "x"), TokenProvider)


async def test_oauth_unreachable_endpoint_is_a_connection_failure() -> None:
    from orchestration_kernel.errors import ConnectionFailure

    cred = OAuth2ClientCredentials(
        "http://127.0.0.1:9/token", "cid", "secret-" + "w" * 20, timeout=2
    )
    with pytest.raises(ConnectionFailure) as info:
        await cred.get()
    assert "w" * 20 not in str(info.value)
    # The httpx2 error (its request carries the Basic auth header) is not reachable from it.
    assert info.value.__context__ is None and info.value.__cause__ is None
