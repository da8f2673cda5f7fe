"""WAL checkpoints on a thread of their own, off the path of the commit a caller waits for.

In WAL mode every commit appends pages to ``audit.sqlite-wal``; a *checkpoint* copies them
back into the database file and fsyncs it. SQLite runs one inside whichever commit takes
the WAL past ``wal_autocheckpoint`` pages (1,000 by default): that commit (a run's, or a
``flush()``) then also copies ~16 MB and waits for a second fsync. The checkpoint is
upkeep, not durability — a committed transaction is durable once its WAL frames are
synced, with or without it — so the batch writer moves it here: the store counts what its
commits add to the WAL and, every ~:data:`CHECKPOINT_PAGES` pages, asks this thread for a
``PASSIVE`` checkpoint on a connection of its own (it never blocks the writer, nor waits
for readers; SQLite's WAL locking lets it run beside a write transaction). The writer's
connection keeps SQLite's own autocheckpoint as a bound, at :data:`WAL_LIMIT_PAGES`, for
a WAL this thread cannot keep short (a reader holding an old snapshot the whole time).

A checkpoint ends with every frame copied, so that the next commit starts the WAL over
at its beginning (SQLite does so when a write begins on a fully copied WAL) and it and
the commits after it overwrite blocks the WAL file already has. A commit that appends
changes the file's size, and on ext4 its fsync then also commits the file system's
journal; one that overwrites flushes its own pages only (fdatasync, which SQLite uses,
skips the timestamps). Durability is the same either way: a commit still returns only
once its frames are synced. To get there without holding the writer up, the thread makes
``PASSIVE`` passes while commits go on, each copying what the commits during the one
before added, until one finds nothing new (or :data:`MAX_PASSES`); then a last pass,
holding the store's lock, copies the few frames left while no commit of this process is
under way (a writer in another process, or a reader holding an old snapshot, can still
keep the WAL from starting over: it then grows, as before, until the next checkpoint).

A checkpoint that fails (a busy file, a full disk) is logged and left for the next one:
nothing committed depends on it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

__all__ = ["CHECKPOINT_PAGES", "MAX_PASSES", "WAL_LIMIT_PAGES", "Checkpointer"]

log = logging.getLogger(__name__)

#: Pages the commits add to the WAL between two checkpoints (SQLite's default cadence).
CHECKPOINT_PAGES = 1000
#: The writer connection's own ``wal_autocheckpoint`` while checkpoints run here.
WAL_LIMIT_PAGES = 8 * CHECKPOINT_PAGES
#: ``PASSIVE`` passes a checkpoint makes at most before its last one, under the lock.
MAX_PASSES = 4


class Checkpointer:
    """A daemon thread running ``PRAGMA wal_checkpoint(PASSIVE)`` when asked.

    ``connect`` opens the thread's own connection to the database (on first use);
    ``writer_lock`` is held by this process's commits (the store's lock): the last pass
    of a checkpoint holds it.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        path: str,
        writer_lock: AbstractContextManager[object],
    ) -> None:
        self._connect = connect
        self._path = path
        self._writer_lock = writer_lock
        self._wanted = threading.Event()
        self._checkpoint_due = False  # whether the next wake-up checkpoints (or only hooks)
        self._closed = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Checkpoints run so far (tests and benchmarks read it).
        self.runs = 0
        #: Called on this thread after each checkpoint, and alone on
        #: :meth:`request_after` (the columnar sidecar's append, :mod:`.sidecar`); each
        #: must not raise.
        self.after: list[Callable[[], object]] = []

    def request(self) -> None:
        """Ask for a checkpoint soon (returns at once; requests made meanwhile merge)."""
        self._checkpoint_due = True  # before the wake-up: the thread reads it after
        self.request_after()

    def request_after(self) -> None:
        """Ask for the :attr:`after` hooks alone soon, without a checkpoint (the
        sidecar's append once enough rows are held); merges like :meth:`request`."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="audit-checkpoint", daemon=True
                )
                self._thread.start()
        self._wanted.set()

    def _serve(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._closed:
                    return
                try:
                    due, self._checkpoint_due = self._checkpoint_due, False
                    if due:
                        if conn is None:
                            conn = self._connect()
                        self._checkpoint(conn)
                    for hook in list(self.after):
                        hook()
                    self.runs += due
                except sqlite3.Error:
                    log.debug("audit WAL checkpoint of %s failed", self._path, exc_info=True)
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        """Copy every frame of the WAL into the file (see the module docstring)."""
        seen = -1
        for _ in range(MAX_PASSES):
            frames = _passive(conn)
            if frames == seen or frames <= 0 or self._closed:
                break  # no commit added frames during the last pass (or no WAL)
            seen = frames
        with self._writer_lock:
            _passive(conn)

    def close(self) -> None:
        """Stop the thread (after the checkpoint under way, if any) and close its
        connection (idempotent)."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        self._wanted.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()


def _passive(conn: sqlite3.Connection) -> int:
    """One ``PASSIVE`` checkpoint: the frames the WAL held when it began (-1: no WAL)."""
    frames: int = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0][1]
    return frames
