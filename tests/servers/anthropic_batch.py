"""Anthropic's Message Batches API on the wire server.

``AnthropicBatchServer`` is an :class:`AnthropicServer` (``/v1/messages`` keeps working) with
``POST /v1/messages/batches`` (``requests=[{custom_id, params}]``, params as
``MessageCreateParamsNonStreaming``; nothing else, and no metadata — Anthropic batches carry
none), ``GET /v1/messages/batches/{id}``, ``GET /v1/messages/batches`` (newest first,
``limit`` / ``after_id``), ``POST /v1/messages/batches/{id}/cancel`` and
``GET /v1/messages/batches/{id}/results`` (JSONL of ``MessageBatchIndividualResponse``).
Limits are Anthropic's: 100,000 requests or 256 MB, ``custom_id`` of 1-64 ``[A-Za-z0-9_-]``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from .anthropic_server import AnthropicServer, anthropic_prompt
from .base import Route
from .batch_core import BatchItem, BatchMixin, SimBatch, check_fields, typed_dict_keys
from .transport import HTTPRequest

__all__ = ["AnthropicBatchServer"]

MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_SAMPLING = frozenset({"temperature", "top_p", "top_k"})
_STATUS = {"succeeded": "succeeded", "errored": "errored", "expired": "expired"}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


class AnthropicBatchServer(BatchMixin, AnthropicServer):
    """Anthropic Messages plus Message Batches; see the module docstring."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._init_batches()

    def routes(self) -> list[Route]:
        """``/v1/messages``, then the batch routes."""
        base = r"^(?:/v1)?/messages/batches"
        one = base + r"/(?P<id>[^/]+)"
        return [
            *super().routes(),
            self._batch_route("POST", base + "$", "batches.create", self._create),
            self._batch_route("GET", base + "$", "batches.list", self._list),
            self._batch_route("GET", one + "$", "batches.retrieve", self._retrieve),
            self._batch_route("POST", one + "/cancel$", "batches.cancel", self._cancel),
            self._batch_route(
                "GET", one + "/results$", "batches.results.content", self._results_body
            ),
        ]

    async def _create(self, request: HTTPRequest, _: re.Match[str]) -> tuple[int, Any]:
        from anthropic.types import message_create_params as mp
        from anthropic.types.messages import batch_create_params as bp

        if len(request.body) > MAX_BYTES:
            return 413, f"request exceeds {MAX_BYTES} bytes"
        body = request.json()
        problem = check_fields(body, {"requests"}, "body", {"requests"})
        if problem:
            return 400, problem
        request_keys, request_required = typed_dict_keys(bp.Request)
        param_keys, _unused = typed_dict_keys(mp.MessageCreateParamsNonStreaming)
        # anthropic 2.x dropped the sampling parameters from its types; the API still takes
        # them where the model allows (our adapter sends temperature in the body too).
        param_keys = param_keys | _SAMPLING
        items: list[BatchItem] = []
        seen: set[str] = set()
        for n, entry in enumerate(body["requests"]):
            where = f"requests.{n}"
            problem = check_fields(entry, request_keys, where, set(request_required))
            problem = problem or check_fields(
                entry["params"], param_keys, where + ".params", {"model", "messages", "max_tokens"}
            )
            if problem:
                return 400, problem
            custom_id = entry["custom_id"]
            if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
                return 400, f"{where}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$"
            if custom_id in seen:
                return 400, f"{where}.custom_id: duplicate {custom_id!r}"
            seen.add(custom_id)
            params = entry["params"]
            prompt, last_user = anthropic_prompt(params)
            items.append(
                BatchItem(
                    custom_id, str(params["model"]), params, prompt, last_user, params["max_tokens"]
                )
            )
        if not items or len(items) > MAX_REQUESTS:
            return 400, f"requests: between 1 and {MAX_REQUESTS} requests, not {len(items)}"
        return 200, self._batch_json(self._new_batch("msgbatch_", items))

    async def _retrieve(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        batch = self.batches.get(match["id"])
        if batch is None:
            return 404, f"message batch {match['id']!r} not found"
        return 200, self._batch_json(batch)

    async def _list(self, request: HTTPRequest, _: re.Match[str]) -> tuple[int, Any]:
        limit = int(request.query.get("limit") or 20)
        ordered = sorted(self.batches.values(), key=lambda b: b.created, reverse=True)
        after = request.query.get("after_id")
        if after:
            ids = [b.id for b in ordered]
            ordered = ordered[ids.index(after) + 1 :] if after in ids else []
        page = ordered[:limit]
        return 200, {
            "data": [self._batch_json(b) for b in page],
            "has_more": len(ordered) > limit,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
        }

    async def _cancel(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        batch = self.batches.get(match["id"])
        if batch is None:
            return 404, f"message batch {match['id']!r} not found"
        now = self.batch_clock.now()
        if batch.phase(now) != "ended":
            batch.cancelled_at = now
        body = self._batch_json(batch)
        return 200, body

    async def _results_body(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        batch = self.batches.get(match["id"])
        if batch is None:
            return 404, f"message batch {match['id']!r} not found"
        if batch.phase(self.batch_clock.now()) != "ended":
            return 400, "the batch is still processing: results are not available yet"
        lines = []
        for result in self._results(batch):
            entry: dict[str, Any] = {"type": _STATUS.get(result.status, "canceled")}
            if result.status == "succeeded":
                entry["message"] = self._message_json(result.call, True)  # type: ignore[arg-type]
            elif result.status == "errored":
                entry["error"] = self.error_payload(400, result.error or "error", "status")
            lines.append(json.dumps({"custom_id": result.item.custom_id, "result": entry}) + "\n")
        return 200, "".join(lines).encode()

    def _batch_json(self, batch: SimBatch) -> dict[str, Any]:
        from anthropic.types.messages import MessageBatch

        now = self.batch_clock.now()
        ended = batch.phase(now) == "ended"
        counts = self._counts(batch, now)
        fields: dict[str, Any] = {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "created_at": _iso(batch.created),
            "expires_at": _iso(batch.created + 86_400),
            "request_counts": {
                "processing": 0 if ended else len(batch.items),  # counts show once it ends
                "succeeded": counts.get("succeeded", 0) if ended else 0,
                "errored": counts.get("errored", 0),
                "expired": counts.get("expired", 0),
                "canceled": counts.get("cancelled", 0),
            },
        }
        if batch.cancelled_at is not None:
            fields["cancel_initiated_at"] = _iso(batch.cancelled_at)
        if ended:
            fields["ended_at"] = _iso(batch.ended_at())
            fields["results_url"] = f"{self.url}/v1/messages/batches/{batch.id}/results"  # type: ignore[attr-defined]
        return MessageBatch.model_validate(fields).model_dump(mode="json", exclude_none=True)
