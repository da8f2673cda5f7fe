"""The one runtime: an asyncio event loop in a daemon thread.

Every engine, bus and audit trail in a process does its async work on this loop, so
SDK clients (which are bound to the loop that created them) live exactly as long as
it does. Callers on any other loop — a notebook cell, ``asyncio.run``, pytest —
``await runtime.run(coro)``; plain scripts call ``runtime.run_sync(coro)``. This is
how IPython's ``%%script`` magic keeps its own loop, and it is why we need no
``nest_asyncio``: the kernel's loop is never re-entered.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any, Generic, TypeVar, cast

from .burst_gc import BurstGC
from .interrupt_note import mark_interrupted
from .interrupt_wake import stir, wait_result

__all__ = ["BridgedIterator", "Runtime"]

T = TypeVar("T")

log = logging.getLogger(__name__)

#: How long a cancelled run gets to record itself as cancelled before we stop waiting.
CANCEL_GRACE_S = 5.0

#: Calls from other loops that one pass of the runtime loop starts (see ``Runtime.run``).
ADMIT_PER_PASS = 4

_live_runtimes: weakref.WeakSet[Runtime] = weakref.WeakSet()

#: A producer that pushes its items: ``await produce(put)`` calls ``put(item)`` for each.
Pusher = Callable[[Callable[[T], None]], Awaitable[object]]


class Runtime:
    """An event loop running in a daemon thread, started on first use."""

    def __init__(self, name: str = "orchestration-kernel") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._closed = False
        # Calls handed over from other loops, not started yet (any thread appends, the
        # runtime loop takes), and whether a pass that starts some is scheduled.
        self._arrivals: collections.deque[_RemoteCall] = collections.deque()
        self._admit_scheduled = False
        self._burst = BurstGC()  # the calls handed over and under way, on the loop
        _live_runtimes.add(self)

    # -- lifecycle -----------------------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The runtime's loop, started on first access."""
        if self._loop is None:
            with self._lock:
                if self._closed:
                    raise RuntimeError("this runtime is closed")
                if self._loop is None:
                    self._start()
        assert self._loop is not None
        return self._loop

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            _name_async_library()
            loop.call_soon(started.set)
            loop.run_forever()

        self._thread = threading.Thread(target=main, name=self.name, daemon=True)
        self._thread.start()
        started.wait()
        self._loop = loop

    @property
    def running(self) -> bool:
        """True while the loop thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    def in_loop(self) -> bool:
        """True when called from the runtime's own thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def add_closer(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Register an async callable run on the loop at :meth:`close` (e.g. ``client.aclose``)."""
        self._closers.append(closer)

    def close(self, timeout: float = 5.0) -> None:
        """Run the closers, cancel what is left, stop the loop and join its thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        if threading.current_thread() is thread:
            loop.call_soon(loop.stop)
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()

    async def _shutdown(self) -> None:
        while self._arrivals:  # handed over but never started: their callers get a cancel
            remote = self._arrivals.popleft()
            remote.cancel()
            remote.start()
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(closer(), 2.0)
        self._closers.clear()
        # A task cancelled before its first step never enters its coroutine, so a call
        # started in the pass just gone would end without telling its caller: let every
        # task take its first step before cancelling them.
        await asyncio.sleep(0)
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2.0)

    # -- running work --------------------------------------------------------------
    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop from any thread; returns a concurrent future."""
        if self._closed:
            coro.close()  # never scheduled: close it so Python does not warn
            raise RuntimeError("this runtime is closed")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def run(
        self, coro: Coroutine[Any, Any, T], meanwhile: Callable[[], object] | None = None
    ) -> T:
        """Await ``coro`` on the runtime loop from whatever loop the caller is on.

        Cancelling the caller cancels the work on the runtime loop, and waits (briefly)
        for it to finish its cancellation, so a cancelled run has recorded itself before
        the caller sees ``CancelledError``.

        ``meanwhile``: called in the caller's thread just after the hand-off, while the
        runtime thread is being woken (the OS takes tens of µs to run it, more on a busy
        machine): work ``coro`` would otherwise do first, done in that gap instead. It
        must be work ``coro`` redoes when it finds it not done, so that an error in it
        (ignored here) or the runtime thread getting there first changes no outcome.
        """
        if self.in_loop():
            _call_meanwhile(meanwhile)
            return await coro
        if self._closed:
            coro.close()
            raise RuntimeError("this runtime is closed")
        # At most one wake-up each way, no concurrent.futures and no shield in between:
        # this hop is on the path of every public call.
        caller = asyncio.get_running_loop()
        remote = _RemoteCall(coro, caller, self._burst)
        self._hand_over(remote)
        _call_meanwhile(meanwhile)
        stirrer = stir(caller)  # so Ctrl-C reaches a main-thread loop asleep on a long call
        try:
            return await remote.result  # type: ignore[no-any-return]
        except asyncio.CancelledError as exc:
            if not remote.ended:
                remote.finished = caller.create_future()
                self.loop.call_soon_threadsafe(remote.cancel)
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(remote.finished, CANCEL_GRACE_S)
            mark_interrupted(exc, remote.ended)  # a notebook shows one line, not our frames
            raise
        finally:
            if stirrer is not None:
                stirrer.stop()

    def _hand_over(self, remote: _RemoteCall) -> None:
        """Queue ``remote`` for the runtime loop, waking the loop once per burst.

        The loop starts :data:`ADMIT_PER_PASS` queued calls per pass and the rest on later
        passes, each pass after the work already waiting in the loop. A burst (1,000
        pipelines at once) then reaches the network at the pace the loop sends requests,
        calls already under way going first, instead of every call taking each of its
        steps before any call takes its next: sent all together, the requests are
        answered all together, and the loop meets the whole burst's answers only after
        its whole dispatch, the two never overlapping. Nothing is held back while the
        loop is idle, and a call that waits on the network holds no place.

        The flag is lowered before the queue is read (:meth:`_admit`), so a call queued
        at any moment is started by the pass under way or schedules the next one.
        """
        loop = self.loop
        self._arrivals.append(remote)
        if not self._admit_scheduled:
            self._admit_scheduled = True
            loop.call_soon_threadsafe(self._admit)

    def _admit(self) -> None:  # on the runtime loop
        """Start the next queued calls (one pass's worth); schedule the next pass if more wait."""
        self._admit_scheduled = False
        arrivals = self._arrivals
        for _ in range(min(len(arrivals), ADMIT_PER_PASS)):
            arrivals.popleft().start()
        if arrivals and not self._admit_scheduled:
            self._admit_scheduled = True
            asyncio.get_running_loop().call_soon(self._admit)

    def run_sync(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and block until it ends: the blocking twin of :meth:`run`.

        A ``KeyboardInterrupt`` while waiting cancels the work cleanly, then re-raises.
        """
        if self.in_loop():
            coro.close()
            raise RuntimeError("blocking call made on the runtime's own loop; use 'await' instead")
        done = threading.Event()
        cfut = self.submit(_signal_when_done(coro, done))
        try:
            return wait_result(cfut, timeout)
        except KeyboardInterrupt as exc:
            cfut.cancel()
            mark_interrupted(exc, done.wait(CANCEL_GRACE_S))
            raise
        except concurrent.futures.CancelledError:
            raise asyncio.CancelledError() from None

    def iterate(self, agen: AsyncIterator[T], maxsize: int = 0) -> BridgedIterator[T]:
        """Expose an async iterator that runs on the loop to any loop or thread."""
        return BridgedIterator(self, agen, maxsize)

    def iterate_pushed(self, produce: Pusher[T]) -> BridgedIterator[T]:
        """Like :meth:`iterate`, for a producer that pushes: ``await produce(put)`` runs on
        the loop and calls ``put(item)`` for each item. Nothing waits between the producer
        and the bridge, so no future is made per item on the loop."""
        return BridgedIterator(self, None, push=produce)


def _name_async_library() -> None:
    """Tell sniffio that this thread runs asyncio, through its per-thread setting (what
    an async library sets in the thread it runs in). The SDKs' HTTP stack (httpx, anyio,
    the SDK's headers) asks which async library is running about fifteen times per call;
    unset, each answer imports ``asyncio.current_task`` and calls it (~1 µs), set, it is
    an attribute read. Only asyncio ever runs in the runtime's thread."""
    try:
        import sniffio
    except ImportError:  # pragma: no cover - every SDK's HTTP stack brings it
        return
    sniffio.thread_local.name = "asyncio"


def _call_meanwhile(meanwhile: Callable[[], object] | None) -> None:
    """Run :meth:`Runtime.run`'s ``meanwhile``; its errors are the coroutine's to meet."""
    if meanwhile is None:
        return
    try:
        meanwhile()
    except Exception:  # the coroutine does this work itself when it finds it undone
        log.debug("work done meanwhile failed; the call does it itself", exc_info=True)


class _RemoteCall:
    """A coroutine run on the runtime loop for a caller on another loop.

    The runtime task runs :meth:`_drive`, which hands the outcome to the caller's loop
    as its last act (no done-callback round on the runtime loop); :meth:`_settle` sets
    the future the caller awaits. A caller that was cancelled awaits ``finished``
    instead, which :meth:`_settle` also sets: both run on the caller's loop, so whether
    the run has ended is never in doubt there.
    """

    __slots__ = ("burst", "caller", "cancelled", "coro", "ended", "finished", "result", "task")

    def __init__(
        self,
        coro: Coroutine[Any, Any, Any],
        caller: asyncio.AbstractEventLoop,
        burst: BurstGC | None = None,
    ) -> None:
        self.coro = coro
        self.caller = caller
        self.burst = burst
        self.result: asyncio.Future[Any] = caller.create_future()
        self.task: asyncio.Task[None] | None = None
        self.cancelled = False
        self.ended = False  # read and written on the caller's loop only
        self.finished: asyncio.Future[None] | None = None

    def start(self) -> None:  # on the runtime loop
        if self.cancelled:
            self.coro.close()
            self._notify(asyncio.CancelledError(), None)
            return
        self.task = asyncio.get_running_loop().create_task(self._drive())
        if self.burst is not None:
            self.burst.started()

    def cancel(self) -> None:  # on the runtime loop
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()

    async def _drive(self) -> None:  # the runtime task
        try:
            value = await self.coro
        except (KeyboardInterrupt, SystemExit) as exc:
            self._notify(exc, None)
            raise
        except BaseException as exc:  # the caller re-raises it; nothing is left unretrieved
            self._notify(exc, None)
        else:
            self._notify(None, value)
        finally:
            if self.burst is not None:
                self.burst.ended()

    def _notify(self, error: BaseException | None, value: Any) -> None:  # on the runtime loop
        # A caller whose loop has closed meanwhile has nobody left to tell.
        with contextlib.suppress(RuntimeError):
            self.caller.call_soon_threadsafe(self._settle, error, value)

    def _settle(self, error: BaseException | None, value: Any) -> None:  # on the caller's loop
        """Copy the runtime task's outcome onto the caller's future."""
        self.ended = True
        if self.finished is not None and not self.finished.done():
            self.finished.set_result(None)
        result = self.result
        if result.done():
            return
        if error is None:
            result.set_result(value)
        elif isinstance(error, asyncio.CancelledError):
            result.cancel()
        else:
            result.set_exception(error)


async def _signal_when_done(coro: Awaitable[T], done: threading.Event) -> T:
    try:
        return await coro
    finally:
        done.set()


_END = object()


class BridgedIterator(Generic[T]):
    """An async iterator produced on the runtime loop, consumed from any loop or thread.

    Use ``async for`` from a coroutine on any loop, or plain ``for`` from a thread
    that has no running loop. Closing it (or breaking out of the loop) cancels the
    producer; :meth:`aclose`, and :meth:`close` called from a thread with no running
    loop, return once the producer has stopped (or after ``CANCEL_GRACE_S``), so nothing
    is produced after they return and a cancelled call has recorded itself.
    """

    def __init__(
        self,
        runtime: Runtime,
        source: AsyncIterator[T] | None,
        maxsize: int = 0,
        *,
        push: Pusher[T] | None = None,
    ) -> None:
        self._runtime = runtime
        self._source = source
        self._push = push
        self._items: Any = None  # a queue of the consumer's kind, made on first use
        self._task: asyncio.Task[None] | None = None  # the producer, on the runtime loop
        self._started = False
        self._cancelled = False
        self._stopped = threading.Event()  # set on the runtime loop as the producer ends
        self._done = False

    # -- producer side (runs on the runtime loop) ----------------------------------
    async def _run_pump(self, put: Callable[[Any], None]) -> None:
        try:
            if self._push is not None:
                await self._push(put)
            else:
                assert self._source is not None
                async for item in self._source:
                    put(item)
        except BaseException as exc:
            put(_Failure(exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
        else:
            put(_END)

    def _start_for_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._items = queue
        if self._runtime.in_loop():
            self._launch(queue.put_nowait)
        else:
            self._launch(_coalescing_put(loop, queue))

    def _start_for_thread(self) -> None:
        import queue as queue_mod

        q: queue_mod.Queue[Any] = queue_mod.Queue()
        self._items = q
        self._launch(q.put)

    def _launch(self, put: Callable[[Any], None]) -> None:
        """Start the producer as a task on the runtime loop. Its done-callback marks it
        stopped, which also holds for a task cancelled before it ever ran."""
        if self._runtime.closed:
            raise RuntimeError("this runtime is closed")
        self._started = True

        def start() -> None:  # on the runtime loop
            task = asyncio.get_running_loop().create_task(self._run_pump(put))
            task.add_done_callback(lambda _task: self._stopped.set())
            self._task = task
            if self._cancelled:
                task.cancel()

        self._runtime.loop.call_soon_threadsafe(start)

    def _cancel_on_loop(self) -> None:  # on the runtime loop
        if self._task is not None:
            self._task.cancel()

    # -- consumer side -------------------------------------------------------------
    def __aiter__(self) -> BridgedIterator[T]:
        return self

    async def __anext__(self) -> T:
        if self._done:
            raise StopAsyncIteration
        if self._items is None:
            self._start_for_loop(asyncio.get_running_loop())
        # About to wait on a main-thread loop (a notebook cell's): keep it stirring so
        # Ctrl-C lands at once, as Runtime.run does (interrupt_wake).
        stirrer = stir(asyncio.get_running_loop()) if self._items.empty() else None
        try:
            item = await self._items.get()
        except asyncio.CancelledError as exc:
            if self._cancel_pump():  # the call records itself cancelled before we go on
                with contextlib.suppress(BaseException):
                    await _wait_event(self._stopped, CANCEL_GRACE_S)
            mark_interrupted(exc, self._stopped.is_set())
            raise
        finally:
            if stirrer is not None:
                stirrer.stop()
        return self._unwrap(item, StopAsyncIteration)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        if self._items is None:
            self._start_for_thread()
        try:
            item = self._items.get()
        except KeyboardInterrupt as exc:
            if self._cancel_pump():  # as run_sync: the call records itself cancelled first
                self._stopped.wait(CANCEL_GRACE_S)
            mark_interrupted(exc, self._stopped.is_set())
            raise
        return self._unwrap(item, StopIteration)

    def _unwrap(self, item: Any, stop: type[Exception]) -> T:
        if item is _END:
            self._done = True
            raise stop
        if isinstance(item, _Failure):
            self._done = True
            raise item.exc
        return cast(T, item)

    def close(self) -> None:
        """Stop consuming; the producer is cancelled. From a thread with no running loop
        this waits for the producer to stop; on a loop, :meth:`aclose` does."""
        if self._cancel_pump() and not _loop_running():
            self._stopped.wait(CANCEL_GRACE_S)

    async def aclose(self) -> None:
        """Stop consuming, and return once the producer has stopped."""
        if self._cancel_pump():
            await _wait_event(self._stopped, CANCEL_GRACE_S)

    def _cancel_pump(self) -> bool:
        """Cancel the producer; True when the caller may wait for it to stop."""
        self._done = True
        if not self._started or self._stopped.is_set():
            return False
        self._cancelled = True
        if self._runtime.in_loop():
            self._cancel_on_loop()
            return False  # on the runtime loop itself: waiting would deadlock it
        with contextlib.suppress(RuntimeError):  # a closed runtime has no producer left
            self._runtime.loop.call_soon_threadsafe(self._cancel_on_loop)
        return not self._runtime.closed


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _wait_event(event: threading.Event, timeout: float) -> None:
    """Wait for a ``threading.Event`` set on another thread without blocking this loop:
    short sleeps, since the event has no way to wake a loop (a stop takes one or two)."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while not event.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


#: Items one drain of a bridged stream moves before the consumer runs again.
_DRAIN_BATCH = 64


def _coalescing_put(
    loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]
) -> Callable[[Any], None]:
    """A thread-safe ``put`` into ``queue`` on ``loop`` that wakes the loop once per burst.

    Stream chunks often come several to one network read; each ``call_soon_threadsafe``
    is a wake-up of the consumer's loop, so items wait in a deque and one scheduled drain
    moves all that have arrived. The drain clears its flag before it empties the deque,
    so an item appended at any moment is moved by this drain or schedules the next one.
    """
    pending: collections.deque[Any] = collections.deque()
    scheduled = False

    def drain() -> None:  # on the consumer's loop
        nonlocal scheduled
        scheduled = False
        # At most one batch of what is here now, then the consumer's turn: a producer
        # faster than this loop would otherwise keep it draining (what comes meanwhile has
        # scheduled the next drain, since the flag is already down).
        for _ in range(min(len(pending), _DRAIN_BATCH)):
            queue.put_nowait(pending.popleft())
        if pending and not scheduled:
            scheduled = True
            loop.call_soon(drain)

    def put(item: Any) -> None:  # on the runtime loop
        nonlocal scheduled
        pending.append(item)
        if not scheduled:
            scheduled = True
            loop.call_soon_threadsafe(drain)

    return put


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@atexit.register
def _close_all_runtimes() -> None:
    # Daemon threads would die anyway; closing first lets SDK clients shut down cleanly.
    for runtime in list(_live_runtimes):
        with contextlib.suppress(Exception):
            runtime.close(timeout=2.0)
