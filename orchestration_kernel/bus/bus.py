"""ContextBus: async pub/sub with wildcard topics, plus versioned session state.

Every async method does its work on the process's runtime loop (see
:mod:`orchestration_kernel.runtime`), so it can be awaited from any loop: a notebook
cell, ``asyncio.run``, pytest. Each has a blocking ``*_sync`` twin for plain scripts.

Durability rule: ``set_context``, ``update_context``, ``publish("context.updated")``,
``append_turn``, ``ack`` and durable publishes are committed to the store before they
return. Non-durable publishes never touch the store.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from weakref import WeakSet

from ..errors import ConfigurationError, OrchestrationError
from ..text_checks import check_text
from .broker import Broker, session_broker
from .memory import MemoryStore
from .message import BusMessage
from .sessions import CONTEXT_SET, CONTEXT_UPDATED, SessionState, as_context
from .sqlite import SQLiteStore
from .store import ContextVersion, Store
from .subscription import SLOW_POLICIES, Callback, SlowPolicy, Subscription
from .topics import compile_pattern, validate_topic

if TYPE_CHECKING:
    from ..runtime import Runtime
    from ..session import Session

__all__ = ["ContextBus"]

T = TypeVar("T")

_MEMORY_NAMES = frozenset({"memory", ":memory:"})


class ContextBus:
    """A per-kernel async pub/sub bus with session state.

    ``ContextBus()`` uses the session's default store (SQLite, WAL, at
    ``ORCHESTRATION_HOME/bus.sqlite``) and runtime, shared with ``engine.bus`` and every
    other ``ContextBus()`` in the process: same subscribers, same data, same metrics.
    ``ContextBus("memory")`` keeps everything in memory; a path opens that SQLite file;
    a ``redis://`` URL the Redis store every kernel on that server shares
    (:mod:`.redis_store`); any :class:`~.store.Store` implementation can be passed.

    ``session_id`` defaults to the kernel's session id, which is stable across kernel
    restarts in a notebook. Subscriptions get a queue of ``max_queue`` messages and the
    ``slow_policy`` for when it is full (see :mod:`.subscription`); ``block_timeout``
    bounds how long the ``block_timeout`` policy may hold a publisher.
    """

    def __init__(
        self,
        store: Store | str | Path | None = None,
        *,
        runtime: Runtime | None = None,
        session_id: str | None = None,
        max_queue: int = 1000,
        slow_policy: SlowPolicy = "drop_oldest",
        block_timeout: float = 1.0,
        session: Session | None = None,
    ) -> None:
        _check_queue_options(max_queue, slow_policy, block_timeout)
        if session is None and (store is None or runtime is None or session_id is None):
            from ..session import Session

            session = Session.current()
        assert session is not None or (runtime is not None and session_id is not None)
        self._broker, self._owns_broker = _make_broker(store, runtime, session)
        # No explicit id: follow the session's, which '%orchestrate session' may change.
        self._session_id = session_id
        self._session = session
        self.max_queue = max_queue
        self.slow_policy: SlowPolicy = slow_policy
        self.block_timeout = block_timeout
        self._state = SessionState(self._broker)
        self._subscriptions: WeakSet[Subscription] = WeakSet()
        self._closed = False

    @classmethod
    def default(cls, session: Session | None = None) -> ContextBus:
        """The bus on the session's default store and runtime (what ``engine.bus`` is)."""
        return cls(session=session)

    def for_session(self, session_id: str) -> ContextBus:
        """A bus sharing this one's store and subscribers, defaulting to another session."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._session_id = session_id
        other._owns_broker = False  # closing the view must not close the shared store
        other._subscriptions = WeakSet()
        return other

    # -- properties ------------------------------------------------------------------
    @property
    def session_id(self) -> str:
        """The session this bus reads and writes unless a call names another: the one it
        was given, else the kernel session's current id."""
        if self._session_id is not None:
            return self._session_id
        assert self._session is not None  # __init__ keeps one when no id was given
        return self._session.id

    @session_id.setter
    def session_id(self, value: str) -> None:
        self._session_id = value

    @property
    def store(self) -> Store:
        """The storage backend."""
        return self._broker.store

    @property
    def runtime(self) -> Runtime:
        """The runtime whose loop does this bus's work."""
        return self._broker.runtime

    @property
    def subscriptions(self) -> list[Subscription]:
        """Open subscriptions on this bus's store (from every bus sharing it)."""
        return self._broker.subscriptions

    @property
    def durable_patterns(self) -> list[str]:
        """Patterns declared durable with :meth:`declare_durable`."""
        return self._broker.durable_patterns

    # -- pub/sub ---------------------------------------------------------------------
    async def publish(
        self,
        topic: str,
        data: object = None,
        *,
        session_id: str | None = None,
        durable: bool | None = None,
    ) -> BusMessage:
        """Publish ``data`` on ``topic`` to every matching subscriber; returns the message.

        ``durable`` overrides :meth:`declare_durable` for this message; a durable message
        (data must be JSON-compatible) is committed to the store before this returns.
        ``context.updated`` with a dict merges it into the session's context first (also
        committed), so ``get_context`` sees it as soon as this returns.
        """
        validate_topic(topic)
        sid = session_id or self.session_id
        if topic == CONTEXT_UPDATED:
            return await self._run(self._merge_and_publish(sid, data, durable))
        return await self._run(self._broker.publish(topic, data, sid, durable))

    def publish_sync(
        self,
        topic: str,
        data: object = None,
        *,
        session_id: str | None = None,
        durable: bool | None = None,
    ) -> BusMessage:
        """Blocking twin of :meth:`publish`."""
        validate_topic(topic)
        sid = session_id or self.session_id
        if topic == CONTEXT_UPDATED:
            message: BusMessage = self._block(self._merge_and_publish(sid, data, durable))
        else:
            message = self._block(self._broker.publish(topic, data, sid, durable))
        return message

    def subscribe(
        self,
        pattern: str,
        callback: Callback | None = None,
        *,
        consumer: str | None = None,
        max_queue: int | None = None,
        slow_policy: SlowPolicy | None = None,
        block_timeout: float | None = None,
    ) -> Subscription:
        """Subscribe to topics matching ``pattern`` (``*`` one segment, ``#``/``**`` many).

        Without ``callback`` the result is an async iterator (``async for m in ...`` from
        any loop, or ``for`` in a plain thread). With ``callback`` (plain or async), it is
        called on the runtime loop for each message, in order; callback subscriptions are
        not durable and cannot be named consumers. ``consumer="name"`` makes a durable
        consumer: it declares ``pattern`` durable, first replays the durable messages
        after the name's last :meth:`ack` (also from before a restart), then continues
        live. It receives durable messages only (not those published with
        ``durable=False``) and never drops them: when it falls behind it re-reads them.

        Messages published after this returns are delivered. Close the subscription
        (``sub.close()``, ``async with``) when done.
        """
        compiled = compile_pattern(pattern)
        if consumer is not None and callback is not None:
            raise ConfigurationError(
                "Callback subscribers are not durable, so they cannot be named consumers; "
                "iterate instead: async for m in bus.subscribe(pattern, consumer=...)."
            )
        if consumer is not None and (not isinstance(consumer, str) or not consumer.strip()):
            raise ConfigurationError(
                f"A consumer name must be a non-empty string, not {consumer!r}."
            )
        check_text(consumer, "the consumer name")
        options = (
            self.max_queue if max_queue is None else max_queue,
            slow_policy or self.slow_policy,
            self.block_timeout if block_timeout is None else block_timeout,
        )
        _check_queue_options(*options)
        self._check_open()
        if consumer is not None:
            self._broker.declare_durable(pattern)
        sub = Subscription(
            self._broker,
            compiled,
            max_queue=options[0],
            slow_policy=options[1],
            block_timeout=options[2],
            consumer=consumer,
            callback=callback,
        )
        self._broker.add(sub)
        self._subscriptions.add(sub)
        sub.start()
        return sub

    def declare_durable(self, pattern: str) -> None:
        """Persist messages on topics matching ``pattern`` from now on (this process).

        Durable messages survive a restart and can be replayed by named consumers;
        others are delivered in memory only. Declare at start-up in each process; the
        stored messages and consumer offsets themselves persist.
        """
        self._broker.declare_durable(pattern)

    async def ack(self, consumer: str, msg: BusMessage) -> None:
        """Record that ``consumer`` handled ``msg`` and everything before it (committed).

        After a restart, ``subscribe(..., consumer=consumer)`` resumes after it.
        """
        self._check_open()
        await self._broker.ack(consumer, msg)

    def ack_sync(self, consumer: str, msg: BusMessage) -> None:
        """Blocking twin of :meth:`ack`."""
        self._check_open()
        if msg.durable:
            self._block(self._broker._ack(consumer, msg.seq))

    # -- session context -----------------------------------------------------------
    async def get_context(self, session_id: str | None = None) -> dict[str, object]:
        """The session's current context (a copy; ``{}`` if it has none)."""
        return await self._run(self._state.get(session_id or self.session_id))

    def get_context_sync(self, session_id: str | None = None) -> dict[str, object]:
        """Blocking twin of :meth:`get_context`."""
        return self._block(self._state.get(session_id or self.session_id))

    async def set_context(
        self, data: Mapping[str, object], session_id: str | None = None
    ) -> ContextVersion:
        """Replace the session's context (a new version, committed); publishes ``context.set``."""
        return await self._run(self._write(data, session_id, merge=False))

    def set_context_sync(
        self, data: Mapping[str, object], session_id: str | None = None
    ) -> ContextVersion:
        """Blocking twin of :meth:`set_context`."""
        return self._block(self._write(data, session_id, merge=False))

    async def update_context(
        self, data: Mapping[str, object], session_id: str | None = None
    ) -> ContextVersion:
        """Merge ``data`` into the session's context (a new version, committed).

        The same as ``publish("context.updated", data)``, returning the new version.
        """
        return await self._run(self._write(data, session_id, merge=True))

    def update_context_sync(
        self, data: Mapping[str, object], session_id: str | None = None
    ) -> ContextVersion:
        """Blocking twin of :meth:`update_context`."""
        return self._block(self._write(data, session_id, merge=True))

    async def context_version(self, session_id: str | None = None) -> int:
        """The session's context version (0 before the first write)."""
        return await self._run(self._state.version(session_id or self.session_id))

    def context_version_sync(self, session_id: str | None = None) -> int:
        """Blocking twin of :meth:`context_version`."""
        return self._block(self._state.version(session_id or self.session_id))

    async def context_history(self, session_id: str | None = None) -> list[ContextVersion]:
        """Every version of the session's context as ``(version, ts, data)``, oldest first."""
        return await self._run(self._state.history(session_id or self.session_id))

    def context_history_sync(self, session_id: str | None = None) -> list[ContextVersion]:
        """Blocking twin of :meth:`context_history`."""
        return self._block(self._state.history(session_id or self.session_id))

    async def sessions(self) -> list[str]:
        """Ids of every session with a stored context or conversation."""
        return await self._run(self._state.sessions())

    def sessions_sync(self) -> list[str]:
        """Blocking twin of :meth:`sessions`."""
        return self._block(self._state.sessions())

    async def _write(
        self, data: Mapping[str, object], session_id: str | None, *, merge: bool
    ) -> ContextVersion:
        sid = session_id or self.session_id
        written, _ = await self._write_and_publish(sid, data, merge, None)
        return written

    async def _merge_and_publish(
        self, session_id: str, data: object, durable: bool | None
    ) -> BusMessage:
        _, msg = await self._write_and_publish(session_id, data, True, durable)
        return msg

    async def _write_and_publish(
        self, session_id: str, data: object, merge: bool, durable: bool | None
    ) -> tuple[ContextVersion, BusMessage]:
        written = await self._state.write(session_id, data, merge=merge)
        topic = CONTEXT_UPDATED if merge else CONTEXT_SET
        msg = await self._broker.publish(topic, as_context(data), session_id, durable)
        return written, msg

    # -- conversation ---------------------------------------------------------------
    async def append_turn(
        self, session_id: str | None, role: str, content: str, model: str | None = None
    ) -> None:
        """Add a turn (``system``/``user``/``assistant``/``tool``) to the conversation."""
        sid = session_id or self.session_id
        await self._run(self._state.append_turns(sid, [(role, content, model)]))

    async def append_turns(
        self, session_id: str | None, turns: Sequence[tuple[str, str, str | None]]
    ) -> None:
        """Add ``(role, content, model)`` turns in order, committed together."""
        sid = session_id or self.session_id
        await self._run(self._state.append_turns(sid, list(turns)))

    def append_turns_sync(
        self, session_id: str | None, turns: Sequence[tuple[str, str, str | None]]
    ) -> None:
        """Blocking twin of :meth:`append_turns`."""
        sid = session_id or self.session_id
        self._block(self._state.append_turns(sid, list(turns)))

    def append_turn_sync(
        self, session_id: str | None, role: str, content: str, model: str | None = None
    ) -> None:
        """Blocking twin of :meth:`append_turn`."""
        sid = session_id or self.session_id
        self._block(self._state.append_turns(sid, [(role, content, model)]))

    async def conversation(
        self, session_id: str | None = None
    ) -> list[dict[str, str | float | None]]:
        """The session's turns, oldest first: dicts with role, content, model, ts."""
        return await self._run(self._state.conversation(session_id or self.session_id))

    def conversation_sync(
        self, session_id: str | None = None
    ) -> list[dict[str, str | float | None]]:
        """Blocking twin of :meth:`conversation`."""
        return self._block(self._state.conversation(session_id or self.session_id))

    # -- metrics ---------------------------------------------------------------------
    def record_handoff(self, ms: float) -> None:
        """Record one handoff: ms from a step's output event to the next step's start."""
        self._broker.handoffs.record(ms)

    def handoff_stats(self) -> dict[str, float | int | None]:
        """``{"count", "p50", "p95", "p99"}`` of recorded handoffs, in ms."""
        return self._broker.handoffs.stats()

    def metrics(self) -> dict[str, object]:
        """The bus's counters: ``handoffs`` (see :meth:`handoff_stats`), ``dropped`` (messages
        discarded by slow-subscriber policies, in all), and ``subscriptions``: per open
        subscription its ``pattern``, ``policy``, ``pending``, ``delivered``, ``dropped``
        and ``stalled``."""
        return {
            "handoffs": self.handoff_stats(),
            "dropped": self._broker.dropped,
            "subscriptions": [
                {
                    "pattern": s.pattern,
                    "policy": s.slow_policy,
                    "pending": s.pending,
                    "delivered": s.delivered,
                    "dropped": s.dropped,
                    "stalled": s.stalled,
                }
                for s in self.subscriptions
            ],
        }

    # -- closing -------------------------------------------------------------------
    async def close(self) -> None:
        """Close the subscriptions made through this bus, and the store if it opened it.

        The session's shared store stays open for ``engine.bus`` and other buses; it
        closes with the session.
        """
        if self._closed:
            return
        self._closed = True
        for sub in list(self._subscriptions):
            sub.close()
        if self._owns_broker:
            await self._broker.runtime.run(self._broker.aclose())

    def close_sync(self) -> None:
        """Blocking twin of :meth:`close`."""
        if not self._closed:
            self._broker.runtime.run_sync(self.close())

    async def __aenter__(self) -> ContextBus:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __enter__(self) -> ContextBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_sync()

    # -- plumbing --------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed or self._broker.closed:
            raise OrchestrationError("This ContextBus is closed; create a new ContextBus().")

    async def _run(self, coro: Coroutine[object, object, T]) -> T:
        if self._closed or self._broker.closed:
            coro.close()
            self._check_open()
        return await self._broker.runtime.run(coro)

    def _block(self, coro: Coroutine[object, object, T]) -> T:
        if self._closed or self._broker.closed:
            coro.close()
            self._check_open()
        return self._broker.runtime.run_sync(coro)

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"subscriptions={len(self._broker.subscriptions)}"
        return f"ContextBus(store={self.store!r}, session_id={self.session_id!r}, {state})"


def _check_queue_options(max_queue: int, slow_policy: str, block_timeout: float) -> None:
    if not isinstance(max_queue, int) or max_queue < 1:
        raise ConfigurationError(f"max_queue must be a positive integer, not {max_queue!r}.")
    if slow_policy not in SLOW_POLICIES:
        raise ConfigurationError(
            f"Unknown slow_policy {slow_policy!r}; use one of {', '.join(SLOW_POLICIES)}."
        )
    if not block_timeout > 0:
        raise ConfigurationError(f"block_timeout must be > 0 seconds, not {block_timeout!r}.")


def _make_broker(
    store: Store | str | Path | None, runtime: Runtime | None, session: Session | None
) -> tuple[Broker, bool]:
    """The broker for a store argument, and whether the new bus owns (and closes) it."""
    if store is None and session is not None and runtime in (None, session.runtime):
        return session_broker(session), False
    rt = runtime or session.runtime  # type: ignore[union-attr]
    if store is None:
        return Broker(SQLiteStore(session.home / "bus.sqlite"), rt), True  # type: ignore[union-attr]
    if isinstance(store, str) and store in _MEMORY_NAMES:
        return Broker(MemoryStore(), rt), True
    if isinstance(store, str) and store.startswith(("redis://", "rediss://", "unix://")):
        from .redis_store import RedisStore  # the redis client is imported only now

        return Broker(RedisStore(store), rt), True
    if isinstance(store, str) and "://" in store:
        raise ConfigurationError(
            f"No bus backend for {store.split('://')[0]!r} URLs is bundled; pass 'memory', a "
            f"SQLite file path, or an object implementing orchestration_kernel.bus.Store."
        )
    if isinstance(store, str | Path):
        return Broker(SQLiteStore(Path(store).expanduser()), rt), True
    if isinstance(store, Store):
        return Broker(store, rt, owns_store=False), True
    raise ConfigurationError(
        f"ContextBus(store=...) takes None, 'memory', a file path or a Store, not "
        f"{type(store).__name__}."
    )
