"""The private snapshot (``snapshot.copy_into``) copied by the kernel, file to file, when
the database file alone already holds the snapshot.

SQLite's backup API copies a snapshot page by page through two page caches (about
0.11 s of CPU for 120 MB); ``shutil.copyfile`` has the kernel copy the file (about
0.05 s). A plain copy of the file is the snapshot only when nothing of the snapshot is
left in the write-ahead log, and stays it only while nothing writes to the file, so it
is taken only when, with the reader's read transaction open:

* the database is in WAL mode, and a PASSIVE checkpoint (made on a connection of its
  own: SQLite refuses one inside a transaction) has copied every frame of the log into
  the file (``log == checkpointed``; PASSIVE never waits and never resets the log). A
  checkpoint never copies a frame past the mark of an open read transaction, so every
  frame there is is at or before the reader's mark: the file holds exactly the
  snapshot;
* for as long as the reader's transaction stays open nothing can write to the file: a
  checkpoint copies nothing past its mark (and nothing at all while it reads the file
  alone, without the log), and only a checkpoint writes to a WAL database's file;
* the file is as long as the snapshot's pages (``page_count``), before and after.

A checkpoint is what SQLite runs by itself every 1,000 pages written; this one runs
with the connection's default durability (the frames it copies are synced as SQLite
always syncs them). Anything else (a frame past the mark, a read-only file, a busy
lock, another journal mode, an error) and the caller makes the copy with the backup API
as before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from pathlib import Path

__all__ = ["copy_settled_file"]


def copy_settled_file(conn: sqlite3.Connection, copy: Path, size: int) -> bool:
    """Copy the database file ``conn`` reads into ``copy`` when the file alone holds
    ``conn``'s snapshot (read transaction open, ``size`` bytes: its pages); ``False``
    (nothing copied that counts) when it may not (see the module docstring)."""
    found = conn.execute("PRAGMA database_list").fetchone()
    path = found[2] if found is not None else ""
    if not path or not os.path.isfile(path):
        return False
    try:
        checker = sqlite3.connect(
            f"{Path(path).as_uri()}?mode=rw", uri=True, isolation_level=None, timeout=0
        )
        try:
            busy, log, checkpointed = checker.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            checker.close()
        if busy or log < 0 or log != checkpointed or os.path.getsize(path) != size:
            return False
        shutil.copyfile(path, copy)
        if os.path.getsize(path) == size == os.path.getsize(copy):
            return True
    except (sqlite3.Error, OSError):
        pass
    with contextlib.suppress(OSError):
        os.truncate(copy, 0)  # nothing half copied for the backup to find
    return False
