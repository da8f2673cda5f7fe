"""Private files and atomic replacement.

Homes hold prompts, responses and conversations, so the project creates them owner-only:
directories 0700, files 0600. An existing home readable by others is left as the user
made it, with one warning per process and path. SQLite gives its ``-wal``/``-shm``
companions the mode of the database file, so creating the database 0600 is enough.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "check_home", "private_dir", "private_file"]

log = logging.getLogger("orchestration_kernel.storage")

_warned: set[str] = set()


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) owner-only; warn once if it exists and is
    readable by others. Returns ``path``."""
    path = Path(path)
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_home(path)
    return path


def check_home(path: Path) -> None:
    """Warn (once per process and path) when ``path`` can be read by group or others."""
    if os.name != "posix":
        return  # no mode bits on Windows; the home lives in the user's profile
    key = str(path)
    if key in _warned:
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        _warned.add(key)
        log.warning(
            "%s holds prompts, responses and conversations but other users can read it "
            "(mode %s); make it private with: chmod 700 %s",
            path,
            oct(mode & 0o777),
            path,
        )


def private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only if it does not exist (an existing file is kept)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path (0600, same suffix) in ``path``'s folder; renamed over ``path``
    on success.

    A crash or an error while writing leaves the previous ``path`` untouched (the
    temporary file is removed on error); readers see the old file or the new one,
    never half of one.
    """
    path = Path(path)
    # The same suffix as the target, so code that picks a format by suffix still can.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:  # the bytes are on disk before the name points at them
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
