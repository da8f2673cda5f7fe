"""OpenAI's Batch API on the wire server: ``/v1/files`` (``purpose="batch"``) and ``/v1/batches``.

``OpenAIBatchServer`` is an :class:`OpenAIServer` (chat completions keep working) with:

* ``POST /v1/files`` (multipart ``file`` + ``purpose``), ``GET /v1/files/{id}/content``;
* ``POST /v1/batches`` (``input_file_id``, ``endpoint``, ``completion_window="24h"``,
  ``metadata``, ``output_expires_after`` — nothing else), ``GET /v1/batches/{id}``,
  ``GET /v1/batches`` (newest first, ``after`` / ``limit``), ``POST /v1/batches/{id}/cancel``.

Input lines are ``{"custom_id", "method": "POST", "url", "body"}`` with a chat-completions
body; the limits are OpenAI's (50,000 requests, 200 MB a file, unique ``custom_id``).
Bodies are built from ``openai.types`` (``FileObject``, ``Batch``).
"""

from __future__ import annotations

import json
import re
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from .base import Route
from .batch_core import BatchItem, BatchMixin, SimBatch, check_fields, typed_dict_keys
from .openai_server import OpenAIServer, chat_prompt
from .transport import HTTPRequest

__all__ = ["OpenAIBatchServer"]

MAX_REQUESTS = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024
_ENDPOINTS = {"/v1/chat/completions"}
_LINE_KEYS = frozenset({"custom_id", "method", "url", "body"})


def _chat_keys() -> frozenset[str]:
    from openai.types.chat import completion_create_params as p

    return typed_dict_keys(p.CompletionCreateParamsNonStreaming)[0]


def _create_keys() -> tuple[frozenset[str], frozenset[str]]:
    from openai.types import batch_create_params as p

    return typed_dict_keys(p.BatchCreateParams)


class OpenAIBatchServer(BatchMixin, OpenAIServer):
    """OpenAI chat completions plus files and batches; see the module docstring."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._init_batches()
        #: uploaded and produced files: id -> (purpose, filename, bytes)
        self.files: dict[str, tuple[str, str, bytes]] = {}

    def routes(self) -> list[Route]:
        """The chat routes, then files and batches."""
        v1 = r"^(?:/v1)?"
        return [
            *super().routes(),
            self._batch_route("POST", v1 + r"/files$", "files.create", self._file_create),
            self._batch_route(
                "GET", v1 + r"/files/(?P<id>[^/]+)/content$", "files.content", self._file_content
            ),
            self._batch_route("POST", v1 + r"/batches$", "batches.create", self._create),
            self._batch_route("GET", v1 + r"/batches$", "batches.list", self._list),
            self._batch_route(
                "GET", v1 + r"/batches/(?P<id>[^/]+)$", "batches.retrieve", self._retrieve
            ),
            self._batch_route(
                "POST", v1 + r"/batches/(?P<id>[^/]+)/cancel$", "batches.cancel", self._cancel
            ),
        ]

    # -- files ----------------------------------------------------------------------------
    async def _file_create(self, request: HTTPRequest, _: re.Match[str]) -> tuple[int, Any]:
        fields = _multipart(request)
        purpose = fields.get("purpose", (None, b""))[1].decode()
        if "file" not in fields:
            return 400, "'file' is a required property"
        if purpose not in ("batch", "assistants", "fine-tune", "vision", "user_data", "evals"):
            return 400, f"'{purpose}' is not one of the supported purposes"
        filename, data = fields["file"]
        if len(data) > MAX_FILE_BYTES:
            return 400, f"file exceeds the {MAX_FILE_BYTES} byte limit"
        return 200, self._store_file(purpose, filename or "upload.jsonl", data)

    def _store_file(self, purpose: str, filename: str, data: bytes) -> dict[str, Any]:
        from openai.types import FileObject

        file_id = f"file-{uuid.uuid4().hex[:24]}"
        self.files[file_id] = (purpose, filename, data)
        return FileObject(
            id=file_id,
            bytes=len(data),
            created_at=int(self.batch_clock.now()),
            filename=filename,
            object="file",
            purpose=purpose,  # type: ignore[arg-type]
            status="processed",
        ).model_dump(mode="json", exclude_none=True)

    async def _file_content(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        found = self.files.get(match["id"])
        if found is None:
            return 404, f"No such File object: {match['id']}"
        return 200, found[2]

    # -- batches --------------------------------------------------------------------------
    async def _create(self, request: HTTPRequest, _: re.Match[str]) -> tuple[int, Any]:
        body = request.json()
        allowed, required = _create_keys()
        problem = check_fields(body, allowed, "batch", set(required))
        if problem:
            return 400, problem
        if body["completion_window"] != "24h":
            return 400, "completion_window must be '24h'"
        if body["endpoint"] not in _ENDPOINTS:
            return 400, f"endpoint {body['endpoint']!r} is not supported by this server"
        metadata = body.get("metadata") or {}
        if len(metadata) > 16 or any(len(str(v)) > 512 for v in metadata.values()):
            return 400, "metadata: at most 16 keys, values of at most 512 characters"
        found = self.files.get(body["input_file_id"])
        if found is None or found[0] != "batch":
            return 400, f"input file {body['input_file_id']!r} is not a batch file"
        items = _parse_input(found[2], body["endpoint"])
        if isinstance(items, str):
            return 400, items
        batch = self._new_batch(
            "batch_", items, metadata=metadata, input_file_id=body["input_file_id"]
        )
        return 200, self._batch_json(batch)

    async def _retrieve(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        batch = self.batches.get(match["id"])
        if batch is None:
            return 404, f"No batch found with id '{match['id']}'"
        return 200, self._batch_json(batch)

    async def _list(self, request: HTTPRequest, _: re.Match[str]) -> tuple[int, Any]:
        limit = int(request.query.get("limit") or 20)
        ordered = sorted(self.batches.values(), key=lambda b: b.created, reverse=True)
        after = request.query.get("after")
        if after:
            ids = [b.id for b in ordered]
            ordered = ordered[ids.index(after) + 1 :] if after in ids else []
        page = ordered[:limit]
        data = [self._batch_json(b) for b in page]
        return 200, {
            "object": "list",
            "data": data,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(ordered) > limit,
        }

    async def _cancel(self, request: HTTPRequest, match: re.Match[str]) -> tuple[int, Any]:
        batch = self.batches.get(match["id"])
        if batch is None:
            return 404, f"No batch found with id '{match['id']}'"
        now = self.batch_clock.now()
        if batch.phase(now) == "ended":
            return 409, f"Cannot cancel a batch with status {self._status(batch, now)!r}"
        batch.cancelled_at = now
        body = self._batch_json(batch)
        body["status"] = "cancelling"  # the answer to the cancel itself
        return 200, body

    # -- bodies ---------------------------------------------------------------------------
    def _status(self, batch: SimBatch, now: float) -> str:
        phase = batch.phase(now)
        if phase == "queued":
            return "validating"
        if phase == "running":
            return "in_progress"
        if batch.outcome == "fail":
            return "failed"
        if batch.outcome == "expire":
            return "expired"
        return "cancelled" if batch.cancelled_at is not None else "completed"

    def _batch_json(self, batch: SimBatch) -> dict[str, Any]:
        from openai.types import Batch

        now = self.batch_clock.now()
        status = self._status(batch, now)
        counts = self._counts(batch, now)
        total = len(batch.items)
        fields: dict[str, Any] = {
            "id": batch.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "input_file_id": batch.meta["input_file_id"],
            "completion_window": "24h",
            "status": status,
            "created_at": int(batch.created),
            "expires_at": int(batch.created + 86_400),
            "metadata": batch.meta["metadata"] or None,
            "request_counts": {
                "total": total,
                "completed": counts.get("succeeded", 0),
                "failed": total - counts.get("succeeded", 0) - counts.get("processing", 0),
            },
        }
        if status != "validating":
            fields["in_progress_at"] = int(batch.started)
        if status == "failed":
            fields["failed_at"] = int(batch.created)
            fields["errors"] = {
                "object": "list",
                "data": [{"code": "invalid_request", "message": "scripted validation failure"}],
            }
        elif status in ("completed", "expired", "cancelled"):
            fields.update(self._output_files(batch))
            key = {"completed": "completed_at", "expired": "expired_at"}.get(status, "cancelled_at")
            fields[key] = int(batch.ended_at())
        return Batch.model_validate(fields).model_dump(mode="json", exclude_none=True)

    def _output_files(self, batch: SimBatch) -> dict[str, str]:
        """The output and error files, made once when the batch has ended."""
        if "output_file_id" in batch.meta or "error_file_id" in batch.meta:
            return {
                k: batch.meta[k] for k in ("output_file_id", "error_file_id") if k in batch.meta
            }
        ok, bad = [], []
        for result in self._results(batch):
            line: dict[str, Any] = {
                "id": f"batch_req_{uuid.uuid4().hex[:20]}",
                "custom_id": result.item.custom_id,
                "response": None,
                "error": None,
            }
            if result.status == "succeeded":
                line["response"] = {
                    "status_code": 200,
                    "request_id": f"req_{uuid.uuid4().hex[:16]}",
                    "body": self._completion_json(result.call, True),  # type: ignore[arg-type]
                }
                ok.append(line)
                continue
            if result.status == "errored":
                line["response"] = {
                    "status_code": 400,
                    "request_id": f"req_{uuid.uuid4().hex[:16]}",
                    "body": self.error_payload(400, result.error or "error", "status"),
                }
            else:
                code = "batch_expired" if result.status == "expired" else "batch_cancelled"
                line["error"] = {"code": code, "message": f"request {result.status}"}
            bad.append(line)
        for key, lines in (("output_file_id", ok), ("error_file_id", bad)):
            if lines:
                data = "".join(json.dumps(x) + "\n" for x in lines).encode()
                batch.meta[key] = self._store_file("batch_output", f"{key}.jsonl", data)["id"]
        return {k: batch.meta[k] for k in ("output_file_id", "error_file_id") if k in batch.meta}


def _parse_input(data: bytes, endpoint: str) -> list[BatchItem] | str:
    """The requests of a batch input file, or the error OpenAI would answer."""
    chat_keys = _chat_keys()
    items: list[BatchItem] = []
    seen: set[str] = set()
    for n, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            return f"line {n}: not valid JSON"
        problem = check_fields(line, _LINE_KEYS, f"line {n}", set(_LINE_KEYS)) or check_fields(
            line["body"], chat_keys, f"line {n} body", {"model", "messages"}
        )
        if problem:
            return problem
        if line["method"] != "POST" or line["url"] != endpoint:
            return f"line {n}: method must be POST and url {endpoint!r}"
        custom_id = str(line["custom_id"])
        if custom_id in seen:
            return f"line {n}: duplicate custom_id {custom_id!r}"
        seen.add(custom_id)
        body = line["body"]
        prompt, last_user = chat_prompt(body.get("messages"))
        items.append(
            BatchItem(
                custom_id,
                str(body["model"]),
                body,
                prompt,
                last_user,
                body.get("max_completion_tokens") or body.get("max_tokens"),
            )
        )
    if not items:
        return "the input file has no requests"
    if len(items) > MAX_REQUESTS:
        return f"a batch holds at most {MAX_REQUESTS} requests, this file has {len(items)}"
    return items


def _multipart(request: HTTPRequest) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a ``multipart/form-data`` body: name -> (filename, data)."""
    head = f"content-type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            parts[str(name)] = (part.get_filename(), payload)
    return parts
