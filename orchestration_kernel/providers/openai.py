"""OpenAI chat completions through ``openai.AsyncOpenAI`` (openai 3.x, on ``httpx2``).

Also Azure OpenAI (``options={"azure": True, "api_version": ..., "azure_endpoint": ...}``)
with a key or an Entra ID token (the ``credential``). A refreshable credential is passed
to the SDK as an async ``api_key`` callable, which it calls before every request, so a
refreshed token reaches the next request without a new client.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from ..errors import ConfigurationError, MissingKeyError
from ..models import ChatRequest, ProviderReply, StreamChunk
from ._sdk import (
    SDKAdapter,
    StreamState,
    absorb_chat_chunk,
    activity_hooks,
    chat_messages,
    closing_iteration,
    end_user,
    http_timeout,
    relay_and_close,
)
from .base import Timeouts
from .openai_post import post_chat
from .openai_reply import chat_reply_cast, completion_reply
from .registry import PROVIDERS
from .shards import sdk_http_client

__all__ = ["OpenAIProvider"]


class OpenAIProvider(SDKAdapter):
    """The OpenAI adapter (``openai:gpt-4o-mini``).

    ``options``: ``organization``, ``project``, ``default_headers``; for Azure OpenAI
    ``azure=True``, ``api_version``, ``azure_endpoint`` (or ``base_url``) and
    ``azure_deployment``; ``stream_usage=False`` for servers that reject ``stream_options``.
    """

    default_name = "openai"
    #: The variables that would hold the key (named in a missing-key error).
    key_env: tuple[str, ...] = PROVIDERS["openai"].key_env  # the one table says
    #: The request field for the output limit (``max_tokens`` is deprecated at OpenAI).
    max_tokens_field = "max_completion_tokens"
    #: The request field for the end-user id.
    user_field = "safety_identifier"
    #: The key sent when none is configured (None: a key is required).
    placeholder_key: str | None = None

    async def _make_client(self) -> Any:
        import httpx2
        import openai

        common: dict[str, Any] = {
            "max_retries": 0,  # the engine's retry loop decides
            "default_headers": self.options.get("default_headers"),
            "http_client": sdk_http_client(openai, httpx2, event_hooks=activity_hooks(httpx2)),
        }
        client: openai.AsyncOpenAI
        if self.options.get("azure"):
            client = openai.AsyncAzureOpenAI(**common, **self._azure_kwargs())
        else:
            client = openai.AsyncOpenAI(
                **common,
                api_key=self._api_key_arg(),
                base_url=self.base_url,
                organization=self.options.get("organization"),
                project=self.options.get("project"),
            )
        _ = client.chat.completions  # imported lazily by the SDK: now, not on the first call
        return client

    def _api_key_arg(self) -> Any:
        """A string key, or an async callable the SDK awaits before each request."""
        if self.credential is not None:
            return self._bearer
        if self.api_key:
            return self.api_key.get()
        if self.placeholder_key is not None:
            return self.placeholder_key
        raise MissingKeyError(self.name, list(self.key_env))

    def _azure_kwargs(self) -> dict[str, Any]:
        # Azure's own variables are the defaults, as AsyncAzureOpenAI documents them.
        endpoint = (
            self.options.get("azure_endpoint")
            or self.base_url
            or os.environ.get("AZURE_OPENAI_ENDPOINT")
        )
        version = self.options.get("api_version") or os.environ.get("OPENAI_API_VERSION")
        if not endpoint or not version:
            raise ConfigurationError(
                "Azure OpenAI needs an endpoint and an API version: options azure_endpoint "
                "(or AZURE_OPENAI_ENDPOINT) and api_version (or OPENAI_API_VERSION), e.g. "
                "options={'azure': True, 'azure_endpoint': 'https://NAME.openai.azure.com', "
                "'api_version': '2024-10-21'}"
            )
        kwargs: dict[str, Any] = {
            "azure_endpoint": endpoint,
            "api_version": version,
            "azure_deployment": self.options.get("azure_deployment"),
        }
        if self.credential is not None:
            kwargs["azure_ad_token_provider"] = self._bearer  # Entra ID bearer token
        elif self.api_key:
            kwargs["api_key"] = self.api_key.get()
        else:
            raise MissingKeyError(self.name, ["AZURE_OPENAI_API_KEY"])
        return kwargs

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"model": request.model, "messages": chat_messages(request)}
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.max_tokens is not None:
            params[self.max_tokens_field] = request.max_tokens
        if request.stop:
            params["stop"] = request.stop
        if request.json_output:
            params["response_format"] = {"type": "json_object"}
        user = end_user(request)
        if user:
            params[self.user_field] = user
        if request.extra:
            params["extra_body"] = dict(request.extra)
        return params

    async def _complete(
        self, client: Any, request: ChatRequest, timeouts: Timeouts
    ) -> ProviderReply:
        import httpx2

        # The reply is read from the body itself where it is plain (openai_reply).
        completion = await post_chat(
            client,
            self._params(request),
            timeout=http_timeout(httpx2, timeouts),
            cast_to=chat_reply_cast(),
        )
        if type(completion) is ProviderReply:
            return completion
        return completion_reply(completion)

    async def _stream(
        self, client: Any, request: ChatRequest, timeouts: Timeouts
    ) -> AsyncIterator[StreamChunk]:
        import httpx2

        params = self._params(request)
        if self.options.get("stream_usage", True):
            params["stream_options"] = {"include_usage": True}
        stream = await post_chat(
            client, params, stream=True, timeout=http_timeout(httpx2, timeouts)
        )
        async with closing_iteration(relay_and_close(stream, self._absorb)) as chunks:
            async for chunk in chunks:
                yield chunk

    @staticmethod
    def _absorb(chunk: object, state: StreamState) -> str:
        """Note a chunk's model, usage and finish reason; return its text."""
        delta = absorb_chat_chunk(chunk, state)
        return (getattr(delta, "content", None) or "") if delta is not None else ""
