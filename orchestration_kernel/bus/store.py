"""The storage-backend interface of the bus, and the records it deals in.

A backend keeps three things: the durable message log (with each named consumer's
acknowledged offset), each session's versioned context, and each session's
conversation. :class:`~.sqlite.SQLiteStore` is the embedded default and
:class:`~.memory.MemoryStore` the in-memory one; a Redis backend implements the same
:class:`Store` protocol. Every write method returns only once the write is committed.

Data crosses the interface as JSON-compatible values, so every backend behaves alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol, TypeVar, cast, runtime_checkable

from ..errors import ConfigurationError
from ..jsontypes import JSONValue
from ..repr_floor import masked_repr
from ..text_checks import check_data
from .message import BusMessage

__all__ = [
    "ContextVersion",
    "Store",
    "Turn",
    "decode",
    "decode_context",
    "encode",
    "encode_plain",
    "merge_context",
]

_V = TypeVar("_V")


@masked_repr()  # a key a user put in the context is never printed back
class ContextVersion(NamedTuple):
    """One version of a session's context: ``(version, ts, data)``. Versions start at 1."""

    version: int
    ts: float
    data: dict[str, object]


@masked_repr()  # nor one a turn of the conversation holds
class Turn(NamedTuple):
    """One turn of a session's conversation."""

    role: str
    content: str
    model: str | None
    ts: float

    def as_dict(self) -> dict[str, str | float | None]:
        """The turn as ``{"role", "content", "model", "ts"}``."""
        return self._asdict()


@runtime_checkable
class Store(Protocol):
    """What a bus backend provides. All methods run on the runtime loop."""

    #: A short name for reprs and docs: ``"sqlite"``, ``"memory"``, ``"redis"``.
    kind: str

    async def open(self) -> None:
        """Create or connect to the storage; called once before any other method."""

    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""

    async def append_message(
        self, topic: str, data: object, session_id: str | None, ts: float
    ) -> int:
        """Persist a durable message and return its sequence number (increasing)."""

    async def read_messages(self, after_seq: int, limit: int) -> list[BusMessage]:
        """Up to ``limit`` durable messages with ``seq > after_seq``, oldest first."""

    async def get_offset(self, consumer: str) -> int:
        """The last sequence number ``consumer`` acknowledged (0 if none)."""

    async def set_offset(self, consumer: str, seq: int) -> None:
        """Record ``seq`` as acknowledged by ``consumer``; offsets never move backwards."""

    async def write_context(
        self, session_id: str, data: dict[str, object], *, merge: bool, ts: float
    ) -> ContextVersion:
        """Store a new context version (merged into the latest when ``merge``) atomically."""

    async def read_context(self, session_id: str) -> ContextVersion | None:
        """The latest context version of a session, or None."""

    async def context_history(self, session_id: str) -> list[ContextVersion]:
        """Every context version of a session, oldest first."""

    async def sessions(self) -> list[str]:
        """Ids of the sessions that have a context or a conversation."""

    async def append_turns(self, session_id: str, turns: Sequence[Turn]) -> None:
        """Append conversation turns, in order, in one commit."""

    async def conversation(self, session_id: str) -> list[Turn]:
        """The session's turns, oldest first."""


def encode(value: object, what: str) -> str:
    """``value`` as JSON text; a clear ConfigurationError when it is not JSON-compatible."""
    return encode_plain(value, what)[0]


#: How to make JSON of what a notebook most often holds, by type name.
_CONVERSIONS = {
    "DataFrame": 'df.to_dict(orient="records")',
    "Series": "series.tolist()",
    "ndarray": "array.tolist()",
    "datetime": "value.isoformat()",
    "date": "value.isoformat()",
    "Timestamp": "value.isoformat()",
    "set": "sorted(value)",
    "frozenset": "sorted(value)",
}


def _conversion(refused: list[object]) -> str:
    """The conversion to suggest for the first value JSON refused."""
    kind = type(refused[0]).__name__ if refused else ""
    if kind in _CONVERSIONS:
        return _CONVERSIONS[kind]
    if hasattr(refused[0] if refused else None, "model_dump"):
        return "model.model_dump()"
    return "model.model_dump(), array.tolist() or str(value)"


def encode_plain(value: _V, what: str) -> tuple[str, _V]:
    """``value`` as JSON text, and ``value`` as it will read back: itself, or (when it held
    NumPy numbers, which are stored as the Python numbers they equal) its decoded copy,
    so a store's cache holds what a reader in another process gets."""
    converted: list[object] = []
    refused: list[object] = []

    def scalar(item: object) -> object:
        try:
            plain = _scalar(item)
        except TypeError:
            refused.append(item)
            raise
        converted.append(plain)
        return plain

    try:
        text = json.dumps(
            value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=scalar
        )
    except RecursionError:
        raise ConfigurationError(
            f"{what} nests too deeply (or contains itself) to be stored as JSON."
        ) from None
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"{what} must be JSON-compatible (dicts, lists, strings, numbers, booleans, None) "
            f"to be stored: {exc}. Convert it first, e.g. {_conversion(refused)}."
        ) from None
    check_data(value, what, encoded=text)  # SQLite and Redis cannot store a lone surrogate
    # The decoded copy has the same shape: only NumPy scalars change, into equal numbers.
    return text, (cast(_V, json.loads(text)) if converted else value)


def _scalar(value: object) -> object:
    """A NumPy number or bool as the Python one it equals (``df.stars.sum()`` is an
    ``int64``): the same value, so nothing is lost; anything else is refused."""
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        plain = value.item()  # type: ignore[attr-defined]
        if isinstance(plain, bool | int | float):
            return plain
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def decode(text: str) -> JSONValue:
    """The inverse of :func:`encode`."""
    value: JSONValue = json.loads(text)
    return value


def decode_context(text: str) -> dict[str, object]:
    """:func:`decode` of a context (always written from a dict): the dict itself."""
    value = json.loads(text)
    if not isinstance(value, dict):  # only a hand-edited or foreign store gets here
        raise ConfigurationError(
            f"A stored session context is {type(value).__name__}, not a dict; the store is damaged."
        )
    return value


def merge_context(
    current: Mapping[str, object], update: Mapping[str, object], merge: bool
) -> dict[str, object]:
    """The next context: ``update`` merged over ``current`` (shallow), or ``update`` alone."""
    return {**current, **update} if merge else dict(update)
