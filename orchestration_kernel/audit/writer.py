"""The batched writer: records queue up in memory and a thread commits them in groups.

``put()`` is the hot path: a lock, a list append, and (when the queue was empty or a
batch is full) an event set. Everything costly — redaction, hashing, JSON, SQLite —
happens on the writer thread or in whoever calls :meth:`BatchWriter.flush`.

The promises:

* A record is committed at most ``flush_interval`` seconds after ``put()`` returned,
  plus the time the commit itself takes (and, if another process holds the write
  lock, the wait for it). This is group commit: one transaction (one fsync) per batch.
* ``flush()`` commits everything put before it was called, then returns; it raises if
  the commit failed. Records that failed to commit stay queued, in order, and are
  retried.
* Order is kept: one drainer at a time takes the whole queue, so rows are chained in
  the order they were put.
* Memory is bounded: at ``max_pending`` queued records, ``put()`` commits in the
  caller's thread (back-pressure) instead of growing the queue.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import OrchestrationError
from .rows import Pending, RowEncoder
from .store import AuditStore

__all__ = ["BatchWriter", "Listener"]

log = logging.getLogger(__name__)

#: Called on the writer's thread with the rows just committed (``ALL_COLUMNS`` tuples).
Listener = Callable[[list[tuple[Any, ...]]], None]

#: After a failed commit, wait this long (at least) before trying again.
RETRY_BACKOFF_S = 0.5


class BatchWriter:
    """Queues records and commits them to ``store`` in batches on a daemon thread."""

    def __init__(
        self,
        store: AuditStore,
        encoder: RowEncoder,
        flush_interval: float = 0.2,
        batch_size: int = 2000,
        max_pending: int = 100_000,
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.max_pending = max_pending
        self.listeners: list[Listener] = []
        self._pending: list[Pending] = []
        self._first_at = 0.0  # monotonic time the oldest queued record arrived
        self._retry_at = 0.0
        self._lock = threading.Lock()  # guards the queue
        self._drain_lock = threading.Lock()  # one drainer at a time keeps record order
        self._wake = threading.Event()
        self._closed = False
        self.error: BaseException | None = None
        #: The hash of the last row this writer committed: every earlier row is under it.
        self.last_hash: str | None = None
        self._queued = 0  # records ever put
        self._committed = 0  # records ever committed (in put order)
        self._waiters: list[tuple[int, Callable[[BaseException | None], None]]] = []
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    # -- producer side -------------------------------------------------------------
    def put(self, item: Pending) -> None:
        """Queue one record (thread-safe, non-blocking unless the queue is full)."""
        with self._lock:
            if self._closed:
                raise OrchestrationError("the audit trail is closed; nothing can be recorded")
            pending = self._pending
            pending.append(item)
            self._queued += 1
            n = len(pending)
            if n == 1:
                self._first_at = time.monotonic()
        if n == 1 or n == self.batch_size:
            self._wake.set()
        elif n >= self.max_pending:
            self.flush()

    def when_committed(self, notify: Callable[[BaseException | None], None]) -> None:
        """Call ``notify(None)`` (on the writer's thread) once every record put so far is
        committed, or ``notify(error)`` if that commit fails.

        This is group commit: callers ending at the same moment share the writer's next
        transaction (one fsync) instead of each forcing their own.
        """
        with self._lock:
            target = self._queued
            if self._committed >= target:
                done = True
            else:
                done = False
                self._waiters.append((target, notify))
                self._first_at = 0.0  # due now: the writer stops holding for a batch
        if done:
            notify(None)
        else:
            self._wake.set()

    def _settle_waiters(self, error: BaseException | None) -> None:
        with self._lock:
            if error is not None:
                ready, self._waiters = self._waiters, []
            else:
                ready = [w for w in self._waiters if w[0] <= self._committed]
                self._waiters = [w for w in self._waiters if w[0] > self._committed]
        for _, notify in ready:
            notify(error)

    @property
    def pending(self) -> int:
        """How many records are queued and not yet committed."""
        return len(self._pending)

    # -- committing ----------------------------------------------------------------
    def flush(self) -> None:
        """Commit everything queued so far, now, in the caller's thread."""
        try:
            self._drain()
        except Exception as exc:
            raise OrchestrationError(f"could not commit audit records: {exc}") from exc

    def _drain(self) -> None:
        with self._drain_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                stored = self.store.append([self.encoder.encode(item) for item in batch])
            except BaseException as exc:
                with self._lock:  # put them back in front, in order, to retry
                    self._pending[:0] = batch
                    self._first_at = time.monotonic() - self.flush_interval
                self.error = exc
                self._retry_at = time.monotonic() + RETRY_BACKOFF_S
                self._settle_waiters(exc)
                raise
            self.error = None
            if stored:
                self.last_hash = stored[-1][-1]
            with self._lock:
                self._committed += len(batch)
        self._settle_waiters(None)
        self._notify(stored)

    def _notify(self, stored: list[tuple[Any, ...]]) -> None:
        for listener in list(self.listeners):
            try:
                listener(stored)
            except Exception:  # an exporter must never break the audit
                log.warning("audit listener %r failed", listener, exc_info=True)

    # -- the thread ----------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            self._hold_for_batch()
            try:
                self._drain()
            except Exception:
                log.warning("audit commit failed; will retry", exc_info=True)

    def _hold_for_batch(self) -> None:
        """Wait until the oldest record is due, a batch is full, or we are closing."""
        while not self._closed:
            with self._lock:
                n, first = len(self._pending), self._first_at
            if n == 0 or n >= self.batch_size:
                return
            due = max(first + self.flush_interval, self._retry_at) - time.monotonic()
            if due <= 0:
                return
            self._wake.wait(due)
            self._wake.clear()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread and commit what is left (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        self._drain()
