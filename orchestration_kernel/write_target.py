"""Where a user asked us to write a file (an audit export): an ``OSError`` on the way
becomes an :class:`~.errors.ExportError` that names the path, the cause in a few words
and what to do, shown without a traceback through ``pathlib`` and ``tempfile``.

``engine.audit.export("/mnt/readonly/runs.parquet")`` raised a bare ``FileNotFoundError``
or ``PermissionError`` from inside ``Path.mkdir``/``tempfile.mkstemp``, with forty lines of
their frames and a temporary file's name (``/proc/.runs.tmp-m_0x4ykc.csv``) instead of
the path the user gave.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from pathlib import Path

from .errors import ExportError

__all__ = ["export_errors"]

#: The cause in a few words, by errno; anything else is the system's own words.
_CAUSES = {
    errno.ENOENT: "its folder does not exist, or cannot hold new files",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",  # mkdir(exist_ok=True)
    errno.EISDIR: "the path is a folder",
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
}


@contextlib.contextmanager
def export_errors(target: Path, what: str = "the export") -> Iterator[None]:
    """Run the block that writes ``target``; an ``OSError`` in it is raised as an
    :class:`ExportError` about ``target``, with the same ``errno``. Not chained: the
    message says it all, and a chained cause would print ``pathlib``'s frames again
    (``%tb`` and ``__context__`` still have them)."""
    try:
        yield
    except ExportError:
        raise
    except OSError as exc:
        cause = _CAUSES.get(exc.errno or 0) or exc.strerror or type(exc).__name__
        error = ExportError(
            f"Cannot write {what} to {str(target)!r}: {cause}. Nothing was written there. "
            "Choose a folder you can write to (a relative name such as 'runs.parquet' "
            "writes to the notebook's folder).",
            str(target),
            cause,
        )
        error.errno = exc.errno  # for code that tells causes apart, as with the OSError
        raise error from None
