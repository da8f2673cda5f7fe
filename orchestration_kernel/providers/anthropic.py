"""Anthropic messages through ``anthropic.AsyncAnthropic`` (anthropic 2.x, on ``httpx2``).

The system prompt goes in Anthropic's own ``system`` field, ``max_tokens`` (required by
the API) defaults to :data:`DEFAULT_MAX_TOKENS`, and 529 "overloaded" is retryable. A
refreshable credential is sent as ``Authorization: Bearer`` (the SDK's ``auth_token``),
fetched per request so that a refreshed token reaches the very next call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ..errors import MissingKeyError
from ..models import ChatRequest, ProviderReply, StreamChunk, Usage
from ._sdk import (
    SDKAdapter,
    StreamState,
    activity_hooks,
    closing_iteration,
    end_user,
    http_timeout,
    split_system,
)
from .base import Timeouts, note_stream_activity
from .registry import PROVIDERS
from .shards import sdk_http_client

__all__ = ["DEFAULT_MAX_TOKENS", "AnthropicProvider"]

#: The output limit sent when the request sets none (the API requires one).
DEFAULT_MAX_TOKENS = 4096

#: Anthropic has no JSON mode for every model; this instruction works on all of them (the
#: engine validates the JSON). Structured outputs can still be sent via ``request.extra``.
JSON_INSTRUCTION = "Respond with a single valid JSON object and nothing else."


def message_usage(usage: object) -> Usage | None:
    """:class:`Usage` from Anthropic's usage. Anthropic's ``input_tokens`` leaves out cache
    reads and writes; ours counts every prompt token, as the other providers do."""
    if usage is None:
        return None
    cache_read = getattr(usage, "cache_read_input_tokens", None) or 0
    cache_write = getattr(usage, "cache_creation_input_tokens", None) or 0
    return Usage(
        input_tokens=(getattr(usage, "input_tokens", None) or 0) + cache_read + cache_write,
        output_tokens=getattr(usage, "output_tokens", None) or 0,
        cached_input_tokens=cache_read,
    )


class AnthropicProvider(SDKAdapter):
    """The Anthropic adapter (``anthropic:claude-sonnet-4-5``).

    ``options``: ``default_max_tokens`` (else 4096), ``default_headers``.
    """

    default_name = "anthropic"
    key_env: tuple[str, ...] = PROVIDERS["anthropic"].key_env  # the one table says

    async def _make_client(self) -> Any:
        import anthropic
        import httpx2

        kwargs: dict[str, Any] = {
            "max_retries": 0,  # the engine's retry loop decides
            "base_url": self.base_url,
            "default_headers": self.options.get("default_headers"),
            "http_client": sdk_http_client(anthropic, httpx2, event_hooks=activity_hooks(httpx2)),
        }
        if self.credential is not None:
            # The token is re-sent per request (see _auth_headers); this one only satisfies
            # the SDK's "some credential" check.
            kwargs["auth_token"] = await self._bearer()
        elif self.api_key:
            kwargs["api_key"] = self.api_key.get()
        else:
            raise MissingKeyError(self.name, list(self.key_env))
        return anthropic.AsyncAnthropic(**kwargs)

    async def _auth_headers(self) -> dict[str, str] | None:
        if self.credential is None:
            return None
        return {"Authorization": f"Bearer {await self._bearer()}"}

    async def _params(self, request: ChatRequest, timeouts: Timeouts) -> dict[str, Any]:
        import httpx2

        max_tokens = request.max_tokens or self.options.get(
            "default_max_tokens", DEFAULT_MAX_TOKENS
        )
        system, turns = split_system(request)
        if request.json_output:
            system = f"{system}\n\n{JSON_INSTRUCTION}" if system else JSON_INSTRUCTION
        params: dict[str, Any] = {
            "model": request.model,
            "max_tokens": max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in turns],
            "timeout": http_timeout(httpx2, timeouts),
        }
        if system:
            params["system"] = system
        if request.stop:
            params["stop_sequences"] = request.stop
        user = end_user(request)
        if user:
            params["metadata"] = {"user_id": user}
        # anthropic 2.x dropped sampling parameters from create(); the API still takes
        # temperature where the model allows it, so it goes in the body as asked.
        body = {"temperature": request.temperature} if request.temperature is not None else {}
        body.update(request.extra)
        if body:
            params["extra_body"] = body
        headers = await self._auth_headers()
        if headers:
            params["extra_headers"] = headers
        return params

    async def _complete(
        self, client: Any, request: ChatRequest, timeouts: Timeouts
    ) -> ProviderReply:
        message = await client.messages.create(**await self._params(request, timeouts))
        text = "".join(
            block.text for block in message.content if getattr(block, "type", None) == "text"
        )
        return ProviderReply(
            text=text,
            finish_reason=message.stop_reason,
            usage=message_usage(message.usage),
            response_model=message.model,
            extras={"id": message.id},
        )

    async def _stream(
        self, client: Any, request: ChatRequest, timeouts: Timeouts
    ) -> AsyncIterator[StreamChunk]:
        stream = await client.messages.create(**await self._params(request, timeouts), stream=True)
        state = StreamState()
        stopped = False
        try:
            async with closing_iteration(stream) as events:
                async for event in events:
                    note_stream_activity()  # message_start, block starts: the stream is alive
                    kind = getattr(event, "type", None)
                    if (
                        kind == "content_block_delta"
                        and getattr(event.delta, "type", "") == "text_delta"
                    ):
                        if event.delta.text:
                            yield StreamChunk(text=event.delta.text)
                    elif kind in ("message_start", "message_delta"):
                        self._absorb(event, state)
                    elif kind == "message_stop":
                        stopped = True
        finally:
            await stream.close()
        if not stopped:
            state.finish_reason = None  # a stop_reason without message_stop is still cut off
        yield state.final_chunk()

    @staticmethod
    def _absorb(event: Any, state: StreamState) -> None:
        """``message_start`` carries the model and input usage; ``message_delta`` the stop
        reason and the output usage (cumulative)."""
        if event.type == "message_start":
            state.response_model = event.message.model
            state.extras["id"] = event.message.id
            state.usage = message_usage(event.message.usage)
            return
        if event.delta.stop_reason:
            state.finish_reason = event.delta.stop_reason
        delta_usage = message_usage(event.usage)
        if delta_usage is None:
            return
        base = state.usage or Usage()
        state.usage = Usage(
            # message_delta repeats input counts in newer API versions; keep the larger.
            input_tokens=max(base.input_tokens, delta_usage.input_tokens),
            output_tokens=delta_usage.output_tokens or base.output_tokens,
            cached_input_tokens=max(base.cached_input_tokens, delta_usage.cached_input_tokens),
        )
