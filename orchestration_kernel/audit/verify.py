"""Checking the chain: walk every row in ``seq`` order and report the first broken link.

What each kind of tampering looks like to the walk:

* an edited row: its values no longer give its ``hash``;
* a deleted row: a gap in ``seq`` (or, if the rest were renumbered, a ``prev_hash``
  that links to nothing);
* reordered rows: a ``prev_hash`` that is not the previous row's hash (``seq`` is inside
  the hash, so renumbering to hide it breaks the row's own hash);
* a truncated tail: the HMAC anchor names a later ``seq`` and head than the chain has;
* a chain recomputed without the key: row hashes are keyed, so the first rewritten row
  fails its own hash;
* every row and the anchor deleted, a tail cut with an older anchor put back, or the
  file emptied: the high-water mark outside the file (:mod:`.mark`) is ahead of the
  database, or its row's hash differs. A missing mark makes a database with rows
  ``"unverifiable"`` (never ``"intact"``);
* an old database restored with its old mark: only a head hash kept elsewhere catches
  it (``expect_head``), since everything in the files is consistent.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

from ..errors import AuditIntegrityError
from .chain import GENESIS, ChainKey
from .mark import INVALID, HighWaterMark, Mark
from .store import ALL_COLUMNS

__all__ = ["VerifyReport", "verify_chain"]

_SELECT = f"SELECT {', '.join(ALL_COLUMNS)} FROM audit_events ORDER BY seq"


@dataclass(frozen=True)
class VerifyReport:
    """The result of :meth:`AuditTrail.verify`. Truthy when the chain is intact.

    ``rows`` is how many rows were checked; ``first_broken`` the ``seq`` of the first
    broken link (``None`` when intact); ``reason`` says what is wrong, in words.
    ``status``: ``"intact"``, ``"broken"``, or ``"unverifiable"`` (nothing is known to
    be wrong, but the database cannot be checked against its high-water mark or the
    expected head: e.g. the mark file is missing).
    """

    ok: bool
    rows: int
    first_broken: int | None = None
    reason: str = "intact"
    head_hash: str | None = None
    pruned_through: int | None = None
    status: Literal["intact", "broken", "unverifiable"] = "intact"

    def __post_init__(self) -> None:
        if not self.ok and self.status == "intact":
            object.__setattr__(self, "status", "broken")

    def __bool__(self) -> bool:
        return self.ok

    def raise_if_broken(self) -> VerifyReport:
        """Raise :class:`AuditIntegrityError` unless the chain is intact; else return self."""
        if not self.ok:
            where = f" at seq {self.first_broken}" if self.first_broken is not None else ""
            raise AuditIntegrityError(f"audit chain {self.status}{where}: {self.reason}")
        return self


def verify_chain(
    conn: sqlite3.Connection,
    key: ChainKey,
    mark_file: HighWaterMark | None = None,
    expect_head: str | None = None,
) -> VerifyReport:
    """Verify the whole database on ``conn`` (one read snapshot) under ``key``, against
    its high-water mark (when it has a file) and a head hash kept elsewhere."""
    mark = mark_file.read() if mark_file is not None else None
    start = _start(conn, key)
    if isinstance(start, VerifyReport):
        return start
    expected, prev, pruned_through = start
    first = expected
    rows = 0
    at_mark: str | None = None
    seen_head = expect_head is not None and prev == expect_head
    for row in conn.execute(_SELECT):
        seq, values, prev_hash, digest = row[0], row[1:-2], row[-2], row[-1]
        broken = _check_row(key, seq, expected, prev, values, prev_hash, digest)
        if broken:
            return VerifyReport(False, rows, broken[0], broken[1], prev, pruned_through)
        if mark is not None and seq == mark.seq:
            at_mark = digest
        seen_head = seen_head or digest == expect_head
        prev, expected, rows = digest, seq + 1, rows + 1
    last = expected - 1
    report = _check_anchor(conn, key, last, prev, rows)
    if report is not None:
        return VerifyReport(False, rows, report[0], report[1], prev, pruned_through)
    if mark_file is not None:
        found = _check_mark(mark_file, mark, first, last, at_mark, prev)
        if found is not None:
            status, seq, reason = found
            return VerifyReport(False, rows, seq, reason, prev, pruned_through, status)
    if expect_head is not None and not seen_head:
        if pruned_through is not None:
            reason = (
                f"the expected head {expect_head[:12]}… is not among the rows kept; it may "
                "have been pruned, or the database was rolled back"
            )
            return VerifyReport(False, rows, None, reason, prev, pruned_through, "unverifiable")
        reason = (
            f"the expected head {expect_head[:12]}… is not in the chain: the database was "
            "rolled back to before it (or replaced)"
        )
        return VerifyReport(False, rows, last + 1, reason, prev, pruned_through)
    return VerifyReport(True, rows, None, "intact", prev, pruned_through)


def _check_mark(
    mark_file: HighWaterMark,
    mark: Mark | None,
    first: int,
    last: int,
    at_mark: str | None,
    head: str,
) -> tuple[Literal["broken", "unverifiable"], int | None, str] | None:
    """Compare the database (rows ``first..last``) with its high-water mark."""
    if mark is None:
        if last == 0 and head == GENESIS:
            return None  # never written
        return (
            "unverifiable",
            None,
            (
                f"the high-water mark {mark_file.path} is missing, so a database truncated or "
                "rolled back on its own could not be told apart"
            ),
        )
    if mark is INVALID:
        return (
            "broken",
            None,
            (
                f"the high-water mark {mark_file.path} does not verify under the key "
                "(edited or forged)"
            ),
        )
    if mark.seq > last:
        return (
            "broken",
            last + 1,
            (
                f"rows {last + 1}..{mark.seq} are missing: the high-water mark records {mark.seq} "
                f"committed rows, the database ends at {last} (truncated, emptied or rolled back)"
            ),
        )
    if mark.seq >= first and at_mark != mark.head:
        return (
            "broken",
            mark.seq,
            (
                f"row {mark.seq} is not the one the high-water mark recorded: the database was "
                "rolled back and rewritten"
            ),
        )
    return None


def _start(conn: sqlite3.Connection, key: ChainKey) -> tuple[int, str, int | None] | VerifyReport:
    """Where the walk begins: after the prune checkpoint (if its MAC holds) or at 1."""
    row = conn.execute("SELECT seq, hash, pruned, mac FROM audit_checkpoint").fetchone()
    if row is None:
        return 1, GENESIS, None
    seq, digest, pruned, mac = row
    if mac != key.checkpoint_mac(seq, digest, pruned):
        return VerifyReport(
            False, 0, seq, "the prune checkpoint's MAC is invalid (edited or forged)", None, seq
        )
    return seq + 1, digest, seq


def _check_row(
    key: ChainKey,
    seq: int,
    expected: int,
    prev: str,
    values: tuple[object, ...],
    prev_hash: str,
    digest: str,
) -> tuple[int, str] | None:
    if seq < expected:
        return seq, f"row {seq} is out of order (expected {expected} or later)"
    if seq > expected:
        missing = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
        return expected, f"row {missing} missing: deleted (the chain jumps to {seq})"
    if prev_hash != prev:
        return seq, (
            f"row {seq} does not link to the row before it: "
            "a row was deleted, inserted or reordered"
        )
    if key.row_hash(prev, seq, values) != digest:
        return seq, (
            f"row {seq}'s contents do not match its hash: the row was edited, or the "
            "chain was recomputed without the key"
        )
    return None


def _check_anchor(
    conn: sqlite3.Connection, key: ChainKey, last_seq: int, head: str, rows: int
) -> tuple[int, str] | None:
    anchor = conn.execute("SELECT seq, head_hash, mac FROM audit_anchor").fetchone()
    if anchor is None:
        if rows == 0 and head == GENESIS:
            return None  # an empty, never-written database
        return last_seq, "the head anchor is missing (deleted)"
    seq, head_hash, mac = anchor
    if mac != key.anchor_mac(seq, head_hash):
        return seq, "the head anchor's MAC is invalid (edited or forged without the key)"
    if seq > last_seq:
        return last_seq + 1, (
            f"the tail was truncated: the anchor covers rows up to {seq}, "
            f"the chain ends at {last_seq}"
        )
    if seq < last_seq:
        return seq + 1, f"rows after {seq} were added without the key (not anchored)"
    if head_hash != head:
        return seq, "the head hash does not match the anchor"
    return None
