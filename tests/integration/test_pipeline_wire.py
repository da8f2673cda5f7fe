"""Pipelines against the wire servers: the real SDKs over real HTTP on 127.0.0.1.

These show what the simulator cannot: a JSON reply that is invalid once and then fixed,
and the exact messages a ``context: session`` step sends to two different providers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import PipelineError
from tests.servers import AnthropicServer, LoggedRequest, OpenAIServer

pytestmark = pytest.mark.timeout(60)


def key(prefix: str) -> str:
    """A fake key built at run time."""
    return prefix + "test-" + "k" * 24


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def anthropic_server() -> Iterator[AnthropicServer]:
    with AnthropicServer() as srv:
        yield srv


def engine_for(**servers: Any) -> OrchestrationEngine:
    return OrchestrationEngine(
        offline="off",
        keys={name: key("sk-") for name in servers},
        base_urls={name: srv.base_url for name, srv in servers.items()},
        retry=RetryPolicy(max_attempts=1, base_delay=0.001, max_delay=0.01),
        guardian=False,
    )


async def test_invalid_json_is_retried_once_with_the_error_shown(openai_server) -> None:
    replies = iter(['{"verdict": 3}', '```json\n{"verdict": "ok"}\n```'])

    def reply(_: LoggedRequest) -> str:
        return next(replies)

    openai_server.reply_text = reply
    engine = engine_for(openai=openai_server)
    pipeline = engine.create_pipeline([{
        "name": "judge", "model": "openai:gpt-4o-mini", "format": "json",
        "schema": {"type": "object", "properties": {"verdict": {"type": "string"}}},
        "prompt": "Judge {input}",
    }])  # fmt: skip
    result = await pipeline.execute("the essay")
    judge = result["judge"]
    assert judge.status == "done" and judge.data == {"verdict": "ok"}
    assert len(judge.attempts) == 2
    chats = [r for r in openai_server.requests if r.path.endswith("/chat/completions")]
    assert len(chats) == 2
    retry_messages = chats[1].json["messages"]
    assert retry_messages[-2] == {"role": "assistant", "content": '{"verdict": 3}'}
    assert "verdict" in retry_messages[-1]["content"]
    assert "not accepted" in retry_messages[-1]["content"]
    # the first request asked for JSON (response_format) and named the schema in the prompt
    assert "JSON Schema" in chats[0].json["messages"][-1]["content"]


@pytest.mark.parametrize("server_name", ["openai", "anthropic"])
async def test_json_cut_off_at_the_token_limit_is_retried_with_more_room(
    server_name, openai_server, anthropic_server
) -> None:
    server = {"openai": openai_server, "anthropic": anthropic_server}[server_name]
    model = {"openai": "openai:gpt-4o-mini", "anthropic": "anthropic:claude-sonnet-4-6"}
    long_json = json.dumps({"city": "Reykjavik " * 8, "country": "Iceland"})
    server.reply_text = long_json  # about 30 tokens: cut at 10
    engine = engine_for(**{server_name: server})
    pipeline = engine.create_pipeline([{
        "name": "place", "model": model[server_name], "format": "json", "max_tokens": 10,
        "schema": {"type": "object", "required": ["city", "country"]}, "prompt": "A city",
    }])  # fmt: skip
    result = await pipeline.execute()
    assert result["place"].data == json.loads(long_json)
    asked = [r.json.get("max_tokens") or r.json["max_completion_tokens"] for r in server.requests]
    assert asked[0] == 10 and asked[1] > 30  # the retry got room for the whole reply
    assert "cut off at max_tokens=10" in json.dumps(server.requests[1].json["messages"])


async def test_json_still_cut_off_says_which_setting_to_raise(openai_server) -> None:
    openai_server.reply_text = json.dumps({"city": "Reykjavik " * 40})
    engine = engine_for(openai=openai_server)
    pipeline = engine.create_pipeline([{
        "name": "place", "model": "openai:gpt-4o-mini", "format": "json", "max_tokens": 5,
        "prompt": "A city",
    }])  # fmt: skip
    with pytest.raises(PipelineError) as info:
        await pipeline.execute()
    message = str(info.value)
    assert "cut off at max_tokens=5" in message and "cut off at max_tokens=20" in message
    assert "Raise the step's max_tokens" in message


async def test_context_session_carries_turns_across_providers(
    openai_server, anthropic_server
) -> None:
    engine = engine_for(openai=openai_server, anthropic=anthropic_server)
    first = engine.create_pipeline(
        [
            {
                "name": "ask",
                "model": "openai:gpt-4o-mini",
                "prompt": "My number is 42",
                "system": "Be brief",
            }
        ]
    )
    await first.execute(session_id="wire-sess")
    second = engine.create_pipeline(
        [
            {
                "name": "recall",
                "model": "anthropic:claude-sonnet-4-6",
                "context": "session",
                "system": "You remember",
                "prompt": "What is my number?",
            }
        ]
    )
    result = await second.execute(session_id="wire-sess")
    assert result["recall"].status == "done"
    sent = anthropic_server.requests[-1].json
    assert "You remember" in json.dumps(sent["system"])  # Anthropic's own system field
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert "My number is 42" in json.dumps(sent["messages"][0])
    assert "Echo from gpt-4o-mini" in json.dumps(sent["messages"][1])
    assert "What is my number?" in json.dumps(sent["messages"][2])
