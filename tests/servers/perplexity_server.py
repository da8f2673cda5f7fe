"""Perplexity's wire protocol: ``POST /chat/completions`` with citations and search results.

The perplexityai SDK (``AsyncPerplexity``) posts to ``{base_url}/chat/completions`` and casts
the body (and every SSE chunk) to ``perplexity.generated.api.CompletionResponseOutput``;
bodies here are built from that type, so ``citations``, ``search_results`` and the usage
(with its ``cost``) are exactly what the SDK reads.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .base import Call, Route, StreamPlan, WireServer, count_tokens, split_text, sse
from .openai_server import chat_prompt, openai_error_payload
from .transport import HTTPRequest, Responder

__all__ = ["PerplexityServer"]

_DONE = b"data: [DONE]\n\n"


class PerplexityServer(WireServer):
    """Perplexity chat completions on loopback. ``base_url`` is the root (no ``/v1``).

    ``citations``: the URLs every answer cites (default: two example.com pages).
    """

    provider: ClassVar[str] = "perplexity"

    def __init__(self, *, citations: list[str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.citations = list(
            citations or ["https://example.com/wire-server/a", "https://example.com/wire-server/b"]
        )

    def routes(self) -> list[Route]:
        """``POST /chat/completions`` (also under ``/v1``, for OpenAI-compatible clients)."""
        return [Route("POST", re.compile(r"^(?:/v1)?/chat/completions$"), self._chat)]

    def error_payload(
        self, status: int, message: str, kind: str, retry_after: float | str | None = None
    ) -> dict[str, Any]:
        """OpenAI-style ``{"error": {"message", "type", "code"}}``, as Perplexity answers."""
        return openai_error_payload(status, message, kind)

    async def _chat(self, request: HTTPRequest, responder: Responder, _: re.Match[str]) -> None:
        body = request.json() or {}
        prompt, last_user = chat_prompt(body.get("messages"))
        call = self.make_call(
            request,
            model=str(body.get("model") or ""),
            stream=bool(body.get("stream")),
            prompt=prompt,
            last_user=last_user,
            max_tokens=body.get("max_tokens"),
        )
        await self.serve_call(call, responder, self._completion_json, self._completion_stream)

    def _completion(
        self, call: Call, delta: str, so_far: str, finish: str | None, usage: bool
    ) -> dict[str, Any]:
        from perplexity.generated.api import CompletionResponseOutput

        message = {"role": "assistant", "content": so_far}
        body: dict[str, Any] = {
            "id": call.id,
            "model": call.model,
            "created": call.created,
            "object": "chat.completion" if call.stream is False else "chat.completion.chunk",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish,
                    "message": message,
                    "delta": {"role": "assistant", "content": delta},
                }
            ],
            "citations": self.citations,
            "search_results": [
                {
                    "title": f"Source {i + 1}",
                    "url": url,
                    "snippet": f"About {url}",
                    "date": "2025-01-01",
                    "source": "web",
                }
                for i, url in enumerate(self.citations)
            ],
        }
        if usage:
            body["usage"] = self._usage(call, so_far)
        return CompletionResponseOutput.model_validate(body).model_dump(
            mode="json", exclude_none=True
        )

    def _usage(self, call: Call, text: str) -> dict[str, Any]:
        out = count_tokens(text)
        inp = call.input_tokens
        return {
            "prompt_tokens": inp,
            "completion_tokens": out,
            "total_tokens": inp + out,
            "citation_tokens": 0,
            "num_search_queries": 1,
            "search_context_size": "low",
            "cost": {
                "input_tokens_cost": inp * 1e-6,
                "output_tokens_cost": out * 1e-6,
                "request_cost": 0.005,
                "total_cost": round((inp + out) * 1e-6 + 0.005, 9),
            },
        }

    def _finish(self, call: Call) -> str:
        return "length" if call.truncated else "stop"

    def _completion_json(self, call: Call, finish: bool) -> dict[str, Any]:
        reason = self._finish(call) if finish else None
        return self._completion(call, call.reply, call.reply, reason, usage=True)

    def _completion_stream(self, call: Call, finish: bool) -> StreamPlan:
        frames, so_far = [], ""
        for piece in split_text(call.reply, self.chunk_count):
            so_far += piece
            frames.append(sse(self._completion(call, piece, so_far, None, usage=False)))
        final = sse(self._completion(call, "", call.reply, self._finish(call), usage=True))
        return StreamPlan(prelude=[], content=frames, finale=[final, _DONE], unfinished=[_DONE])
