"""The shared exception mapping, with the SDKs' own exception classes built by hand:
every family (openai/anthropic on httpx2, perplexity on httpx, google-genai) lands in the
same error classes, and no secret survives in a message or body."""

from __future__ import annotations

import asyncio
import json

import httpx
import httpx2
import pytest

from orchestration_kernel.errors import (
    AuthenticationError,
    ConnectionFailure,
    ContentPolicyError,
    FatalProviderError,
    IncompleteStreamError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
)
from orchestration_kernel.models import ChatRequest, Message, ProviderReply, StreamChunk
from orchestration_kernel.providers._sdk import (
    SDKAdapter,
    StreamState,
    chat_usage,
    map_exception,
    scrub,
    split_system,
)
from orchestration_kernel.providers.base import Timeouts

KEY = "sk-" + "unit-" + "z" * 24


def mapped(exc: BaseException, streaming: bool = False) -> BaseException:
    return map_exception(exc, provider="p", model="m", secrets=[KEY], streaming=streaming)


def response(module, status: int, body: object, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    request = module.Request("POST", "http://127.0.0.1/v1/x")
    return module.Response(status, json=body, headers=headers or {}, request=request)


def test_openai_status_errors_keep_status_message_and_retry_after() -> None:
    import openai

    body = {"error": {"message": f"Slow down, key {KEY}", "type": "rate_limit_exceeded"}}
    exc = openai.RateLimitError(
        "Error code: 429",
        response=response(httpx2, 429, body, {"retry-after-ms": "1500"}),
        body=body,
    )
    err = mapped(exc)
    assert isinstance(err, RateLimitError) and err.retry_after == pytest.approx(1.5)
    assert KEY not in str(err) and KEY not in json.dumps(err.body)
    assert "Slow down" in str(err)


def test_anthropic_overloaded_and_stream_error_event() -> None:
    import anthropic

    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    err = mapped(
        anthropic.InternalServerError("x", response=response(httpx2, 529, body), body=body)
    )
    assert isinstance(err, ServerError) and err.status == 529
    # The same error arriving as an SSE event inside a 200 stream.
    in_stream = anthropic.APIStatusError("x", response=response(httpx2, 200, {}), body=body)
    err = mapped(in_stream, streaming=True)
    assert isinstance(err, ServerError) and err.status == 529


def test_unknown_error_event_in_a_stream_is_incomplete() -> None:
    import openai

    exc = openai.APIError("boom", httpx2.Request("POST", "http://x"), body={"message": "boom"})
    assert isinstance(mapped(exc, streaming=True), IncompleteStreamError)


def test_perplexity_uses_httpx_zero_family() -> None:
    import perplexity

    body = {"error": {"message": "try later"}}
    exc = perplexity.InternalServerError("x", response=response(httpx, 502, body), body=body)
    assert isinstance(mapped(exc), ServerError)
    cut = httpx.RemoteProtocolError("peer closed connection")
    assert isinstance(mapped(cut, streaming=True), IncompleteStreamError)
    assert isinstance(mapped(cut, streaming=False), ConnectionFailure)
    assert isinstance(mapped(httpx.ConnectError("refused")), ConnectionFailure)
    err = mapped(httpx.ReadTimeout("slow"), streaming=True)
    assert isinstance(err, ProviderTimeout) and err.phase == "idle"


def test_genai_errors_use_code_and_retry_info() -> None:
    from google.genai import errors as genai_errors

    body = {
        "error": {
            "code": 429,
            "message": "quota",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}],
        }
    }
    exc = genai_errors.ClientError(429, body, response(httpx2, 429, body))
    err = mapped(exc)
    assert isinstance(err, RateLimitError) and err.retry_after == pytest.approx(7.0)
    blocked = genai_errors.ClientError(
        400, {"error": {"code": 400, "message": "blocked by safety filters"}}
    )
    assert isinstance(mapped(blocked), ContentPolicyError)
    bad = genai_errors.UnknownApiResponseError("Failed to parse response as JSON")
    assert isinstance(mapped(bad, streaming=True), IncompleteStreamError)


def test_timeouts_name_their_phase_through_the_cause_chain() -> None:
    import openai

    request = httpx2.Request("POST", "http://x")
    for cause, phase in (
        (httpx2.ConnectTimeout("c"), "connect"),
        (httpx2.ReadTimeout("r"), "first_token"),
    ):
        try:
            try:
                raise cause
            except httpx2.TimeoutException as inner:
                raise openai.APITimeoutError(request=request) from inner
        except openai.APITimeoutError as exc:
            err = mapped(exc)
        assert isinstance(err, ProviderTimeout) and err.phase == phase


def test_malformed_json_and_unknown_sdk_errors() -> None:
    import anthropic

    try:
        json.loads("{not json")
    except json.JSONDecodeError as exc:
        assert isinstance(mapped(exc, streaming=True), IncompleteStreamError)
    assert isinstance(mapped(anthropic.AnthropicError("odd")), FatalProviderError)
    assert isinstance(mapped(OSError("reset by peer")), FatalProviderError)


def test_our_own_bugs_are_not_disguised() -> None:
    bug = KeyError("missing")
    assert mapped(bug) is bug
    already = AuthenticationError("no", provider="p")
    assert mapped(already) is already


def test_scrub_masks_keys_and_bearer_tokens() -> None:
    text = f"key={KEY} Authorization: Bearer abcdefghijklmnop"
    clean = scrub(text, [KEY, ""])
    assert KEY not in clean and "abcdefghijklmnop" not in clean
    assert clean.count("********") == 2


def test_usage_reads_cached_and_reasoning_tokens() -> None:
    from openai.types import CompletionUsage

    usage = CompletionUsage.model_validate(
        {
            "prompt_tokens": 100,
            "completion_tokens": 40,
            "total_tokens": 140,
            "prompt_tokens_details": {"cached_tokens": 64},
            "completion_tokens_details": {"reasoning_tokens": 12},
        }
    )
    got = chat_usage(usage)
    assert got is not None
    assert (got.input_tokens, got.output_tokens, got.cached_input_tokens, got.reasoning_tokens) == (
        100,
        40,
        64,
        12,
    )
    assert chat_usage(None) is None


def test_anthropic_usage_counts_cache_reads_as_input() -> None:
    from anthropic.types import Usage as AUsage

    from orchestration_kernel.providers.anthropic import message_usage

    usage = message_usage(
        AUsage(
            input_tokens=10,
            output_tokens=5,
            cache_read_input_tokens=90,
            cache_creation_input_tokens=0,
        )
    )
    assert usage is not None and usage.input_tokens == 100 and usage.cached_input_tokens == 90
    assert message_usage(None) is None


def test_gemini_usage_counts_thoughts_as_output() -> None:
    from google.genai import types

    from orchestration_kernel.providers.gemini import gemini_usage

    meta = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=20,
        candidates_token_count=8,
        thoughts_token_count=30,
        cached_content_token_count=4,
    )
    usage = gemini_usage(meta)
    assert usage is not None
    assert (
        usage.input_tokens,
        usage.output_tokens,
        usage.reasoning_tokens,
        usage.cached_input_tokens,
    ) == (20, 38, 30, 4)
    assert gemini_usage(None) is None


def test_stream_state_refuses_to_finish_without_a_reason() -> None:
    with pytest.raises(IncompleteStreamError):
        StreamState().final_chunk()
    state = StreamState()
    state.finish_reason = "stop"
    assert state.final_chunk().finish_reason == "stop"


def test_system_turns_fold_into_the_system_prompt() -> None:
    request = ChatRequest(
        model="m",
        system="top",
        messages=[Message(role="system", content="more"), Message(role="user", content="q")],
    )
    system, turns = split_system(request)
    assert system == "top\n\nmore" and [m.role for m in turns] == ["user"]
    assert split_system(ChatRequest(model="m", messages=[]))[0] is None


class _Fake(SDKAdapter):
    """An adapter whose 'SDK' is a counter, to test the shared client life cycle."""

    default_name = "fake"

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.made = 0
        self.closed = 0

    async def _make_client(self) -> object:
        self.made += 1
        await asyncio.sleep(0.01)  # let concurrent first calls overlap
        return object()

    async def _close_client(self, client: object) -> None:
        self.closed += 1

    async def _complete(
        self, client: object, request: ChatRequest, timeouts: Timeouts
    ) -> ProviderReply:
        return ProviderReply(text="x", finish_reason=None)  # a body without a finish reason

    async def _stream(self, client: object, request: ChatRequest, timeouts: Timeouts):  # type: ignore[no-untyped-def]
        yield StreamChunk(text="partial")


async def test_concurrent_first_calls_make_one_client_and_missing_finish_fails() -> None:
    adapter = _Fake()
    request = ChatRequest(model="m", messages=[Message(role="user", content="q")])
    results = await asyncio.gather(
        *(adapter.complete(request, Timeouts()) for _ in range(5)), return_exceptions=True
    )
    assert adapter.made == 1
    assert all(isinstance(r, IncompleteStreamError) for r in results)
    assert str(results[0]).startswith("[fake] ") and results[0].provider == "fake"  # type: ignore[union-attr]
    with pytest.raises(IncompleteStreamError):
        async for _ in adapter.stream(request, Timeouts()):
            pass
    await adapter.aclose()
    await adapter.aclose()
    assert adapter.closed == 1


def test_the_address_named_in_a_refused_connection_keeps_no_credentials() -> None:
    from orchestration_kernel.addresses import shown_address

    url = "http://user:pa55@10.0.0.2:11434/v1?api_key=x"
    assert shown_address(url) == "http://10.0.0.2:11434/v1"
    assert shown_address("http://host:notaport/v1") == "the configured base URL"
    assert shown_address("not a url") == "the configured base URL"
