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
_ID_COLUMNS = ("run_id", "pipeline", "step", "session_id", "identity", "provider", "model")

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
        """The stored values of one record. Never raises: a record that cannot be encoded
        is still stored, with its ids and the reason, so one bad value cannot jam the queue.
        """
        try:
            return self._encode(item)
        except Exception as exc:
            wall, event, given, _, _ = item
            ids = {k: given.get(k) for k in _ID_COLUMNS if isinstance(given.get(k), str)}
            detail = {"audit_error": f"record could not be encoded: {type(exc).__name__}"}
            return self._encode((wall, event, {**ids, "detail": detail}, None, False))

    def _encode(self, item: Pending) -> tuple[Any, ...]:
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
        return _normalised(cols)

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
    if text.isascii():  # the common case, checked without encoding a copy
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _text(value: Any) -> str:
    return _clean(value if isinstance(value, str) else str(value))


def _json(value: Any) -> str:
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)
    return _clean(json.dumps(value, default=str, ensure_ascii=False, sort_keys=True))


def _bool(value: Any) -> int:
    return int(bool(value))


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if -_INT_LIMIT <= number < _INT_LIMIT else None  # SQLite is 64-bit


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    # SQLite stores NaN as NULL; normalise first so the hash matches what comes back.
    return number if math.isfinite(number) else None


_NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "time": _text,
    "json": _json,
    "bool": _bool,
    "int": _int,
    "float": _float,
}
#: Per column: its name, its kind, how to normalise a value, and what a missing value
#: stores.
_PLAN = tuple(
    (c.name, c.kind, _NORMALISERS[c.kind], 0 if c.kind == "bool" else None) for c in COLUMNS
)


def _normalised(cols: Mapping[str, Any]) -> tuple[Any, ...]:
    """The row's values in ``COLUMNS`` order, each normalised for its kind.

    This runs for every column of every row, so a value already in its stored form
    (ASCII text, an in-range int, a finite float: what calls mostly record) is kept as
    it is without a call; anything else goes through its normaliser, which would return
    those values unchanged anyway.
    """
    get = cols.get
    out = []
    for name, kind, normalise, default in _PLAN:
        value = get(name)
        if value is None:
            value = default
        elif kind == "text" or kind == "time":
            if type(value) is not str or not value.isascii():
                value = normalise(value)
        elif kind == "int":
            if type(value) is not int or not -_INT_LIMIT <= value < _INT_LIMIT:
                value = normalise(value)
        elif kind == "float":
            if type(value) is not float or not math.isfinite(value):
                value = normalise(value)
        else:
            value = normalise(value)
        out.append(value)
    return tuple(out)
