"""Perplexity chat completions through its official SDK, ``perplexityai``
(``from perplexity import AsyncPerplexity``).

This SDK runs on ``httpx`` 0.x, not ``httpx2``; the shared error mapping is duck-typed
and covers both families. Citations and search results are kept in the reply's extras,
and so is the request cost Perplexity reports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ..errors import IncompleteStreamError, MissingKeyError
from ..models import ChatRequest, ProviderReply, StreamChunk
from ._sdk import (
    SDKAdapter,
    StreamState,
    absorb_chat_chunk,
    activity_hooks,
    chat_messages,
    chat_usage,
    closing_iteration,
    http_timeout,
    relay_and_close,
)
from .base import Timeouts
from .registry import PROVIDERS

__all__ = ["PerplexityProvider"]

#: Perplexity has no ``json_object`` mode; a JSON schema of "any object" is the equivalent.
JSON_FORMAT = {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}}


def _text(content: Any) -> str:
    """Message content: a string, or a list of content chunks of which we keep the text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(getattr(part, "text", None) or "" for part in content)


def _extras(response: Any) -> dict[str, Any]:
    """Citations, search results and the reported cost, as plain JSON values."""
    extras: dict[str, Any] = {}
    if getattr(response, "id", None):
        extras["id"] = response.id
    if getattr(response, "citations", None):
        extras["citations"] = list(response.citations)
    if getattr(response, "search_results", None):
        extras["search_results"] = [
            r.model_dump(mode="json", exclude_none=True) for r in response.search_results
        ]
    cost = getattr(getattr(response, "usage", None), "cost", None)
    if cost is not None:
        extras["cost"] = cost.model_dump(mode="json", exclude_none=True)
    return extras


class PerplexityProvider(SDKAdapter):
    """The Perplexity adapter (``perplexity:sonar``). ``options``: ``default_headers``."""

    default_name = "perplexity"
    key_env: tuple[str, ...] = PROVIDERS["perplexity"].key_env  # the one table says

    async def _make_client(self) -> Any:
        import httpx
        from perplexity import AsyncPerplexity, DefaultAsyncHttpxClient

        if self.credential is not None:
            key = await self._bearer()  # re-sent per request; see _params
        elif self.api_key:
            key = self.api_key.get()
        else:
            raise MissingKeyError(self.name, list(self.key_env))
        return AsyncPerplexity(
            api_key=key,
            base_url=self.base_url,
            max_retries=0,  # the engine's retry loop decides
            default_headers=self.options.get("default_headers"),
            http_client=DefaultAsyncHttpxClient(event_hooks=activity_hooks(httpx)),
        )

    async def _params(self, request: ChatRequest, timeouts: Timeouts) -> dict[str, Any]:
        import httpx  # perplexityai is on httpx 0.x

        params: dict[str, Any] = {
            "model": request.model,
            "messages": chat_messages(request),
            "timeout": http_timeout(httpx, timeouts),
        }
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        if request.stop:
            params["stop"] = request.stop
        if request.json_output:
            params["response_format"] = JSON_FORMAT
        if request.extra:
            params["extra_body"] = dict(request.extra)
        if self.credential is not None:
            # Perplexity keys are bearer tokens; a refreshed one goes out on the next request.
            params["extra_headers"] = {"Authorization": f"Bearer {await self._bearer()}"}
        return params

    async def _complete(
        self, client: Any, request: ChatRequest, timeouts: Timeouts
    ) -> ProviderReply:
        response = await client.chat.completions.create(**await self._params(request, timeouts))
        if not response.choices:
            raise IncompleteStreamError("the response has no choices")
        choice = response.choices[0]
        return ProviderReply(
            text=_text(choice.message.content),
            finish_reason=choice.finish_reason,
            usage=chat_usage(response.usage),
            response_model=response.model,
            extras=_extras(response),
        )

    async def _stream(
        self, client: Any, request: ChatRequest, timeouts: Timeouts
    ) -> AsyncIterator[StreamChunk]:
        stream = await client.chat.completions.create(
            **await self._params(request, timeouts), stream=True
        )
        async with closing_iteration(relay_and_close(stream, self._absorb)) as chunks:
            async for chunk in chunks:
                yield chunk

    @staticmethod
    def _absorb(chunk: object, state: StreamState) -> str:
        """Note a chunk's model, usage, sources and finish reason; return its text."""
        state.extras.update(_extras(chunk))
        delta = absorb_chat_chunk(chunk, state)
        return _text(getattr(delta, "content", None)) if delta is not None else ""
