"""The high-water mark: the audit's committed head, kept outside the database file.

Someone who can write ``audit.sqlite`` could delete every row and the anchor, or put
back an older copy of the file; the chain inside the file cannot see that. So after
each commit the writer also records ``(seq, head hash)`` with an HMAC under the audit
key in a small file beside the database (``audit.sqlite.mark``). ``verify()`` then
checks the database against it: a database behind its mark was truncated, emptied or
rolled back. A mark cannot be forged without the key; it can be deleted, and a missing
mark reads "unverifiable", never "intact".

The mark only moves forward: writers in several processes update it under an
exclusive ``flock`` and a lower ``seq`` never replaces a higher one. The file has two
fixed-size slots, each with its own MAC, written alternately in place: a write torn by
a crash damages only the slot being replaced (verify reports the mark as not verifying
until the next commit rewrites that slot; it never reads an older slot instead, which
would let someone hide the newest mark by damaging it). It is written after the
database commit (which is fsynced) and is not fsynced itself, so a crash or power cut
can leave it *behind* the database — which verifies, since the rows past it are chained
with the key — but never ahead.

What it cannot catch: an old database restored together with its old mark. For that,
keep the head hash elsewhere (a run's ``head_hash`` in a notebook's output) and pass it
to ``verify(expect_head=...)``.

A writer does not verify the file again while it holds what this process last wrote:
after each write it remembers the file's bytes and slots, and the commit path
(:meth:`HighWaterMark.known`, and the next :meth:`HighWaterMark.advance`) reads the
file's two slots (one small read) and, when they are those bytes, uses the marks it
remembers instead of decoding and checking both MACs again. Any other content — an
edit, another process's write — is verified as before, and :meth:`HighWaterMark.read`
(what ``verify()`` and opening a trail use) always verifies.
"""

from __future__ import annotations

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


#: Bytes per slot: a JSON object padded with spaces, then a newline.
SLOT = 256


class HighWaterMark:
    """The mark file of one audit database."""

    def __init__(self, path: Path, key: ChainKey) -> None:
        self.path = Path(path)
        self._key = key
        # The file's first two slots as this process last wrote them, and their marks
        # (see the module docstring); ``None`` until we write it.
        self._written: tuple[bytes, list[Mark | None]] | None = None

    def read(self) -> Mark | None:
        """The mark, ``None`` when there is none yet, :data:`INVALID` when no slot verifies."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            return INVALID
        return self._best(data)

    def known(self) -> Mark | None:
        """:meth:`read`, without decoding and checking the MACs again while the file
        holds what this process last wrote (then: the furthest slot that verified when
        it was written; a damaged slot is passed over here, :meth:`read` reports it)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError:
            return INVALID
        try:
            data = _read_at(fd, 0, 2 * SLOT)
        except OSError:
            return INVALID
        finally:
            os.close(fd)
        written = self._written
        if written is not None and data == written[0]:
            return max((m for m in written[1] if m is not None), default=None)
        return self._best(data)

    def _best(self, data: bytes) -> Mark | None:
        if not data.strip():
            return None
        marks = []
        for raw in (data[:SLOT], data[SLOT : 2 * SLOT]):
            if raw.strip():
                mark = self._slot(raw)
                if mark is None:
                    # Strict: a damaged slot could hide a newer mark (a slot torn by a
                    # crash reads so too, until the next commit rewrites it).
                    return INVALID
                marks.append(mark)
        return max(marks)

    def _slot(self, raw: bytes) -> Mark | None:
        try:
            data = json.loads(raw.decode("utf-8"))
            seq, head, mac = int(data["seq"]), str(data["head"]), str(data["mac"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None
        return Mark(seq, head) if mac == self._key.mark_mac(seq, head) else None

    def advance(self, seq: int, head: str) -> None:
        """Record ``(seq, head)`` unless the file already holds a later ``seq``.

        Never raises: the rows are already committed, and a mark left behind is
        caught up by the next commit (a failure is logged).
        """
        try:
            self._advance(seq, head)
        except Exception:  # never fail a commit that already happened (it would be retried)
            log.warning("could not update the audit high-water mark %s", self.path, exc_info=True)

    def _advance(self, seq: int, head: str) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: one writer process is the supported case there
            fcntl = None  # type: ignore[assignment]
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd closes
            data = _read_at(fd, 0, 2 * SLOT)
            written = self._written
            if written is not None and data == written[0]:
                slots = list(written[1])  # as we left it: verified when we wrote it
            else:
                slots = [self._slot(data[i : i + SLOT]) for i in (0, SLOT)]
            current = max((m for m in slots if m is not None), default=None)
            if current is not None and current.seq >= seq:
                return
            # Overwrite the slot that does not hold the current mark: a torn write then
            # damages only the slot being replaced.
            target = 1 if slots[0] is not None and slots[0] == current else 0
            body = json.dumps({"seq": seq, "head": head, "mac": self._key.mark_mac(seq, head)})
            slot = body.encode().ljust(SLOT - 1) + b"\n"
            os.lseek(fd, target * SLOT, os.SEEK_SET)  # (os.pwrite is POSIX-only)
            self._written = None  # until the write is known to be whole
            if os.write(fd, slot) == len(slot):
                slots[target] = Mark(seq, head)
                self._written = (_placed(data, target * SLOT, slot), slots)
        finally:
            os.close(fd)


def _placed(data: bytes, offset: int, slot: bytes) -> bytes:
    """What reading the first two slots gives once ``slot`` is written at ``offset`` over
    ``data`` (a gap before it reads as zero bytes, as a file's hole does)."""
    head = data[:offset].ljust(offset, b"\0")
    return (head + slot + data[offset + len(slot) :])[: 2 * SLOT]


def _read_at(fd: int, offset: int, size: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
