"""Refreshable bearer tokens against a loopback token endpoint and the wire servers:
fetched with the OAuth2 client-credentials grant, refreshed before expiry, and once more
after a 401 (the engine calls ``credential.invalidate()`` and retries)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from orchestration_kernel.errors import AuthenticationError, ServerError
from orchestration_kernel.models import ChatRequest, Message
from orchestration_kernel.providers.base import Timeouts
from orchestration_kernel.providers.credentials import OAuth2ClientCredentials, Token, TokenProvider
from orchestration_kernel.providers.registry import create_provider
from orchestration_kernel.secrets import Secret
from tests.servers import (
    AnthropicServer,
    Fault,
    OpenAIServer,
    PerplexityServer,
    TokenServer,
    WireServer,
)

pytestmark = pytest.mark.timeout(60)
T = Timeouts(connect=5.0, first_token=10.0, idle=10.0, overall=30.0)


def client_secret() -> str:
    return "cs-" + "s" * 28


class Clock:
    """A clock the test moves by hand (so expiry needs no sleeping)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def token_server() -> Iterator[TokenServer]:
    with TokenServer(lifetime=600) as srv:
        yield srv


def oauth(
    token_server: TokenServer, clock: Clock | None = None, **kw: object
) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        token_server.token_url,
        "client-1",
        client_secret(),
        scope=["models.read", "models.call"],
        clock=clock or Clock(),
        **kw,  # type: ignore[arg-type]
    )


# -- the token endpoint ---------------------------------------------------------------------


async def test_client_credentials_grant_is_cached(token_server: TokenServer) -> None:
    token_server.clear()
    cred = oauth(token_server)
    first = await cred.get()
    assert first.get() in token_server.tokens
    assert (await cred.get()) == first
    assert token_server.issued == 1
    form = token_server.requests[-1].json
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "models.read models.call"
    assert token_server.requests[-1].headers["authorization"].startswith("Basic ")
    assert client_secret() not in repr(cred) and first.get() not in repr(cred)


async def test_post_auth_method_sends_id_in_form(token_server: TokenServer) -> None:
    token_server.clear()
    cred = oauth(token_server, auth_method="post", extra={"audience": "llm"})
    await cred.get()
    form = token_server.requests[-1].json
    assert form["client_id"] == "client-1" and form["audience"] == "llm"
    assert "authorization" not in token_server.requests[-1].headers


async def test_refresh_before_expiry(token_server: TokenServer) -> None:
    token_server.clear()
    clock = Clock()
    cred = oauth(token_server, clock)
    first = await cred.get()
    clock.now += 600 - 61  # still more than the 60 s skew left
    assert await cred.get() == first
    clock.now += 2  # inside the skew: refresh now, not in flight
    second = await cred.get()
    assert second != first and token_server.issued == 2


async def test_token_endpoint_errors_are_mapped_without_the_secret(
    token_server: TokenServer,
) -> None:
    token_server.clear()
    token_server.script(Fault.status(401, "unknown client"))
    with pytest.raises(AuthenticationError) as info:
        await oauth(token_server).get()
    assert client_secret() not in str(info.value)
    token_server.script(Fault.server_error(503))
    with pytest.raises(ServerError):
        await oauth(token_server).get()


# -- adapters with a refreshable credential ---------------------------------------------------


@dataclass(frozen=True)
class Vendor:
    provider: str
    server: type[WireServer]
    model: str


VENDORS = [
    Vendor("openai", OpenAIServer, "gpt-4o-mini"),
    Vendor("anthropic", AnthropicServer, "claude-sonnet-4-6"),
    Vendor("perplexity", PerplexityServer, "sonar"),
]


@pytest.fixture(params=VENDORS, ids=[v.provider for v in VENDORS])
def vendor(
    request: pytest.FixtureRequest, token_server: TokenServer
) -> Iterator[tuple[Vendor, WireServer]]:
    token_server.clear()
    with request.param.server(require_bearer=token_server.is_valid) as srv:
        yield request.param, srv


def ask(model: str) -> ChatRequest:
    return ChatRequest(model=model, messages=[Message(role="user", content="with a token")])


async def test_token_is_refreshed_after_a_401(
    vendor: tuple[Vendor, WireServer], token_server: TokenServer
) -> None:
    spec, srv = vendor
    cred = oauth(token_server)
    adapter = create_provider(spec.provider, credential=cred, base_url=srv.base_url)
    assert adapter.credential is cred  # type: ignore[attr-defined]
    try:
        await adapter.complete(ask(spec.model), T)
        first = srv.requests[-1].credential
        assert first == token_server.tokens[0]

        token_server.expire_all()  # the identity provider revoked it early
        with pytest.raises(AuthenticationError) as info:
            await adapter.complete(ask(spec.model), T)
        assert first not in str(info.value) and first not in repr(info.value)

        cred.invalidate()  # what the engine does before its one retry
        chunks = [c async for c in adapter.stream(ask(spec.model), T)]
    finally:
        await adapter.aclose()
    assert chunks[-1].finish_reason
    assert srv.requests[-1].credential == token_server.tokens[-1] != first
    assert token_server.issued == 2


async def test_token_is_refreshed_on_expiry(
    vendor: tuple[Vendor, WireServer], token_server: TokenServer
) -> None:
    spec, srv = vendor
    clock = Clock()
    adapter = create_provider(
        spec.provider, credential=oauth(token_server, clock), base_url=srv.base_url
    )
    try:
        await adapter.complete(ask(spec.model), T)
        clock.now += 3600
        await adapter.complete(ask(spec.model), T)
    finally:
        await adapter.aclose()
    used = [r.credential for r in srv.requests]
    assert used == token_server.tokens and len(set(used)) == 2
    assert all(r.status == 200 for r in srv.requests)


async def test_plain_callable_credential(
    vendor: tuple[Vendor, WireServer], token_server: TokenServer
) -> None:
    spec, srv = vendor
    calls: list[int] = []

    def source() -> tuple[str, float]:
        calls.append(1)
        token, _ = token_server.issue()
        return token, 4_000_000_000.0  # far future: cached

    adapter = create_provider(spec.provider, credential=source, base_url=srv.base_url)
    assert isinstance(adapter.credential, TokenProvider)  # type: ignore[attr-defined]
    try:
        await adapter.complete(ask(spec.model), T)
        await adapter.complete(ask(spec.model), T)
    finally:
        await adapter.aclose()
    assert len(calls) == 1
    assert srv.requests[-1].credential == token_server.tokens[-1]


def test_token_repr_hides_value() -> None:
    token = Token(Secret("tok-" + "v" * 20), 5.0)
    assert "v" * 20 not in repr(token)
