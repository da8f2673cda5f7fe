"""The OpenAI adapter's request path (providers/openai_post.py) against the SDK's own
``chat.completions.create``: for many requests, the same bytes reach the wire server
(body keys in the same order, the same headers) and the same reply comes back."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from orchestration_kernel.models import ChatRequest, Message
from orchestration_kernel.providers.base import Timeouts
from orchestration_kernel.providers.compatible import CompatibleProvider
from orchestration_kernel.providers.openai import OpenAIProvider
from orchestration_kernel.providers.openai_post import post_chat
from tests.servers import OpenAIServer

pytestmark = pytest.mark.timeout(120)
T = Timeouts(connect=5.0, first_token=10.0, idle=10.0, overall=30.0)
KEY = "sk-" + "test-" + "p" * 24
WORDS = ["hi", "there", "naïve", "日本語", "emoji 🙂", 'quote " and \\', "new\nline", ""]


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture(params=[OpenAIProvider, CompatibleProvider], ids=["openai", "compatible"])
async def adapter(
    request: pytest.FixtureRequest, server: OpenAIServer
) -> AsyncIterator[OpenAIProvider]:
    made = request.param(api_key=KEY, base_url=server.base_url)
    yield made
    await made.aclose()


def _requests(seed: int, n: int) -> list[ChatRequest]:
    """``n`` varied requests: roles, system prompts, limits, stops, JSON mode, end users,
    extra body fields, and text with quotes, newlines and non-ASCII."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        turns = [
            Message(
                role=rng.choice(["user", "assistant", "system"]) if k else "user",
                content=" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6))) + f" {i}",
            )
            for k in range(rng.randint(1, 4))
        ]
        extra: dict[str, Any] = {}
        if rng.random() < 0.3:
            extra = {"seed": rng.randint(0, 9), "top_p": 0.5}
        out.append(
            ChatRequest(
                model=rng.choice(["gpt-4o-mini", "gpt-4.1"]),
                messages=turns,
                system=rng.choice([None, "be brief", "système: «court»"]),
                temperature=rng.choice([None, 0, 0.2, 1.0]),
                max_tokens=rng.choice([None, 1, 64]),
                stop=rng.choice([None, ["\n"], ["END", "STOP"]]),
                json_output=rng.random() < 0.3,
                metadata=rng.choice([{}, {"user": "u-7"}, {"safety_identifier": "s-1"}]),
                extra=extra,
            )
        )
    return out


def _wire(server: OpenAIServer) -> list[tuple[list[tuple[str, Any]], dict[str, str]]]:
    """What reached the server, body keys in order, and the headers."""
    return [(list(r.json.items()), dict(r.headers)) for r in server.requests]


async def _via_create(client: Any, params: dict[str, Any], stream: bool, timeout: Any) -> Any:
    more: dict[str, Any] = {"stream": True} if stream else {}
    return await client.chat.completions.create(**params, **more, timeout=timeout)


async def _outcome(result: Any, stream: bool) -> Any:
    if not stream:
        return result.model_dump()
    chunks = [chunk.model_dump() async for chunk in result]
    for chunk in chunks:
        chunk.pop("id", None)  # the server numbers each stream
        chunk.pop("created", None)
    return chunks


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_same_request_and_reply_as_create(
    adapter: OpenAIProvider, server: OpenAIServer, stream: bool
) -> None:
    import httpx2

    from orchestration_kernel.providers._sdk import http_timeout

    client = await adapter._client_for_loop()
    timeout = http_timeout(httpx2, T)
    for request in _requests(seed=24 + stream, n=120):
        params = adapter._params(request)
        if stream:
            params["stream_options"] = {"include_usage": True}
        server.clear()
        ours = await _outcome(
            await post_chat(client, params, stream=stream, timeout=timeout), stream
        )
        theirs = await _outcome(await _via_create(client, params, stream, timeout), stream)
        sent, expected = _wire(server)
        assert sent == expected, json.dumps(params, ensure_ascii=False)
        if not stream:
            ours.pop("id"), theirs.pop("id"), ours.pop("created"), theirs.pop("created")
        assert ours == theirs


async def test_what_is_not_plain_goes_through_create(
    adapter: OpenAIProvider, server: OpenAIServer
) -> None:
    """A body with a value the SDK's transform might rewrite is left to ``create``: the
    request still arrives as ``create`` sends it."""
    import httpx2

    from orchestration_kernel.providers._sdk import http_timeout

    client = await adapter._client_for_loop()
    timeout = http_timeout(httpx2, T)
    params = adapter._params(
        ChatRequest(model="gpt-4o-mini", messages=[Message(role="user", content="x")])
    )
    params["response_format"] = {"type": "json_schema", "json_schema": {"name": "n", "schema": {}}}
    params["messages"] = ({"role": "user", "content": "tuple, not list"},)
    server.clear()
    await post_chat(client, params, timeout=timeout)
    await _via_create(client, params, False, timeout)
    sent, expected = _wire(server)
    assert sent == expected
    assert dict(sent[0])["messages"] == [{"role": "user", "content": "tuple, not list"}]


async def test_the_adapter_sends_what_create_would(
    adapter: OpenAIProvider, server: OpenAIServer
) -> None:
    """End to end through the adapter: its request equals ``create``'s for the same params."""
    import httpx2

    from orchestration_kernel.providers._sdk import http_timeout

    client = await adapter._client_for_loop()
    for request in _requests(seed=7, n=20):
        server.clear()
        reply = await adapter.complete(request, T)
        theirs = await _via_create(client, adapter._params(request), False, http_timeout(httpx2, T))
        sent, expected = _wire(server)
        assert sent == expected
        choice = theirs.choices[0]
        assert (reply.text, reply.finish_reason) == (choice.message.content, choice.finish_reason)
