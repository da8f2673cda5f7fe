"""The high-water mark: the audit's committed head, kept outside the database file.

Someone who can write ``audit.sqlite`` could delete every row and the anchor, or put
back an older copy of the file; the chain inside the file cannot see that. So after
each commit the writer also records ``(seq, head hash)`` with an HMAC under the audit
key in a small file beside the database (``audit.sqlite.mark``). ``verify()`` then
checks the database against it: a database behind its mark was truncated, emptied or
rolled back. A mark cannot be forged without the key; it can be deleted, and a missing
mark reads "unverifiable", never "intact".

The mark only moves forward: writers in several processes update it under an
exclusive ``flock`` and a lower ``seq`` never replaces a higher one. It is written
after the database commit, so a crash between the two leaves it one batch *behind*,
which verifies (the rows past it are chained with the key). What it cannot catch:
an old database restored together with its old mark. For that, keep the head hash
elsewhere (a run's ``head_hash`` in a notebook's output) and pass it to
``verify(expect_head=...)``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import NamedTuple

from .chain import ChainKey

__all__ = ["INVALID", "HighWaterMark", "Mark"]

log = logging.getLogger(__name__)


class Mark(NamedTuple):
    """A verified mark: the last committed ``seq`` and the chain's hash there."""

    seq: int
    head: str


#: What :meth:`HighWaterMark.read` returns for a file that exists but does not verify.
INVALID = Mark(-1, "")


class HighWaterMark:
    """The mark file of one audit database."""

    def __init__(self, path: Path, key: ChainKey) -> None:
        self.path = Path(path)
        self._key = key

    def read(self) -> Mark | None:
        """The mark, ``None`` when there is no file, :data:`INVALID` when it does not verify."""
        try:
            text = self.path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            return INVALID
        try:
            data = json.loads(text)
            seq, head, mac = int(data["seq"]), str(data["head"]), str(data["mac"])
        except (ValueError, KeyError, TypeError):
            return INVALID
        if mac != self._key.mark_mac(seq, head):
            return INVALID
        return Mark(seq, head)

    def advance(self, seq: int, head: str) -> None:
        """Record ``(seq, head)`` unless the file already holds a later ``seq``.

        Never raises: the rows are already committed, and a mark left behind is
        caught up by the next commit (a failure is logged).
        """
        try:
            self._advance(seq, head)
        except OSError:
            log.warning("could not update the audit high-water mark %s", self.path, exc_info=True)

    def _advance(self, seq: int, head: str) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: one writer process is the supported case there
            fcntl = None  # type: ignore[assignment]
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            current = self.read()
            if current is not None and current.seq >= seq:
                return
            body = json.dumps({"seq": seq, "head": head, "mac": self._key.mark_mac(seq, head)})
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(out, body.encode())
                os.fsync(out)
            finally:
                os.close(out)
            os.replace(tmp, self.path)
        finally:
            if fcntl is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
