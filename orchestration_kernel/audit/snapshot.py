"""The whole trail read into Arrow without a Python object per cell: a private snapshot
read by ADBC's SQLite driver (``adbc-driver-sqlite``, imported lazily).

Why a snapshot. The driver carries a SQLite library of its own. Two SQLite libraries
opening the same file in one process break each other's POSIX advisory locks (closing
either's file descriptor drops the other's locks), a corruption risk with the trail's
writer live in the process. So our SQLite (the stdlib's) copies the database with the
backup API, in the read transaction of :meth:`AuditStore.reading` (one consistent
snapshot), into a file of its own (0600, in a fresh 0700 folder, removed afterwards):
another inode, which only the driver then opens.

Why a witness row, and what else is checked. The driver types each column from the
values of its first batch; a column whose first rows are NULL would be typed wrongly. So
the copy gets one extra row, first in ``seq`` order, holding a value of its column's
kind in every column: each column takes its kind's Arrow type. Then only plain values
get through, converted exactly (int64, float64, UTF-8 text), because:

* the table must declare the types our schema does (``INTEGER``, ``REAL``, ``TEXT``), so
  SQLite's column affinity has already turned numbers in a TEXT column into text, and
  integral reals or numeric text in an INTEGER column into integers. What else an
  INTEGER or REAL column can hold (text, a fraction, a blob) the driver refuses with a
  type mismatch;
* a TEXT column can still hold a blob, which the driver passes on as text: as the
  stdlib path does too (pyarrow takes UTF-8 bytes as text), once every text column is
  checked to be valid UTF-8;
* the timestamp and JSON columns, which the stdlib path types from Python values (a
  blob there stays bytes), are checked by SQLite: the query flags any row where one
  holds something other than text or NULL.

Anything else and :func:`read_whole_trail` gives up: the caller reads the stdlib way,
cell by cell, as it always did (and reports errors as it always did).

Small trails (under :data:`MIN_ROWS`), ``:memory:`` trails and filtered reads keep the
stdlib path: copying the whole file only pays for itself when most of it is read.

For a DataFrame the copy is read in :data:`SPLITS` ``seq`` ranges, :data:`PARTS` at a
time, and handed to the caller part by part as they come (:func:`read_trail_parts`):
what the caller does with each part (decoding its JSON, which holds the GIL) runs while
the driver reads the later parts (which does not).

:func:`batches_of` serves ``verify()`` (``verify._walk_snapshot``): any query on such a
copy, its batches read ahead on a worker thread. There no witness is needed (the query
gives every column one type) and nothing has to be exact but the verdict: the walk takes
only rows whose MAC matches, and leaves anything else to the stdlib walk.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from .events import COLUMNS
from .frames import KINDS
from .settled_copy import copy_settled_file
from .store import ALL_COLUMNS, AuditStore

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "MIN_ROWS",
    "PARTS",
    "SnapshotFailed",
    "batches_of",
    "copy_into",
    "declared_types",
    "private_copy",
    "read_trail_parts",
    "read_whole_trail",
    "stream_rows",
]

#: Fewer rows than this and the stdlib reads them faster than a snapshot is made.
MIN_ROWS = 5000
#: ``seq`` of the witness row in the copy: below every real row (the table's rows start
#: at 1; a copy that already holds this ``seq`` is refused by the primary key).
_WITNESS_SEQ = -(2**63)
#: The Arrow type each kind's column must come back as (``string`` for the other kinds).
_ARROW_TYPES = {"int": "int64", "bool": "int64", "float": "double"}
#: The kinds whose columns SQLite checks row by row (text or NULL only).
_CHECKED = ("time", "json")
#: The witness's value for a column of each kind (text for every other kind).
_WITNESS = {"int": "0", "bool": "0", "float": "0.0"}
#: The copy is read in this many ``seq`` ranges at once (one thread each).
PARTS = 2
#: ... out of this many ranges in all (in ``seq`` order), so that the caller's work on the
#: first parts overlaps the reading of the later ones (:func:`read_trail_parts`; the
#: DataFrame's reads: Parquet exports keep :data:`PARTS` ranges, see read_whole_trail).
SPLITS = 6
#: Rows per Arrow batch from the driver (fewer, larger chunks than its default 1024).
_BATCH_ROWS = "65536"
#: Rows per batch when the caller works through the batches as they come.
_STREAM_ROWS = "5000"
#: What :func:`batches_of` hands on: what ``prepare`` makes of each record batch.
T = TypeVar("T")
#: A reader's last item for a part (``prepare`` may make ``None`` of a batch).
_END = object()


def _kind(column: str) -> str:
    return KINDS.get(column, "text")


def _witness_sql() -> str:
    values = ", ".join(
        str(_WITNESS_SEQ) if c == "seq" else _WITNESS.get(_kind(c), "''") for c in ALL_COLUMNS
    )
    return f"INSERT INTO audit_events ({', '.join(ALL_COLUMNS)}) VALUES ({values})"


def _query_sql() -> str:
    """One part's rows: the witness, then the rows of a ``seq`` range, each arm a scan in
    ``seq`` order (``ORDER BY`` over an ``OR`` would sort; the order is checked after)."""
    checked = [c for c in ALL_COLUMNS if _kind(c) in _CHECKED]
    odd = " OR ".join(f"typeof({c}) NOT IN ('text', 'null')" for c in checked)
    select = f"SELECT {', '.join(ALL_COLUMNS)}, {odd} AS odd FROM audit_events"
    return f"{select} WHERE seq = {_WITNESS_SEQ} UNION ALL {select} WHERE seq BETWEEN ? AND ?"


_WITNESS_ROW, _QUERY = _witness_sql(), _query_sql()


def read_whole_trail(store: AuditStore) -> pa.Table | None:
    """Every row of ``store`` as an Arrow table (``ALL_COLUMNS``, ``seq`` order), or
    ``None`` when the stdlib path should read them: ADBC's driver missing, a
    ``:memory:`` or small trail, too little temporary space for the copy, a value not
    of its column's kind, or any failure of the copy or the driver (the stdlib path
    then reads, or reports the error, as before)."""
    # In PARTS ranges, as before: the ranges (and the driver's batches in each) are the
    # table's chunks, and a Parquet file written from it depends on its chunks.
    read = read_trail_parts(store, _nothing, PARTS)
    return None if read is None else read[0]


def _nothing(table: pa.Table) -> None:
    return None


def read_trail_parts(
    store: AuditStore, prepare: Callable[[pa.Table], T], splits: int | None = None
) -> tuple[pa.Table, list[T]] | None:
    """:func:`read_whole_trail`'s rows, and what ``prepare`` made of each of its parts
    (consecutive ``seq`` ranges, in order; the table is their concatenation, chunked
    otherwise), or ``None`` as :func:`read_whole_trail` says.

    The copy is read in ``splits`` (default :data:`SPLITS`) ranges by :data:`PARTS`
    worker threads, each range with a connection of its own (the driver reads without
    holding the GIL; a worker thread also keeps the driver from swapping the main
    thread's SIGINT handler). ``prepare`` runs on the calling thread, on each part as
    soon as it and the parts before it are read, while the workers read on."""
    if store.memory:
        return None
    try:
        import adbc_driver_sqlite.dbapi as adbc
    except ImportError:
        return None
    import pyarrow as pa

    with private_copy() as copy:
        span = _snapshot(store, copy)
        if span is None:
            return None

        def read(bounds: tuple[int, int]) -> pa.Table | None:
            with adbc.connect(str(copy)) as reader, reader.cursor() as cursor:
                cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": _BATCH_ROWS})
                cursor.execute(_QUERY, bounds)
                table = cursor.fetch_arrow_table()
            return _plain(table)  # checked on the worker too: Arrow's checks hold no GIL

        parts = _split(*span, SPLITS if splits is None else splits)
        tables: list[pa.Table] = []
        prepared: list[T] = []
        pool = ThreadPoolExecutor(min(PARTS, len(parts)), thread_name_prefix="audit-snapshot")
        try:
            for part in [pool.submit(read, bounds) for bounds in parts]:  # run in this order
                table = part.result()
                if table is None:
                    return None
                tables.append(table)
                prepared.append(prepare(table))
        except (adbc.Error, OSError):  # e.g. a type the witness did not foresee
            return None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # before the copy is removed
    return pa.concat_tables(tables), prepared


def _split(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """``first..last`` as up to ``parts`` consecutive ranges of about equal length."""
    step = max(1, -(-(last - first + 1) // parts))
    return [(lo, min(lo + step - 1, last)) for lo in range(first, last + 1, step)]


def _plain(table: pa.Table) -> pa.Table | None:
    """One part's rows without its witness, or ``None`` unless every value came through
    exactly (see the module docstring)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    expected = [_ARROW_TYPES.get(_kind(c), "string") for c in ALL_COLUMNS]
    if [str(t) for t in table.schema.types[:-1]] != expected:
        return None  # the driver widened a column (values of two types in its first batch)
    seqs = table.column("seq").to_numpy()
    if not len(seqs) or seqs[0] != _WITNESS_SEQ or not np.all(seqs[2:] > seqs[1:-1]):
        return None
    table = table.slice(1)
    if pc.max(table.column("odd")).as_py():
        return None  # bytes where the stdlib path types Python values: cell by cell
    table = table.drop_columns(["odd"])
    try:
        table.validate(full=True)  # a blob of invalid UTF-8 in a text column
    except pa.ArrowInvalid:
        return None
    return table


def _snapshot(store: AuditStore, copy: Path) -> tuple[int, int] | None:
    """Copy the database into ``copy`` (one read snapshot) and add the witness row; the
    first and last ``seq`` copied, or ``None`` when there are too few rows, too little
    room, or the copy fails."""
    with store.reading() as conn:
        try:
            rows, first, last = conn.execute(_SPAN).fetchone()
            if rows < max(MIN_ROWS, 1) or not declared_types(conn):
                return None
        except sqlite3.Error:
            return None
        if not copy_into(conn, copy, _WITNESS_ROW):
            return None
    return first, last


def declared_types(conn: sqlite3.Connection) -> bool:
    """Whether ``audit_events`` declares each column's type as the schema makes it (so
    SQLite's affinity has turned each value into its column's kind where it could)."""
    declared = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(audit_events)")}
    return declared == _DECLARED


@contextlib.contextmanager
def private_copy() -> Iterator[Path]:
    """A path for a copy of the database: a new empty file (0600) in a new folder (0700),
    both removed afterwards, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="audit-snapshot-") as folder:  # 0700
        copy = Path(folder) / "audit.sqlite"
        os.close(os.open(copy, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        yield copy


def copy_into(conn: sqlite3.Connection, copy: Path, *statements: str) -> bool:
    """Copy the database ``conn`` reads (its read snapshot, when it is in a transaction)
    into ``copy``, then run ``statements`` on the copy; ``False`` when there is too
    little room or anything fails (nothing is raised). The kernel copies the file where
    the file alone holds the snapshot (:mod:`.settled_copy`), SQLite's backup API
    otherwise."""
    try:
        # (PRAGMA page_count reads the database: in a transaction, the snapshot is now set)
        pages, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in _SIZE)
        if shutil.disk_usage(copy.parent).free < 2 * pages * size:
            return False
        settled = conn.in_transaction and copy_settled_file(conn, copy, pages * size)
        target = sqlite3.connect(copy, isolation_level=None)
        try:
            target.execute("PRAGMA synchronous = OFF")  # a throwaway file: no fsync
            if not settled:
                conn.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # the copy stays one file
            for statement in statements:
                target.execute(statement)
        finally:
            target.close()
    except (sqlite3.Error, OSError):  # e.g. the temporary folder's disk is full
        return False
    return True


class SnapshotFailed(Exception):
    """The driver failed while reading the copy (e.g. a value of an unforeseen type)."""


@contextlib.contextmanager
def batches_of(
    conn: sqlite3.Connection,
    sql: str,
    parts: Sequence[tuple[int, ...]],
    prepare: Callable[[pa.RecordBatch], T],
) -> Iterator[Iterator[T] | None]:
    """What ``prepare`` makes of each record batch ``sql`` gives for each of ``parts``
    (its parameters), in that order, when the driver runs it on a private copy of the
    database ``conn`` reads (:func:`copy_into`); ``None`` when the driver is missing or
    the copy fails. A part with no rows gives ``prepare`` one batch without rows.

    :data:`PARTS` worker threads take the parts in turn (each its own connection to the
    copy), read and prepare a few batches ahead (neither the driver nor Arrow's compute
    functions hold the GIL while they work), so the caller's Python runs beside them and
    memory stays bounded. Iterating raises :class:`SnapshotFailed` if the driver (or
    ``prepare``) fails; leaving stops the readers and removes the copy."""
    try:
        import adbc_driver_sqlite.dbapi as adbc
    except ImportError:
        yield None
        return
    with private_copy() as copy:
        if not copy_into(conn, copy):
            yield None
            return
        readers = max(1, min(PARTS, len(parts)))
        ahead: list[queue.Queue[object]] = [queue.Queue(maxsize=2) for _ in range(readers)]
        stop = threading.Event()

        def read(r: int) -> None:
            out = ahead[r]
            try:
                with adbc.connect(str(copy)) as reader, reader.cursor() as cursor:
                    cursor.adbc_statement.set_options(
                        **{"adbc.sqlite.query.batch_rows": _STREAM_ROWS}
                    )
                    for params in parts[r::readers]:
                        cursor.execute(sql, params)
                        stream = cursor.fetch_record_batch()
                        empty = True
                        for batch in stream:
                            empty = False
                            if not _offer(out, prepare(batch), stop):
                                return
                        if empty and not _offer(out, prepare(_no_rows(stream.schema)), stop):
                            return
                        if not _offer(out, _END, stop):
                            return
            except Exception as exc:  # handed to the caller's thread
                _offer(out, SnapshotFailed(f"{type(exc).__name__}: {exc}"), stop)

        workers = [
            threading.Thread(target=read, args=(r,), name="audit-snapshot", daemon=True)
            for r in range(readers)
        ]
        for worker in workers:
            worker.start()

        def batches() -> Iterator[T]:
            for k in range(len(parts)):
                out = ahead[k % readers]
                while (item := out.get()) is not _END:
                    if isinstance(item, SnapshotFailed):
                        raise item
                    yield cast(T, item)

        try:
            yield batches()
        finally:
            stop.set()
            for worker in workers:
                worker.join()


def stream_rows() -> int:
    """Rows per record batch :func:`batches_of` reads (a part of about as many rows is
    one batch)."""
    return int(_STREAM_ROWS)


def _no_rows(schema: pa.Schema) -> pa.RecordBatch:
    """A record batch of ``schema`` without rows."""
    import pyarrow as pa

    return pa.RecordBatch.from_pylist([], schema=schema)


def _offer(ahead: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    """Put ``item`` in ``ahead`` unless the reader was stopped; whether it was put."""
    while not stop.is_set():
        try:
            ahead.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


_SIZE = ("page_count", "page_size")
#: The row count and the ``seq`` span. ``min(seq), max(seq)`` in one SELECT would scan
#: an index (SQLite takes the shortcut for a lone min or max only); as subqueries each is
#: one look-up in the table's b-tree (``count(*)`` reads the smallest index).
_SPAN = (
    "SELECT (SELECT count(*) FROM audit_events), (SELECT min(seq) FROM audit_events),"
    " (SELECT max(seq) FROM audit_events)"
)
#: The declared type of every column, as the schema makes them (``store._schema``).
_DECLARED = {
    "seq": "INTEGER",
    **{c.name: c.sql_type for c in COLUMNS},
    "prev_hash": "TEXT",
    "hash": "TEXT",
}
