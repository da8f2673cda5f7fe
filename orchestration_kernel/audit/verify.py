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

import codecs
import operator
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..errors import AuditIntegrityError
from .chain import GENESIS, ChainKey
from .events import COLUMNS, FIRST_LATER_COLUMN
from .gc_pause import gc_paused
from .mark import INVALID, HighWaterMark, Mark
from .snapshot import SnapshotFailed, batches_of, declared_types, stream_rows
from .store import ALL_COLUMNS
from .verify_messages import Messages, messages

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["VerifyReport", "verify_chain"]

_ROW = f"SELECT {', '.join(ALL_COLUMNS)} FROM audit_events WHERE seq = ?"
_SELECT_RANGE = (
    f"SELECT {', '.join(ALL_COLUMNS)} FROM audit_events WHERE seq >= ? AND seq <= ? ORDER BY seq"
)
#: A chain at least this long is walked in two halves at once.
PARALLEL_ROWS = 20_000
#: Opens a read connection to the same database (``AuditStore.reading``).
Reader = Callable[[], AbstractContextManager[sqlite3.Connection]]
#: Rows fetched at a time by the walk.
_BATCH_ROWS = 5000


@dataclass(frozen=True)
class VerifyReport:
    """The result of :meth:`AuditTrail.verify`. Truthy when the chain is intact.

    ``rows`` is how many rows were checked; ``first_broken`` the ``seq`` of the first
    broken link (``None`` when intact); ``reason`` says what is wrong, in words.
    ``status``: ``"intact"``, ``"broken"``, or ``"unverifiable"`` (nothing is known to
    be wrong, but the database cannot be checked against its high-water mark or the
    expected head: e.g. the mark file is missing).
    ``sidecar``: whether the columnar copy of the rows beside the database
    (:mod:`.sidecar`) matches it: ``"matches (...)"``, ``"none"``, or ``"ignored: why"``
    (reads then take every row from the database). It never changes ``ok``: the
    database is the record, the sidecar a cache of it.
    """

    ok: bool
    rows: int
    first_broken: int | None = None
    reason: str = "intact"
    head_hash: str | None = None
    pruned_through: int | None = None
    status: Literal["intact", "broken", "unverifiable"] = "intact"
    sidecar: str = "none"

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


@dataclass
class _Walk:
    """What walking a stretch of the chain found."""

    expected: int  # the seq after the last row checked
    prev: str  # the hash of the last row checked
    rows: int = 0
    at_mark: str | None = None  # the hash of the row at the mark's seq, if walked
    seen_head: bool = False  # whether expect_head was among the hashes
    broken: tuple[int, str] | None = None


def verify_chain(
    conn: sqlite3.Connection,
    key: ChainKey,
    mark_file: HighWaterMark | None = None,
    expect_head: str | None = None,
    reader: Reader | None = None,
) -> VerifyReport:
    """Verify the whole database on ``conn`` (one read snapshot) under ``key``, against
    its high-water mark (when it has a file) and a head hash kept elsewhere.

    ``reader`` opens another read connection to the same file: a long chain is then
    walked from a private copy of ``conn``'s snapshot read into Arrow
    (:func:`_walk_snapshot`), or failing that in two halves at once (SQLite renders rows
    without holding the GIL). Only a clean result is taken from either; anything else is
    walked again in one piece on ``conn``, so the report is always that of one
    snapshot."""
    mark = mark_file.read() if mark_file is not None else None
    start = _start(conn, key)
    if isinstance(start, VerifyReport):
        return start
    expected, prev, pruned_through = start
    first = expected
    mark_seq = mark.seq if mark is not None else None
    walk = None
    top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]
    if reader is not None and top - first >= PARALLEL_ROWS:
        walk = _walk_snapshot(conn, key, (first, prev), top, mark_seq, expect_head)
        if walk is not None and walk.expected <= top:  # clean up to a row it cannot vouch for
            walk = _resume(conn, key, walk, mark_seq, expect_head)
        if walk is None:
            walk = _walk_in_halves(conn, reader, key, (first, prev), top, mark_seq, expect_head)
    if walk is None:
        walk = _walk(conn, key, (first, prev), None, mark_seq, expect_head)
    rows, prev, expected = walk.rows, walk.prev, walk.expected
    at_mark = walk.at_mark
    seen_head = walk.seen_head or (expect_head is not None and start[1] == expect_head)
    if walk.broken is not None:
        return VerifyReport(False, rows, walk.broken[0], walk.broken[1], prev, pruned_through)
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


def _walk(
    conn: sqlite3.Connection,
    key: ChainKey,
    start: tuple[int, str],
    upto: int | None,
    mark_seq: int | None,
    expect_head: str | None,
    lowest: int = -(2**63),
) -> _Walk:
    """Check the rows from ``start`` (seq, the hash it links to) through ``upto`` (or the
    end) in ``seq`` order; stops at the first broken link. ``lowest``: the first ``seq``
    read (rows below ``start`` are there only if something is wrong)."""
    walk = _Walk(*start)
    exact = False
    while True:
        try:
            for batch in _batches(conn, key, lowest, upto, exact):
                if _take_clean(walk, batch, mark_seq, expect_head):
                    continue
                for seq, prev_hash, digest, intact in zip(*batch, strict=True):
                    if seq != walk.expected or prev_hash != walk.prev or not intact:
                        values, stored_prev = _row_values(conn, seq)
                        walk.broken = _check_row(
                            key, seq, walk.expected, walk.prev, values, stored_prev, digest
                        )
                        if walk.broken:
                            return walk
                    if seq == mark_seq:
                        walk.at_mark = digest
                    if digest == expect_head:
                        walk.seen_head = True
                    walk.prev, walk.expected, walk.rows = digest, seq + 1, walk.rows + 1
            return walk
        except sqlite3.OperationalError:
            if exact:
                raise
            exact = True  # a value SQLite's JSON refuses (a blob): the rest, exactly
            lowest = walk.expected


#: One batch of the walk, column by column: seqs, prev_hashes, hashes, and whether each
#: row's values give its hash.
Batch = tuple[tuple[int, ...], tuple[str | None, ...], tuple[str, ...], list[bool]]


def _take_clean(walk: _Walk, batch: Batch, mark_seq: int | None, expect_head: str | None) -> bool:
    """Take a whole batch at once when every row is intact, the seqs follow on from
    ``walk`` without a gap and each row links to the one before (what the row-by-row
    loop checks, compared a list at a time); ``False`` leaves it to that loop."""
    seqs, prevs, digests, intact = batch
    n = len(seqs)
    if (
        not n
        or seqs[0] != walk.expected
        or seqs[-1] - seqs[0] != n - 1  # seqs ascend and are unique: no gap
        or prevs[0] != walk.prev
        or prevs[1:] != digests[:-1]
        or not all(intact)
    ):
        return False
    if mark_seq is not None and seqs[0] <= mark_seq <= seqs[-1]:
        walk.at_mark = digests[mark_seq - seqs[0]]
    if expect_head is not None and expect_head in digests:
        walk.seen_head = True
    walk.prev, walk.expected, walk.rows = digests[-1], seqs[-1] + 1, walk.rows + n
    return True


def _rows(
    conn: sqlite3.Connection, key: ChainKey, first: int, upto: int | None, exact: bool
) -> Iterator[tuple[int, str | None, str, bool]]:
    """``(seq, prev_hash, hash, whether the row's values give its hash)`` from ``first``
    on, row by row (:func:`_batches`, unbatched)."""
    for batch in _batches(conn, key, first, upto, exact):
        yield from zip(*batch, strict=True)


def _batches(
    conn: sqlite3.Connection, key: ChainKey, first: int, upto: int | None, exact: bool
) -> Iterator[Batch]:
    """The rows from ``first`` on, checked, a batch at a time (memory stays bounded
    however long the chain).

    Each row arrives as the message its hash covers, rendered by SQLite with its floats
    left to Python (:func:`_message_sql`), so the hot loop does one format, one encode
    and one MAC per row. A row whose MAC differs is checked again exactly by the
    caller. ``exact``: read the values and hash them in Python (``chain.row_hash``), for
    rows SQLite cannot render."""
    bound = (first, upto if upto is not None else 2**63 - 1)
    if exact:
        cursor = conn.execute(_SELECT_RANGE, bound)
        while rows := cursor.fetchmany(_BATCH_ROWS):
            yield (
                tuple(row[0] for row in rows),
                tuple(row[-2] for row in rows),
                tuple(row[-1] for row in rows),
                [_hash_matches(key, row[-2], row[0], row[1:-2], row[-1]) for row in rows],
            )
        return
    mac, join = key.mac_bytes, _FORM.format
    cursor = conn.execute(_MESSAGES, bound)
    while rows := cursor.fetchmany(_BATCH_ROWS):
        macs = [mac(join(*row).encode("ascii", _JSON_ESCAPES)) for row in rows]
        digests = tuple(row[-1] for row in rows)
        yield (
            tuple(row[-3] for row in rows),
            tuple(row[-2] for row in rows),
            digests,
            list(map(operator.eq, macs, digests)),
        )


def _walk_in_halves(
    conn: sqlite3.Connection,
    reader: Reader,
    key: ChainKey,
    start: tuple[int, str],
    top: int,
    mark_seq: int | None,
    expect_head: str | None,
) -> _Walk | None:
    """Walk ``start``..``top`` as two halves at once, the second on a connection of its
    own; ``None`` unless both are clean and the second links onto the first."""
    middle = (start[0] + top) // 2

    def second_half() -> _Walk | None:
        with reader() as other:
            found = other.execute(
                "SELECT prev_hash FROM audit_events WHERE seq = ?", (middle + 1,)
            ).fetchone()
            if found is None or not isinstance(found[0], str):
                return None
            second = (middle + 1, found[0])
            return _walk(other, key, second, top, mark_seq, expect_head, middle + 1)

    with ThreadPoolExecutor(1, thread_name_prefix="audit-verify") as pool:
        later = pool.submit(second_half)
        walk = _walk(conn, key, start, middle, mark_seq, expect_head)
        rest = later.result()
    if (
        rest is None
        or walk.broken is not None
        or rest.broken is not None
        or walk.expected != middle + 1
        or rest.expected != top + 1
        or _first_prev(conn, middle + 1) != walk.prev
    ):
        return None
    return _Walk(
        rest.expected,
        rest.prev,
        walk.rows + rest.rows,
        walk.at_mark or rest.at_mark,
        walk.seen_head or rest.seen_head,
    )


def _walk_snapshot(
    conn: sqlite3.Connection,
    key: ChainKey,
    start: tuple[int, str],
    top: int,
    mark_seq: int | None,
    expect_head: str | None,
) -> _Walk | None:
    """Walk the rows through ``top`` from a private copy of ``conn``'s snapshot, read
    into Arrow by a worker thread while this one formats and MACs (``snapshot.batches_of``:
    SQLite renders the rows without holding the GIL), a batch at a time as
    :func:`_take_clean` takes it. Returns the walk of the clean batches, up to the first
    that is not (a broken link, a value the fast path does not render, the driver
    failing): the caller walks the rest on ``conn`` (:func:`_resume`). ``None`` when not
    even the first batch is clean, or the driver is missing."""
    walk = _Walk(*start)
    if not declared_types(conn):
        # The floats come as the columns: only REAL affinity makes each a real (under
        # another, a whole number reads as an integer, which the driver would widen).
        return None
    try:
        parts = _parts(start[0], top, stream_rows())
        # A view and a MAC per row: no collection for them (``gc_pause``).
        with gc_paused(), batches_of(conn, _SNAPSHOT_MESSAGES, parts, _prepare) as batches:
            if batches is None:
                return None
            for found in batches:
                if found is None or not _take_messages(walk, key, found, mark_seq, expect_head):
                    break
    except (SnapshotFailed, ValueError, TypeError, UnicodeError):
        pass  # the batches taken stand: they are of the same snapshot as ``conn``
    # The first batch taken began at ``start`` with nothing below it (it was read from the
    # lowest seq), so what is left is exactly what a walk of ``conn`` would still read.
    return walk if walk.rows else None


def _resume(
    conn: sqlite3.Connection,
    key: ChainKey,
    done: _Walk,
    mark_seq: int | None,
    expect_head: str | None,
) -> _Walk:
    """``done`` (a clean walk of the first rows) carried on to the end on ``conn``, row by
    row where needed, as :func:`_walk` would have carried on from the same row."""
    rest = _walk(conn, key, (done.expected, done.prev), None, mark_seq, expect_head, done.expected)
    rest.rows += done.rows
    rest.at_mark = rest.at_mark or done.at_mark
    rest.seen_head = rest.seen_head or done.seen_head
    return rest


def _parts(first: int, top: int, rows: int) -> list[tuple[int, int]]:
    """``seq`` ranges of ``rows`` each from ``first`` through ``top``, the first open
    below (a row below ``first`` is there only if something is wrong, and must be read)."""
    lows = range(first + rows, top + 1, rows)
    return [(-(2**63), min(first + rows - 1, top)), *((lo, min(lo + rows - 1, top)) for lo in lows)]


def _prepare(record: pa.RecordBatch) -> Messages | None:
    """On the snapshot reader's thread: one batch's messages, built in Arrow
    (:func:`.verify_messages.messages`), or ``None`` where the exact walk decides."""
    return messages(record, _FLOAT_CELLS, _JSON_ESCAPES)


def _take_messages(
    walk: _Walk, key: ChainKey, found: Messages, mark_seq: int | None, expect_head: str | None
) -> bool:
    """:func:`_take_clean` of one prepared batch: taken whole when the seqs follow on
    from ``walk`` without a gap, each row links to the one before and every row's
    message MACs to its stored hash (the MACs end to end against the stored hashes end
    to end, every one 64 characters long); ``False`` leaves the rest to the exact walk."""
    import pyarrow.compute as pc

    seqs, prevs, digests = found.seqs, found.prevs, found.digests
    n = len(seqs)
    if (
        not n
        or seqs[0] != walk.expected
        or seqs[-1] - seqs[0] != n - 1  # seqs ascend and are unique: no gap
        or found.hashes is None
        or prevs[0].as_py() != walk.prev
        or not pc.all(pc.equal(prevs.slice(1), digests.slice(0, n - 1)), min_count=0).as_py()
    ):
        return False
    if _macs_hex(key, found) != found.hashes:
        return False
    first = int(seqs[0])
    if mark_seq is not None and first <= mark_seq <= first + n - 1:
        walk.at_mark = digests[mark_seq - first].as_py()
    if expect_head is not None and pc.any(pc.equal(digests, expect_head)).as_py():
        walk.seen_head = True
    walk.prev, walk.expected, walk.rows = digests[n - 1].as_py(), first + n, walk.rows + n
    return True


def _macs_hex(key: ChainKey, found: Messages) -> bytes:
    """The MACs of ``found``'s messages as the stored hashes are written: lowercase hex,
    end to end (made raw, a run of rows at a time, and written as hex in one go); a row
    with characters beyond ASCII is MACed once, as its escaped message."""
    bounds, raw, start = found.bounds, [], 0
    for at in sorted(found.escaped):
        raw.append(key.mac_digests(found.data, bounds[start : at + 1]))
        raw.append(bytes.fromhex(key.mac_bytes(found.escaped[at])))
        start = at + 1
    raw.append(key.mac_digests(found.data, bounds[start:]))
    return b"".join(raw).hex().encode("ascii")


def _snapshot_sql() -> tuple[str, list[int]]:
    """The query of the snapshot walk (:func:`_walk_snapshot`), and the indexes of its
    float cells among its cells.

    Its cells are :data:`_MESSAGES`' in their order, made cheaper for SQLite to give
    (about a quarter less CPU): each run of columns between the floats is one whole
    ``json_array``, brackets kept, which :func:`.verify_messages.messages` turns into
    the commas the message has there, and the floats are the columns themselves (the
    driver gives a batch's column as float64 when every value in it is a real or NULL,
    since REAL affinity makes an integer a real; a text or a blob gives another type,
    and the batch goes to the exact walk). A last cell says whether ``prev_hash`` or
    ``hash`` is not text (the driver would pass a blob on as text, where the stdlib
    gives bytes that never equal a hash)."""
    runs, floats, later = _runs()

    def array(names: list[str]) -> str:
        return f"json_array({', '.join(names)})"

    cells, at = [array(runs[0])], []
    for k, name in enumerate(floats):
        at.append(len(cells))
        cells.append(name)
        between = runs[k + 1]
        if k + 1 == len(floats):
            cells.append(
                f"CASE WHEN {later} IS NULL THEN {array(between)} "
                f"ELSE {array([*between, later])} END"
            )
        elif between:
            cells.append(array(between))
    odd = " OR ".join(f"typeof({name}) != 'text'" for name in ("prev_hash", "hash"))
    sql = (
        f"SELECT {', '.join(cells)}, seq, prev_hash, hash, {odd} FROM audit_events "
        "WHERE seq >= ? AND seq <= ? ORDER BY seq"
    )
    return sql, at


def _runs() -> tuple[list[list[str]], list[str], str]:
    """The hashed columns as the fast walks render them: the runs of non-float columns
    between the floats (the first and the last never empty), the float columns, and
    the one later column (left out of the message while unset)."""
    later = [c.name for c in COLUMNS[FIRST_LATER_COLUMN:]]
    if len(later) != 1 or any(c.kind == "float" for c in COLUMNS[FIRST_LATER_COLUMN:]):
        raise AssertionError("the verify fast path expects one later column, not a float")
    runs: list[list[str]] = [[]]  # the non-float columns between the floats
    floats: list[str] = []
    for column in COLUMNS[:FIRST_LATER_COLUMN]:
        if column.kind == "float":
            floats.append(column.name)
            runs.append([])
        else:
            runs[-1].append(column.name)
    if not floats or not runs[0] or not runs[-1]:
        raise AssertionError("the verify fast path expects floats inside the row")
    return runs, floats, later[0]


def _first_prev(conn: sqlite3.Connection, seq: int) -> str | None:
    row = conn.execute("SELECT prev_hash FROM audit_events WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else row[0]


def _message_sql() -> tuple[str, str]:
    """The query and the format of the fast walk. Each row: the message its hash is the
    MAC of (``chain.row_message``) in cells, then ``seq, prev_hash, hash``; the format
    joins the cells into the message.

    The JSON is built by SQLite's ``json_array`` around the float columns, which come
    back as values for Python to write as ``repr`` does (SQLite's float text is not
    Python's, and a rendering that could pass for another value would let an edit
    through): ``'null'`` for a NULL, and a NUL character (which no message holds) for a
    value that is not a float, so the MAC differs and the exact check decides. SQLite's
    JSON is Python's for text, integers and NULL once non-ASCII characters are escaped as
    Python escapes them (:func:`_escape_non_ascii`); for anything else the MAC differs.
    The later columns are left out while unset, as ``chain._hashed`` does."""
    runs, floats, later_column = _runs()
    later = [later_column]

    def array(names: list[str], keep: str) -> str:  # json_array, brackets kept as asked
        text = f"json_array({', '.join(names)})"
        if "]" not in keep:
            text = f"rtrim({text}, ']')"
        return text if "[" in keep else f"ltrim({text}, '[')"

    last = runs[-1]
    # The cells: the JSON between the floats (each run of columns one json_array, its
    # brackets trimmed where the array goes on), and the floats; the format adds the
    # commas, and takes ``prev_hash`` and ``seq`` from the cells after the message.
    cells = [array(runs[0], "[")]
    form = "{0}"
    for k, name in enumerate(floats):
        cells.append(
            f"CASE typeof({name}) WHEN 'real' THEN {name} WHEN 'null' THEN 'null' ELSE char(0) END"
        )
        form += f",{{{len(cells) - 1}}}"
        between = runs[k + 1]
        if k + 1 == len(floats):
            cells.append(
                f"CASE WHEN {later[0]} IS NULL THEN {array(last, ']')} "
                f"ELSE {array([*last, later[0]], ']')} END"
            )
        elif between:
            cells.append(array(between, ""))
        else:
            continue
        form += f",{{{len(cells) - 1}}}"
    form = f"row|{{{len(cells) + 1}}}|{{{len(cells)}}}|{form}"
    sql = (
        f"SELECT {', '.join(cells)}, seq, prev_hash, hash FROM audit_events "
        "WHERE seq >= ? AND seq <= ? ORDER BY seq"
    )
    return sql, form


def _escape_non_ascii(error: UnicodeError) -> tuple[str, int]:
    """Encoding error handler: non-ASCII characters as the ``\\uXXXX`` escapes (UTF-16
    surrogate pairs above U+FFFF) that ``json.dumps`` writes with ``ensure_ascii``.

    Encoding SQLite's JSON with it gives Python's JSON: they occur only inside strings,
    where SQLite leaves them as they are. (Python also escapes DEL, which SQLite does not:
    a row holding DEL fails the fast check and takes the exact one.)"""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escapes = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            escapes.append(f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}")
        else:
            escapes.append(f"\\u{code:04x}")
    return "".join(escapes), error.end


#: The name :func:`_escape_non_ascii` is registered under (``str.encode(errors=...)``).
_JSON_ESCAPES = "orchestration_kernel.audit.json_escapes"
codecs.register_error(_JSON_ESCAPES, _escape_non_ascii)


def _row_values(conn: sqlite3.Connection, seq: int) -> tuple[tuple[object, ...], object]:
    """One row's hashed values and its stored ``prev_hash``, for the exact check."""
    row = conn.execute(_ROW, (seq,)).fetchone()
    return tuple(row[1:-2]), row[-2]


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
    prev_hash: object,
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
    if not _hash_matches(key, prev, seq, values, digest):
        return seq, (
            f"row {seq}'s contents do not match its hash: the row was edited, or the "
            "chain was recomputed without the key"
        )
    return None


def _hash_matches(
    key: ChainKey, prev: object, seq: int, values: tuple[object, ...], digest: object
) -> bool:
    """Whether the row's values give its hash; a value no row is written with (a blob,
    which JSON cannot hold) does not."""
    try:
        return key.row_hash(str(prev), seq, values) == digest
    except (TypeError, ValueError):
        return False


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


_MESSAGES, _FORM = _message_sql()
_SNAPSHOT_MESSAGES, _FLOAT_CELLS = _snapshot_sql()
# verify_messages joins the cells as ``row|{prev}|{seq}|`` and the cells, comma-separated.
_CELLS = _FORM.count("{") - 2
if f"row|{{{_CELLS + 1}}}|{{{_CELLS}}}|" + ",".join(f"{{{k}}}" for k in range(_CELLS)) != _FORM:
    raise AssertionError("the verify snapshot walk joins its messages otherwise")
