"""Google Gemini's wire protocol (Developer API): ``generateContent`` and ``streamGenerateContent``.

google-genai 3.x calls ``{base_url}/{api_version}/models/{model}:generateContent`` and
``...:streamGenerateContent?alt=sse`` (``api_version`` defaults to ``v1``; ``v1beta`` with
``GOOGLE_GENAI_API_VERSION=beta``). Any version prefix is accepted and logged in
:attr:`LoggedRequest.api_version`. Bodies are ``google.genai.types.GenerateContentResponse``
dumped with camelCase aliases, as on the wire.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .base import Call, Route, StreamPlan, WireServer, count_tokens, split_text, sse
from .transport import HTTPRequest, Responder

__all__ = ["GeminiServer"]

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def gemini_prompt(body: dict[str, Any]) -> tuple[str, str]:
    """All prompt text (system instruction included) and the last user turn's text."""
    texts: list[str] = []
    system = body.get("systemInstruction") or body.get("system_instruction")
    if isinstance(system, dict):
        texts.append(_parts_text(system.get("parts")))
    last_user = ""
    for content in body.get("contents") or []:
        if not isinstance(content, dict):
            continue
        text = _parts_text(content.get("parts"))
        texts.append(text)
        if content.get("role", "user") == "user":
            last_user = text
    return "\n".join(texts), last_user


def _parts_text(parts: Any) -> str:
    if not isinstance(parts, list):
        return ""
    return " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict)).strip()


class GeminiServer(WireServer):
    """Gemini ``generateContent`` on loopback. ``base_url`` is the root the SDK wants.

    Point google-genai at it with
    ``genai.Client(api_key=..., http_options=HttpOptions(base_url=srv.base_url))``; the key
    arrives as ``x-goog-api-key``.
    """

    provider: ClassVar[str] = "gemini"

    def routes(self) -> list[Route]:
        """``POST /{version}/models/{model}:generateContent|streamGenerateContent``.

        Vertex AI paths (``/{version}/projects/P/locations/L/publishers/google/models/...``,
        what ``genai.Client(vertexai=True, credentials=..., http_options=...)`` calls) too.
        """
        pattern = re.compile(
            r"^/(?P<version>[^/]+)/(?:projects/[^/]+/locations/[^/]+/publishers/google/)?"
            r"models/(?P<model>[^/:]+)"
            r":(?P<method>generateContent|streamGenerateContent)$"
        )
        return [Route("POST", pattern, self._generate)]

    def credential(self, request: HTTPRequest) -> str | None:
        """The bearer token, else ``x-goog-api-key``, else ``?key=``."""
        return (
            super().credential(request)
            or request.headers.get("x-goog-api-key")
            or request.query.get("key")
        )

    def error_payload(
        self, status: int, message: str, kind: str, retry_after: float | str | None = None
    ) -> dict[str, Any]:
        """``{"error": {"code", "message", "status"}}`` (plus RetryInfo on a 429)."""
        error: dict[str, Any] = {
            "code": status,
            "message": message,
            "status": _STATUS_NAMES.get(
                status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION"
            ),
        }
        if isinstance(retry_after, int | float):
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{retry_after:g}s",
                }
            ]
        return {"error": error}

    async def _generate(
        self, request: HTTPRequest, responder: Responder, match: re.Match[str]
    ) -> None:
        body = request.json() or {}
        prompt, last_user = gemini_prompt(body)
        config = body.get("generationConfig") or {}
        call = self.make_call(
            request,
            model=match["model"],
            stream=match["method"] == "streamGenerateContent",
            prompt=prompt,
            last_user=last_user,
            max_tokens=config.get("maxOutputTokens"),
            api_version=match["version"],
        )
        await self.serve_call(call, responder, self._response_json, self._response_stream)

    def _response(self, call: Call, text: str, finish: bool, output_tokens: int) -> dict[str, Any]:
        from google.genai import types

        candidate: dict[str, Any] = {
            "content": {"role": "model", "parts": [{"text": text}]},
            "index": 0,
        }
        if finish:
            candidate["finish_reason"] = "MAX_TOKENS" if call.truncated else "STOP"
        response = types.GenerateContentResponse.model_validate(
            {
                "candidates": [candidate],
                "usage_metadata": {
                    "prompt_token_count": call.input_tokens,
                    "candidates_token_count": output_tokens,
                    "total_token_count": call.input_tokens + output_tokens,
                },
                "model_version": call.model,
                "response_id": call.id,
            }
        )
        return response.model_dump(mode="json", by_alias=True, exclude_none=True)

    def _response_json(self, call: Call, finish: bool) -> dict[str, Any]:
        return self._response(call, call.reply, finish, call.output_tokens)

    def _response_stream(self, call: Call, finish: bool) -> StreamPlan:
        # As the real API does: every chunk carries the running usage; the last carries
        # the finish reason (absent under Fault.no_finish_reason()).
        pieces = split_text(call.reply, self.chunk_count)
        frames, sent = [], ""
        for i, piece in enumerate(pieces):
            sent += piece
            last = i == len(pieces) - 1
            frames.append(sse(self._response(call, piece, finish and last, count_tokens(sent))))
        return StreamPlan(prelude=[], content=frames, finale=[])
