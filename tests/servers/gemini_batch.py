"""The Gemini Developer API's batch mode on the wire server.

``GeminiBatchServer`` is a :class:`GeminiServer` (``generateContent`` keeps working) with
``POST /{version}/models/{model}:batchGenerateContent`` (``batch.displayName``,
``batch.inputConfig.requests.requests[{request, metadata}]``; nothing else: a ``fileName``
source is refused here, as this server stores no files), ``GET /{version}/batches/{id}``,
``GET /{version}/batches`` (``pageSize`` / ``pageToken``) and
``POST /{version}/batches/{id}:cancel``. Jobs come back as long-running operations whose
``metadata`` holds the state (``BATCH_STATE_*``) and, once ended,
``output.inlinedResponses.inlinedResponses`` in request order (``response`` or ``error``,
with the request's ``metadata`` echoed). Inline requests are limited to 20 MB.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from .base import Route
from .batch_core import BatchItem, BatchMixin, SimBatch, check_fields
from .gemini_server import GeminiServer, gemini_prompt
from .transport import HTTPRequest

__all__ = ["GeminiBatchServer"]

MAX_INLINE_BYTES = 20 * 1024 * 1024
#: the REST fields of a GenerateContentRequest inside a batch
_REQUEST_KEYS = frozenset(
    {"model", "contents", "generationConfig", "systemInstruction", "safetySettings", "tools",
     "toolConfig", "cachedContent", "labels"}
)  # fmt: skip
_BATCH_KEYS = frozenset({"displayName", "inputConfig", "webhookConfig"})
_STATES = {"queued": "BATCH_STATE_PENDING", "running": "BATCH_STATE_RUNNING"}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


class GeminiBatchServer(BatchMixin, GeminiServer):
    """Gemini generateContent plus batch mode; see the module docstring."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._init_batches()

    def routes(self) -> list[Route]:
        """``generateContent``, then the batch routes."""
        one = r"^/(?P<version>[^/]+)/batches/(?P<id>[^/:]+)"
        return [
            *super().routes(),
            self._batch_route(
                "POST",
                r"^/(?P<version>[^/]+)/models/(?P<model>[^/:]+):batchGenerateContent$",
                "batches.create",
                self._create,
            ),
            self._batch_route("GET", r"^/(?P<version>[^/]+)/batches$", "batches.list", self._list),
            self._batch_route("GET", one + "$", "batches.retrieve", self._retrieve),
            self._batch_route("POST", one + ":cancel$", "batches.cancel", self._cancel),
        ]

    async def _create(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        body = request.json()
        problem = check_fields(body, {"batch"}, "body", {"batch"})
        batch = (body or {}).get("batch")
        problem = problem or check_fields(batch, _BATCH_KEYS, "batch", {"inputConfig"})
        if problem:
            return 400, problem
        source = batch["inputConfig"]
        if "fileName" in source:
            return 400, "this server takes inline requests only (inputConfig.requests)"
        if len(request.body) > MAX_INLINE_BYTES:
            return 400, f"inline requests exceed {MAX_INLINE_BYTES} bytes: use a file"
        entries = (source.get("requests") or {}).get("requests") or []
        model = match["model"]
        items: list[BatchItem] = []
        for n, entry in enumerate(entries):
            where = f"batch.inputConfig.requests.requests[{n}]"
            problem = check_fields(entry, {"request", "metadata"}, where, {"request"})
            problem = problem or check_fields(
                entry["request"], _REQUEST_KEYS, where + ".request", {"contents"}
            )
            if problem:
                return 400, problem
            req = entry["request"]
            prompt, last_user = gemini_prompt(req)
            key = str((entry.get("metadata") or {}).get("key", n))
            limit = (req.get("generationConfig") or {}).get("maxOutputTokens")
            items.append(BatchItem(key, model, entry, prompt, last_user, limit))
        if not items:
            return 400, "batch has no requests"
        created = self._new_batch(
            "", items, display_name=batch.get("displayName") or "", version=match["version"]
        )
        created.model = f"models/{model}"
        return 200, self._operation(created)

    async def _retrieve(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        batch = self.batches.get(match["id"])
        if batch is None:
            return 404, f"batches/{match['id']} not found"
        return 200, self._operation(batch)

    async def _list(self, request: HTTPRequest, _: re.Match[str]) -> tuple[int, Any]:
        size = int(request.query.get("pageSize") or 50)
        start = int(request.query.get("pageToken") or 0)
        ordered = sorted(self.batches.values(), key=lambda b: b.created, reverse=True)
        page = ordered[start : start + size]
        body: dict[str, Any] = {"operations": [self._operation(b, brief=True) for b in page]}
        if start + size < len(ordered):
            body["nextPageToken"] = str(start + size)
        return 200, body

    async def _cancel(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        batch = self.batches.get(match["id"])
        if batch is None:
            return 404, f"batches/{match['id']} not found"
        now = self.batch_clock.now()
        if batch.phase(now) != "ended":
            batch.cancelled_at = now
        return 200, {}

    def _state(self, batch: SimBatch, now: float) -> str:
        phase = batch.phase(now)
        if phase in _STATES:
            return _STATES[phase]
        if batch.outcome == "fail":
            return "BATCH_STATE_FAILED"
        if batch.outcome == "expire":
            return "BATCH_STATE_EXPIRED"
        return (
            "BATCH_STATE_CANCELLED" if batch.cancelled_at is not None else "BATCH_STATE_SUCCEEDED"
        )

    def _operation(self, batch: SimBatch, brief: bool = False) -> dict[str, Any]:
        """The job as the API answers it: an operation with the batch in ``metadata``."""
        now = self.batch_clock.now()
        state = self._state(batch, now)
        meta: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "model": batch.model,
            "displayName": batch.meta["display_name"],
            "createTime": _iso(batch.created),
            "updateTime": _iso(min(now, batch.ended_at())),
            "state": state,
            "batchStats": {"requestCount": str(len(batch.items))},
        }
        ended = batch.phase(now) == "ended"
        if ended:
            meta["endTime"] = _iso(batch.ended_at())
            if not brief:
                meta["output"] = {"inlinedResponses": {"inlinedResponses": self._responses(batch)}}
        return {"name": f"batches/{batch.id}", "metadata": meta, "done": ended}

    def _responses(self, batch: SimBatch) -> list[dict[str, Any]]:
        out = []
        for result in self._results(batch):
            entry: dict[str, Any] = {"metadata": result.item.body.get("metadata") or {}}
            if result.status == "succeeded":
                entry["response"] = self._response_json(result.call, True)  # type: ignore[arg-type]
            else:
                code = 400 if result.status == "errored" else 499
                entry["error"] = {"code": code, "message": result.error or result.status}
            out.append(entry)
        return out
