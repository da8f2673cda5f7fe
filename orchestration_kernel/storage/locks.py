"""One process at a time: an exclusive ``flock`` on a file, taken only if it is free.

A batch job's directory and the audit's columnar sidecar are each worked on by one
process at a time; a second process does not wait, it only reads. The OS drops a
``flock`` when its holder dies, so a killed kernel never leaves anything locked. Where
``fcntl`` is missing (Windows) there is no lock: one process is the supported case.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["lock_if_free"]


@contextlib.contextmanager
def lock_if_free(path: Path) -> Iterator[int | None]:
    """Hold an exclusive ``flock`` on ``path`` (created 0600) for the ``with`` body if no
    other process or open file holds it: yields the open descriptor (the holder may write
    to it), else ``None`` (do nothing but read). Never waits."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is None:  # pragma: no cover - Windows
            yield fd
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield fd
    finally:
        os.close(fd)  # drops the lock
