"""Keep a main-thread event loop stirring while it waits on the runtime, so Ctrl-C lands.

Python runs a signal handler in the main thread, and only when that thread next runs
bytecode. The OS may deliver SIGINT to any thread that does not block it (the runtime's
loop, an SDK's worker): the main thread's C-level wait is then not interrupted. A
notebook cell awaiting one long call on the runtime (``await job.wait()``, ``await
engine.matrix(...)`` over thousands of rows) leaves the kernel's loop asleep in
``epoll_wait`` with nothing scheduled, so ipykernel's SIGINT handler — which cancels the
cell — ran only when the whole call had finished (we measured 16-33 s, with every row of
the job sent meanwhile).

:func:`stir` schedules a no-op on such a loop every :data:`WAKE_S` seconds while the call
is pending; each wake runs bytecode, so a pending handler runs within that time. Loops on
other threads never see signal handlers and are left alone (no cost there).
"""

from __future__ import annotations

import asyncio
import threading

__all__ = ["WAKE_S", "Stirrer", "stir"]

#: Seconds between wakes of a waiting main-thread loop: the worst-case Ctrl-C latency.
WAKE_S = 0.1


class Stirrer:
    """A repeating no-op timer on one loop; :meth:`stop` ends it."""

    __slots__ = ("_handle", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._handle: asyncio.TimerHandle | None = loop.call_later(WAKE_S, self._tick)

    def _tick(self) -> None:
        if self._handle is not None:  # not stopped meanwhile
            self._handle = self._loop.call_later(WAKE_S, self._tick)

    def stop(self) -> None:
        """Stop waking the loop (idempotent)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def stir(loop: asyncio.AbstractEventLoop) -> Stirrer | None:
    """A :class:`Stirrer` for ``loop`` when it runs in the main thread (where signal
    handlers run), else None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return Stirrer(loop)
