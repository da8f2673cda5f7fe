"""Group commit for the SQLite bus store's appends: writes that arrive while one is being
committed wait for it and then commit together, in one transaction.

Many pipeline runs ending at once each append their conversation. One transaction and
one hop to the store's worker thread per append made the hops, not the writes, the cost
(and every hop takes the interpreter lock from the runs' event loop). Here the first
append submits a drain to the worker; appends that arrive meanwhile join the queue, and
the drain commits everything queued in one transaction, then settles all of their
futures with one wake-up of each waiting loop. Order is kept (the queue is FIFO and one
drain runs at a time); a failed transaction fails every append in it, each with an
error of its own, and commits none of their rows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from ..storage.commit import settle_future

__all__ = ["GroupCommit"]

Row = TypeVar("Row")

#: One queued append: its rows, the future its caller awaits, and that caller's loop.
_Item = tuple[Sequence[Row], asyncio.Future[None], asyncio.AbstractEventLoop]


class GroupCommit(Generic[Row]):
    """Queue rows from any number of callers; ``write`` commits a group in one transaction
    on the executor's thread. ``error`` turns a failure into what each caller raises."""

    def __init__(
        self,
        write: Callable[[list[Row]], None],
        error: Callable[[Exception], BaseException],
    ) -> None:
        self._write = write
        self._error = error
        self._queue: list[_Item[Row]] = []
        self._lock = threading.Lock()
        self._draining = False

    async def append(self, rows: Sequence[Row], executor: concurrent.futures.Executor) -> None:
        """Commit ``rows`` (with whatever else is queued); returns once they are committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        item = (rows, done, loop)
        with self._lock:
            self._queue.append(item)
            start, self._draining = not self._draining, True
        if start:
            try:
                executor.submit(self._drain)
            except RuntimeError:  # the executor shut down meanwhile: nothing will drain
                with self._lock:
                    self._queue.remove(item)
                    self._draining = False
                raise
        await done

    def _drain(self) -> None:
        """On the worker thread: commit queued groups until the queue is empty."""
        while True:
            with self._lock:
                group, self._queue = self._queue, []
                if not group:
                    self._draining = False
                    return
            failure: Exception | None = None
            try:
                self._write([row for rows, _, _ in group for row in rows])
            except Exception as exc:
                failure = exc
            by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
            for _, done, loop in group:
                by_loop.setdefault(loop, []).append(done)
            for loop, waiters in by_loop.items():
                errors = [None if failure is None else self._error(failure) for _ in waiters]
                # A closed loop raises RuntimeError: nobody waits there any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, waiters, errors)


def _settle(waiters: list[asyncio.Future[None]], errors: list[BaseException | None]) -> None:
    """On the waiting loop: resolve each future (skipping those already cancelled)."""
    for done, error in zip(waiters, errors, strict=True):
        settle_future(done, error)
