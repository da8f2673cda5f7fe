"""What :meth:`Guardian.redact` already knows: a bounded text → redaction memo.

A text is scanned for credentials and personal data by the Guardian's input or output
check, and again by the audit writer (and a pipeline's stored step prompt) through
:meth:`~orchestration_kernel.guardian.Guardian.redact`. The memo lets the second scan be a
dictionary lookup: it holds, per text, either its redaction or the findings the very
detectors ``redact`` uses reported for it.

Bounded twice: by entries and by the characters it keeps alive (texts plus redactions),
evicting the oldest first; a text too large for a quarter of the budget is not kept.
Lookups take no lock (a ``dict.get`` is atomic); inserts and evictions take one, so the
audit writer thread and the event loop can both write without either seeing a dictionary
change under it. A Guardian drops its memo (makes a new one) whenever it rebuilds its
detectors, so an answer never outlives the detectors that made it.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TypeAlias

from .redaction import Finding

__all__ = ["MEMO_CHARS", "MEMO_ENTRIES", "RedactionMemo"]

#: The characters (texts and redactions) a memo keeps alive at most: a few MB.
MEMO_CHARS = 2_000_000
#: The entries a memo holds at most (the audit's short strings: model names, reasons).
MEMO_ENTRIES = 4096

#: A memo entry: the redacted text, or the findings to apply to the key to get it.
MemoEntry: TypeAlias = str | tuple[Finding, ...]


class RedactionMemo:
    """A bounded, thread-safe memo of ``text -> redaction`` (or ``-> findings``)."""

    __slots__ = ("_chars", "_entries", "_lock", "_order", "max_chars", "max_entries")

    def __init__(self, max_chars: int = MEMO_CHARS, max_entries: int = MEMO_ENTRIES) -> None:
        self.max_chars = max_chars
        self.max_entries = max_entries
        self._entries: dict[str, MemoEntry] = {}
        # The keys, oldest first: the oldest is found in O(1). (A dict's first entry is
        # found by skipping the slots of every entry already evicted: once full, each
        # insert walked thousands of them, about 4 µs a put.)
        self._order: deque[str] = deque()
        self._chars = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def chars(self) -> int:
        """The characters the memo keeps alive now."""
        return self._chars

    def get(self, text: str) -> MemoEntry | None:
        """What is known of ``text`` (one hash of it, cached on the string), or ``None``."""
        return self._entries.get(text)

    def put(self, text: str, entry: MemoEntry) -> None:
        """Remember ``entry`` for ``text``, evicting the oldest entries to stay bounded."""
        cost = _cost(text, entry)
        if cost > self.max_chars // 4:
            return  # one huge text would push everything else out
        with self._lock:
            entries = self._entries
            if text in entries:
                return
            while entries and (
                self._chars + cost > self.max_chars or len(entries) >= self.max_entries
            ):
                old = self._order.popleft()
                self._chars -= _cost(old, entries.pop(old))
            entries[text] = entry
            self._order.append(text)
            self._chars += cost

    def offer(self, text: str, entry: MemoEntry) -> None:
        """:meth:`put`, but only while there is room: never evicts (for answers that cost
        less to find again than an eviction, kept for the repeats while the memo fills)."""
        if len(self._entries) < self.max_entries and (
            self._chars + _cost(text, entry) <= self.max_chars
        ):
            self.put(text, entry)


def _cost(text: str, entry: MemoEntry) -> int:
    """Characters kept alive: the text, and the redaction when it is another string
    (findings are a few small objects each, counted as their number)."""
    if isinstance(entry, str):
        return len(text) + (0 if entry is text else len(entry))
    return len(text) + len(entry)
