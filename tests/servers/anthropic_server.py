"""Anthropic's wire protocol: ``POST /v1/messages``, JSON and the full SSE event sequence.

Events, in order: ``message_start``, ``content_block_start``, ``ping``, ``content_block_delta``
(one per chunk), ``content_block_stop``, ``message_delta`` (stop reason and output usage),
``message_stop`` — each built from ``anthropic.types``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .base import Call, Route, StreamPlan, WireServer, message_text, split_text, sse
from .transport import HTTPRequest, Responder

__all__ = ["AnthropicServer"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def anthropic_prompt(body: dict[str, Any]) -> tuple[str, str]:
    """All prompt text (system included) and the last user message of a Messages request."""
    system = body.get("system")
    texts = [message_text(system)] if system else []
    last_user = ""
    for msg in body.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        text = message_text(msg.get("content"))
        texts.append(text)
        if msg.get("role") == "user":
            last_user = text
    return "\n".join(texts), last_user


class AnthropicServer(WireServer):
    """Anthropic Messages on loopback. ``base_url`` is the root (the SDK adds ``/v1/messages``).

    Accepts ``x-api-key`` (``api_key=``) and ``Authorization: Bearer`` (``auth_token=``).
    """

    provider: ClassVar[str] = "anthropic"
    overloaded_status: ClassVar[int] = 529

    def routes(self) -> list[Route]:
        """``POST /v1/messages``."""
        return [Route("POST", re.compile(r"^(?:/v1)?/messages$"), self._messages)]

    def credential(self, request: HTTPRequest) -> str | None:
        """The bearer token, else the ``x-api-key`` header."""
        return super().credential(request) or request.headers.get("x-api-key")

    def error_payload(
        self, status: int, message: str, kind: str, retry_after: float | str | None = None
    ) -> dict[str, Any]:
        """``{"type": "error", "error": {"type", "message"}, "request_id"}``."""
        error_type = _ERROR_TYPES.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        return {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": "req_wire_server",
        }

    def keepalive_frame(self) -> bytes:
        """Anthropic's keep-alive: a ``ping`` event (the SDK drops it)."""
        return b'event: ping\ndata: {"type": "ping"}\n\n'

    def malformed_frame(self) -> bytes:
        """A ``content_block_delta`` event whose data is not JSON."""
        return b'event: content_block_delta\ndata: {"type": "content_block_delta", oops\n\n'

    async def _messages(self, request: HTTPRequest, responder: Responder, _: re.Match[str]) -> None:
        body = request.json() or {}
        prompt, last_user = anthropic_prompt(body)
        call = self.make_call(
            request,
            model=str(body.get("model") or ""),
            stream=bool(body.get("stream")),
            prompt=prompt,
            last_user=last_user,
            max_tokens=body.get("max_tokens"),
        )
        await self.serve_call(call, responder, self._message_json, self._message_stream)

    def _message_json(self, call: Call, finish: bool) -> dict[str, Any]:
        from anthropic.types import Message

        message = Message.model_validate(
            {
                "id": f"msg_{call.id}",
                "type": "message",
                "role": "assistant",
                "model": call.model,
                "content": [{"type": "text", "text": call.reply}],
                "stop_reason": _stop_reason(call) if finish else None,
                "stop_sequence": None,
                "usage": {"input_tokens": call.input_tokens, "output_tokens": call.output_tokens},
            }
        )
        return message.model_dump(mode="json")

    def _message_stream(self, call: Call, finish: bool) -> StreamPlan:
        from anthropic.types import (
            RawContentBlockDeltaEvent,
            RawContentBlockStartEvent,
            RawContentBlockStopEvent,
            RawMessageDeltaEvent,
            RawMessageStartEvent,
            RawMessageStopEvent,
        )

        start = self._message_json(call, True)
        start.update(content=[], stop_reason=None)
        start["usage"]["output_tokens"] = 1
        block_stop = _event(RawContentBlockStopEvent, {"index": 0})
        return StreamPlan(
            prelude=[
                _event(RawMessageStartEvent, {"message": start}),
                _event(
                    RawContentBlockStartEvent,
                    {"index": 0, "content_block": {"type": "text", "text": ""}},
                ),
                sse({"type": "ping"}, event="ping"),
            ],
            content=[
                _event(
                    RawContentBlockDeltaEvent,
                    {"index": 0, "delta": {"type": "text_delta", "text": piece}},
                )
                for piece in split_text(call.reply, self.chunk_count)
            ],
            finale=[
                block_stop,
                _event(
                    RawMessageDeltaEvent,
                    {
                        "delta": {"stop_reason": _stop_reason(call), "stop_sequence": None},
                        "usage": {"output_tokens": call.output_tokens},
                    },
                ),
                _event(RawMessageStopEvent, {}),
            ],
            unfinished=[block_stop],
        )


def _stop_reason(call: Call) -> str:
    return "max_tokens" if call.truncated else "end_turn"


def _event(model: Any, fields: dict[str, Any]) -> bytes:
    """Validate an event with its SDK type and encode it with its ``event:`` name."""
    event_type = model.model_fields["type"].annotation.__args__[0]
    event = model.model_validate({"type": event_type, **fields})
    return sse(event.model_dump(mode="json", exclude_none=True), event=event_type)
