"""Checking the chain: walk every row in ``seq`` order and report the first broken link.

What each kind of tampering looks like to the walk:

* an edited row: its values no longer give its ``hash``;
* a deleted row: a gap in ``seq`` (or, if the rest were renumbered, a ``prev_hash``
  that links to nothing);
* reordered rows: a ``prev_hash`` that is not the previous row's hash (``seq`` is inside
  the hash, so renumbering to hide it breaks the row's own hash);
* a truncated tail: the HMAC anchor names a later ``seq`` and head than the chain has;
* a chain recomputed without the key: row hashes are keyed, so the first rewritten row
  fails its own hash.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..errors import AuditIntegrityError
from .chain import GENESIS, ChainKey
from .store import ALL_COLUMNS

__all__ = ["VerifyReport", "verify_chain"]

_SELECT = f"SELECT {', '.join(ALL_COLUMNS)} FROM audit_events ORDER BY seq"


@dataclass(frozen=True)
class VerifyReport:
    """The result of :meth:`AuditTrail.verify`. Truthy when the chain is intact.

    ``rows`` is how many rows were checked; ``first_broken`` the ``seq`` of the first
    broken link (``None`` when intact); ``reason`` says what is wrong, in words.
    """

    ok: bool
    rows: int
    first_broken: int | None = None
    reason: str = "intact"
    head_hash: str | None = None
    pruned_through: int | None = None

    def __bool__(self) -> bool:
        return self.ok

    def raise_if_broken(self) -> VerifyReport:
        """Raise :class:`AuditIntegrityError` unless the chain is intact; else return self."""
        if not self.ok:
            raise AuditIntegrityError(
                f"audit chain broken at seq {self.first_broken}: {self.reason}"
            )
        return self


def verify_chain(conn: sqlite3.Connection, key: ChainKey) -> VerifyReport:
    """Verify the whole database on ``conn`` (one read snapshot) under ``key``."""
    start = _start(conn, key)
    if isinstance(start, VerifyReport):
        return start
    expected, prev, pruned_through = start
    rows = 0
    for row in conn.execute(_SELECT):
        seq, values, prev_hash, digest = row[0], row[1:-2], row[-2], row[-1]
        broken = _check_row(key, seq, expected, prev, values, prev_hash, digest)
        if broken:
            return VerifyReport(False, rows, broken[0], broken[1], prev, pruned_through)
        prev, expected, rows = digest, seq + 1, rows + 1
    report = _check_anchor(conn, key, expected - 1, prev, rows)
    if report is not None:
        return VerifyReport(False, rows, report[0], report[1], prev, pruned_through)
    return VerifyReport(True, rows, None, "intact", prev, pruned_through)


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
