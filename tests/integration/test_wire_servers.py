"""The wire-protocol test servers, driven by the real provider SDKs over loopback HTTP."""

from __future__ import annotations

import asyncio
import email.utils
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import perplexity
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from tests.servers import (
    AnthropicServer,
    Fault,
    GeminiServer,
    LoggedRequest,
    OpenAIServer,
    PerplexityServer,
    TokenServer,
    spawn_server,
)
from tests.servers.base import split_text
from tests.servers.faults import FaultBook

#: What "the client sees a broken stream" means, whichever SDK and HTTP stack: these tests check
#: the wire servers' faults, not which class a given SDK release wraps them in.
BROKEN_STREAM: tuple[type[BaseException], ...] = (
    openai.APIConnectionError,
    anthropic.APIConnectionError,
    perplexity.APIConnectionError,
    httpx.TransportError,
    httpx2.TransportError,
)
#: A stall past the read timeout, as any of the SDKs or HTTP stacks report it.
TIMED_OUT: tuple[type[BaseException], ...] = (
    openai.APITimeoutError,
    anthropic.APITimeoutError,
    perplexity.APITimeoutError,
    httpx.TimeoutException,
    httpx2.TimeoutException,
)

pytestmark = pytest.mark.timeout(60)

FAKE_KEY = "test-" + "k" * 24
USER = [{"role": "user", "content": "hello there"}]


# ------------------------------------------------------------------ fixtures
@pytest.fixture
def oai_srv() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def ant_srv() -> Iterator[AnthropicServer]:
    with AnthropicServer() as srv:
        yield srv


@pytest.fixture
def gem_srv() -> Iterator[GeminiServer]:
    with GeminiServer() as srv:
        yield srv


@pytest.fixture
def ppx_srv() -> Iterator[PerplexityServer]:
    with PerplexityServer() as srv:
        yield srv


class Clients:
    """Makes SDK clients pointed at the wire servers, and closes them after the test."""

    def __init__(self) -> None:
        self.opened: list[Any] = []

    def track(self, client: Any) -> Any:
        """Close ``client`` (an SDK client, genai client or httpx2 client) at teardown."""
        self.opened.append(client)
        return client

    def oai(self, srv: Any, read: float = 5.0) -> openai.AsyncOpenAI:
        return self.track(
            openai.AsyncOpenAI(
                api_key=FAKE_KEY,
                base_url=srv.base_url,
                max_retries=0,
                timeout=httpx2.Timeout(5.0, read=read),
            )
        )

    def ant(self, srv: AnthropicServer, **kw: Any) -> anthropic.AsyncAnthropic:
        kw.setdefault("api_key", FAKE_KEY)
        return self.track(anthropic.AsyncAnthropic(base_url=srv.base_url, max_retries=0, **kw))

    def gem(self, srv: GeminiServer, timeout_ms: int | None = None, **kw: Any) -> genai.Client:
        http = self.track(httpx2.AsyncClient())
        options = genai_types.HttpOptions(
            base_url=srv.base_url, httpx_async_client=http, timeout=timeout_ms, **kw
        )
        return self.track(genai.Client(api_key=FAKE_KEY, http_options=options))

    def ppx(self, srv: PerplexityServer) -> perplexity.AsyncPerplexity:
        return self.track(
            perplexity.AsyncPerplexity(api_key=FAKE_KEY, base_url=srv.base_url, max_retries=0)
        )

    async def aclose(self) -> None:
        for client in reversed(self.opened):
            if isinstance(client, genai.Client):
                await client.aio.aclose()
            elif hasattr(client, "aclose"):
                await client.aclose()
            else:
                await client.close()


@pytest.fixture
async def clients() -> Any:
    made = Clients()
    yield made
    await made.aclose()


async def oai_stream_text(client: openai.AsyncOpenAI, **kw: Any) -> tuple[str, list[Any]]:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=USER, stream=True, **kw
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, chunks


# ------------------------------------------------------------------ OpenAI
async def test_openai_json_reply_usage_and_log(oai_srv: OpenAIServer, clients: Clients) -> None:
    client = clients.oai(oai_srv)
    reply = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "system", "content": "be brief"}, *USER]
    )
    assert reply.choices[0].message.content == "Echo from gpt-4o-mini: hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    (entry,) = oai_srv.requests
    assert isinstance(entry, LoggedRequest)
    assert (entry.method, entry.path, entry.model, entry.stream) == (
        "POST",
        "/v1/chat/completions",
        "gpt-4o-mini",
        False,
    )
    assert entry.json["messages"][1]["content"] == "hello there"
    assert entry.credential == FAKE_KEY
    assert entry.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert entry.status == 200 and entry.fault is None
    assert entry.t_end is not None and entry.t_end >= entry.t_start


async def test_openai_stream_matches_json_and_reports_usage(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    client = clients.oai(oai_srv)
    oai_srv.chunk_count = 3
    text, chunks = await oai_stream_text(client, stream_options={"include_usage": True})
    whole = await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) == 3
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert oai_srv.requests[0].stream is True


async def test_openai_stream_without_include_usage_has_no_usage(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    _, chunks = await oai_stream_text(clients.oai(oai_srv))
    assert all(c.usage is None for c in chunks)


async def test_openai_max_tokens_truncates_with_length(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    client = clients.oai(oai_srv)
    reply = await client.chat.completions.create(model="m", messages=USER, max_tokens=2)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens <= 2
    _, chunks = await oai_stream_text(client, max_completion_tokens=2)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"


async def test_openai_replies_can_be_set(oai_srv: OpenAIServer, clients: Clients) -> None:
    client = clients.oai(oai_srv)
    oai_srv.set_reply("special", model="gpt-4o")
    oai_srv.reply_text = lambda entry: f"callable for {entry.model}"
    a = await client.chat.completions.create(model="gpt-4o", messages=USER)
    b = await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert a.choices[0].message.content == "special"
    assert b.choices[0].message.content == "callable for gpt-4o-mini"
    oai_srv.reply_text = "fixed"
    oai_srv.set_reply(None, model="gpt-4o")
    c = await client.chat.completions.create(model="gpt-4o", messages=USER)
    assert c.choices[0].message.content == "fixed"
    oai_srv.set_reply("for all")
    d = await client.chat.completions.create(model="gpt-4o", messages=USER)
    assert d.choices[0].message.content == "for all"


async def test_openai_default_reply_is_truncated(oai_srv: OpenAIServer, clients: Clients) -> None:
    reply = await clients.oai(oai_srv).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "x" * 2000}]
    )
    assert reply.choices[0].message.content is not None
    assert 0 < len(reply.choices[0].message.content) <= 500


async def test_openai_rate_limit_with_retry_after_once(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    client = clients.oai(oai_srv)
    oai_srv.script(Fault.rate_limit(retry_after=1.5), model="gpt-4o-mini", times=1)
    with pytest.raises(openai.RateLimitError) as info:
        await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert info.value.response.headers["retry-after"] == "1.5"
    assert info.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    ok = await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert ok.choices[0].message.content
    assert [(r.status, r.fault) for r in oai_srv.requests] == [(429, "rate_limit"), (200, None)]


async def test_openai_rate_limit_retry_after_http_date(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    oai_srv.script(Fault.rate_limit(retry_after=date))
    with pytest.raises(openai.RateLimitError) as info:
        await clients.oai(oai_srv).chat.completions.create(model="m", messages=USER)
    assert info.value.response.headers["retry-after"] == date


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_openai_server_errors(oai_srv: OpenAIServer, status: int, clients: Clients) -> None:
    oai_srv.script(Fault.server_error(status))
    with pytest.raises(openai.InternalServerError) as info:
        await clients.oai(oai_srv).chat.completions.create(model="m", messages=USER)
    assert info.value.status_code == status


@pytest.mark.parametrize(
    ("code", "exc"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (403, openai.PermissionDeniedError),
        (404, openai.NotFoundError),
        (422, openai.UnprocessableEntityError),
    ],
)
async def test_openai_status_faults(
    oai_srv: OpenAIServer, code: int, exc: type, clients: Clients
) -> None:
    oai_srv.script(Fault.status(code, "This model's maximum context length is 8192 tokens"))
    with pytest.raises(exc) as info:
        await clients.oai(oai_srv).chat.completions.create(model="m", messages=USER)
    assert "maximum context length" in str(info.value)
    assert info.value.body["code"] == "context_length_exceeded"  # type: ignore[attr-defined]


async def test_openai_overloaded_is_a_5xx(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.script(Fault.overloaded())
    with pytest.raises(openai.InternalServerError):
        await clients.oai(oai_srv).chat.completions.create(model="m", messages=USER)


async def test_faults_match_model_and_fire_in_order(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    client = clients.oai(oai_srv)
    oai_srv.script(Fault.server_error(), model="gpt-4o")
    oai_srv.script(Fault.rate_limit(), model="gpt-4o")
    ok = await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert ok.choices[0].message.content
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(model="gpt-4o", messages=USER)
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model="gpt-4o", messages=USER)
    assert (await client.chat.completions.create(model="gpt-4o", messages=USER)).choices


async def test_fault_every_time_until_clear(oai_srv: OpenAIServer, clients: Clients) -> None:
    client = clients.oai(oai_srv)
    oai_srv.script(Fault.server_error(), times=None)
    for _ in range(3):
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="m", messages=USER)
    oai_srv.clear()
    assert oai_srv.requests == []
    assert (await client.chat.completions.create(model="m", messages=USER)).choices


async def test_openai_delay_trips_client_timeout(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.script(Fault.delay(1.0))
    with pytest.raises(openai.APITimeoutError):
        await clients.oai(oai_srv, read=0.2).chat.completions.create(model="m", messages=USER)


async def test_a_held_request_waits_for_release_then_answers(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    oai_srv.script(Fault.hold())
    call = asyncio.ensure_future(
        clients.oai(oai_srv).chat.completions.create(model="m", messages=USER)
    )
    while not oai_srv.requests:  # noqa: ASYNC110 - the log is the server thread's
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    assert not call.done() and oai_srv.requests[0].t_end is None  # held
    oai_srv.release()
    assert (await asyncio.wait_for(call, 30)).choices[0].message.content.startswith("Echo")
    assert oai_srv.requests[0].fault == "hold" and oai_srv.requests[0].status == 200


async def test_openai_latency_trips_client_timeout(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.latency = 1.0
    with pytest.raises(openai.APITimeoutError):
        await clients.oai(oai_srv, read=0.2).chat.completions.create(model="m", messages=USER)


async def test_openai_first_token_delay(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.script(Fault.first_token_delay(1.0))
    with pytest.raises(openai.APITimeoutError):
        await oai_stream_text(clients.oai(oai_srv, read=0.2))
    oai_srv.script(Fault.first_token_delay(0.05))
    text, _ = await oai_stream_text(clients.oai(oai_srv))
    assert text.startswith("Echo from")
    assert [r.fault for r in oai_srv.requests] == ["first_token_delay"] * 2


async def test_openai_first_token_delay_without_stream_is_a_delay(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    oai_srv.script(Fault.first_token_delay(1.0))
    with pytest.raises(openai.APITimeoutError):
        await clients.oai(oai_srv, read=0.2).chat.completions.create(model="m", messages=USER)


async def test_openai_drop_mid_stream_after_chunks(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.script(Fault.drop_mid_stream(after_chunks=2))
    seen: list[str] = []
    client = clients.oai(oai_srv)
    stream = await client.chat.completions.create(model="m", messages=USER, stream=True)
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            seen.append(chunk.choices[0].delta.content or "")
    assert len([s for s in seen if s]) == 2
    assert oai_srv.requests[0].fault == "drop_mid_stream"


async def test_openai_drop_without_stream(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.script(Fault.drop_mid_stream())
    with pytest.raises(openai.APIConnectionError):
        await clients.oai(oai_srv).chat.completions.create(model="m", messages=USER)


async def test_openai_no_finish_reason(oai_srv: OpenAIServer, clients: Clients) -> None:
    client = clients.oai(oai_srv)
    oai_srv.script(Fault.no_finish_reason())
    text, chunks = await oai_stream_text(client)
    assert text.startswith("Echo from")
    assert all(c.choices[0].finish_reason is None for c in chunks if c.choices)
    oai_srv.script(Fault.no_finish_reason())
    reply = await client.chat.completions.create(model="m", messages=USER)
    assert reply.choices[0].finish_reason is None


async def test_openai_malformed_chunk(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.script(Fault.malformed_chunk())
    with pytest.raises(ValueError):  # json.JSONDecodeError from the SDK's SSE decoder
        await oai_stream_text(clients.oai(oai_srv))
    oai_srv.script(Fault.malformed_chunk())
    with pytest.raises(ValueError):
        await clients.oai(oai_srv).chat.completions.create(model="m", messages=USER)


async def test_openai_stall_times_out_or_drops(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.script(Fault.stall(1.0))
    with pytest.raises(openai.APITimeoutError):
        await oai_stream_text(clients.oai(oai_srv, read=0.2))
    oai_srv.script(Fault.stall(0.05))
    with pytest.raises(openai.APIConnectionError):
        await oai_stream_text(clients.oai(oai_srv))
    oai_srv.script(Fault.stall(1.0))
    with pytest.raises(openai.APITimeoutError):
        await clients.oai(oai_srv, read=0.2).chat.completions.create(model="m", messages=USER)


async def test_openai_keep_alive_reuses_one_connection(
    oai_srv: OpenAIServer, clients: Clients
) -> None:
    client = clients.oai(oai_srv)
    for _ in range(3):
        await client.chat.completions.create(model="m", messages=USER)
        await oai_stream_text(client)
    assert oai_srv.connection_count == 1


async def test_openai_moderations(oai_srv: OpenAIServer, clients: Clients) -> None:
    client = clients.oai(oai_srv)
    result = await client.moderations.create(input=["a calm sentence", "please MODERATE_ME now"])
    assert [r.flagged for r in result.results] == [False, True]
    assert result.results[1].categories.harassment is True
    oai_srv.moderation_flag_words = ["forbidden"]
    single = await client.moderations.create(input="this is forbidden", model="omni-x")
    assert single.results[0].flagged and single.model == "omni-x"


async def test_openai_models_route(oai_srv: OpenAIServer, clients: Clients) -> None:
    oai_srv.set_reply("x", model="gpt-4o")
    models = [m.id async for m in clients.oai(oai_srv).models.list()]
    assert models == ["gpt-4o"]


async def test_unknown_route_is_404_in_provider_shape(oai_srv: OpenAIServer) -> None:
    async with httpx2.AsyncClient() as http:
        resp = await http.post(f"{oai_srv.base_url}/embeddings", json={})
    assert resp.status_code == 404
    assert "no route" in resp.json()["error"]["message"]
    assert oai_srv.requests[-1].status == 404


async def test_require_bearer_with_token_server(oai_srv: OpenAIServer, clients: Clients) -> None:
    with TokenServer(lifetime=60) as tokens:
        oai_srv.require_bearer = tokens.is_valid
        async with httpx2.AsyncClient() as http:
            grant_type = {"grant_type": "client_credentials"}
            grant = (await http.post(tokens.token_url, data=grant_type)).json()
        assert grant["token_type"] == "Bearer" and grant["expires_in"] == 60
        client = clients.track(
            openai.AsyncOpenAI(
                api_key=grant["access_token"], base_url=oai_srv.base_url, max_retries=0
            )
        )
        assert (await client.chat.completions.create(model="m", messages=USER)).choices
        tokens.expire_all()
        with pytest.raises(openai.AuthenticationError) as info:
            await client.chat.completions.create(model="m", messages=USER)
        assert info.value.body["code"] == "invalid_api_key"  # type: ignore[index]
        assert oai_srv.requests[-1].fault == "unauthorized"
        assert tokens.validations == 2 and tokens.rejections == 1
        async with httpx2.AsyncClient() as http:
            anonymous = await http.post(f"{oai_srv.base_url}/chat/completions", json={})
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["message"] == "missing credential"


# ------------------------------------------------------------------ control routes
async def test_control_routes(oai_srv: OpenAIServer, clients: Clients) -> None:
    client = clients.oai(oai_srv)
    async with httpx2.AsyncClient(base_url=oai_srv.url) as http:
        assert (await http.get("/_control/health")).json()["provider"] == "openai"
        spec = {"fault": Fault.server_error(503).model_dump(), "model": "m", "times": 1}
        assert (await http.post("/_control/script", json=spec)).json()["scripted"] == 1
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="m", messages=USER)
        flat = {"kind": "rate_limit", "retry_after": 2}
        assert (await http.post("/_control/script", json=flat)).status_code == 200
        bad = await http.post("/_control/script", json={"kind": "nonsense"})
        assert bad.status_code == 400
        config = {"reply_text": "configured", "chunk_count": 2, "replies": {"x": "for x"}}
        await http.post("/_control/config", json=config)
        await http.post("/_control/clear")
        reply = await client.chat.completions.create(model="m", messages=USER)
        assert reply.choices[0].message.content == "configured"
        log = (await http.get("/_control/requests")).json()
    assert [entry["model"] for entry in log] == ["m"]
    assert oai_srv.chunk_count == 2


# ------------------------------------------------------------------ Anthropic
async def test_anthropic_json(ant_srv: AnthropicServer, clients: Clients) -> None:
    client = clients.ant(ant_srv)
    msg = await client.messages.create(
        model="claude-test-model", max_tokens=100, system="be brief", messages=USER
    )
    assert msg.content[0].type == "text"
    assert msg.content[0].text == "Echo from claude-test-model: hello there"
    assert msg.stop_reason == "end_turn"
    assert msg.usage.input_tokens > 0 and msg.usage.output_tokens > 0
    entry = ant_srv.requests[0]
    assert entry.path == "/v1/messages" and entry.json["system"] == "be brief"
    assert entry.credential == FAKE_KEY  # anthropic 2.x sends api_key as a bearer token


async def test_anthropic_stream_event_sequence(ant_srv: AnthropicServer, clients: Clients) -> None:
    client = clients.ant(ant_srv)
    ant_srv.chunk_count = 4
    stream = await client.messages.create(
        model="claude-test-model", max_tokens=100, messages=USER, stream=True
    )
    events = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 4,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    async with client.messages.stream(
        model="claude-test-model", max_tokens=100, messages=USER
    ) as helper:
        text = "".join([t async for t in helper.text_stream])
        final = await helper.get_final_message()
    assert text == "Echo from claude-test-model: hello there"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 1


async def test_anthropic_stream_sends_ping(ant_srv: AnthropicServer) -> None:
    body = {"model": "c", "max_tokens": 10, "messages": USER, "stream": True}
    async with httpx2.AsyncClient() as http:
        resp = await http.post(f"{ant_srv.base_url}/v1/messages", json=body)
    assert "event: ping" in resp.text and resp.text.rstrip().endswith('{"type":"message_stop"}')


async def test_anthropic_max_tokens(ant_srv: AnthropicServer, clients: Clients) -> None:
    msg = await clients.ant(ant_srv).messages.create(model="c", max_tokens=2, messages=USER)
    assert msg.stop_reason == "max_tokens"


async def test_anthropic_errors(ant_srv: AnthropicServer, clients: Clients) -> None:
    client = clients.ant(ant_srv)
    ant_srv.script(Fault.overloaded())
    with pytest.raises(anthropic.APIStatusError) as over:
        await client.messages.create(model="c", max_tokens=10, messages=USER)
    assert over.value.status_code == 529
    assert over.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    ant_srv.script(Fault.rate_limit(retry_after=3))
    with pytest.raises(anthropic.RateLimitError) as rate:
        await client.messages.create(model="c", max_tokens=10, messages=USER)
    assert rate.value.response.headers["retry-after"] == "3"
    ant_srv.script(Fault.status(400, "prompt is too long: 300000 tokens > 200000 maximum"))
    with pytest.raises(anthropic.BadRequestError) as bad:
        await client.messages.create(model="c", max_tokens=10, messages=USER)
    assert bad.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": bad.value.body["error"]["message"]},  # type: ignore[index]
        "request_id": "req_wire_server",
    }
    ant_srv.script(Fault.server_error())
    with pytest.raises(anthropic.InternalServerError):
        await client.messages.create(model="c", max_tokens=10, messages=USER)


async def test_anthropic_stream_faults(ant_srv: AnthropicServer, clients: Clients) -> None:
    client = clients.ant(ant_srv, timeout=httpx2.Timeout(5.0, read=0.2))

    async def consume() -> list[str]:
        stream = await client.messages.create(model="c", max_tokens=10, messages=USER, stream=True)
        return [event.type async for event in stream]

    ant_srv.script(Fault.drop_mid_stream())
    with pytest.raises(BROKEN_STREAM):
        await consume()
    ant_srv.script(Fault.malformed_chunk())
    with pytest.raises(ValueError):
        await consume()
    ant_srv.script(Fault.stall(1.0))
    with pytest.raises(TIMED_OUT):
        await consume()
    ant_srv.script(Fault.no_finish_reason())
    kinds = await consume()
    assert "message_stop" not in kinds and "message_delta" not in kinds
    assert kinds[-1] == "content_block_stop"


async def test_anthropic_auth_token_is_a_bearer(ant_srv: AnthropicServer, clients: Clients) -> None:
    ant_srv.require_bearer = lambda token: token == "good-token"
    good = clients.ant(ant_srv, api_key=None, auth_token="good-token")
    assert (await good.messages.create(model="c", max_tokens=10, messages=USER)).content
    bad = clients.ant(ant_srv, api_key=None, auth_token="stale-token")
    with pytest.raises(anthropic.AuthenticationError) as info:
        await bad.messages.create(model="c", max_tokens=10, messages=USER)
    assert info.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    assert [r.credential for r in ant_srv.requests] == ["good-token", "stale-token"]


# ------------------------------------------------------------------ Gemini
async def test_gemini_json_and_stream(gem_srv: GeminiServer, clients: Clients) -> None:
    client = clients.gem(gem_srv)
    config = genai_types.GenerateContentConfig(system_instruction="be brief")
    reply = await client.aio.models.generate_content(
        model="gemini-2.5-flash", contents="hello there", config=config
    )
    assert reply.text == "Echo from gemini-2.5-flash: hello there"
    assert reply.candidates and reply.candidates[0].finish_reason == genai_types.FinishReason.STOP
    usage = reply.usage_metadata
    assert usage and usage.total_token_count == (
        (usage.prompt_token_count or 0) + (usage.candidates_token_count or 0)
    )
    chunks = [
        c
        async for c in await client.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents="hello there"
        )
    ]
    assert "".join(c.text or "" for c in chunks) == reply.text
    reasons = [c.candidates[0].finish_reason for c in chunks if c.candidates]
    assert reasons[-1] == genai_types.FinishReason.STOP and set(reasons[:-1]) == {None}
    assert chunks[-1].usage_metadata and usage.candidates_token_count == (
        chunks[-1].usage_metadata.candidates_token_count
    )
    first, second = gem_srv.requests
    assert first.api_version == "v1" and first.model == "gemini-2.5-flash"
    assert first.json["systemInstruction"]["parts"][0]["text"] == "be brief"
    assert second.stream and second.query == {"alt": "sse"}
    assert first.credential == FAKE_KEY and first.headers["x-goog-api-key"] == FAKE_KEY


async def test_gemini_api_version_and_env_base_url(
    gem_srv: GeminiServer, monkeypatch: pytest.MonkeyPatch, clients: Clients
) -> None:
    beta = clients.gem(gem_srv, api_version="v1beta")
    await beta.aio.models.generate_content(model="models/gemini-2.5-pro", contents="hi")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gem_srv.base_url)
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "beta")
    from_env = clients.track(genai.Client(api_key=FAKE_KEY))
    await from_env.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")
    versions = [(r.api_version, r.model) for r in gem_srv.requests]
    assert versions == [("v1beta", "gemini-2.5-pro"), ("v1beta", "gemini-2.5-flash")]


async def test_gemini_vertex_path_with_bearer_credentials(
    gem_srv: GeminiServer, clients: Clients
) -> None:
    from google.oauth2.credentials import Credentials

    gem_srv.require_bearer = lambda token: token == "vertex-token"
    client = genai.Client(
        vertexai=True,
        project="proj",
        location="us-central1",
        credentials=Credentials(token="vertex-token"),
        http_options=genai_types.HttpOptions(base_url=gem_srv.base_url),
    )
    clients.track(client)
    reply = await client.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert reply.text == "Echo from gemini-2.5-flash: hi"
    assert gem_srv.requests[0].path.startswith("/v1beta1/projects/proj/locations/us-central1/")


async def test_gemini_errors(gem_srv: GeminiServer, clients: Clients) -> None:
    client = clients.gem(gem_srv)
    gem_srv.script(Fault.rate_limit(retry_after=2))
    with pytest.raises(genai_errors.ClientError) as rate:
        await client.aio.models.generate_content(model="g", contents="hi")
    assert rate.value.code == 429 and rate.value.status == "RESOURCE_EXHAUSTED"
    assert rate.value.response.headers["retry-after"] == "2"  # type: ignore[union-attr]
    assert rate.value.details["error"]["details"][0]["retryDelay"] == "2s"
    gem_srv.script(Fault.overloaded())
    with pytest.raises(genai_errors.ServerError) as over:
        await client.aio.models.generate_content(model="g", contents="hi")
    assert over.value.code == 503 and over.value.status == "UNAVAILABLE"
    gem_srv.script(Fault.status(400, "The input token count exceeds the maximum"))
    with pytest.raises(genai_errors.ClientError) as bad:
        await client.aio.models.generate_content(model="g", contents="hi")
    assert bad.value.status == "INVALID_ARGUMENT" and "input token count" in str(bad.value)


async def test_gemini_stream_faults(gem_srv: GeminiServer, clients: Clients) -> None:
    client = clients.gem(gem_srv, timeout_ms=300)

    async def texts() -> list[str]:
        stream = await client.aio.models.generate_content_stream(model="g", contents="hi")
        return [c.text or "" async for c in stream]

    gem_srv.script(Fault.drop_mid_stream(after_chunks=2))
    with pytest.raises(BROKEN_STREAM):
        await texts()
    gem_srv.script(Fault.malformed_chunk())
    with pytest.raises(genai_errors.UnknownApiResponseError):
        await texts()
    gem_srv.script(Fault.stall(1.0))
    with pytest.raises(TIMED_OUT):
        await texts()
    gem_srv.script(Fault.no_finish_reason())
    stream = await client.aio.models.generate_content_stream(model="g", contents="hi")
    chunks = [c async for c in stream]
    assert all(c.candidates and c.candidates[0].finish_reason is None for c in chunks)
    gem_srv.script(Fault.no_finish_reason())
    reply = await client.aio.models.generate_content(model="g", contents="hi")
    assert reply.candidates and reply.candidates[0].finish_reason is None


async def test_gemini_max_output_tokens(gem_srv: GeminiServer, clients: Clients) -> None:
    config = genai_types.GenerateContentConfig(max_output_tokens=2)
    reply = await clients.gem(gem_srv).aio.models.generate_content(
        model="g", contents="hello", config=config
    )
    assert reply.candidates and reply.candidates[0].finish_reason == "MAX_TOKENS"


# ------------------------------------------------------------------ Perplexity
async def test_perplexity_json_with_citations(ppx_srv: PerplexityServer, clients: Clients) -> None:
    reply = await clients.ppx(ppx_srv).chat.completions.create(model="sonar", messages=USER)
    assert reply.choices[0].message.content == "Echo from sonar: hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.citations == ppx_srv.citations
    assert reply.search_results and [r.url for r in reply.search_results] == ppx_srv.citations
    assert reply.usage and reply.usage.cost.total_cost > 0
    assert ppx_srv.requests[0].path == "/chat/completions"


async def test_perplexity_stream(ppx_srv: PerplexityServer, clients: Clients) -> None:
    stream = await clients.ppx(ppx_srv).chat.completions.create(
        model="sonar", messages=USER, stream=True
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "Echo from sonar: hello there"
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].usage is not None
    assert all(c.citations == ppx_srv.citations for c in chunks)


async def test_perplexity_faults(ppx_srv: PerplexityServer, clients: Clients) -> None:
    client = clients.ppx(ppx_srv)
    ppx_srv.script(Fault.rate_limit(retry_after=1))
    with pytest.raises(perplexity.RateLimitError) as rate:
        await client.chat.completions.create(model="sonar", messages=USER)
    assert rate.value.response.headers["retry-after"] == "1"
    ppx_srv.script(Fault.server_error(502))
    with pytest.raises(perplexity.InternalServerError):
        await client.chat.completions.create(model="sonar", messages=USER)
    ppx_srv.script(Fault.drop_mid_stream())
    stream = await client.chat.completions.create(model="sonar", messages=USER, stream=True)
    with pytest.raises(BROKEN_STREAM):
        _ = [c async for c in stream]
    ppx_srv.script(Fault.no_finish_reason())
    stream = await client.chat.completions.create(model="sonar", messages=USER, stream=True)
    assert all(c.choices[0].finish_reason is None for c in [c async for c in stream])
    ppx_srv.script(Fault.status(400, "bad model"))
    with pytest.raises(perplexity.BadRequestError):
        await client.chat.completions.create(model="sonar", messages=USER)


async def test_perplexity_via_openai_sdk(ppx_srv: PerplexityServer, clients: Clients) -> None:
    client = clients.track(
        openai.AsyncOpenAI(api_key=FAKE_KEY, base_url=ppx_srv.base_url, max_retries=0)
    )
    reply = await client.chat.completions.create(model="sonar", messages=USER)
    assert reply.model_extra and reply.model_extra["citations"] == ppx_srv.citations


# ------------------------------------------------------------------ token server
async def test_token_server_issues_distinct_expiring_tokens() -> None:
    with TokenServer(lifetime=0.2) as tokens:
        async with httpx2.AsyncClient() as http:
            first = (await http.post(tokens.token_url, json={"grant_type": "x"})).json()
            second = (await http.post(f"{tokens.url}/oauth2/token", data={"a": "b"})).json()
            assert first["access_token"] != second["access_token"]
            assert first["expires_in"] == 0.2 and tokens.issued == 2
            assert tokens.tokens == [first["access_token"], second["access_token"]]
            assert tokens.is_valid(first["access_token"])
            assert not tokens.is_valid("never-issued")
            assert tokens.requests[1].json == {"a": "b"}
            tokens.script(Fault.server_error(503))
            failed = await http.post(tokens.token_url)
            assert failed.status_code == 503
            assert failed.json()["error"] == "temporarily_unavailable"
            tokens.script(Fault.status(400, "bad grant"))
            assert (await http.post(tokens.token_url)).json()["error"] == "invalid_request"
        tokens.lifetime = 0  # a token that is born expired
        born_expired, _ = tokens.issue()
        assert not tokens.is_valid(born_expired)
        tokens.clear()
        assert tokens.issued == 0 and tokens.validations == 0


# ------------------------------------------------------------------ subprocess mode
def test_spawn_server_subprocess() -> None:
    with spawn_server("openai", latency=0.0) as handle:
        assert handle.base_url == handle.url + "/v1" and "openai" in repr(handle)
        client = openai.OpenAI(api_key=FAKE_KEY, base_url=handle.base_url, max_retries=0)
        handle.script(Fault.server_error(503), model="m")
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="m", messages=USER)
        handle.configure(reply_text="from child")
        reply = client.chat.completions.create(model="m", messages=USER)
        assert reply.choices[0].message.content == "from child"
        log = [(r.status, r.fault) for r in handle.requests]
        assert log == [(503, "server_error"), (200, None)]
        handle.clear()
        assert handle.requests == []
    assert handle.process.poll() is not None


def test_cli_prints_ready_line() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.servers", "token", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:")
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_spawn_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown server kind"):
        spawn_server("nope")


# ------------------------------------------------------------------ pieces
def test_fault_constructors_validate() -> None:
    with pytest.raises(ValueError, match="5xx"):
        Fault.server_error(404)
    with pytest.raises(ValueError, match="4xx or 5xx"):
        Fault.status(200)
    assert Fault.model_validate(json.loads(Fault.stall(0.5).model_dump_json())) == Fault.stall(0.5)
    book = FaultBook()
    with pytest.raises(ValueError, match="times"):
        book.add(Fault.delay(1), times=0)


def test_split_text_covers_the_text() -> None:
    for text, parts in [("", 5), ("ab", 5), ("hello world", 3), ("x" * 10, 1)]:
        pieces = split_text(text, parts)
        assert "".join(pieces) == text
        assert len(pieces) <= max(parts, 1)


def test_server_repr_and_restart_safety() -> None:
    srv = OpenAIServer()
    assert "stopped" in repr(srv)
    srv.stop()  # stopping a server that never started is a no-op
    with srv:
        assert srv.url in repr(srv) and srv.start() is srv
        assert srv.port == int(srv.url.rsplit(":", 1)[1])


async def test_stop_closes_a_stalled_stream(clients: Clients) -> None:
    srv = OpenAIServer().start()
    srv.script(Fault.stall(30.0, after_chunks=1))
    stream = await clients.oai(srv, read=30.0).chat.completions.create(
        model="m", messages=USER, stream=True
    )
    iterator = stream.__aiter__()
    await iterator.__anext__()  # the role chunk arrives; then the server stalls
    await asyncio.to_thread(srv.stop)
    with pytest.raises(openai.APIConnectionError):
        async for _ in iterator:
            pass
