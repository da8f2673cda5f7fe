"""Google Gemini through ``google-genai`` (``client.aio.models``).

We hand the SDK an explicit ``httpx2.AsyncClient``: google-genai switches to aiohttp
whenever aiohttp is importable, and an explicit httpx client is what keeps it on one
transport whose errors we map. SDK retries stay off (``retry_options=None``). The API
version comes from ``options["api_version"]``, else ``GOOGLE_GENAI_API_VERSION``, else the
SDK's default (``v1`` in 3.x); ``GOOGLE_GEMINI_BASE_URL`` works through the registry and
the SDK alike.

Vertex AI (``options={"vertexai": True, "project": ..., "location": ...}``) accepts a
refreshable bearer ``credential``; the Developer API takes only keys.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

from ..errors import ConfigurationError, ContentPolicyError, IncompleteStreamError, MissingKeyError
from ..models import ChatRequest, ProviderReply, StreamChunk, Usage
from ._sdk import (
    SDKAdapter,
    StreamState,
    activity_hooks,
    closing_iteration,
    http_timeout,
    split_system,
)
from .base import Timeouts
from .registry import PROVIDERS

__all__ = ["GeminiProvider"]

#: The httpx2 timeout of the call in progress. google-genai sends ``timeout=None`` (no
#: limit at all, not even to connect) unless a total is configured, so an event hook on our
#: client puts this one on each request instead.
_CALL_TIMEOUT: ContextVar[Any] = ContextVar("orchestration_gemini_timeout", default=None)


async def _apply_call_timeout(request: Any) -> None:
    timeout = _CALL_TIMEOUT.get()
    if timeout is not None:
        request.extensions["timeout"] = timeout.as_dict()


def gemini_usage(meta: object) -> Usage | None:
    """:class:`Usage` from ``usage_metadata``. Thinking tokens are billed as output, so they
    count in ``output_tokens`` as OpenAI's reasoning tokens do."""
    if meta is None:
        return None
    thoughts = getattr(meta, "thoughts_token_count", None) or 0
    return Usage(
        input_tokens=getattr(meta, "prompt_token_count", None) or 0,
        output_tokens=(getattr(meta, "candidates_token_count", None) or 0) + thoughts,
        cached_input_tokens=getattr(meta, "cached_content_token_count", None) or 0,
        reasoning_tokens=thoughts,
    )


def _finish_reason(candidate: object) -> str | None:
    """Gemini's enum as a lower-case string (``stop``, ``max_tokens``, ``safety``)."""
    reason = getattr(candidate, "finish_reason", None)
    if reason is None:
        return None
    value = str(getattr(reason, "value", reason))
    return None if value == "FINISH_REASON_UNSPECIFIED" else value.lower()


def _candidate_text(candidate: object) -> str:
    content = getattr(candidate, "content", None)
    parts = getattr(content, "parts", None) or []
    # Thought summaries are not the answer.
    return "".join(
        p.text for p in parts if getattr(p, "text", None) and not getattr(p, "thought", False)
    )


class GeminiProvider(SDKAdapter):
    """The Gemini adapter (``gemini:gemini-2.5-flash``).

    ``options``: ``api_version``; ``vertexai``, ``project``, ``location`` for Vertex AI;
    ``headers`` (extra HTTP headers).
    """

    default_name = "gemini"
    key_env: tuple[str, ...] = PROVIDERS["gemini"].key_env  # the one table says

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._http: Any = None
        self._vertex_credentials: Any = None

    async def _make_client(self) -> Any:
        import httpx2
        from google import genai
        from google.genai import types

        hooks = activity_hooks(httpx2)
        hooks["request"].insert(0, _apply_call_timeout)
        self._http = httpx2.AsyncClient(event_hooks=hooks)
        http_options = types.HttpOptions(
            base_url=self.base_url,
            api_version=self.options.get("api_version"),
            headers=self.options.get("headers"),
            httpx_async_client=self._http,
            retry_options=None,  # the engine's retry loop decides
        )
        if self.options.get("vertexai"):
            return genai.Client(
                vertexai=True, http_options=http_options, **await self._vertex_auth()
            )
        if self.credential is not None:
            raise ConfigurationError(
                "the Gemini Developer API takes only API keys; for bearer tokens use Vertex AI: "
                "options={'vertexai': True, 'project': ..., 'location': ...}"
            )
        if not self.api_key:
            raise MissingKeyError(self.name, list(self.key_env))
        return genai.Client(vertexai=False, api_key=self.api_key.get(), http_options=http_options)

    async def _vertex_auth(self) -> dict[str, Any]:
        project, location = self.options.get("project"), self.options.get("location")
        if self.credential is None:
            if not self.api_key:
                raise MissingKeyError(self.name, list(self.key_env))
            return {"api_key": self.api_key.get()}
        if not project or not location:
            raise ConfigurationError(
                "Vertex AI with a token needs options 'project' and 'location', e.g. "
                "options={'vertexai': True, 'project': 'my-project', 'location': 'us-central1'}"
            )
        self._vertex_credentials = _bearer_credentials(await self._bearer())
        return {"credentials": self._vertex_credentials, "project": project, "location": location}

    async def _refresh_vertex_token(self) -> None:
        """Put the current token on the credentials object before each call, so the SDK
        never refreshes it itself (we own the refresh, and the 401 retry)."""
        if self._vertex_credentials is not None and self.credential is not None:
            self._vertex_credentials.token = await self._bearer()

    def _config(self, request: ChatRequest) -> Any:
        from google.genai import types

        config: dict[str, Any] = {}
        system, _ = split_system(request)
        if system:
            config["system_instruction"] = system
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.max_tokens is not None:
            config["max_output_tokens"] = request.max_tokens
        if request.stop:
            config["stop_sequences"] = request.stop
        if request.json_output:
            config["response_mime_type"] = "application/json"
        config.update(request.extra)
        return types.GenerateContentConfig(**config)

    @staticmethod
    def _contents(request: ChatRequest) -> list[dict[str, Any]]:
        # Gemini calls the assistant "model"; the system prompt travels in the config.
        _, turns = split_system(request)
        return [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in turns
        ]

    async def _complete(
        self, client: Any, request: ChatRequest, timeouts: Timeouts
    ) -> ProviderReply:
        import httpx2

        await self._refresh_vertex_token()
        token = _CALL_TIMEOUT.set(http_timeout(httpx2, timeouts))
        try:
            response = await client.aio.models.generate_content(
                model=request.model, contents=self._contents(request), config=self._config(request)
            )
        finally:
            _CALL_TIMEOUT.reset(token)
        if not response.candidates:
            raise self._no_candidates(response)
        candidate = response.candidates[0]
        return ProviderReply(
            text=_candidate_text(candidate),
            finish_reason=_finish_reason(candidate),
            usage=gemini_usage(response.usage_metadata),
            response_model=getattr(response, "model_version", None) or request.model,
            extras=self._extras(response),
        )

    async def _stream(
        self, client: Any, request: ChatRequest, timeouts: Timeouts
    ) -> AsyncIterator[StreamChunk]:
        import httpx2

        await self._refresh_vertex_token()
        token = _CALL_TIMEOUT.set(http_timeout(httpx2, timeouts))
        try:
            stream = await client.aio.models.generate_content_stream(
                model=request.model, contents=self._contents(request), config=self._config(request)
            )
            state = StreamState()
            async with closing_iteration(state.relay(stream, self._absorb)) as pieces:
                async for piece in pieces:
                    yield piece
        finally:
            _CALL_TIMEOUT.reset(token)
        state.response_model = state.response_model or request.model
        yield state.final_chunk()

    def _absorb(self, chunk: Any, state: StreamState) -> str:
        if chunk.usage_metadata is not None:
            state.usage = gemini_usage(chunk.usage_metadata)
        state.response_model = getattr(chunk, "model_version", None) or state.response_model
        if not chunk.candidates:
            if getattr(chunk, "prompt_feedback", None) is not None:
                raise self._no_candidates(chunk)
            return ""
        candidate = chunk.candidates[0]
        state.finish_reason = _finish_reason(candidate) or state.finish_reason
        state.extras.update(self._extras(chunk))
        return _candidate_text(candidate)

    @staticmethod
    def _extras(response: Any) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        if getattr(response, "response_id", None):
            extras["id"] = response.response_id
        candidate = response.candidates[0] if response.candidates else None
        ratings = getattr(candidate, "safety_ratings", None)
        if ratings:
            extras["safety_ratings"] = [
                r.model_dump(mode="json", exclude_none=True) for r in ratings
            ]
        return extras

    def _no_candidates(self, response: object) -> Exception:
        feedback = getattr(response, "prompt_feedback", None)
        reason = getattr(feedback, "block_reason", None)
        if reason is not None:
            return ContentPolicyError(
                f"the prompt was blocked ({getattr(reason, 'value', reason)})", provider=self.name
            )
        return IncompleteStreamError("the response has no candidates", provider=self.name)

    async def _close_http(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def _close_client(self, client: Any) -> None:
        await client.aio.aclose()
        client.close()
        await self._close_http()


def _bearer_credentials(token: str) -> Any:
    """A ``google.auth`` credentials object holding a token we refresh ourselves."""
    from google.auth import credentials as ga_credentials
    from google.auth import exceptions as ga_exceptions

    class BearerTokenCredentials(ga_credentials.Credentials):
        """Holds an externally refreshed token; the SDK must never refresh it."""

        def refresh(self, request: object) -> None:
            raise ga_exceptions.RefreshError(  # type: ignore[no-untyped-call]
                "the token is refreshed by orchestration-kernel"
            )

    creds = BearerTokenCredentials()  # type: ignore[no-untyped-call]
    creds.token = token
    return creds
