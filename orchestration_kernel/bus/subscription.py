"""One subscriber: a bounded queue with a slow-subscriber policy.

A subscription is an async iterator (usable from any loop, or a plain ``for`` in a
thread) or drives a callback on the runtime loop. Its queue holds at most
``max_queue`` messages; when it is full the subscription's ``slow_policy`` decides:

* ``drop_oldest`` (default): the oldest queued message is discarded for the new one;
* ``drop_new``: the new message is discarded;
* ``block_timeout``: the publisher waits up to ``block_timeout`` seconds for room,
  then the message is discarded. A publisher is never blocked longer than that, and
  once a wait has run out the subscription counts as stalled: further messages are
  discarded at once, without waiting, until its reader takes a message again. So an
  iterator that was abandoned (not closed) costs publishers one timeout, not one per
  message.

Every discarded message adds one to :attr:`Subscription.dropped` and to the bus's
``metrics()["dropped"]``, and is logged (a warning on ``orchestration_kernel.bus`` at
most every :data:`DROP_LOG_INTERVAL_S` seconds per subscription, with the count since
the last one). Each subscriber
receives the messages of a topic in publish order. Named consumers receive durable
messages only, and never drop them: they fall behind and re-read them from the store.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, Protocol

from ..errors import UsageError
from .durable import DurableCursor
from .message import BusMessage
from .store import Store
from .topics import TopicPattern

if TYPE_CHECKING:
    from ..runtime import Runtime

__all__ = ["Callback", "SlowPolicy", "Subscription", "SubscriptionHost"]


class SubscriptionHost(Protocol):
    """What a subscription needs of the broker that fans messages out to it (the
    :class:`~.broker.Broker` is one); a Protocol, so this module never imports it."""

    @property
    def runtime(self) -> Runtime: ...

    async def ensure_open(self) -> Store: ...

    async def ack(self, consumer: str, msg: BusMessage) -> None: ...

    def note_drop(self) -> None: ...

    def remove(self, sub: Subscription) -> None: ...


SlowPolicy = Literal["drop_oldest", "drop_new", "block_timeout"]
SLOW_POLICIES: tuple[str, ...] = ("drop_oldest", "drop_new", "block_timeout")

#: A callback subscriber: a plain or async function taking the message.
Callback = Callable[[BusMessage], object]  # an awaitable result is awaited

log = logging.getLogger("orchestration_kernel.bus")

#: At most one drop warning per subscription in this many seconds.
DROP_LOG_INTERVAL_S = 10.0


class Subscription:
    """A live subscription. Iterate it, or let it drive a callback; :meth:`close` ends it.

    Callback subscriptions are not durable: they see messages published while they
    are open, and a restart loses what they had not handled. For resumable delivery
    iterate a named consumer: ``bus.subscribe("run.#", consumer="indexer")``.
    """

    def __init__(
        self,
        broker: SubscriptionHost,
        pattern: TopicPattern,
        *,
        max_queue: int,
        slow_policy: SlowPolicy,
        block_timeout: float,
        consumer: str | None = None,
        callback: Callback | None = None,
    ) -> None:
        self.pattern = pattern.pattern
        self.matches = pattern.matches
        self.max_queue = max_queue
        self.slow_policy = slow_policy
        self.block_timeout = block_timeout
        self.consumer = consumer
        self.callback = callback
        #: Messages discarded by the slow-subscriber policy.
        self.dropped = 0
        #: Messages handed to the iterator or callback.
        self.delivered = 0
        #: Exceptions raised by the callback (each is logged; the subscription goes on).
        self.errors = 0
        self.last_error: BaseException | None = None
        self._broker = broker
        self._runtime: Runtime = broker.runtime
        self._queue: deque[BusMessage] = deque()
        self._blocked: deque[tuple[BusMessage, asyncio.Future[None]]] = deque()
        self._waiters: list[asyncio.Future[None]] = []
        self._closed = False
        #: A block_timeout wait ran out and the reader has not taken a message since.
        self.stalled = False
        self._unlogged_drops = 0
        self._drop_logged_at: float | None = None
        self._cursor = (
            DurableCursor(consumer, broker.ensure_open, self.matches) if consumer else None
        )
        self._task: concurrent.futures.Future[None] | None = None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the bus closed)."""
        return self._closed

    @property
    def pending(self) -> int:
        """Messages queued and not yet taken."""
        return len(self._queue)

    # -- producer side: runs on the runtime loop -----------------------------------
    def offer(self, msg: BusMessage) -> Awaitable[None] | None:
        """Queue ``msg``; returns an awaitable only when the publisher must wait for room."""
        if self._closed:
            return None
        if self._cursor is not None:
            # A named consumer sees the durable log only, so it can resume exactly.
            if not msg.durable or not self._cursor.take_live(
                msg, len(self._queue) < self.max_queue
            ):
                return None
            msg = msg.for_consumer(self._cursor.consumer, self._broker.ack)
        if len(self._queue) < self.max_queue and not self._blocked:
            self._queue.append(msg)
            if self._waiters:
                self._wake()
            return None
        return self._overflow(msg)

    def _overflow(self, msg: BusMessage) -> Awaitable[None] | None:
        if self.slow_policy == "drop_oldest":
            self._queue.popleft()
            self._queue.append(msg)
            self._drop(msg)
        elif self.slow_policy == "drop_new" or self.stalled:
            self._drop(msg)
        else:
            room: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._blocked.append((msg, room))
            return self._wait_for_room(room, msg)
        return None

    async def _wait_for_room(self, room: asyncio.Future[None], msg: BusMessage) -> None:
        done, _ = await asyncio.wait({room}, timeout=self.block_timeout)
        if not done:
            # Still waiting after the timeout: give up on this message, never on the publisher,
            # and wait for no further message until the reader shows it is reading again.
            self._blocked = deque(item for item in self._blocked if item[1] is not room)
            room.cancel()
            self.stalled = True
            self._drop(msg)

    def _drop(self, msg: BusMessage) -> None:
        """Count a discarded message, and say so in the log (rate-limited)."""
        self.dropped += 1
        self._unlogged_drops += 1
        self._broker.note_drop()
        now = time.monotonic()
        if self._drop_logged_at is None or now - self._drop_logged_at >= DROP_LOG_INTERVAL_S:
            since = (
                ""
                if self._drop_logged_at is None
                else f" in the last {now - self._drop_logged_at:.0f} s"
            )
            log.warning(
                "bus subscription %r dropped %d message(s)%s (latest on %r): its reader is "
                "slower than its publishers (max_queue=%d, slow_policy=%r%s; %d dropped in all)",
                self.pattern,
                self._unlogged_drops,
                since,
                msg.topic,
                self.max_queue,
                self.slow_policy,
                ", stalled" if self.stalled else "",
                self.dropped,
            )
            self._unlogged_drops = 0
            self._drop_logged_at = now

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    # -- consumer side: runs on the runtime loop -----------------------------------
    def _take(self) -> BusMessage:
        msg = self._queue.popleft()
        self.stalled = False  # the reader is reading: block_timeout waits are worth it again
        # Room freed: admit the publishers waiting under block_timeout, in order.
        while self._blocked and len(self._queue) < self.max_queue:
            waiting, room = self._blocked.popleft()
            self._queue.append(waiting)
            room.set_result(None)
        self.delivered += 1
        return msg

    async def _next(self) -> BusMessage | None:
        """The next message, or None once closed. Runs on the runtime loop."""
        while not self._closed:
            if self._queue:
                return self._take()
            if self._cursor is not None and self._cursor.lagging:
                await self._refill()
                continue
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                if self._cursor is None:
                    await waiter
                else:
                    await self._cursor.idle(waiter)  # polls for other processes' messages
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return None

    async def _refill(self) -> None:
        assert self._cursor is not None
        batch = await self._cursor.refill(max(1, self.max_queue - len(self._queue)))
        for msg in batch:
            self._queue.append(msg.for_consumer(self._cursor.consumer, self._broker.ack))

    # -- public consumption ---------------------------------------------------------
    async def get(self, timeout: float | None = None) -> BusMessage | None:
        """The next message, awaited from any loop; None once the subscription is closed.

        Raises ``TimeoutError`` when ``timeout`` seconds pass without a message.
        """
        self._no_callback("get()")
        coro = self._next() if timeout is None else asyncio.wait_for(self._next(), timeout)
        return await self._runtime.run(coro)

    def get_sync(self, timeout: float | None = None) -> BusMessage | None:
        """Blocking twin of :meth:`get`, for plain threads and scripts."""
        self._no_callback("get_sync()")
        coro = self._next() if timeout is None else asyncio.wait_for(self._next(), timeout)
        return self._runtime.run_sync(coro)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> BusMessage:
        msg = await self.get()
        if msg is None:
            raise StopAsyncIteration
        return msg

    def __iter__(self) -> Subscription:
        return self

    def __next__(self) -> BusMessage:
        msg = self.get_sync()
        if msg is None:
            raise StopIteration
        return msg

    def _no_callback(self, what: str) -> None:
        if self.callback is not None:
            raise UsageError(f"{what}: this subscription feeds a callback; it cannot be iterated")

    # -- callback driving -----------------------------------------------------------
    def start(self) -> None:
        """Start feeding the callback (called by the bus for callback subscriptions)."""
        if self.callback is not None and self._task is None:
            self._task = self._runtime.submit(self._pump())

    async def _pump(self) -> None:
        assert self.callback is not None
        while (msg := await self._next()) is not None:
            try:
                result = self.callback(msg)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # a bad callback must not kill the subscription
                self.errors += 1
                self.last_error = exc
                log.exception("bus callback for %r failed on %r", self.pattern, msg.topic)

    # -- closing --------------------------------------------------------------------
    def close(self) -> None:
        """Stop receiving: pending iteration ends, blocked publishers are released.

        Safe from any thread; idempotent.
        """
        if self._closed:
            return
        self._closed = True
        self._broker.remove(self)
        if self._runtime.in_loop():
            self._release()
        elif self._runtime.running:
            self._runtime.loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        self._wake()
        while self._blocked:
            _, room = self._blocked.popleft()
            room.cancel()

    async def aclose(self) -> None:
        """Close, and wait for a callback that is running to finish."""
        self.close()
        if self._task is not None and not self._task.done():
            await asyncio.wrap_future(self._task)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "callback" if self.callback else "iterator"
        who = f", consumer={self.consumer!r}" if self.consumer else ""
        state = "closed" if self._closed else f"pending={self.pending}"
        return (
            f"Subscription({self.pattern!r}, {kind}{who}, {state}, dropped={self.dropped}, "
            f"policy={self.slow_policy!r})"
        )
