"""OpenAI's wire protocol: ``/v1/chat/completions`` (JSON and SSE), moderations and models.

Bodies are built from ``openai.types`` so the server cannot drift from what the SDK parses.
Also serves OpenAI-compatible clients that call ``/chat/completions`` without ``/v1``, and
Azure OpenAI (``openai.AsyncAzureOpenAI``): ``/openai/deployments/{deployment}/chat/completions
?api-version=...`` with an ``api-key`` header or an Entra ID ``Authorization: Bearer`` token.
"""

from __future__ import annotations

import re
import time
from typing import Any, ClassVar
from urllib.parse import unquote

from .base import Call, Route, StreamPlan, WireServer, message_text, split_text, sse
from .transport import HTTPRequest, Responder

__all__ = ["OpenAIServer", "chat_prompt", "openai_error_payload", "openai_error_type"]

_MODERATION_CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent", "sexual",
    "sexual/minors", "violence", "violence/graphic",
)  # fmt: skip


def openai_error_type(status: int) -> str:
    """OpenAI's error ``type`` for a status."""
    if status == 429:
        return "rate_limit_exceeded"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def openai_error_payload(status: int, message: str, kind: str) -> dict[str, Any]:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    code: str | None = None
    if kind == "auth":
        code = "invalid_api_key"
    elif kind == "rate_limit":
        code = "rate_limit_exceeded"
    elif "context" in message.lower():
        code = "context_length_exceeded"
    return {
        "error": {
            "message": message,
            "type": openai_error_type(status),
            "param": None,
            "code": code,
        }
    }


def chat_prompt(messages: Any) -> tuple[str, str]:
    """All message text of a chat request, and the last user message."""
    texts, last_user = [], ""
    for msg in messages if isinstance(messages, list) else []:
        if not isinstance(msg, dict):
            continue
        text = message_text(msg.get("content"))
        texts.append(text)
        if msg.get("role") == "user":
            last_user = text
    return "\n".join(texts), last_user


class OpenAIServer(WireServer):
    """OpenAI chat completions and moderations on loopback. ``base_url`` ends in ``/v1``.

    ``moderation_flag_words``: ``/v1/moderations`` flags any input containing one of them.
    """

    provider: ClassVar[str] = "openai"

    def __init__(self, *, moderation_flag_words: list[str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.moderation_flag_words = list(moderation_flag_words or ["MODERATE_ME"])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return f"{self.url}/v1"

    @property
    def azure_endpoint(self) -> str:
        """What ``AsyncAzureOpenAI(azure_endpoint=...)`` wants: ``http://127.0.0.1:PORT``."""
        return self.url

    def routes(self) -> list[Route]:
        """Chat completions, moderations and the model list, with or without ``/v1``."""
        return [
            Route("POST", re.compile(r"^(?:/v1)?/chat/completions$"), self._chat),
            Route(
                "POST",
                re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$"),
                self._azure_chat,
            ),
            Route("POST", re.compile(r"^(?:/v1)?/moderations$"), self._moderations),
            Route("GET", re.compile(r"^(?:/v1)?/models$"), self._models),
        ]

    def error_payload(
        self, status: int, message: str, kind: str, retry_after: float | str | None = None
    ) -> dict[str, Any]:
        """``{"error": {"message", "type", "param", "code"}}``."""
        return openai_error_payload(status, message, kind)

    def credential(self, request: HTTPRequest) -> str | None:
        """The bearer token, else Azure's ``api-key`` header (checked by ``require_bearer``
        too, so a bearer-only server turns a key away with a 401)."""
        return super().credential(request) or request.headers.get("api-key") or None

    # ------------------------------------------------------------------ routes
    async def _chat(self, request: HTTPRequest, responder: Responder, _: re.Match[str]) -> None:
        body = request.json() or {}
        await self._serve_chat(request, responder, str(body.get("model") or ""))

    async def _azure_chat(
        self, request: HTTPRequest, responder: Responder, match: re.Match[str]
    ) -> None:
        """Azure's route: the deployment in the path is the model; ``api-version`` is required."""
        deployment = unquote(match["deployment"])
        version = request.query.get("api-version")
        if not version:
            # Azure answers a request without api-version with a 404 "Resource not found".
            self.new_log(request, model=deployment, status=404, t_end=time.monotonic())
            await self.send_error(responder, 404, "Resource not found", "not_found")
            return
        await self._serve_chat(request, responder, deployment, api_version=version)

    async def _serve_chat(
        self, request: HTTPRequest, responder: Responder, model: str, **log_fields: Any
    ) -> None:
        body = request.json() or {}
        prompt, last_user = chat_prompt(body.get("messages"))
        call = self.make_call(
            request,
            model=model,
            stream=bool(body.get("stream")),
            prompt=prompt,
            last_user=last_user,
            max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
            **log_fields,
        )
        await self.serve_call(call, responder, self._completion_json, self._completion_stream)

    async def _moderations(
        self, request: HTTPRequest, responder: Responder, _: re.Match[str]
    ) -> None:
        body = request.json() or {}
        model = str(body.get("model") or "omni-moderation-latest")
        log = self.new_log(request, model=model)
        call = Call(request, log, model, False, "")
        await self.serve_call(call, responder, self._moderation_json)

    async def _models(self, request: HTTPRequest, responder: Responder, _: re.Match[str]) -> None:
        from openai.types import Model

        log = self.new_log(request)
        call = Call(request, log, "", False, "")

        def build(call: Call, finish: bool) -> dict[str, Any]:
            models = sorted(m for m in self._replies if m) or ["gpt-4o-mini"]
            data = [
                Model(
                    id=m, created=call.created, object="model", owned_by="wire-server"
                ).model_dump(mode="json")
                for m in models
            ]
            return {"object": "list", "data": data}

        await self.serve_call(call, responder, build)

    # ---------------------------------------------------------------- builders
    def _usage(self, call: Call) -> dict[str, Any]:
        from openai.types import CompletionUsage

        return CompletionUsage(
            prompt_tokens=call.input_tokens,
            completion_tokens=call.output_tokens,
            total_tokens=call.input_tokens + call.output_tokens,
        ).model_dump(mode="json", exclude_none=True)

    def _completion_json(self, call: Call, finish: bool) -> dict[str, Any]:
        from openai.types.chat import ChatCompletion

        completion = ChatCompletion.model_validate(
            {
                "id": f"chatcmpl-{call.id}",
                "object": "chat.completion",
                "created": call.created,
                "model": call.model,
                "system_fingerprint": "fp_wire_server",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": call.reply},
                        "finish_reason": "length" if call.truncated else "stop",
                        "logprobs": None,
                    }
                ],
                "usage": self._usage(call),
            }
        )
        body = completion.model_dump(mode="json", exclude_none=True)
        if not finish:
            body["choices"][0]["finish_reason"] = None  # the fault: the type forbids it
        return body

    def _chunk(self, call: Call, delta: dict[str, Any], finish: str | None) -> bytes:
        from openai.types.chat import ChatCompletionChunk

        chunk = ChatCompletionChunk.model_validate(
            {
                "id": f"chatcmpl-{call.id}",
                "object": "chat.completion.chunk",
                "created": call.created,
                "model": call.model,
                "system_fingerprint": "fp_wire_server",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )
        return sse(chunk.model_dump(mode="json", exclude_none=True))

    def _usage_chunk(self, call: Call) -> bytes:
        from openai.types.chat import ChatCompletionChunk

        chunk = ChatCompletionChunk.model_validate(
            {
                "id": f"chatcmpl-{call.id}",
                "object": "chat.completion.chunk",
                "created": call.created,
                "model": call.model,
                "choices": [],
                "usage": self._usage(call),
            }
        )
        return sse(chunk.model_dump(mode="json", exclude_none=True))

    def _completion_stream(self, call: Call, finish: bool) -> StreamPlan:

        options = (call.log.json or {}).get("stream_options") or {}
        done = b"data: [DONE]\n\n"
        tail = [self._usage_chunk(call)] if options.get("include_usage") else []
        return StreamPlan(
            prelude=[self._chunk(call, {"role": "assistant", "content": ""}, None)],
            content=[
                self._chunk(call, {"content": piece}, None)
                for piece in split_text(call.reply, self.chunk_count)
            ],
            finale=[self._chunk(call, {}, "length" if call.truncated else "stop"), *tail, done],
            unfinished=[done],
        )

    def _moderation_json(self, call: Call, finish: bool) -> dict[str, Any]:
        from openai.types import ModerationCreateResponse

        raw = (call.log.json or {}).get("input", "")
        inputs = raw if isinstance(raw, list) else [raw]
        results = [
            self._moderation_result(message_text([i]) if isinstance(i, dict) else str(i))
            for i in inputs
        ]
        response = ModerationCreateResponse.model_validate(
            {"id": f"modr-{call.id}", "model": call.model, "results": results}
        )
        return response.model_dump(mode="json", by_alias=True, exclude_none=True)

    def _moderation_result(self, text: str) -> dict[str, Any]:
        flagged = any(word in text for word in self.moderation_flag_words)
        score = 0.99 if flagged else 0.0001
        return {
            "flagged": flagged,
            "categories": {c: flagged and c == "harassment" for c in _MODERATION_CATEGORIES},
            "category_scores": {
                c: score if c == "harassment" else 0.0001 for c in _MODERATION_CATEGORIES
            },
            "category_applied_input_types": {c: ["text"] for c in _MODERATION_CATEGORIES},
        }
