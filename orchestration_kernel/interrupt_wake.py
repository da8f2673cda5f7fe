"""Keep a main-thread event loop stirring while it waits on the runtime, so Ctrl-C lands.

Python runs a signal handler in the main thread, and only when that thread next runs
bytecode. The OS may deliver SIGINT to any thread that does not block it (the runtime's
loop, an SDK's worker): the main thread's C-level wait is then not interrupted. A
notebook cell awaiting one long call on the runtime (``await job.wait()``, ``await
engine.matrix(...)`` over thousands of rows) leaves the kernel's loop asleep in
``epoll_wait`` with nothing scheduled, so ipykernel's SIGINT handler — which cancels the
cell — ran only when the whole call had finished (we measured 16-33 s, with every row of
the job sent meanwhile).

:func:`stir` schedules a no-op on such a loop every :data:`WAKE_S` seconds while a call
is pending (one timer per loop, however many calls wait); each wake runs bytecode, so a
pending handler runs within that time. Loops on other threads never see signal handlers
and are left alone (no cost there).

A blocking wait (``Runtime.run_sync``: the magics, ``complete_sync``) has the same gap:
the main thread's lock wait is cut short by a SIGINT only when the OS delivers it to
that thread, and a kernel with more threads (the runtime's, an SDK's, a Dask client's)
often gets it elsewhere, so a Ctrl-C landed when the whole run had ended.
:func:`wait_result` waits in slices of :data:`WAKE_S` on the main thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import weakref
from typing import TypeVar

T = TypeVar("T")

__all__ = ["WAKE_S", "Stirrer", "stir", "wait_result"]

#: Seconds between wakes of a waiting main-thread loop: the worst-case Ctrl-C latency.
WAKE_S = 0.1


class Stirrer:
    """One waiting call's hold on its loop's shared wake timer; :meth:`stop` releases it."""

    __slots__ = ("_wakes",)

    def __init__(self, wakes: _LoopWakes) -> None:
        self._wakes: _LoopWakes | None = wakes
        wakes.hold()

    def stop(self) -> None:
        """Stop waking the loop for this call (idempotent)."""
        if self._wakes is not None:
            self._wakes.waiting -= 1
            self._wakes = None


class _LoopWakes:
    """The repeating no-op timer of one main-thread loop, shared by every call waiting on
    it: 300 runs awaited at once keep one timer, not 300 (each a heap entry the loop
    orders and skips), and calls made one after another reuse the running timer instead
    of scheduling and cancelling one each. The timer stops at its first tick with no
    call waiting. Used on the loop's own thread only (no lock)."""

    __slots__ = ("__weakref__", "_armed", "_loop", "waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # the loop's timer holds us: no cycle through it
        self.waiting = 0
        self._armed = False

    def hold(self) -> None:
        self.waiting += 1
        if not self._armed:
            self._arm()

    def _arm(self) -> None:
        loop = self._loop()
        if loop is None or loop.is_closed():
            self._armed = False
            return
        loop.call_later(WAKE_S, self._tick)
        self._armed = True

    def _tick(self) -> None:
        if self.waiting > 0:
            self._arm()
        else:
            self._armed = False


#: Each main-thread loop's shared timer (weak on both sides: see ``_LoopWakes``).
_wakes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopWakes] = (
    weakref.WeakKeyDictionary()
)


def stir(loop: asyncio.AbstractEventLoop) -> Stirrer | None:
    """A :class:`Stirrer` for ``loop`` when it runs in the main thread (where signal
    handlers run), else None. Call it on ``loop``'s thread."""
    if threading.current_thread() is not threading.main_thread():
        return None
    wakes = _wakes.get(loop)
    if wakes is None:
        wakes = _wakes[loop] = _LoopWakes(loop)
    return Stirrer(wakes)


def wait_result(future: concurrent.futures.Future[T], timeout: float | None) -> T:
    """``future.result(timeout)``, waited in slices of :data:`WAKE_S` on the main thread,
    so a pending SIGINT handler runs (raising ``KeyboardInterrupt``) within a slice."""
    if threading.current_thread() is not threading.main_thread():
        return future.result(timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            return future.result(WAKE_S if left is None else min(WAKE_S, left))
        except concurrent.futures.TimeoutError:
            if future.done() or (left is not None and left <= WAKE_S):
                raise  # the work's own TimeoutError, or the caller's timeout ran out
