"""Typing the whole trail's Arrow table (``snapshot.read_whole_trail``) in Arrow itself,
for the DataFrame and for a Parquet export written without a pandas frame in between.

Each function gives what the pandas path (:mod:`.frames` and ``DataFrame.to_parquet``)
gives for the same values, or ``None`` where it cannot be sure of that: the caller then
takes the pandas path, which types (or refuses) every value as it always did.

* :func:`utc_times`: the ``timestamp`` column as ``timestamp[us, UTC]``, only when every
  value has the writer's exact shape (``rows.format_timestamp``:
  ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, checked byte by byte) and Arrow's ISO-8601
  parser accepts the date (it refuses February 30th or a 60th second, as pandas does);
  year 0 (outside Python's calendar) is left to pandas.
* :func:`canonical_chunks`: the table cut into chunks of :data:`CHUNK_ROWS` rows. A
  Parquet file written from a table depends on how its columns are chunked, not only on
  its values; cut the same way, the same rows give the same file whether they were read
  from the private snapshot (in two ranges) or from the columnar sidecar (one batch per
  append, see :mod:`.sidecar`).
* :func:`parquet_table`: the table ``pa.Table.from_pandas`` makes of the export's frame
  (JSON columns as text), given the schema and pandas metadata of that very conversion
  of the table's first row (``export.parquet_from_arrow``), so that the file holds the
  same schema, the same metadata and the same values as before.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

__all__ = ["CHUNK_ROWS", "canonical_chunks", "parquet_table", "utc_times"]

#: The rows of each chunk of a table the Parquet export writes (the last one: fewer).
CHUNK_ROWS = 1024

#: The writer's timestamp: fixed width, with these bytes at these offsets and digits in
#: every other position.
_WIDTH = 32
_FIXED = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 19: ".", 26: "+", 27: "0", 28: "0"}
_FIXED |= {29: ":", 30: "0", 31: "0"}


def utc_times(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """``column`` (text) as ``timestamp[us, tz=UTC]`` (nulls kept), or ``None`` unless
    every value is one the writer writes and parses to the moment pandas reads."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return None
    if not _writer_shaped(pc.drop_null(column)):
        return None
    try:
        return column.cast(pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # e.g. February 30th: pandas says what it says about it


def _writer_shaped(values: pa.ChunkedArray) -> bool:
    """Whether every (non-null) text in ``values`` is ``_WIDTH`` bytes with the writer's
    separators where ``_FIXED`` puts them, ASCII digits elsewhere, and a year above 0.

    The chunks are joined first (a copy of ~32 bytes a row), so that the check is a few
    passes over all the rows rather than a few numpy calls per chunk (a Parquet export's
    column comes in chunks of ``CHUNK_ROWS`` rows); chunk by chunk where they cannot be
    joined (more text than 32-bit offsets reach)."""
    import pyarrow as pa

    try:
        joined = [values.combine_chunks()] if values.num_chunks > 1 else values.chunks
    except (pa.ArrowInvalid, pa.ArrowCapacityError):
        joined = values.chunks
    return all(_shaped(chunk) for chunk in joined)


def _shaped(chunk: pa.Array) -> bool:
    """:func:`_writer_shaped` of one array (no nulls)."""
    import numpy as np
    import pyarrow as pa

    if not len(chunk):
        return True
    wide = pa.types.is_large_string(chunk.type)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
    if np.any(np.diff(offsets) != _WIDTH):
        return False
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    cells = data.reshape(len(chunk), _WIDTH)
    lowest, highest = _bounds()
    return bool(
        np.all((cells >= lowest) & (cells <= highest))  # each byte within its bounds
        and not np.any(np.all(cells[:, :4] == ord("0"), axis=1))  # year 0: left to pandas
    )


@functools.cache
def _bounds() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """The lowest and highest byte allowed at each offset of a writer's timestamp: its
    separator where ``_FIXED`` puts one, an ASCII digit elsewhere."""
    import numpy as np

    lowest = np.full(_WIDTH, ord("0"), dtype=np.uint8)
    highest = np.full(_WIDTH, ord("9"), dtype=np.uint8)
    for at, char in _FIXED.items():
        lowest[at] = highest[at] = ord(char)
    return lowest, highest


def canonical_chunks(table: pa.Table) -> pa.Table:
    """``table`` in chunks of :data:`CHUNK_ROWS` rows (the last one shorter): slices of
    its batches where a batch holds a whole chunk, a copy of the few rows where a chunk
    spans two batches."""
    import pyarrow as pa

    out: list[pa.RecordBatch] = []
    carry: list[pa.RecordBatch] = []  # the pieces of a chunk that spans batches
    carried = 0
    for batch in table.to_batches():
        at = 0
        if carried:
            piece = batch.slice(0, CHUNK_ROWS - carried)
            carry.append(piece)
            carried += piece.num_rows
            at = piece.num_rows
            if carried == CHUNK_ROWS:
                out.append(_joined(carry, table.schema))
                carry, carried = [], 0
        while batch.num_rows - at >= CHUNK_ROWS:
            out.append(batch.slice(at, CHUNK_ROWS))
            at += CHUNK_ROWS
        if at < batch.num_rows:
            carry, carried = [batch.slice(at)], batch.num_rows - at
    if carry:
        out.append(_joined(carry, table.schema))
    return pa.Table.from_batches(out, schema=table.schema)


def _joined(pieces: list[pa.RecordBatch], schema: pa.Schema) -> pa.RecordBatch:
    """One record batch of ``pieces``' rows, in order."""
    import pyarrow as pa

    if len(pieces) == 1:
        return pieces[0]
    return pa.Table.from_batches(pieces, schema=schema).combine_chunks().to_batches()[0]


def parquet_table(
    table: pa.Table, expected: pa.Schema, kinds: Mapping[str, str]
) -> pa.Table | None:
    """``table`` as ``expected``: the schema (and pandas metadata) ``pa.Table.from_pandas``
    gives the export's frame of these columns, each column of kind ``kinds[name]``
    (``frames.KINDS``) typed in Arrow as pandas types it; ``None`` when a column cannot
    be typed here exactly so (the frame is then exported as before)."""
    import pyarrow as pa

    if expected.names != table.column_names:
        return None
    columns = []
    for field in expected:
        typed = _typed(table.column(field.name), kinds.get(field.name, "text"), field.type)
        if typed is None:
            return None
        columns.append(typed)
    return pa.Table.from_arrays(columns, schema=expected)


def _typed(column: pa.ChunkedArray, kind: str, target: pa.DataType) -> pa.ChunkedArray | None:
    """``column`` as pandas types it for ``kind`` and writes it as ``target``; ``None``
    for any other combination (the pandas path decides)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    source = column.type
    text = pa.types.is_string(source) or pa.types.is_large_string(source)
    if kind == "int" and pa.types.is_int64(source) and target == pa.int64():
        return column
    if kind == "bool" and pa.types.is_int64(source) and target == pa.bool_():
        return pc.not_equal(column, 0)  # what astype("boolean") makes of an integer
    if kind == "float" and pa.types.is_float64(source) and target == pa.float64():
        # pandas holds a missing float as NaN and writes NaN as null; SQLite stores no
        # NaN, so this only keeps the rule.
        return None if pc.any(pc.is_nan(column)).as_py() else column
    if kind == "time" and target == pa.timestamp("us", tz="UTC"):
        return utc_times(column)
    if kind in ("text", "json") and text and pa.types.is_large_string(target):
        return column.cast(target)
    return None
