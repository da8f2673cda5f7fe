"""Audit rows as typed pandas DataFrames (pandas is imported here, lazily, only).

Types follow the column kinds in :mod:`.events`: ``timestamp`` is
``datetime64[us, UTC]``, integers are ``Int64`` (nullable), floats ``float64``,
``replayed`` is ``boolean``, text is pandas' string dtype, and the JSON columns
(``detail``, ``guardian_reasons``) are decoded to Python objects.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from .columnar import utc_times
from .events import COLUMNS
from .odd_cells import fractional_column
from .sqlrow import Row
from .store import ALL_COLUMNS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "KINDS",
    "apply_types",
    "encode_json_columns",
    "frame_from_arrow",
    "frame_from_rows",
    "joined_parts",
    "typed_in_part",
]

#: Column -> kind for every column of a row, ``seq`` and the hashes included.
KINDS: dict[str, str] = {
    "seq": "int",
    **{c.name: c.kind for c in COLUMNS},
    "prev_hash": "text",
    "hash": "text",
}


def frame_from_rows(
    rows: Iterable[Row], columns: Sequence[str] = ALL_COLUMNS, decode_json: bool = True
) -> pd.DataFrame:
    """A typed DataFrame from raw SQLite rows; JSON columns decoded where ``decode_json``."""
    import pandas as pd

    rows = rows if isinstance(rows, list) else list(rows)
    names = list(columns)
    if not rows:
        return apply_types(pd.DataFrame.from_records([], columns=names), decode_json)
    # Column by column, straight from the tuples: no object-dtype frame in between,
    # each column typed in one pass (this is what makes 100,000 rows fast).
    import numpy as np

    cells = np.array(rows, dtype=object)
    if cells.shape != (len(rows), len(names)):  # ragged rows: the general path copes
        return apply_types(pd.DataFrame.from_records(rows, columns=names), decode_json)
    seqs = cells[:, 0] if names and names[0] == "seq" else None  # names a warning's rows
    data = {
        name: _column(cells[:, i], KINDS.get(name), decode_json, name, seqs)
        for i, name in enumerate(names)
    }
    return pd.DataFrame(data, copy=False)


def _column(
    values: npt.NDArray[np.object_],
    kind: str | None,
    decode_json: bool,
    name: str = "cells",
    seqs: npt.NDArray[np.object_] | None = None,
) -> object:
    """One typed column from an object array of SQLite values (as :func:`_typed` types
    it): a Series, or an array, for the DataFrame constructor."""
    import numpy as np  # imported already by the caller: dict look-ups
    import pandas as pd
    import pyarrow as pa

    try:
        if kind == "float":
            return pd.Series(np.array(values, dtype="float64"), copy=False)
        if kind in ("int", "bool"):
            # Through Arrow: None -> <NA>; text or fractions raise (the general path).
            # Arrow's own conversion keeps every int64 exact; ``pd.array(arrow, "Int64")``
            # went through float64 when a cell was missing (2**53 + 1 came back 2**53,
            # and 2**63 - 1 raised OverflowError).
            # Typed by inference: ``pa.array(values, pa.int64())`` cut a fraction (2.5 -> 2);
            # a column that is not all integers takes the general path (see odd_cells).
            inferred = pa.array(values)
            if not (pa.types.is_integer(inferred.type) or pa.types.is_null(inferred.type)):
                raise TypeError(inferred.type)
            ints = inferred.cast(pa.int64()).to_pandas(types_mapper=_nullable_ints)
            return ints if kind == "int" else ints.astype("boolean")
        if kind == "text":
            texts = pa.array(values, pa.large_string())  # non-text cells raise
            return pd.Series(pd.array(texts, dtype=_text_dtype()), copy=False)
        if kind == "json" and decode_json:
            return pd.Series(_decode_all(values), dtype=object)
    except (TypeError, ValueError, pa.ArrowException):
        pass  # not the plain SQLite shape (e.g. numbers stored as text): type it cell by cell
    column = pd.DataFrame({name: pd.Series(values, dtype=object)})
    if seqs is not None:
        column["seq"] = seqs
    if kind is not None:
        _typed(column, name, kind, decode_json)
    return column[name]


def frame_from_arrow(
    table: pa.Table, decode_json: bool = True, typed: Mapping[str, object] | None = None
) -> pd.DataFrame:
    """The DataFrame :func:`frame_from_rows` makes of the same rows, from an Arrow table
    of them (``snapshot.read_whole_trail``: int64, float64 and UTF-8 text columns, nulls
    for NULL). Numbers and text go column to column in Arrow, and so do timestamps of
    the writer's shape (``columnar.utc_times``); other timestamps and the JSON columns
    become the Python values :func:`_column` types, so they are typed by the same code
    as before. ``typed``: columns already typed part by part (:func:`joined_parts`),
    each what this function would make of it."""
    import pandas as pd
    import pyarrow as pa

    typed = typed or {}
    data: dict[str, object] = {}
    for name in table.column_names:
        column, kind = table.column(name), KINDS.get(name)
        times = _times(column, typed.get(name)) if kind == "time" else None
        if times is not None:
            data[name] = times.to_pandas().astype("datetime64[us, UTC]")  # as _typed types it
        elif kind == "float" and pa.types.is_floating(column.type):
            data[name] = pd.Series(column.to_numpy(), copy=False)  # nulls become NaN
        elif kind in ("int", "bool") and pa.types.is_integer(column.type):
            ints = column.to_pandas(types_mapper=_nullable_ints)
            data[name] = ints if kind == "int" else ints.astype("boolean")
        elif kind == "text" and pa.types.is_string(column.type):
            # Chunk by chunk, as the snapshot read them: pandas' Arrow-backed strings
            # take the chunks as they are (no copy of the text).
            data[name] = pd.Series(pd.array(column, dtype=_text_dtype()), copy=False)
        elif (
            kind == "json"
            and decode_json
            and (decoded := _decoded(column, typed.get(name))) is not None
        ):
            data[name] = pd.Series(decoded, dtype=object)
        else:
            data[name] = _column(column.to_numpy(zero_copy_only=False), kind, decode_json)
    return pd.DataFrame(data, copy=False)


def _times(column: pa.ChunkedArray, typed: object) -> pa.ChunkedArray | None:
    """:func:`utc_times` of ``column``, or what the parts made of it (``typed``)."""
    import pyarrow as pa

    return typed if isinstance(typed, pa.ChunkedArray) else utc_times(column)


def _decoded(column: pa.ChunkedArray, typed: object) -> list[object] | None:
    """:func:`_decode_arrow` of ``column``, or what the parts made of it (``typed``)."""
    return typed if isinstance(typed, list) else _decode_arrow(column)


def typed_in_part(table: pa.Table, decode_json: bool = True) -> dict[str, object]:
    """What :func:`frame_from_arrow` makes of the timestamp and (where ``decode_json``)
    JSON columns of ``table``, one part of the trail's rows (``snapshot.read_trail_parts``
    calls it on each part while it reads the later ones); ``None`` for a column where
    that does not apply (the whole column then takes the path it always took)."""
    typed: dict[str, object] = {}
    for name in table.column_names:
        kind = KINDS.get(name)
        if kind == "time":
            typed[name] = utc_times(table.column(name))
        elif kind == "json" and decode_json:
            typed[name] = _decode_arrow(table.column(name))
    return typed


def joined_parts(parts: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """The columns every one of ``parts`` (:func:`typed_in_part` of consecutive parts of
    a table, in order) typed, each joined into what :func:`frame_from_arrow` makes of the
    whole column: the JSON values one after the other (each part's cells parse as its
    own JSON array, so all of them parse as one), the timestamps chunk after chunk
    (each value is checked and converted on its own)."""
    import pyarrow as pa

    joined: dict[str, object] = {}
    for name in parts[0] if parts else ():
        got = [part.get(name) for part in parts]
        lists = [g for g in got if isinstance(g, list)]
        times = [g for g in got if isinstance(g, pa.ChunkedArray)]
        if len(lists) == len(got):
            joined[name] = list(itertools.chain.from_iterable(lists))
        elif len(times) == len(got):
            chunks = [chunk for g in times for chunk in g.chunks]
            joined[name] = pa.chunked_array(chunks, type=times[0].type)
    return joined


def _decode_arrow(column: pa.ChunkedArray) -> list[object] | None:
    """:func:`_decode_all` of an Arrow text column without a Python string per cell: the
    texts are joined with commas (inserted between the cells' bytes by numpy) and
    parsed as one JSON array; ``None`` where that parse fails or gives another count
    (the cell-by-cell path decides). A column of missing cells is all ``None``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return None
    present = pc.drop_null(column).cast(pa.large_string()).combine_chunks()
    if not len(present):
        return [None] * len(column)  # every cell missing (what _decode_all makes of them)
    _, bounds, body = present.buffers()
    offsets = np.frombuffer(bounds, np.int64)[present.offset : present.offset + len(present) + 1]
    cells = np.frombuffer(body, np.uint8) if body is not None else np.empty(0, np.uint8)
    # "[", the cells with "," between each two, "]": the text of one JSON array.
    joined = np.insert(cells[offsets[0] : offsets[-1]], offsets[1:-1] - offsets[0], ord(","))
    try:
        text = b"[" + joined.tobytes() + b"]"
        decoded = json.loads(text.decode("utf-8"))
    except ValueError:  # not JSON (UnicodeDecodeError is a ValueError too)
        return None
    if not isinstance(decoded, list) or len(decoded) != len(present):
        return None
    if len(present) == len(column):
        return decoded
    out: list[object] = [None] * len(column)
    for at, value in zip(np.flatnonzero(column.is_valid().to_numpy()), decoded, strict=True):
        out[at] = value
    return out


def _nullable_ints(arrow_type: object) -> object:
    """``types_mapper`` for :meth:`pyarrow.Array.to_pandas`: int64 -> pandas ``Int64``."""
    import pandas as pd  # imported already by the caller
    import pyarrow as pa

    return pd.Int64Dtype() if arrow_type == pa.int64() else None


def _decode_all(values: Iterable[object]) -> list[object]:
    """Decode a column of JSON texts in one parse; falls back to cell by cell.

    The stored cells are ``json.dumps`` output, one document each; a cell that is not
    (invalid, or several values such as ``1, 2``) fails the parse or the count check.
    """
    present = [v for v in values if v is not None]
    texts = [v for v in present if isinstance(v, str)]
    if len(texts) == len(present):
        try:
            decoded = json.loads("[" + ",".join(texts) + "]")
        except ValueError:
            decoded = None
        if decoded is not None and len(decoded) == len(present):
            found = iter(decoded)
            return [None if v is None else next(found) for v in values]
    return [None if v is None else _from_json(v) for v in values]


def _text_dtype() -> Literal["str", "string"]:
    import pandas as pd  # imported already by the caller

    # pandas 3's "str" keeps missing values missing; on pandas 2 "str" would mean "None".
    return "str" if pd.__version__ >= "3" else "string"


def apply_types(frame: pd.DataFrame, decode_json: bool = True) -> pd.DataFrame:
    """Give every known column its dtype; decode JSON text where ``decode_json``."""
    out = frame.copy()
    for name in out.columns:
        kind = KINDS.get(name)
        if kind is not None:
            _typed(out, name, kind, decode_json)
    return out


def _typed(frame: pd.DataFrame, name: str, kind: str, decode_json: bool) -> None:
    """Give ``frame[name]`` the dtype of ``kind`` (in place)."""
    import pandas as pd  # imported already (the caller holds a frame): a dict look-up

    col = frame[name]
    if kind == "time":
        frame[name] = pd.to_datetime(col, utc=True, format="ISO8601").astype("datetime64[us, UTC]")
    elif kind == "int":
        exact = _exact_ints(col) if col.dtype == object else None
        frame[name] = exact if exact is not None else pd.to_numeric(col, errors="coerce")
        try:
            frame[name] = frame[name].astype("Int64")
        except TypeError:  # fractions: kept whole, as float64, with a warning
            seqs = frame["seq"].tolist() if "seq" in frame else None
            frame[name] = fractional_column(frame[name], seqs)
    elif kind == "float":
        frame[name] = pd.to_numeric(col, errors="coerce").astype("float64")
    elif kind == "bool":
        frame[name] = col.map(_to_bool, na_action="ignore").astype("boolean")
    elif kind == "json" and decode_json:
        decoded = col.map(_from_json, na_action="ignore").astype(object)
        frame[name] = decoded.where(col.notna(), None)  # missing is None, whatever the source
    else:
        frame[name] = col.astype(_text_dtype())


_DIGITS = re.compile(r"-?[0-9]+")


def _exact_ints(col: pd.Series[str]) -> pd.Series[int] | None:
    """An object column of integers, digit strings and missing cells as ``Int64``, every
    value exact; ``None`` for anything else (``pd.to_numeric`` decides, as before).

    ``pd.to_numeric`` makes such a column float64 once a cell is missing, which rounds
    integers beyond 2**53 (a CSV or JSONL export read back with one missing token count)."""
    import pandas as pd  # imported already (the caller holds a frame): a dict look-up

    ints: list[int | None] = []
    cells: list[object] = list(col.tolist())  # an object column: any mix of cell types
    for cell in cells:
        if cell is None or cell is pd.NA or (isinstance(cell, float) and cell != cell):
            ints.append(None)
        elif type(cell) is int:
            ints.append(cell)
        elif isinstance(cell, str) and _DIGITS.fullmatch(cell):
            ints.append(int(cell))
        else:
            return None
    try:
        return pd.Series(pd.array(ints, dtype="Int64"), index=col.index, name=col.name)
    except (OverflowError, TypeError, ValueError):  # beyond int64: as before
        return None


def _to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _from_json(value: object) -> object:
    if not isinstance(value, str):
        return value  # already decoded (e.g. read back from JSONL)
    try:
        return json.loads(value)
    except ValueError:
        return value


def encode_json_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn decoded JSON columns back into JSON text (for Parquet and CSV)."""
    out = frame.copy()
    for name in out.columns:
        if KINDS.get(name) == "json":
            out[name] = (
                out[name]
                .map(
                    lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True, default=str),
                    na_action="ignore",
                )
                .astype(object)
            )
    return out
