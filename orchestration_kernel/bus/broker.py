"""The shared core behind every :class:`~.bus.ContextBus` bound to one store.

A broker owns the store, the live subscriptions, the durable-topic declarations and the
handoff timings. All its async methods run on the runtime loop; ``ContextBus`` brings
calls there. The kernel's session holds the default broker (``session.service("bus_broker")``),
so ``ContextBus()`` and ``engine.bus`` share subscribers, store and metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
import weakref
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from ..errors import OrchestrationError, SharedStateError
from ..text_checks import check_text
from .message import BusMessage
from .metrics import HandoffStats
from .sqlite import SQLiteStore
from .store import Store
from .subscription import Subscription
from .topics import TopicPattern, compile_pattern

if TYPE_CHECKING:
    from ..runtime import Runtime
    from ..session import Session

__all__ = ["Broker", "session_broker"]

#: Topic -> durable? answers are cached; run topics are unbounded, so the cache is capped.
_DURABLE_CACHE_MAX = 4096
#: Seconds between attempts to open a shared store a subscriber waits on (Redis away).
_REOPEN_EVERY = 1.0


class Broker:
    """Fan-out, durable log and metrics for one store on one runtime loop."""

    def __init__(self, store: Store, runtime: Runtime, *, owns_store: bool = True) -> None:
        self.store = store
        self.runtime = runtime
        self.owns_store = owns_store
        self.handoffs = HandoffStats()
        #: Messages discarded by every subscription's slow policy, closed ones included.
        self.dropped = 0
        self.closed = False
        # Copy-on-write tuples: publish iterates a snapshot with no lock, while subscribe
        # and close (from any thread) swap in a new tuple under the lock.
        self._subs: tuple[weakref.ref[Subscription], ...] = ()
        self._pinned: set[Subscription] = set()  # callback subscriptions live until closed
        self._durable: tuple[TopicPattern, ...] = ()
        self._durable_cache: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._seq = 0
        self._opened = False
        self._open_lock: asyncio.Lock | None = None
        self._retrying: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------
    async def ensure_open(self) -> Store:
        """Open the store on first use (on the runtime loop) and return it."""
        if self._opened:
            return self.store
        if self.closed:
            raise OrchestrationError("This ContextBus is closed; create a new ContextBus().")
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if not self._opened:
                await self.store.open()
                self._opened = True
                listen = getattr(self.store, "listen", None)
                if listen is not None:  # a store shared by processes (Redis) feeds us theirs
                    await listen(self.deliver_remote)
        return self.store

    def listen_remote(self) -> None:
        """Start receiving what other processes publish, when the store is shared (Redis).

        A shared store feeds us other processes' messages once it is open, and it opens on
        first use: a kernel that only subscribes would otherwise never hear the others.
        Called by ``subscribe``: from a plain thread it waits for the listener, so a message
        published after ``subscribe`` returns arrives; on the runtime loop it only starts
        it. If the store cannot be reached now, it keeps trying in the background (the
        store warned once) until it opens or this broker closes.
        """
        if self._opened or self.closed or not hasattr(self.store, "listen"):
            return
        if self.runtime.in_loop():
            self.runtime.submit(self._open_for_listening())
        else:
            self.runtime.run_sync(self._open_for_listening())

    async def _open_for_listening(self) -> None:
        try:
            await self.ensure_open()
        except SharedStateError:
            if self._retrying is None:
                self._retrying = asyncio.get_running_loop().create_task(self._reopen())

    async def _reopen(self) -> None:
        """Try to open the shared store every second until it opens (or we close)."""
        try:
            while not (self._opened or self.closed):
                await asyncio.sleep(_REOPEN_EVERY)
                with contextlib.suppress(SharedStateError):
                    await self.ensure_open()
        finally:
            self._retrying = None

    async def aclose(self) -> None:
        """Close every subscription, then the store if this broker owns it."""
        if self.closed:
            return
        self.closed = True
        if self._retrying is not None:
            self._retrying.cancel()
        for ref in self._subs:
            sub = ref()
            if sub is not None:
                sub.close()
        if self._opened and self.owns_store:
            await self.store.close()

    # -- subscriptions -------------------------------------------------------------
    def add(self, sub: Subscription) -> None:
        """Register ``sub``; callback subscriptions are kept alive until closed.

        Iterator subscriptions are held weakly, so one abandoned by a ``break`` out of an
        ``async for`` disappears with its last reference instead of filling forever.
        """
        if self.closed:
            raise OrchestrationError("This ContextBus is closed; create a new ContextBus().")
        with self._lock:
            self._subs = (*self._subs, weakref.ref(sub, self._forget))
            if sub.callback is not None:
                self._pinned.add(sub)

    def remove(self, sub: Subscription) -> None:
        """Unregister ``sub`` (idempotent)."""
        with self._lock:
            self._subs = tuple(r for r in self._subs if r() is not sub and r() is not None)
            self._pinned.discard(sub)

    def _forget(self, dead: weakref.ref[Subscription]) -> None:
        with self._lock:
            self._subs = tuple(r for r in self._subs if r is not dead)

    def note_drop(self) -> None:
        """Count one message a subscription discarded (on the runtime loop)."""
        self.dropped += 1

    @property
    def subscriptions(self) -> list[Subscription]:
        """The open subscriptions."""
        return [s for s in (r() for r in self._subs) if s is not None]

    # -- durable topics ------------------------------------------------------------
    def declare_durable(self, pattern: str) -> None:
        """Persist future messages on topics matching ``pattern`` (thread-safe)."""
        compiled = compile_pattern(pattern)
        with self._lock:
            if all(p.pattern != pattern for p in self._durable):
                self._durable = (*self._durable, compiled)
            self._durable_cache = {}

    @property
    def durable_patterns(self) -> list[str]:
        """The declared durable patterns."""
        return [p.pattern for p in self._durable]

    def is_durable(self, topic: str) -> bool:
        """Whether a topic was declared durable."""
        cache = self._durable_cache
        hit = cache.get(topic)
        if hit is None:
            hit = any(p.matches(topic) for p in self._durable)
            if len(cache) >= _DURABLE_CACHE_MAX:
                cache.clear()
            cache[topic] = hit
        return hit

    # -- publishing (runtime loop) -------------------------------------------------
    async def publish(
        self, topic: str, data: object, session_id: str | None, durable: bool | None
    ) -> BusMessage:
        """Persist (when durable) and then deliver one message; returns it."""
        if self.closed:
            raise OrchestrationError("This ContextBus is closed; create a new ContextBus().")
        if durable is None:
            durable = self.is_durable(topic)
        ts = time.time()
        if durable:
            check_text(session_id, "the session id")
            store = await self.ensure_open()
            seq = await store.append_message(topic, data, session_id, ts)
            self._seq = max(self._seq + 1, seq)
        else:
            self._seq += 1
            seq = self._seq
            if hasattr(self.store, "broadcast"):  # live messages cross processes too
                with contextlib.suppress(SharedStateError):  # unreachable from the start:
                    await self.ensure_open()  # kept for later, as in an outage (it warned)
                await self.store.broadcast(topic, data, session_id, ts)
        msg = BusMessage(seq, topic, data, session_id, ts, durable)
        await self.deliver(msg)
        return msg

    async def deliver_remote(self, msg: BusMessage) -> None:
        """Deliver a message another process published (a shared store's ``listen``)."""
        if msg.durable:
            self._seq = max(self._seq, msg.seq)
        else:  # live-only messages take this process's next seq
            self._seq += 1
            msg = dataclasses.replace(msg, seq=self._seq)
        await self.deliver(msg)

    async def deliver(self, msg: BusMessage) -> None:
        """Offer ``msg`` to each matching subscription; wait only for block_timeout ones."""
        waits: list[Awaitable[None]] | None = None
        for ref in self._subs:
            sub = ref()
            if sub is None or not sub.matches(msg.topic):
                continue
            wait = sub.offer(msg)
            if wait is not None:
                waits = waits or []
                waits.append(wait)
        if waits:
            await asyncio.gather(*waits)

    async def ack(self, consumer: str, msg: BusMessage) -> None:
        """Record ``msg`` (and all before it) as handled by ``consumer``; from any loop.

        Committed before it returns. Acknowledging a non-durable message does nothing:
        only the durable log can be resumed.
        """
        if not msg.durable:
            return
        await self.runtime.run(self._ack(consumer, msg.seq))

    async def _ack(self, consumer: str, seq: int) -> None:
        store = await self.ensure_open()
        await store.set_offset(consumer, seq)


def session_broker(session: Session) -> Broker:
    """The session's default broker, created on first use: on the team's Redis when
    ``ORCHESTRATION_REDIS_URL`` names one (so ``ContextBus()`` and ``engine.bus`` share
    one store, as documented), else SQLite at ``home/bus.sqlite``.

    Kept among the session's services (``session.service("bus_broker")``) — not in a
    module global — and closed with the session's runtime.
    """

    def make() -> Broker:
        from ..redis_link import settings_from

        settings = settings_from(None)  # the variable, checked: a typo is a clear error
        if settings is not None:
            from .redis_store import RedisStore  # the redis client is imported only now

            store: Store = RedisStore(settings)
        else:
            store = SQLiteStore(session.home / "bus.sqlite")
        broker = Broker(store, session.runtime)
        session.runtime.add_closer(broker.aclose)
        return broker

    broker: Broker = session.service("bus_broker", make)
    return broker
