"""``Commit``: an awaitable that settles when some writes are durably committed.

``reply.committed``, ``result.committed`` and ``table.committed`` are ``Commit``
objects. Awaiting one returns once every audit row recorded up to the moment it was
made is committed (fsynced), or raises :class:`~orchestration_kernel.errors.AuditWriteError`
if that commit failed. It can be awaited from any event loop, any number of times, or
waited on from plain code with :meth:`Commit.wait`.

Why it exists: the audit writes in groups (one transaction, one fsync, per batch every
``flush_interval`` seconds), so a call returns before its row is on disk. A process
killed in that window loses the row; after ``await reply.committed`` it cannot.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Generator

__all__ = ["Commit", "Notify", "Register", "settle_future"]

#: Called once, on any thread, with ``None`` (committed) or the error that stopped it.
Notify = Callable[[BaseException | None], None]
#: Asks a writer to call ``notify`` when the writes this commit covers are committed.
Register = Callable[[Notify], None]


class Commit:
    """Awaitable: the covered writes are committed (``None``) or their commit failed (raises).

    ``Commit.settled()`` is one with nothing to wait for (no audit trail, or already done).
    """

    __slots__ = ("_register",)

    def __init__(self, register: Register | None) -> None:
        self._register = register

    @classmethod
    def settled(cls) -> Commit:
        """A commit with nothing pending."""
        return cls(None)

    def __await__(self) -> Generator[object, None, None]:
        return self._wait().__await__()

    async def _wait(self) -> None:
        if self._register is None:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def notify(error: BaseException | None) -> None:  # on the writer's thread
            loop.call_soon_threadsafe(settle_future, future, error)

        self._register(notify)
        await future

    def wait(self, timeout: float | None = None) -> None:
        """Block until committed (plain code, no event loop); raise what the commit raised.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        if self._register is None:
            return
        done = threading.Event()
        outcome: list[BaseException | None] = []

        def notify(error: BaseException | None) -> None:
            outcome.append(error)
            done.set()

        self._register(notify)
        if not done.wait(timeout):
            raise TimeoutError(f"the audit commit did not finish within {timeout} s")
        if outcome[0] is not None:
            raise outcome[0]

    def __repr__(self) -> str:
        return "Commit(settled)" if self._register is None else "Commit(pending or done)"


def settle_future(future: asyncio.Future[None], error: BaseException | None) -> None:
    """Resolve ``future`` with ``error`` (or success), unless it is already done; run on
    the future's own loop (``call_soon_threadsafe``)."""
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
