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

A checkpoint that fails (a busy file, a full disk) is logged and left for the next one:
nothing committed depends on it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

__all__ = ["CHECKPOINT_PAGES", "WAL_LIMIT_PAGES", "Checkpointer"]

log = logging.getLogger(__name__)

#: Pages the commits add to the WAL between two checkpoints (SQLite's default cadence).
CHECKPOINT_PAGES = 1000
#: The writer connection's own ``wal_autocheckpoint`` while checkpoints run here.
WAL_LIMIT_PAGES = 8 * CHECKPOINT_PAGES


class Checkpointer:
    """A daemon thread running ``PRAGMA wal_checkpoint(PASSIVE)`` when asked.

    ``connect`` opens the thread's own connection to the database (on first use).
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection], path: str) -> None:
        self._connect = connect
        self._path = path
        self._wanted = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Checkpoints run so far (tests and benchmarks read it).
        self.runs = 0

    def request(self) -> None:
        """Ask for a checkpoint soon (returns at once; requests made meanwhile merge)."""
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
                    if conn is None:
                        conn = self._connect()
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error:
                    log.debug("audit WAL checkpoint of %s failed", self._path, exc_info=True)
        finally:
            if conn is not None:
                conn.close()

    def close(self) -> None:
        """Stop the thread (after the checkpoint under way, if any) and close its
        connection (idempotent)."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        self._wanted.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
