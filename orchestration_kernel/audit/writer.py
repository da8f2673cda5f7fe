"""The batched writer: records queue up in memory and a thread commits them in groups.

``put()`` is the hot path: a lock, a list append, and (when the writer sleeps or a batch
is full) an event set. Encoding a record (redaction, content hashes, JSON, the text the
row's hash will cover: :mod:`.rows`) is done by whoever gets to it first: a caller about
to wait for a commit (:meth:`BatchWriter.when_committed`, what a run's ``aflush`` and
``reply.committed`` use) encodes what is queued in its own thread before it asks for
the commit, so the commit it waits for only chains, inserts and commits; records nobody
waits for (a plain ``complete``) are encoded by the writer thread at commit, off the
caller's path, as are records whose prompt and response together reach
``ENCODE_LATER_CHARS`` (no caller's event loop stalls on a long text).

The thread is woken by ``put()`` only when it sleeps with nothing to do: after a
commit it lingers for ``flush_interval`` without asking to be woken, so a steady
stream of records (one run after another) costs one wake-up per commit (the one a
waiting run asks for), not two. After a commit it wakes the runs waiting for it and
writes the high-water mark ``MARK_DELAY_S`` later (or before its next commit, or in a
``flush()``), so the runs it woke do not compete with the mark's file writes for the
interpreter.

The promises:

* A record is committed at most ``flush_interval`` seconds after ``put()`` returned,
  plus the time the commit itself takes (and, if another process holds the write
  lock, the wait for it). This is group commit: one transaction (one fsync) per batch
  of at most ``batch_size`` records.
* ``flush()`` commits everything put before it was called, then returns; it raises
  :class:`AuditWriteError` (naming the file and the cause, "disk full" when it is) if
  a commit failed. Records that failed to commit stay queued, in order.
* Once a commit fails the writer is *stuck*: :meth:`check` raises ``AuditWriteError``
  at once (the engine calls it before every call, run and compare, so none starts
  unaudited), while the thread retries the queued records in bounded batches with a
  growing back-off (up to ``MAX_BACKOFF_S``). ``put()`` still queues (up to
  ``max_pending``), so the rows of calls already in flight are kept and committed once
  the writer recovers — by itself, when space comes back.
* Order is kept: one drainer at a time takes the queue's head, so rows are chained in
  the order they were put.
* Memory is bounded: at ``max_pending`` queued records, ``put()`` commits in the
  caller's thread (back-pressure) instead of growing the queue.
* Nothing is dropped silently: what cannot be committed when the writer closes is
  logged as an error with its count, and :meth:`close` returns that error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..errors import AuditWriteError, OrchestrationError
from ..storage.commit import Notify
from ..storage.sqlite import storage_error
from .gc_pause import gc_paused
from .rows import EncodedRow, Pending, RowEncoder
from .sqlrow import Row
from .store import AuditStore

__all__ = ["ENCODE_LATER_CHARS", "MARK_DELAY_S", "BatchWriter", "Listener"]

log = logging.getLogger(__name__)

#: Called on the writer's thread with the rows just committed (``ALL_COLUMNS`` tuples).
Listener = Callable[[list[Row]], None]

#: After a failed commit, wait this long before the first retry; doubling up to the max.
RETRY_BACKOFF_S = 0.5
MAX_BACKOFF_S = 4.0
#: A record whose prompt and response have this many characters or more is encoded on
#: the writer's thread, not in the caller's (as the Guardian checks such texts in a
#: worker thread rather than on the event loop).
ENCODE_LATER_CHARS = 65_536
#: How long after a commit the writer thread writes the high-water mark (seconds).
MARK_DELAY_S = 0.002


class Entry:
    """One queued record (the ``number``-th put), and its row once someone encoded it."""

    __slots__ = ("item", "number", "row")

    def __init__(self, item: Pending, number: int) -> None:
        self.item = item
        self.number = number
        self.row: EncodedRow | None = None


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
        self._pending: list[Entry] = []
        self._unencoded: list[Entry] = []  # queued, for a waiting caller to encode
        self._first_at = 0.0  # monotonic time the oldest queued record arrived
        self._retry_at = 0.0
        self._failures = 0  # failed commits in a row
        self._lock = threading.Lock()  # guards the queue
        self._drain_lock = threading.Lock()  # one drainer at a time keeps record order
        self._wake = threading.Event()
        self._closed = False
        #: Why the last commit failed; ``None`` while the writer commits normally.
        self.error: AuditWriteError | None = None
        #: The hash of the last row this writer committed: every earlier row is under it.
        self.last_hash: str | None = None
        self._queued = 0  # records ever put
        self._committed = 0  # records ever committed (in put order)
        self._waiters: list[tuple[int, Notify]] = []
        self._idle = False  # the thread sleeps until woken (not lingering after a commit)
        # The runs waiting for a commit are woken before the high-water mark is written,
        # and no commit waits for a WAL checkpoint (a thread of the store's runs them).
        store.defer_mark = True
        store.checkpoint_in_background()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    # -- producer side -------------------------------------------------------------
    def put(self, item: Pending) -> None:
        """Queue one record (thread-safe, non-blocking unless the queue is full).

        While the writer is stuck this still queues; at ``max_pending`` queued records
        it commits in the caller's thread, which raises :class:`AuditWriteError` then.
        """
        with self._lock:
            if self._closed:
                raise OrchestrationError("the audit trail is closed; nothing can be recorded")
            self._queued += 1
            entry = Entry(item, self._queued)
            pending = self._pending
            pending.append(entry)
            self._unencoded.append(entry)
            n = len(pending)
            if n == 1:
                self._first_at = time.monotonic()
            wake = (n == 1 and self._idle) or n == self.batch_size
        if wake:
            self._wake.set()
        elif n >= self.max_pending:
            self.flush()

    def check(self) -> None:
        """Raise :class:`AuditWriteError` if the writer is stuck (cannot commit)."""
        if self.error is not None:
            with self._lock:
                raise self._stuck()

    def _stuck(self) -> AuditWriteError:
        """A fresh error for a refused call (held lock): the cause, and what waits."""
        error = self.error
        assert error is not None
        return AuditWriteError(
            f"{error} {len(self._pending)} audit record(s) wait to be committed; until they "
            "are, calls, runs and compares fail here rather than run unaudited.",
            error.path,
            error.cause,
        )

    def mark(self) -> int:
        """A position in the stream of records: everything put so far."""
        with self._lock:
            return self._queued

    def when_committed(self, notify: Notify, target: int | None = None) -> None:
        """Call ``notify(None)`` (on the writer's thread) once every record put before
        ``target`` (default: now) is committed, or ``notify(error)`` if that fails.

        This is group commit: callers ending at the same moment share the writer's next
        transaction (one fsync) instead of each forcing their own. A caller (not the
        writer thread) first encodes what is queued, in its own thread: the commit it
        then waits for only chains, inserts and commits.
        """
        if threading.current_thread() is not self._thread:
            self._encode_queued()
        with self._lock:
            target = self._queued if target is None else target
            if self._committed >= target:
                outcome: BaseException | bool | None = None
            elif self.error is not None:
                outcome = self._stuck()
            else:
                outcome = False
                self._waiters.append((target, notify))
                self._first_at = 0.0  # due now: the writer stops holding for a batch
        if outcome is False:
            self._wake.set()
        else:
            notify(outcome)  # type: ignore[arg-type]

    def _settle_waiters(self, error: BaseException | None) -> None:
        """Notify the waiters whose records are committed; on ``error``, all the others."""
        with self._lock:
            ready = [w for w in self._waiters if w[0] <= self._committed]
            waiting = [w for w in self._waiters if w[0] > self._committed]
            self._waiters = [] if error is not None else waiting
        for _, notify in ready:
            notify(None)
        if error is not None:
            for _, notify in waiting:  # each waiter raises an exception of its own
                notify(_fresh(error))

    @property
    def pending(self) -> int:
        """How many records are queued and not yet committed."""
        return len(self._pending)

    # -- committing ----------------------------------------------------------------
    def flush(self) -> None:
        """Commit everything queued so far, now, in the caller's thread.

        Raises :class:`AuditWriteError` when a commit fails (the records stay queued).
        """
        self._drain()

    def _drain(self) -> None:
        """Commit what is queued now in batches of at most ``batch_size`` (one transaction
        each). Records put meanwhile wait for the next group, as group commit intends.

        Writes the high-water mark of what it committed, and of earlier commits whose
        mark the writer thread has not written yet; the writer thread itself leaves its
        own commits' mark for :meth:`_write_mark`, ``MARK_DELAY_S`` later."""
        with self._drain_lock:
            self.store.advance_mark()
            self._commit_queued()
            if threading.current_thread() is not self._thread:
                self.store.advance_mark()

    def _write_mark(self) -> None:
        """Write the mark the thread's last commit left due (see ``MARK_DELAY_S``)."""
        with self._drain_lock:
            self.store.advance_mark()

    def _commit_queued(self) -> None:
        """The batches of :meth:`_drain` (called holding the drain lock)."""
        with self._lock:
            left = len(self._pending)
        while left > 0:
            with self._lock:
                batch = self._pending[: min(self.batch_size, left)]
                del self._pending[: len(batch)]
                if batch:  # encoded below: no caller need encode them any more
                    _drop_through(self._unencoded, batch[-1].number)
            if not batch:
                return
            left -= len(batch)
            try:
                # A batch's rows and their parts form no reference cycles (reference
                # counting frees them once committed): no collection runs for them.
                with gc_paused():
                    rows = [e.row if e.row is not None else self._row(e) for e in batch]
                    stored = self.store.append(rows)
            except Exception as exc:
                self._failed(batch, exc)
                assert self.error is not None
                raise self.error from exc
            if self.error is not None:
                log.warning("the audit trail %s commits again", self.store.path)
            self.error, self._failures = None, 0
            if stored:
                last_hash = stored[-1][-1]  # a stored row ends with its hash
                self.last_hash = last_hash if isinstance(last_hash, str) else None
            with self._lock:
                self._committed += len(batch)
            self._settle_waiters(None)  # the mark is written after: see _drain
            self._notify(stored)

    def encode_queued(self) -> None:
        """Encode the queued records nobody has encoded yet, in the calling thread (what
        a caller about to wait for a commit does first; a record with a very long text
        is left to the writer thread). A run does it while its call waits on the network,
        so that its end has less to encode before its commit."""
        self._encode_queued()

    def _encode_queued(self) -> None:
        """Encode the queued records nobody has encoded yet, in this thread."""
        with self._lock:
            entries, self._unencoded = self._unencoded, []
        encode = self.encoder.encode
        for entry in entries:
            # (the writer may have got there first; a long record is left to it)
            if entry.row is None and _encode_now(entry.item):
                entry.row = encode(entry.item)

    def _row(self, entry: Entry) -> EncodedRow:
        row = entry.row
        if row is None:
            row = entry.row = self.encoder.encode(entry.item)
        return row

    def _failed(self, batch: list[Entry], exc: Exception) -> None:
        """Put ``batch`` back in front (in order) and become stuck until a retry commits."""
        with self._lock:
            self._pending[:0] = batch
            self._first_at = time.monotonic() - self.flush_interval
        error = storage_error(exc, self.store.path, "commit audit records to", AuditWriteError)
        assert isinstance(error, AuditWriteError)
        if self.error is None:
            log.warning("%s", error)
        self.error = error
        self._failures += 1
        backoff = min(MAX_BACKOFF_S, RETRY_BACKOFF_S * 2 ** (self._failures - 1))
        self._retry_at = time.monotonic() + backoff
        self._settle_waiters(error)

    def _notify(self, stored: list[Row]) -> None:
        for listener in list(self.listeners):
            try:
                listener(stored)
            except Exception:  # an exporter must never break the audit
                log.warning("audit listener %r failed", listener, exc_info=True)

    # -- the thread ----------------------------------------------------------------
    def _run(self) -> None:
        linger_until = 0.0  # after a commit, more records are likely until then
        while not self._closed:
            sleep = self._sleep(linger_until)
            if self.store.mark_due:
                sleep = MARK_DELAY_S if sleep is None else min(sleep, MARK_DELAY_S)
                self._idle = False  # it wakes by itself
            self._wake.wait(sleep)
            self._wake.clear()
            self._idle = False
            if self.store.mark_due:
                self._write_mark()
            if self.error is not None and time.monotonic() < self._retry_at:
                continue  # woken early while stuck: keep the back-off
            self._hold_for_batch()
            with self._lock:
                committing = bool(self._pending)
            try:
                self._drain()
            except Exception:
                log.debug("audit commit failed; will retry", exc_info=True)
            if committing:
                linger_until = time.monotonic() + self.flush_interval

    def _sleep(self, linger_until: float) -> float | None:
        """How long the thread sleeps before looking at the queue again.

        Stuck: until the next retry. Within ``flush_interval`` of a commit: until then
        (a record put meanwhile is due no later than its own interval; ``put`` does not
        wake us). Otherwise until woken, and ``put`` wakes us for the first record.
        """
        if self.error is not None and self._pending:
            return max(0.0, self._retry_at - time.monotonic())
        with self._lock:
            if self._pending:
                return 0.0
            lingering = linger_until - time.monotonic()
            if lingering > 0:
                return lingering
            self._idle = True
            return None

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

    def close(self, timeout: float = 10.0) -> AuditWriteError | None:
        """Stop the thread and commit what is left (idempotent).

        Returns ``None``, or — when records could not be committed — an
        :class:`AuditWriteError` carrying their count (``lost``), already logged.
        """
        with self._lock:
            if self._closed:
                return None
            self._closed = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        try:
            self._drain()
        except AuditWriteError as exc:
            with self._lock:
                lost, self._pending, self._unencoded = len(self._pending), [], []
            error = AuditWriteError(
                f"{lost} audit record(s) could not be committed before the trail closed and "
                f"are lost. {exc}",
                exc.path,
                exc.cause,
                lost,
            )
            log.error("%s", error)
            return error
        return None


def _drop_through(entries: list[Entry], number: int) -> None:
    """Remove the leading entries up to the ``number``-th put (``entries`` is in put order)."""
    end = 0
    while end < len(entries) and entries[end].number <= number:
        end += 1
    del entries[:end]


def _encode_now(item: Pending) -> bool:
    """Whether ``item`` is encoded in the caller's thread (see ``ENCODE_LATER_CHARS``)."""
    given = item[2]
    size = 0
    for name in ("prompt", "response"):
        text = given.get(name)
        if text is not None:
            size += len(text) if isinstance(text, str) else ENCODE_LATER_CHARS
    return size < ENCODE_LATER_CHARS


def _fresh(error: BaseException) -> BaseException:
    """A new exception with the same message, path and cause: one instance raised in
    several tasks at once would collect all their tracebacks."""
    if isinstance(error, AuditWriteError):
        return AuditWriteError(str(error), error.path, error.cause)
    return error
