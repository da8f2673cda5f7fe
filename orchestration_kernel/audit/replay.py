"""Replay: answering an identical request from an earlier audited response.

The engine builds a request's canonical form with :func:`canonical_request` (model,
messages and every parameter that changes the answer), hashes it with the trail's key
(:meth:`AuditTrail.request_hash`) and records the hash on each ``call`` row. In replay
mode it asks :func:`find_replay` for the most recent successful call with that hash and,
if one exists, answers from it and records the call with ``replayed=True``.

This needs content logging on: with it off, no response text was stored to replay.
A replayed response is the stored one, so it is the *redacted* response.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence

from .index import REPLAY, REPLAYABLE, indexed_through
from .set_order import json_default

__all__ = ["canonical_request", "find_replay"]

_FIELDS = (
    "seq",
    "timestamp",
    "run_id",
    "provider",
    "model",
    "response_model",
    "response",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "latency_ms",
    "ttft_ms",
    "detail",
    "replayed",
)


def canonical_request(
    model: str, messages: Sequence[object], params: Mapping[str, object] | None = None
) -> str:
    """A deterministic text of a request: same model, messages and parameters, same text.

    ``messages`` may be pydantic models (``Message``), dicts or plain strings; parameters
    whose value is ``None`` are left out, so an unset option and an explicit ``None``
    replay alike. A set is encoded as the audit encodes one (:mod:`.set_order`): its
    members in an order that does not depend on ``PYTHONHASHSEED``, so the same request
    hashes the same in every process.
    """
    body = {
        "model": model,
        "messages": [_plain(m) for m in messages],
        "params": {k: _plain(v) for k, v in sorted((params or {}).items()) if v is not None},
    }
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_default
    )


def _plain(value: object) -> object:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def find_replay(conn: sqlite3.Connection, request_hash: str) -> dict[str, object] | None:
    """The most recent successful ``call`` with this request hash and a stored response:
    from ``audit_replay`` and from the rows it does not reach yet (see :mod:`.index`)."""
    done = indexed_through(conn, REPLAY)
    row = conn.execute(
        f"SELECT {', '.join(_FIELDS)} FROM audit_events WHERE seq = (SELECT MAX(seq) FROM ("
        "SELECT MAX(seq) AS seq FROM audit_replay WHERE request_hash = ?1 UNION ALL "
        "SELECT MAX(seq) FROM audit_events WHERE seq > ?2 AND request_hash = ?1 "
        f"AND {REPLAYABLE}))",
        (request_hash, done),
    ).fetchone()
    if row is None:
        return None
    found = dict(zip(_FIELDS, row, strict=True))
    found["detail"] = json.loads(found["detail"]) if found["detail"] else {}
    found["replayed"] = bool(found["replayed"])
    return found
