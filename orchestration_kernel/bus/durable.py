"""Named (durable) consumers: where each one is in the durable log.

A named consumer starts *behind*: it reads every durable message after its last
acknowledged ``seq`` from the store, then switches to live delivery. If its queue
overflows it falls behind again instead of losing durable messages, and catches up
from the store once it has room. A named consumer receives durable messages only;
subscribing one declares its pattern durable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .message import BusMessage
from .store import Store

__all__ = ["DurableCursor"]


class DurableCursor:
    """The read position of one named consumer's subscription in the durable log.

    All methods run on the runtime loop. ``position`` is the highest ``seq`` this
    subscription has read from the store or taken live; anything at or below it has
    been handed over (or did not match).
    """

    def __init__(
        self,
        consumer: str,
        open_store: Callable[[], Awaitable[Store]],
        matches: Callable[[str], bool],
    ) -> None:
        self.consumer = consumer
        self._open_store = open_store
        self._matches = matches
        self.position: int | None = None  # loaded from the store's offset on first refill
        self.lagging = True
        self._missed = 0  # highest seq skipped live while lagging

    def take_live(self, msg: BusMessage, has_room: bool) -> bool:
        """Decide whether a live durable message goes to the queue now.

        False when the store will supply it later (we are behind, or out of room) or
        when it was already read from the store.
        """
        if self.lagging or not has_room or self.position is None:
            self.lagging = True
            self._missed = max(self._missed, msg.seq)
            return False
        if msg.seq <= self.position:
            return False
        self.position = msg.seq
        return True

    async def refill(self, limit: int) -> list[BusMessage]:
        """The next matching durable messages from the store (at most ``limit`` read).

        Clears :attr:`lagging` once the store has nothing newer and no live message was
        skipped meanwhile; between the last read and that decision there is no ``await``,
        so no message can slip through the gap.
        """
        store = await self._open_store()
        if self.position is None:
            self.position = await store.get_offset(self.consumer)
        while True:
            batch = await store.read_messages(self.position, limit)
            if batch:
                self.position = batch[-1].seq
            matched = [m for m in batch if self._matches(m.topic)]
            if len(batch) < limit and self._missed <= self.position:
                self.lagging = False
                return matched
            if matched:
                return matched
