"""Turning what ``record()`` was given into the exact values a row stores.

Redaction, content hashing, JSON encoding and type normalisation all happen here, off
the hot path (by a caller about to wait for the commit, or the writer thread: see
:mod:`.writer`), so that the commit a run waits for only chains, inserts and commits.
Types are normalised per column kind so that what SQLite hands back is exactly what was
hashed (an ``int`` in a REAL column would come back as a float and no longer match its
hash). An encoded row also carries
the text its hash will cover (:class:`EncodedRow`): only the chain link, which needs
the head, is left for the commit.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import SupportsFloat, SupportsIndex, SupportsInt

from ..prompt_text import LabelledText, labels_apart
from .chain import ChainKey, hashed_body
from .events import COLUMNS, CONTENT_COLUMNS
from .set_order import json_default, stable_order
from .sqlrow import Cell, Row

__all__ = ["REDACTION_FAILED", "EncodedRow", "Pending", "RowEncoder", "format_timestamp"]

#: Stored instead of content when the redactor raised: we fail closed, never raw.
REDACTION_FAILED = "[redaction failed: content withheld]"

_INT_LIMIT = 2**63
_ID_COLUMNS = ("run_id", "pipeline", "step", "session_id", "identity", "provider", "model")

#: One queued record: (wall time, event, columns, redactor, content_logging).
Pending = tuple[float, str, Mapping[str, object], Callable[[str], str] | None, bool]


#: The last whole second formatted, and its text: records come many to a second.
_second: tuple[float, str] = (-1.0, "")


def format_timestamp(value: object) -> str:
    """ISO-8601 UTC text of fixed width (so text order is time order)."""
    global _second
    if type(value) is float and 0.0 <= value < 1e11:  # the wall clock of a record
        # What datetime.fromtimestamp(value, UTC).isoformat(timespec="microseconds") says
        # (microseconds rounded half to even, as it rounds), without building a datetime.
        fraction, whole = math.modf(value)
        micros = round(fraction * 1e6)
        if micros >= 1_000_000:
            whole, micros = whole + 1.0, micros - 1_000_000
        cached = _second
        if cached[0] != whole:
            cached = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
        return f"{cached[1]}.{micros:06d}+00:00"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, float | int | str | SupportsFloat | SupportsIndex):
        moment = datetime.fromtimestamp(float(value), UTC)
    else:  # what float() itself says
        raise TypeError(
            f"float() argument must be a string or a real number, not {type(value).__name__!r}"
        )
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class EncodedRow(tuple[Cell, ...]):
    """A row's stored values (a tuple, in ``COLUMNS`` order) and ``body``: the bytes of
    the JSON text its hash covers (see ``chain.hashed_body``), made with the values."""

    body: bytes  # (a tuple subclass cannot have __slots__)


def _encoded(values: list[Cell]) -> EncodedRow:
    row = EncodedRow(values)
    row.body = hashed_body(row)
    return row


class RowEncoder:
    """Encodes queued records into row tuples in ``COLUMNS`` order."""

    def __init__(self, key: ChainKey, session_id: str | None, identity: str | None) -> None:
        self._key = key
        self._defaults = {"session_id": session_id, "identity": identity}
        # Every row starts as this: each column's missing value, the defaults filled in.
        self._template: list[Cell] = list(_MISSING)
        _fill(self._template, self._defaults.items())

    def encode(self, item: Pending) -> EncodedRow:
        """The stored values of one record. Never raises: a record that cannot be encoded
        is still stored, with its ids and the reason, so one bad value cannot jam the queue.
        """
        try:
            return _encoded(self._encode(item))
        except Exception as exc:
            wall, event, given, _, _ = item
            ids = {k: given.get(k) for k in _ID_COLUMNS if isinstance(given.get(k), str)}
            detail = {"audit_error": f"record could not be encoded: {type(exc).__name__}"}
            return _encoded(self._encode((wall, event, {**ids, "detail": detail}, None, False)))

    def _encode(self, item: Pending) -> list[Cell]:
        # Each computed value is stored in its slot already in the form ``_fill`` would
        # give it (hex digests, sizes, cleaned text, JSON text), so no pass normalises
        # them again.
        wall, event, given, redactor, content_logging = item
        out = self._template.copy()
        _fill(out, given.items(), _PLAIN_PLAN)  # the plain columns, as given
        get = given.get
        out[_EVENT] = event if type(event) is str and event.isascii() else _as_text(event)
        out[_TIMESTAMP] = _as_text(format_timestamp(get("timestamp") or wall))
        key = self._key
        material = get("request_material")
        if material is not None and not get("request_hash"):
            out[_REQUEST_HASH] = key.request_hash(_clean(str(material)))
        elif "request_hash" in given:
            out[_REQUEST_HASH] = _as_text(get("request_hash"))
        for name, at, at_chars, at_hash in _CONTENT_SLOTS:
            text = get(name)
            if text is None:
                continue
            if redactor is not None or type(text) is not str:
                text = _stored_text(text, redactor)
            if not text.isascii():
                text = _clean(text)
            out[at_chars] = len(text)
            out[at_hash] = key.content_hash(text)
            out[at] = text if content_logging else None
        detail = get("detail")
        if detail is not None:
            detail = _redact_tree(detail, redactor)
            if not content_logging:
                detail = self._sized(detail)
            out[_DETAIL] = _json(detail)
        return out

    def _sized(self, detail: object) -> object:
        """``detail`` with content logging off: each text in ``when_values`` (the step
        outputs a ``when:`` condition read) and an ``error`` message (a provider's may
        quote the prompt) become their size and keyed hash; ``error_type`` stays."""
        if not isinstance(detail, Mapping):
            return detail
        sized = dict(detail)
        if isinstance(detail.get("when_values"), Mapping):
            sized["when_values"] = _redact_tree(detail["when_values"], self._size_note)
        if isinstance(detail.get("error"), str):
            sized["error"] = self._size_note(detail["error"])
        return sized

    def _size_note(self, text: str) -> str:
        return f"<{len(text)} chars, hash {self._key.content_hash(text)}>"


def _redact(text: str, redactor: Callable[[str], str] | None) -> str:
    if redactor is None:
        return text
    try:
        return str(redactor(text))
    except Exception:
        return REDACTION_FAILED


def _stored_text(text: object, redactor: Callable[[str], str] | None) -> str:
    """A content column's text after redaction (not yet cleaned).

    A labelled prompt (``[user] …``, see :mod:`orchestration_kernel.prompt_text`) given to
    a redactor that redacts labels apart has its parts redacted, the labels added
    outside them: the same text, without scanning what the Guardian has just scanned.
    """
    if type(text) is LabelledText and redactor is not None and labels_apart(redactor):
        try:
            return str(text.redacted(redactor))
        except Exception:
            return REDACTION_FAILED
    return _redact(str(text), redactor)


def _redact_tree(value: object, redactor: Callable[[str], str] | None) -> object:
    """Redact every string inside a JSON-like value, keeping its structure valid JSON."""
    if redactor is None:
        return value
    return _redacted_tree(value, redactor)


def _redacted_tree(value: object, redactor: Callable[[str], str]) -> object:
    # What details are made of (plain str, dict, list, numbers) is told by its exact
    # type, which is cheaper than the isinstance tests (an ABC's, for Mapping) that the
    # rest — subclasses, other mappings, sets — still goes through.
    kind = type(value)
    if kind is str:
        return _redact(value, redactor)  # type: ignore[arg-type]
    if kind is dict:
        # A router's detail holds dozens of strings and numbers: each is handled here
        # (what ``_redact`` and the scalar case below do) rather than by a call of its own.
        out: dict[str, object] = {}
        for k, v in value.items():  # type: ignore[attr-defined]
            if type(k) is not str:
                k = str(k)
            t = type(v)
            if t is str:
                try:
                    v = str(redactor(v))
                except Exception:
                    v = REDACTION_FAILED
            elif not (v is None or t is int or t is float or t is bool):
                v = _redacted_tree(v, redactor)
            out[k] = v
        return out
    if kind is list or kind is tuple:
        return [_redacted_tree(v, redactor) for v in value]  # type: ignore[attr-defined]
    if value is None or kind is int or kind is float or kind is bool:
        return value
    if isinstance(value, str):
        return _redact(value, redactor)
    if isinstance(value, Mapping):
        return {str(k): _redacted_tree(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted_tree(v, redactor) for v in value]
    if isinstance(value, set | frozenset):  # in an order the hash seed does not decide
        return [_redacted_tree(v, redactor) for v in stable_order(value)]
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


def _text(value: object) -> str:
    return _clean(value if isinstance(value, str) else str(value))


def _as_text(value: object) -> str | None:
    """What ``_fill`` stores for ``value`` in a text column."""
    if type(value) is str and value.isascii():
        return value
    return None if value is None else _text(value)


# ``json.dumps(value, default=json_default, ensure_ascii=False, sort_keys=True)`` builds a new
# encoder per call; this is the C encoder it builds (same text, byte for byte, circular
# references still refused), made once per thread: its ``markers`` dict, which tells a
# circular reference, must not be shared by two threads encoding at once (records are
# encoded in whichever thread queues them). Falls back to ``json.dumps`` without it.
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_encoders = threading.local()


def _json_dumps(value: object) -> str:
    if _c_encoder is None or isinstance(value, str):
        return json.dumps(value, default=json_default, ensure_ascii=False, sort_keys=True)
    encode = getattr(_encoders, "encode", None)
    if encode is None:
        encode = _encoders.encode = _c_encoder(
            {}, json_default, json.encoder.encode_basestring, None, ": ", ", ", True, False, True
        )
    try:
        return "".join(encode(value, 0))
    except BaseException:
        # A failed encoding can leave ids in ``markers``: the next one gets a fresh encoder.
        _encoders.encode = None
        raise


def _json(value: object) -> str:
    if isinstance(value, set | frozenset):
        value = stable_order(value)
    return _clean(_json_dumps(value))


def _bool(value: object) -> int:
    return int(bool(value))


def _int(value: object) -> int | None:
    if not isinstance(value, int | float | str | bytes | SupportsInt | SupportsIndex):
        return None  # int() would refuse it (TypeError)
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if -_INT_LIMIT <= number < _INT_LIMIT else None  # SQLite is 64-bit


def _float(value: object) -> float | None:
    if not isinstance(value, float | int | str | bytes | SupportsFloat | SupportsIndex):
        return None  # float() would refuse it (TypeError)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    # SQLite stores NaN as NULL and -0.0 as 0.0; normalise first so the hash matches
    # what comes back (+ 0.0 turns -0.0 into 0.0 and leaves every other number alone).
    return number + 0.0 if math.isfinite(number) else None


_NORMALISERS: dict[str, Callable[[object], Cell]] = {
    "text": _text,
    "time": _text,
    "json": _json,
    "bool": _bool,
    "int": _int,
    "float": _float,
}
#: Per column name: its index in a row, its kind, how to normalise a value, and what a
#: missing value stores.
_PLAN = {
    c.name: (i, c.kind, _NORMALISERS[c.kind], 0 if c.kind == "bool" else None)
    for i, c in enumerate(COLUMNS)
}
#: A row of missing values.
_MISSING: Row = tuple(0 if c.kind == "bool" else None for c in COLUMNS)
#: Columns the encoder computes (or takes from more than one place), never copied as given.
_COMPUTED = frozenset(
    {"event", "timestamp", "request_hash", "detail"}
    | {f"{n}{part}" for n in CONTENT_COLUMNS for part in ("", "_chars", "_hash")}
)
#: ``_PLAN`` without the computed columns: the columns copied from what was given.
_PLAIN_PLAN = {name: slot for name, slot in _PLAN.items() if name not in _COMPUTED}
_EVENT, _TIMESTAMP, _REQUEST_HASH, _DETAIL = (
    _PLAN[n][0] for n in ("event", "timestamp", "request_hash", "detail")
)
#: Per content column: its name and the slots of its text, size and keyed hash.
_CONTENT_SLOTS = tuple(
    (n, _PLAN[n][0], _PLAN[f"{n}_chars"][0], _PLAN[f"{n}_hash"][0]) for n in CONTENT_COLUMNS
)


def _fill(
    out: list[Cell],
    items: Iterable[tuple[str, object]],
    plan: Mapping[str, tuple[int, str, Callable[[object], Cell], Cell]] = _PLAN,
) -> None:
    """Store each ``(column, value)`` in ``out`` normalised for its kind (names that are
    not in ``plan`` are ignored; ``None`` stores the column's missing value).

    This runs for every value of every row, so a value already in its stored form
    (ASCII text, an in-range int, a finite float: what calls mostly record) is kept as
    it is without a call; anything else goes through its normaliser, which would return
    those values unchanged anyway.
    """
    for name, value in items:
        slot = plan.get(name)
        if slot is None:
            continue
        index, kind, normalise, missing = slot
        if value is None:
            value = missing
        elif kind == "text" or kind == "time":
            if type(value) is not str or not value.isascii():
                value = normalise(value)
        elif kind == "int":
            if type(value) is not int or not -_INT_LIMIT <= value < _INT_LIMIT:
                value = normalise(value)
        elif kind == "float":
            if type(value) is not float or not value or not math.isfinite(value):
                value = normalise(value)  # zero too: -0.0 is stored as 0.0
        else:
            value = normalise(value)
        out[index] = value
