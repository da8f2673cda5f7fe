"""Named (durable) consumers: where each one is in the durable log.

A named consumer starts *behind*: it reads every durable message after its last
acknowledged ``seq`` from the store, then switches to live delivery. If its queue
overflows it falls behind again instead of losing durable messages, and catches up
from the store once it has room. A named consumer receives durable messages only;
subscribing one declares its pattern durable.

Several processes may publish to one store, so a live message is taken only when it is
the very next ``seq`` after the cursor: a gap means another process committed
messages in between, and the cursor reads them from the store first (commit order,
nothing skipped, nothing twice). An idle named consumer also looks at the store every
``POLL_INTERVAL_S`` seconds, since another process's publish wakes nobody here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .message import BusMessage
from .store import Store

__all__ = ["POLL_INTERVAL_S", "DurableCursor"]

#: How often an idle named consumer checks the store for other processes' messages.
POLL_INTERVAL_S = 0.2


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
        if msg.seq != self.position + 1:  # others committed in between: read them first
            self.lagging = True
            self._missed = max(self._missed, msg.seq)
            return False
        self.position = msg.seq
        return True

    async def idle(self, waiter: asyncio.Future[None]) -> None:
        """Wait for a live message, or at most ``POLL_INTERVAL_S``; then look at the store
        (another process's messages arrive only that way)."""
        done, _ = await asyncio.wait({waiter}, timeout=POLL_INTERVAL_S)
        if not done:
            self.lagging = True

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
