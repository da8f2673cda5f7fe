"""One process at a time works on a batch job: an exclusive lock on its directory.

Two kernels that resume the same job (a notebook reopened while another still waits, a
script and a notebook) would otherwise both submit its pending chunks, both run its
concurrent calls and race each other's manifest writes: rows sent twice, and a
``FileNotFoundError`` out of a rename. Every round of work — submit, poll, collect,
audit, cancel, retry — holds ``<job>/lock`` (``flock``, exclusive, never waited on), and
reads the manifest again first, since the holder before may have moved it on. A
process that does not get the lock only reads: it shows the job as the holder leaves it.

The OS drops a ``flock`` when its holder dies, so a killed kernel never leaves a job
locked; the file keeps the last holder's ``pid@host`` only to say who has it. Where
``fcntl`` is missing (Windows) the lock is a no-op, as before.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from ..storage.locks import lock_if_free

__all__ = ["LOCK_FILE", "held_by", "job_lock"]

LOCK_FILE = "lock"


@contextlib.contextmanager
def job_lock(directory: Path) -> Iterator[bool]:
    """Hold the job's lock for the ``with`` body if it is free: yields True, else False
    (another process or object holds it: do nothing but read)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with lock_if_free(directory / LOCK_FILE) as fd:
        if fd is not None:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}@{socket.gethostname()}".encode(), 0)
        yield fd is not None


def held_by(directory: Path) -> str:
    """``pid@host`` of the process that last took the job's lock (``"another process"``
    when the file does not say)."""
    with contextlib.suppress(OSError):
        text = (directory / LOCK_FILE).read_text("utf-8").strip()
        if text:
            return f"process {text}"
    return "another process"
