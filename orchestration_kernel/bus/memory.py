"""The in-memory bus store: everything lives as long as the process (``ContextBus("memory")``)."""

from __future__ import annotations

from collections.abc import Sequence

from .message import BusMessage
from .store import ContextVersion, Turn, decode, decode_context, encode, merge_context

__all__ = ["MemoryStore"]


class MemoryStore:
    """A :class:`~.store.Store` in plain Python containers.

    Values are stored as JSON text, like the SQLite store, so a value that works here
    works there too and callers never share mutable state with the store.
    """

    kind = "memory"

    def __init__(self) -> None:
        self._messages: list[tuple[int, str, str, str | None, float]] = []
        self._offsets: dict[str, int] = {}
        # Per session: each version's change (merge or set, as JSON text) and the current
        # context, so n small updates hold O(n) memory, not n full copies.
        self._contexts: dict[str, list[tuple[int, float, bool, str]]] = {}
        self._current: dict[str, dict[str, object]] = {}
        self._turns: dict[str, list[Turn]] = {}

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to release; the data stays readable until the store is dropped."""

    async def append_message(
        self, topic: str, data: object, session_id: str | None, ts: float
    ) -> int:
        """Append a durable message; returns its sequence number."""
        seq = len(self._messages) + 1
        self._messages.append((seq, topic, encode(data, f"data for {topic!r}"), session_id, ts))
        return seq

    async def read_messages(self, after_seq: int, limit: int) -> list[BusMessage]:
        """Up to ``limit`` messages after ``after_seq`` (seq n sits at index n - 1)."""
        rows = self._messages[max(after_seq, 0) : max(after_seq, 0) + limit]
        return [BusMessage(seq, t, decode(d), s, ts, durable=True) for seq, t, d, s, ts in rows]

    async def get_offset(self, consumer: str) -> int:
        """The consumer's last acknowledged sequence number, or 0."""
        return self._offsets.get(consumer, 0)

    async def set_offset(self, consumer: str, seq: int) -> None:
        """Move the consumer's offset forward (never back)."""
        self._offsets[consumer] = max(seq, self._offsets.get(consumer, 0))

    async def write_context(
        self, session_id: str, data: dict[str, object], *, merge: bool, ts: float
    ) -> ContextVersion:
        """Add a context version, merged into the latest when ``merge``."""
        change = encode(data, "context data")
        versions = self._contexts.setdefault(session_id, [])
        current = merge_context(self._current.get(session_id, {}), decode_context(change), merge)
        versions.append((len(versions) + 1, ts, merge, change))
        self._current[session_id] = current
        return ContextVersion(len(versions), ts, decode_context(encode(current, "context data")))

    async def read_context(self, session_id: str) -> ContextVersion | None:
        """The latest version, or None."""
        versions = self._contexts.get(session_id)
        if not versions:
            return None
        version, ts, _, _ = versions[-1]
        return ContextVersion(
            version, ts, decode_context(encode(self._current[session_id], "context"))
        )

    async def context_history(self, session_id: str) -> list[ContextVersion]:
        """All versions, oldest first, rebuilt from the changes."""
        out: list[ContextVersion] = []
        data: dict[str, object] = {}
        for version, ts, merge, change in self._contexts.get(session_id, []):
            data = merge_context(data, decode_context(change), merge)
            out.append(ContextVersion(version, ts, data))
        return out

    async def sessions(self) -> list[str]:
        """Sessions with a context or a conversation."""
        return sorted(set(self._contexts) | set(self._turns))

    async def append_turns(self, session_id: str, turns: Sequence[Turn]) -> None:
        """Append conversation turns, in order."""
        self._turns.setdefault(session_id, []).extend(turns)

    async def conversation(self, session_id: str) -> list[Turn]:
        """The session's turns, oldest first."""
        return list(self._turns.get(session_id, []))

    def __repr__(self) -> str:
        return f"MemoryStore(messages={len(self._messages)}, sessions={len(self._contexts)})"
