"""The columnar sidecar: the trail's settled rows kept in Arrow beside the database, so
that whole-trail reads need not take every cell from SQLite again.

Reading 100,000 rows out of SQLite costs at least ~0.3 s of CPU however they are read
(``bench.audit_reads_readers``); the same rows memory-read from Arrow cost a few ms. So
after each WAL checkpoint, and as soon as :data:`APPEND_AT_ROWS` rows are held (off the
call path: on the checkpoint thread, :mod:`.checkpoint`) the rows committed since the
last append are appended to
``audit.sqlite.cols``, an Arrow IPC stream (the schema, then one record batch per
append), and a whole-trail read (``to_dataframe()``, ``export()``) takes the rows the
file holds from it and only the newer ones from SQLite.

**A cache, never a source of truth.** The file is used only when all of this holds,
checked by every reader inside its read transaction; otherwise the read takes every row
from SQLite, as it always did (the output is the same either way):

* ``audit.sqlite.cols.json`` (the *record*, replaced atomically after each append)
  carries an HMAC under the audit key: it cannot be forged or edited without the key;
* the database's row at the record's last ``seq`` has the hash the record names (the
  chain vouches for every row up to it), the chain still starts where it did (a prune
  moves the start: the file is then rebuilt), and the schema cookie is the one the
  record saw (an edit of a row needs its triggers dropped first, which changes it);
* each appended segment of the file has the SHA-256 the record names (a truncated,
  damaged or edited file fails; a reader that finds one removes the record, so the next
  checkpoint rebuilds the file from the database);
* the rows after it, read from SQLite, follow on from it without a gap and are plain
  values of their columns' kinds (anything else: the old path decides).

Appends write past the record's end, then replace the record: a process killed
mid-append leaves bytes the record does not cover, which the next append overwrites. A
rebuild writes a new file and renames it over the old one. Nothing is fsynced (a cache:
after a power cut, a record naming bytes the disk lost fails its digests). A read that
took many rows from SQLite after the file appends them (:func:`append_tail`). Both files are
owner-only (0600), like the database; they hold exactly what the database holds
(redacted as it is). Two kernels on one trail take turns through an ``flock`` on
``audit.sqlite.cols.lock`` (an append that finds it taken is skipped).

Each append is a multiple of :data:`ALIGN` rows, so the file's batches start at
multiples of it and :func:`.columnar.canonical_chunks` (the Parquet export's chunking)
slices them without copying.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from ..storage.locks import lock_if_free
from .chain import ChainKey
from .columnar import CHUNK_ROWS
from .frames import KINDS
from .snapshot import MIN_ROWS, declared_types
from .sqlrow import Row
from .store import ALL_COLUMNS, AuditStore

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "ALIGN",
    "APPEND_AT_ROWS",
    "MAX_APPEND_ROWS",
    "Record",
    "Settled",
    "SidecarPaths",
    "append_tail",
    "bring_up_to_date",
    "read_table",
    "status",
]

log = logging.getLogger(__name__)

#: Every append holds a multiple of this many rows (the Parquet export's chunk).
ALIGN = CHUNK_ROWS
#: Rows one append takes at most (the work of one checkpoint stays bounded).
MAX_APPEND_ROWS = 64 * ALIGN
#: Rows a :class:`Settled` holds at most between two appends.
MAX_HELD_ROWS = 2 * MAX_APPEND_ROWS
#: Rows held that ask for an append before the next checkpoint (which comes every ~10,000
#: typical rows): the rows a read still takes from SQLite stay fewer than about this.
APPEND_AT_ROWS = 4 * ALIGN
#: The record's format.
_VERSION = 1
#: The Arrow type of each column kind (text for the others), as the snapshot reads them.
_ARROW = {"int": "int64", "bool": "int64", "float": "double"}
_SELECT = f"SELECT {', '.join(ALL_COLUMNS)} FROM audit_events WHERE seq > ? ORDER BY seq"


@dataclass(frozen=True)
class SidecarPaths:
    """The three files of a database's sidecar."""

    data: Path
    record: Path
    lock: Path

    @classmethod
    def of(cls, database: str) -> SidecarPaths:
        """The sidecar files beside ``database``."""
        return cls(*(Path(database + suffix) for suffix in (".cols", ".cols.json", ".cols.lock")))


@dataclass(frozen=True)
class Record:
    """What the sidecar file holds, vouched for by the record's MAC.

    ``start``: the ``seq`` the chain starts after (the prune checkpoint's, 0 without);
    ``last`` and ``head``: the last row in the file and its hash; ``schema_version``:
    the database's schema cookie then; ``segments``: ``[offset, length, sha256]`` of the
    schema message and of each appended batch, in file order; ``rows``: rows in all."""

    start: int
    last: int
    head: str
    schema_version: int
    segments: tuple[tuple[int, int, str], ...]
    rows: int

    @property
    def end(self) -> int:
        """The file's length as the record covers it."""
        offset, length, _ = self.segments[-1]
        return offset + length

    def body(self) -> str:
        """The text the MAC covers."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    def mac(self, key: ChainKey) -> str:
        """The record's MAC under the audit key (its own domain: ``sidecar|``)."""
        return key.mac(f"sidecar|{self.body()}")


def schema() -> pa.Schema:
    """The file's schema: the private snapshot's (``snapshot.read_whole_trail``)."""
    import pyarrow as pa

    alias = {c: _ARROW.get(KINDS.get(c, "text"), "string") for c in ALL_COLUMNS}
    return pa.schema([pa.field(c, pa.type_for_alias(t)) for c, t in alias.items()])


# -- reading ---------------------------------------------------------------------------


def read_table(store: AuditStore, conn: sqlite3.Connection) -> pa.Table | None:
    """Every row of the database ``conn`` reads (in its read transaction), as
    ``snapshot.read_whole_trail`` gives them, from the sidecar and the rows after it; or
    ``None`` when the sidecar cannot be trusted or used (see the module docstring): the
    caller then reads as before. The rows after it, where they fill whole
    :data:`ALIGN` s, are appended to it, so that the next read need not take them from
    SQLite again."""
    if store.memory:
        return None
    paths = SidecarPaths.of(store.path)
    record = _trusted_record(paths, store.key, conn)
    if record is None:
        return None
    # Two threads read and hash the file's segments while this one reads the tail.
    with ThreadPoolExecutor(2, thread_name_prefix="audit-sidecar") as pool:
        loading = pool.map(partial(_checked_segment, paths.data), record.segments)
        tail = rows_after(conn, record.last)
        segments = list(loading)
    if tail is None or record.rows + tail.num_rows < MIN_ROWS:
        return None
    batches = _batches(paths, record, segments)
    if batches is None:
        return None
    if tail.num_rows >= ALIGN:
        append_tail(store, conn, record, tail)
    import pyarrow as pa

    return pa.Table.from_batches([*batches, tail], schema=schema())


def status(store: AuditStore, conn: sqlite3.Connection) -> Callable[[], str]:
    """Whether the sidecar matches the database ``conn`` reads, in words (what
    ``verify()`` reports): ``"matches (...)"``, ``"none"`` or ``"ignored: why"``. The
    database is looked at now; the file's digests are checked on a thread of their own
    (hashlib works without the GIL) while the caller walks the chain: the function
    returned waits for them and gives the words."""
    if store.memory:
        return lambda: "none"
    paths = SidecarPaths.of(store.path)
    if not paths.record.exists() and not paths.data.exists():
        return lambda: "none"
    found = _load_record(paths.record, store.key)
    why = found if isinstance(found, str) else _mismatch(conn, found)
    if why is not None:
        return lambda: f"ignored: {why}"
    record = found
    assert isinstance(record, Record)
    pool = ThreadPoolExecutor(1, thread_name_prefix="audit-sidecar")
    digests = pool.submit(_file_matches, paths.data, record)
    pool.shutdown(wait=False)

    def words() -> str:
        if not digests.result():
            return "ignored: the file does not match its record (truncated, damaged or edited)"
        return f"matches (rows through seq {record.last})"

    return words


#: Bytes read at a time when the sidecar's digests are only checked (:func:`_file_matches`).
_CHECK_BYTES = 1 << 20


def _file_matches(path: Path, record: Record) -> bool:
    """Whether every segment of ``path`` has the SHA-256 ``record`` names: read a MiB at
    a time into one buffer (no copy of the whole file in memory, as :func:`_checked_segment`
    makes for a read that keeps the bytes) and hashed without the GIL."""
    buffer = memoryview(bytearray(_CHECK_BYTES))
    try:
        with open(path, "rb", buffering=0) as source:
            for offset, length, digest in record.segments:
                source.seek(offset)
                sha = hashlib.sha256()
                while length > 0:
                    got = source.readinto(buffer[: min(length, _CHECK_BYTES)])
                    if not got:
                        return False  # the file ends inside the segment
                    sha.update(buffer[:got])
                    length -= got
                if sha.hexdigest() != digest:
                    return False
    except OSError:
        return False
    return True


def _trusted_record(paths: SidecarPaths, key: ChainKey, conn: sqlite3.Connection) -> Record | None:
    found = _load_record(paths.record, key)
    if isinstance(found, str) or _mismatch(conn, found) is not None:
        return None
    return found


def _load_record(path: Path, key: ChainKey) -> Record | str:
    """The record in ``path`` if its MAC holds, else why not."""
    try:
        raw = json.loads(path.read_bytes())
        record = Record(
            start=int(raw["start"]),
            last=int(raw["last"]),
            head=str(raw["head"]),
            schema_version=int(raw["schema_version"]),
            segments=tuple((int(o), int(n), str(d)) for o, n, d in raw["segments"]),
            rows=int(raw["rows"]),
        )
        mac = raw["mac"]
        if raw.get("version") != _VERSION or not record.segments:
            return "the record is of another version"
    except FileNotFoundError:
        return "no record"
    except (OSError, ValueError, KeyError, TypeError):
        return "the record cannot be read"
    if mac != record.mac(key):
        return "the record's MAC is invalid (edited or forged)"
    return record


def _mismatch(conn: sqlite3.Connection, record: Record) -> str | None:
    """Why ``record`` does not describe the database ``conn`` reads (``None``: it does)."""
    found = conn.execute("SELECT hash FROM audit_events WHERE seq = ?", (record.last,)).fetchone()
    if found is None or found[0] != record.head:
        return f"the database's row {record.last} is not the one the sidecar ends with"
    if AuditStore.checkpoint_head(conn)[0] != record.start:
        return "the chain starts elsewhere now (pruned since)"
    first = conn.execute("SELECT min(seq) FROM audit_events").fetchone()[0]
    if first != record.start + 1:
        return "the database's first row is not the sidecar's"
    if conn.execute("PRAGMA schema_version").fetchone()[0] != record.schema_version:
        return "the database's schema changed since (a trigger dropped, a migration)"
    return None


def _checked_segment(path: Path, segment: tuple[int, int, str]) -> bytes | None:
    """The bytes of one segment of ``path`` (offset, length, SHA-256), or ``None`` when
    they are not there or differ (read and hashed without the GIL)."""
    offset, length, digest = segment
    try:
        with open(path, "rb", buffering=0) as source:
            source.seek(offset)
            data = source.read(length)
    except OSError:
        return None
    if len(data) != length or hashlib.sha256(data).hexdigest() != digest:
        return None
    return data


def _batches(
    paths: SidecarPaths, record: Record, segments: list[bytes | None]
) -> list[pa.RecordBatch] | None:
    """The record batches of the file's ``segments`` (:func:`_checked_segment` of each),
    or ``None`` when any is missing or differs; the record is then removed, so that the
    next append rebuilds the file."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        if any(segment is None for segment in segments):
            raise ValueError("truncated, damaged or edited: a segment's digest differs")
        buffers = [pa.py_buffer(segment) for segment in segments]
        expected = schema()
        if not ipc.read_schema(buffers[0]).equals(expected):
            raise ValueError("another schema")
        batches = [ipc.read_record_batch(buffer, expected) for buffer in buffers[1:]]
        if sum(b.num_rows for b in batches) != record.rows:
            raise ValueError("another row count")
    except (ValueError, pa.ArrowException) as exc:
        log.warning("the audit sidecar %s is not used: %s", paths.data, exc)
        with contextlib.suppress(OSError):
            paths.record.unlink()
        return None
    return batches


def _sha256(segment: pa.Buffer) -> str:
    return hashlib.sha256(memoryview(segment)).hexdigest()


def rows_after(conn: sqlite3.Connection, last: int, limit: int = -1) -> pa.RecordBatch | None:
    """The rows after ``seq`` ``last`` (at most ``limit``; -1: all) as a record batch of
    :func:`schema`, or ``None`` unless they follow on from ``last`` without a gap and
    every value is of its column's kind (int64, float64, text; NULL)."""
    try:
        rows = conn.execute(_SELECT + " LIMIT ?", (last, limit)).fetchall()
    except sqlite3.Error:  # e.g. a text that is not UTF-8
        return None
    return _batch(rows, last)


def _batch(
    rows: Sequence[tuple[Any, ...]], last: int, as_given: bool = False
) -> pa.RecordBatch | None:
    """``rows`` (``ALL_COLUMNS`` order, ``seq`` from ``last + 1`` on) as a record batch
    of :func:`schema`, or ``None`` (a gap, a value not of its column's kind). ``as_given``:
    the values the writer gave SQLite rather than read back from it: a float SQLite
    would not give back as it is (NaN, read back NULL; -0.0, read back 0.0) refuses them
    too (their append then reads them from SQLite)."""
    import pyarrow as pa

    expected = schema()
    if not rows:
        return pa.RecordBatch.from_pylist([], schema=expected)
    if rows[0][0] != last + 1 or rows[-1][0] != last + len(rows):
        return None  # a gap (seq is the primary key: ascending and unique)
    arrays = []
    try:
        for field, values in zip(expected, zip(*rows, strict=True), strict=True):
            array = pa.array(values)  # inferred: a value of another kind shows in the type
            if pa.types.is_null(array.type):
                array = array.cast(field.type)
            elif array.type != field.type:
                return None
            if as_given and pa.types.is_floating(array.type) and not _stored_as_is(array):
                return None
            arrays.append(array)
    except (pa.ArrowException, OverflowError, ValueError, TypeError):
        return None
    return pa.RecordBatch.from_arrays(arrays, schema=expected)


def _stored_as_is(values: pa.Array) -> bool:
    """Whether SQLite gives every float of ``values`` back as it is (no NaN, no -0.0)."""
    import numpy as np

    floats = values.drop_null().to_numpy(zero_copy_only=False)  # NULL stays NULL
    return not (np.isnan(floats).any() or (np.signbit(floats) & (floats == 0)).any())


def _seq(row: Row) -> int:
    """A stored row's ``seq`` (its first value)."""
    return cast(int, row[0])


class Settled:
    """The rows this process's writer committed since the last append (a listener of
    the batch writer: ``committed`` runs on its thread), so that the append at the next
    checkpoint need not read them back from SQLite. At most :data:`MAX_HELD_ROWS` are
    held; past that they are dropped, and the append reads from SQLite.

    ``wake`` (returns at once) asks for an append without waiting for the next checkpoint
    (``Checkpointer.request_after``): called as the rows held reach :data:`APPEND_AT_ROWS`."""

    def __init__(self, wake: Callable[[], object] | None = None) -> None:
        self._rows: list[Row] = []
        self._lock = threading.Lock()
        self._wake = wake

    def committed(self, stored: list[Row]) -> None:
        """Hold ``stored`` (rows just committed, in ``seq`` order)."""
        with self._lock:
            held = len(self._rows)
            if held + len(stored) > MAX_HELD_ROWS:
                self._rows = []  # a gap now: the next append reads from SQLite
            else:
                self._rows.extend(stored)
            # Once, as the count passes it: rows an append could not take (another
            # kernel holds the lock, a schema it does not copy) wait for a checkpoint.
            due = held < APPEND_AT_ROWS <= len(self._rows)
        if due and self._wake is not None:
            self._wake()

    def take(self, last: int, limit: int) -> list[Row] | None:
        """The held rows from ``seq`` ``last + 1`` on, as many whole :data:`ALIGN` s as
        there are (at most ``limit`` rows; the rest stay held), or ``None`` when the rows
        held do not begin there (another process wrote between, or some were dropped)."""
        with self._lock:
            rows = self._rows
            skip = 0
            while skip < len(rows) and _seq(rows[skip]) <= last:
                skip += 1
            if skip == len(rows) or _seq(rows[skip]) != last + 1:
                self._rows = rows[skip:]
                return None
            n = min(len(rows) - skip, limit)
            n -= n % ALIGN
            taken, self._rows = rows[skip : skip + n], rows[skip + n :]
        return taken


# -- writing ---------------------------------------------------------------------------


def bring_up_to_date(
    store: AuditStore, limit: int = MAX_APPEND_ROWS, settled: Settled | None = None
) -> int:
    """Append the settled rows the sidecar lacks (a multiple of :data:`ALIGN`, at most
    ``limit``), rebuilding the file first when it cannot be trusted; the rows appended.
    ``settled``: the rows this process committed, taken from there where they follow
    on (else read from SQLite). Never raises (a cache that cannot be written is left
    alone; reads use SQLite)."""
    if store.memory:
        return 0
    paths = SidecarPaths.of(store.path)
    try:
        with _locked(paths.lock) as mine:
            if not mine:
                return 0  # another kernel is appending
            with store.reading() as conn:
                return _append(paths, store.key, conn, limit, settled)
    except Exception:  # never let a cache break the checkpoint thread
        log.warning("the audit sidecar %s could not be written", paths.data, exc_info=True)
        return 0


def append_tail(
    store: AuditStore, conn: sqlite3.Connection, read: Record, tail: pa.RecordBatch
) -> int:
    """After a read that took ``read``'s rows from the sidecar and ``tail`` (the rows
    after them) from ``conn``: append ``tail``'s whole :data:`ALIGN` s, unless the
    sidecar moved meanwhile or another process holds its lock (the next read would read
    them from SQLite again). Never raises."""
    paths = SidecarPaths.of(store.path)
    try:
        with _locked(paths.lock) as mine:
            if not mine:
                return 0
            found = _load_record(paths.record, store.key)
            if found != read or paths.data.stat().st_size < read.end:
                return 0
            return _extend(paths, store.key, conn, read, tail)
    except Exception:
        log.warning("the audit sidecar %s could not be written", paths.data, exc_info=True)
        return 0


def _append(
    paths: SidecarPaths,
    key: ChainKey,
    conn: sqlite3.Connection,
    limit: int,
    settled: Settled | None = None,
) -> int:
    found = _load_record(paths.record, key)
    record = None if isinstance(found, str) or _mismatch(conn, found) else found
    if record is not None:
        try:
            if paths.data.stat().st_size < record.end:
                record = None
        except OSError:
            record = None
    if record is None and not declared_types(conn):
        return 0  # not the schema the snapshot reads: nothing to copy
    last = AuditStore.checkpoint_head(conn)[0] if record is None else record.last
    held = settled.take(last, limit) if settled is not None else None
    batch = _batch(held, last, as_given=True) if held else None
    if batch is None:
        batch = rows_after(conn, last, limit - limit % ALIGN)
    return 0 if batch is None else _extend(paths, key, conn, record, batch)


def _extend(
    paths: SidecarPaths,
    key: ChainKey,
    conn: sqlite3.Connection,
    record: Record | None,
    batch: pa.RecordBatch,
) -> int:
    """Write ``batch``'s whole :data:`ALIGN` s (the rows after ``record``'s, read on
    ``conn``) after ``record``'s segments, or into a new file when ``record`` is ``None``;
    then the new record. The rows taken."""
    taken: int = batch.num_rows - batch.num_rows % ALIGN
    if not taken:
        return 0
    batch = batch.slice(0, taken)
    seqs = batch.column(0)
    last = seqs[taken - 1].as_py()
    found = conn.execute("SELECT hash FROM audit_events WHERE seq = ?", (last,)).fetchone()
    head = batch.column(len(ALL_COLUMNS) - 1)[taken - 1].as_py()
    if found is None or found[0] != head:
        return 0  # not (yet) in this read snapshot, or not the row the batch holds
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    body = batch.serialize()
    if record is None:
        start = AuditStore.checkpoint_head(conn)[0]
        header = schema().serialize()
        segments = [(0, header.size, _sha256(header)), (header.size, body.size, _sha256(body))]
        _write_new(paths.data, [header, body])
        rows = taken
    else:
        start = record.start
        segments = [*record.segments, (record.end, body.size, _sha256(body))]
        _write_at(paths.data, record.end, body)
        rows = record.rows + taken
    _write_record(paths.record, Record(start, last, head, version, tuple(segments), rows), key)
    return taken


# No fsync anywhere: the file is a cache. After a power cut, a record that names bytes
# the disk lost fails its digests (the reader removes it; the next append rebuilds).


def _write_new(path: Path, parts: Sequence[pa.Buffer]) -> None:
    """A new file of ``parts`` (0600), renamed over ``path``."""
    with _replacing(path) as out:
        for part in parts:
            out.write(memoryview(part))


def _write_at(path: Path, offset: int, part: pa.Buffer) -> None:
    """``part`` written at ``offset`` (what a killed append left past it is overwritten,
    and cut after); the record that covers it is written after."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, offset + part.size)
    finally:
        os.close(fd)


def _write_record(path: Path, record: Record, key: ChainKey) -> None:
    body = {**asdict(record), "version": _VERSION, "mac": record.mac(key)}
    with _replacing(path) as out:
        out.write(json.dumps(body).encode())


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A new file (0600) in ``path``'s folder, renamed over ``path`` once written: a
    reader sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[bool]:
    """Hold the sidecar's ``flock`` (``True``), or ``False`` when another holds it."""
    with lock_if_free(path) as fd:
        yield fd is not None
