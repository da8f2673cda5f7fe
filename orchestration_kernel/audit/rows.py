"""Turning what ``record()`` was given into the exact values a row stores.

This runs on the writer thread, off the hot path: redaction, content hashing, JSON
encoding and type normalisation all happen here. Types are normalised per column kind
so that what SQLite hands back is exactly what was hashed (an ``int`` in a REAL column
would come back as a float and no longer match its hash).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .chain import ChainKey
from .events import COLUMNS, CONTENT_COLUMNS

__all__ = ["REDACTION_FAILED", "Pending", "RowEncoder", "format_timestamp"]

#: Stored instead of content when the redactor raised: we fail closed, never raw.
REDACTION_FAILED = "[redaction failed: content withheld]"

_INT_LIMIT = 2**63

#: One queued record: (wall time, event, columns, redactor, content_logging).
Pending = tuple[float, str, Mapping[str, Any], Callable[[str], str] | None, bool]


def format_timestamp(value: Any) -> str:
    """ISO-8601 UTC text of fixed width (so text order is time order)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(float(value), UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class RowEncoder:
    """Encodes queued records into row tuples in ``COLUMNS`` order."""

    def __init__(self, key: ChainKey, session_id: str | None, identity: str | None) -> None:
        self._key = key
        self._defaults = {"session_id": session_id, "identity": identity}

    def encode(self, item: Pending) -> tuple[Any, ...]:
        """The stored values of one record."""
        wall, event, given, redactor, content_logging = item
        cols: dict[str, Any] = {**self._defaults, **given, "event": event}
        cols["timestamp"] = format_timestamp(cols.get("timestamp") or wall)
        material = cols.pop("request_material", None)
        if material is not None and not cols.get("request_hash"):
            cols["request_hash"] = self._key.request_hash(_clean(str(material)))
        for name in CONTENT_COLUMNS:
            self._content(cols, name, redactor, content_logging)
        if cols.get("detail") is not None:
            cols["detail"] = _redact_tree(cols["detail"], redactor)
        return tuple(_normalise(c.kind, cols.get(c.name)) for c in COLUMNS)

    def _content(
        self,
        cols: dict[str, Any],
        name: str,
        redactor: Callable[[str], str] | None,
        content_logging: bool,
    ) -> None:
        text = cols.get(name)
        if text is None:
            return
        text = _clean(_redact(str(text), redactor))
        cols[f"{name}_chars"] = len(text)
        cols[f"{name}_hash"] = self._key.content_hash(text)
        cols[name] = text if content_logging else None


def _redact(text: str, redactor: Callable[[str], str] | None) -> str:
    if redactor is None:
        return text
    try:
        return str(redactor(text))
    except Exception:
        return REDACTION_FAILED


def _redact_tree(value: Any, redactor: Callable[[str], str] | None) -> Any:
    """Redact every string inside a JSON-like value, keeping its structure valid JSON."""
    if redactor is None:
        return value
    if isinstance(value, str):
        return _redact(value, redactor)
    if isinstance(value, Mapping):
        return {str(k): _redact_tree(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_tree(v, redactor) for v in value]
    return value


def _clean(text: str) -> str:
    """Text SQLite can store: lone surrogates (which UTF-8 cannot encode) become '?'."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _normalise(kind: str, value: Any) -> Any:
    if value is None:
        return 0 if kind == "bool" else None
    if kind == "text" or kind == "time":
        return _clean(value if isinstance(value, str) else str(value))
    if kind == "json":
        if isinstance(value, set | frozenset):
            value = sorted(value, key=str)
        return _clean(json.dumps(value, default=str, ensure_ascii=False, sort_keys=True))
    if kind == "bool":
        return int(bool(value))
    try:
        number = float(value) if kind == "float" else int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if kind == "int":
        return number if -_INT_LIMIT <= number < _INT_LIMIT else None  # SQLite is 64-bit
    # SQLite stores NaN as NULL; normalise first so the hash matches what comes back.
    return number if math.isfinite(number) else None
