"""Azure OpenAI through the engine, over real HTTP to the OpenAI wire server's Azure route.

``OpenAIProvider`` with ``options={"azure": True, "api_version": ...}`` drives the real
``openai.AsyncAzureOpenAI``: the request must reach ``/openai/deployments/{deployment}/
chat/completions?api-version=...`` carrying an Entra ID bearer token (refreshed once after a
401) or an ``api-key`` header. Evidence comes from the server's request log.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import AllAttemptsFailed, AuthenticationError
from orchestration_kernel.providers.credentials import OAuth2ClientCredentials
from tests.conftest import fake_key
from tests.servers import Fault, OpenAIServer, TokenServer

pytestmark = pytest.mark.timeout(60)

API_VERSION = "2024-10-21"
DEPLOYMENT = "gpt-4o"
MODEL = f"openai:{DEPLOYMENT}"
AZURE_PATH = f"/openai/deployments/{DEPLOYMENT}/chat/completions"
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def servers() -> Iterator[tuple[TokenServer, OpenAIServer]]:
    """A token endpoint and an OpenAI server that only accepts its live tokens."""
    with TokenServer(lifetime=3600) as tokens, OpenAIServer() as srv:
        srv.require_bearer = tokens.is_valid
        yield tokens, srv


def azure_engine(
    srv: OpenAIServer, *, credential: Any = None, key: str | None = None, **options: Any
) -> OrchestrationEngine:
    """An engine whose ``openai`` provider is Azure OpenAI at ``srv``."""
    return OrchestrationEngine(
        offline="off",
        credentials={"openai": credential} if credential is not None else None,
        keys={"openai": key} if key is not None else None,
        base_urls={"openai": srv.azure_endpoint},
        provider_options={"openai": {"azure": True, "api_version": API_VERSION, **options}},
        retry=FAST,
    )


def oauth2(tokens: TokenServer) -> OAuth2ClientCredentials:
    """The client-credentials flow against the loopback token endpoint."""
    return OAuth2ClientCredentials(tokens.token_url, "azure-app", "secret-" + "z" * 8)


def issuing_callable(tokens: TokenServer) -> Any:
    """A plain callable token source returning ``(token, expires_at)``, like an Entra helper."""

    def get_token() -> tuple[str, float]:
        token, lifetime = tokens.issue()
        return token, time.time() + lifetime

    return get_token


async def ask(engine: OrchestrationEngine, how: str, prompt: str) -> Any:
    """One call, plain or streamed; returns the final Reply."""
    if how == "complete":
        return await engine.complete(MODEL, prompt)
    stream = engine.stream(MODEL, prompt)
    await stream.collect()
    return stream.reply


async def test_entra_token_reaches_the_azure_route(servers) -> None:
    tokens, srv = servers
    engine = azure_engine(srv, credential=oauth2(tokens))
    reply = await engine.complete(MODEL, "Hello Azure", system="Be terse.")
    assert "Hello Azure" in reply.text and not reply.simulated
    assert reply.finish_reason and reply.usage.input_tokens > 0
    (logged,) = srv.requests
    assert logged.path == AZURE_PATH and logged.status == 200
    assert logged.model == DEPLOYMENT and logged.api_version == API_VERSION
    assert logged.query["api-version"] == API_VERSION
    assert logged.headers["authorization"] == f"Bearer {logged.credential}"
    assert "api-key" not in logged.headers
    assert logged.credential in tokens.tokens and tokens.issued == 1
    assert logged.credential not in repr(reply) and logged.credential not in reply.model_dump_json()


async def test_entra_token_streams_from_the_azure_route(servers) -> None:
    tokens, srv = servers
    engine = azure_engine(srv, credential=oauth2(tokens))
    stream = engine.stream(MODEL, "Stream from Azure")
    deltas = [d async for d in stream]
    assert len([d for d in deltas if d.kind == "text"]) >= 2
    assert "".join(d.text for d in deltas) == stream.reply.text
    assert "Stream from Azure" in stream.reply.text and stream.reply.usage.output_tokens > 0
    (logged,) = srv.requests
    assert logged.stream and logged.path == AZURE_PATH and logged.api_version == API_VERSION
    assert logged.credential in tokens.tokens


@pytest.mark.parametrize("how", ["complete", "stream"])
@pytest.mark.parametrize("source", ["oauth2", "callable"])
async def test_expired_token_is_refreshed_once_after_a_401(servers, how, source) -> None:
    tokens, srv = servers
    credential = oauth2(tokens) if source == "oauth2" else issuing_callable(tokens)
    engine = azure_engine(srv, credential=credential)
    await ask(engine, how, "first")
    tokens.expire_all()  # Azure now rejects the token the engine holds
    reply = await ask(engine, how, "second")
    logged = srv.requests
    assert [r.status for r in logged] == [200, 401, 200]
    assert logged[1].fault == "unauthorized"
    assert logged[0].credential == logged[1].credential != logged[2].credential
    assert all(r.path == AZURE_PATH and r.api_version == API_VERSION for r in logged)
    assert [a.status for a in reply.attempts] == ["error", "ok"]
    assert "second" in reply.text and tokens.issued == 2


async def test_a_token_that_stays_rejected_fails_with_an_auth_error(servers) -> None:
    tokens, srv = servers
    engine = azure_engine(srv, credential=oauth2(tokens))
    srv.require_bearer = lambda token: False  # the resource refuses every token
    with pytest.raises(AllAttemptsFailed) as info:
        await engine.complete(MODEL, "never")
    logged = srv.requests
    assert [r.status for r in logged] == [401, 401]  # one refresh, then a clear error
    assert isinstance(info.value.last, AuthenticationError) and "401" in str(info.value)
    assert tokens.issued == 2
    assert all(r.credential not in str(info.value) for r in logged)


async def test_api_key_travels_in_the_api_key_header() -> None:
    key = fake_key("azure")
    with OpenAIServer() as srv:
        engine = azure_engine(srv, key=key)
        reply = await engine.complete(MODEL, "keyed call")
        stream = engine.stream(MODEL, "keyed stream")
        await stream.collect()
        assert "keyed call" in reply.text and "keyed stream" in stream.reply.text
        logged = srv.requests
        assert [(r.path, r.stream, r.status) for r in logged] == [
            (AZURE_PATH, False, 200),
            (AZURE_PATH, True, 200),
        ]
        for r in logged:
            assert r.headers["api-key"] == key == r.credential
            assert "authorization" not in r.headers and r.api_version == API_VERSION
        assert key not in repr(reply) and key not in reply.model_dump_json()


async def test_a_bearer_only_resource_rejects_an_api_key(servers) -> None:
    _, srv = servers
    key = fake_key("azure")
    engine = azure_engine(srv, key=key)
    with pytest.raises(AuthenticationError) as info:
        await engine.complete(MODEL, "key where a token is needed")
    assert [r.status for r in srv.requests] == [401]  # no credential to refresh: no retry
    assert key not in str(info.value)


async def test_azure_deployment_option_names_the_deployment(servers) -> None:
    tokens, srv = servers
    engine = azure_engine(srv, credential=oauth2(tokens), azure_deployment="prod-east")
    await engine.complete(MODEL, "pinned deployment")
    (logged,) = srv.requests
    assert logged.path == "/openai/deployments/prod-east/chat/completions"
    assert logged.model == "prod-east" and logged.json["model"] == DEPLOYMENT


@pytest.mark.parametrize(
    ("fault", "how"),
    [
        (Fault.rate_limit(retry_after=0.05), "complete"),
        (Fault.server_error(503), "stream"),
        (Fault.drop_mid_stream(after_chunks=2), "stream"),
        (Fault.malformed_chunk(after_chunks=1), "stream"),
    ],
    ids=["429", "503-stream", "drop", "malformed"],
)
async def test_faults_on_the_azure_route_are_retried(servers, fault, how) -> None:
    tokens, srv = servers
    engine = azure_engine(srv, credential=oauth2(tokens))
    srv.script(fault, model=DEPLOYMENT, times=1)
    reply = await ask(engine, how, "survive Azure")
    assert [a.status for a in reply.attempts] == ["error", "ok"]
    assert [r.fault for r in srv.requests] == [fault.kind, None]
    assert "survive Azure" in reply.text and tokens.issued == 1  # a fault is not an auth error


async def test_the_azure_route_requires_an_api_version() -> None:
    with OpenAIServer() as srv:
        async with httpx2.AsyncClient(timeout=10) as client:
            answer = await client.post(
                f"{srv.url}{AZURE_PATH}",
                json={"messages": [{"role": "user", "content": "hi"}]},
                headers={"api-key": fake_key("azure")},
            )
        assert answer.status_code == 404
        assert srv.requests[0].model == DEPLOYMENT and srv.requests[0].api_version is None


async def test_azure_environment_variables_configure_the_engine(monkeypatch) -> None:
    key = fake_key("azure")
    with OpenAIServer() as srv:
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", key)
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", srv.azure_endpoint)
        monkeypatch.setenv("OPENAI_API_VERSION", API_VERSION)
        engine = OrchestrationEngine(offline="off", provider_options={"openai": {"azure": True}})
        assert not engine.is_simulated(MODEL)
        reply = await engine.complete(MODEL, "configured from the environment")
        assert "configured from the environment" in reply.text
        (logged,) = srv.requests
        assert logged.path == AZURE_PATH and logged.headers["api-key"] == key
        assert logged.api_version == API_VERSION
