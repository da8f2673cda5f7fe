"""Stopping a cluster job from the awaiting side.

``engine.matrix(..., cluster=...)`` runs the job on a helper thread (Dask's client API
blocks). Cancelling the await — a notebook interrupt on ``matrix_sync``, ``task.cancel()``
— used to leave that thread collecting partitions unseen: it went on writing Parquet and
audit rows, and a rerun started meanwhile computed the same partitions again (every call
audited twice under the job's one run id). :func:`run_job` makes the cancel reach the job:
its pending partitions are cancelled on the cluster and the thread ends, within a bound,
before the cancel goes on to the caller.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["JobStop", "current_stop", "run_job"]

T = TypeVar("T")

#: Seconds a cancelled job's thread may take to wind down before the cancel goes on.
WIND_DOWN = 10.0

_STOP: contextvars.ContextVar[JobStop | None] = contextvars.ContextVar(
    "orchestration_cluster_stop", default=None
)


class JobStop:
    """A job's stop switch: the job binds how to cancel its work, the caller flips it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancel: Callable[[], object] | None = None
        #: True once :meth:`stop` ran.
        self.stopped = False

    def bind(self, cancel: Callable[[], object]) -> None:
        """How to cancel the job's work (run at once if it was already stopped)."""
        with self._lock:
            self._cancel = cancel
            stopped = self.stopped
        if stopped:
            cancel()

    def stop(self) -> None:
        """Cancel the job's work (idempotent)."""
        with self._lock:
            self.stopped, cancel = True, self._cancel
        if cancel is not None:
            cancel()


def current_stop() -> JobStop | None:
    """The stop switch of the job running on this thread, if :func:`run_job` started it."""
    return _STOP.get()


def _with_stop(stop: JobStop, fn: Callable[..., T], args: tuple[Any, ...], kwargs: Any) -> T:
    _STOP.set(stop)  # this thread's own context (to_thread copies one per call)
    return fn(*args, **kwargs)


async def run_job(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``await asyncio.to_thread(fn, ...)``, except that cancelling it stops the job."""
    stop = JobStop()
    work = asyncio.ensure_future(asyncio.to_thread(_with_stop, stop, fn, args, kwargs))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        stop.stop()
        await asyncio.wait({work}, timeout=WIND_DOWN)
        if work.done() and not work.cancelled():
            work.exception()  # retrieved: the job's end after a cancel is expected
        raise
