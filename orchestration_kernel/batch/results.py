"""Results on disk: Parquet parts written as results arrive, and their assembly into a
DataFrame aligned to the input's index.

:class:`ResultWriter` buffers at most ``row_group`` rows, then writes them as one Parquet
row group, so memory stays flat however many results a chunk has. A part is written to a
temporary name and renamed when complete: a part on disk is always whole. Later parts
win over earlier ones for the same cell (a retry replaces a failure).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["RESULT_COLUMNS", "ResultWriter", "assemble", "read_index", "read_parts", "write_index"]

#: the columns of every result part
RESULT_COLUMNS = (
    "row", "model", "custom_id", "status", "text", "error", "input_tokens", "output_tokens",
    "cost_usd", "batch_id",
)  # fmt: skip


@functools.cache
def _schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            ("row", pa.int64()),
            ("model", pa.int16()),
            ("custom_id", pa.string()),
            ("status", pa.string()),
            ("text", pa.string()),
            ("error", pa.string()),
            ("input_tokens", pa.int64()),
            ("output_tokens", pa.int64()),
            ("cost_usd", pa.float64()),
            ("batch_id", pa.string()),
        ]
    )


class ResultWriter:
    """Append result rows; they reach ``path`` in row groups (see the module docstring)."""

    def __init__(self, path: Path, row_group: int = 10_000) -> None:
        self.path = path
        self.row_group = row_group
        self.count = 0
        self._tmp = path.with_suffix(".parquet.tmp")
        self._rows: list[tuple[Any, ...]] = []
        self._writer: Any = None

    def add(self, **row: Any) -> None:
        """One result row (every column of :data:`RESULT_COLUMNS`, by name)."""
        self.append(tuple(row.get(name) for name in RESULT_COLUMNS))

    def append(self, values: tuple[Any, ...]) -> None:
        """One result row as a tuple in :data:`RESULT_COLUMNS` order (the fast path)."""
        self._rows.append(values)
        self.count += 1
        if len(self._rows) >= self.row_group:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._rows:
            return
        schema = _schema()
        columns = [
            pa.array(values, type=schema.field(i).type)
            for i, values in enumerate(zip(*self._rows, strict=True))
        ]
        table = pa.Table.from_arrays(columns, schema=schema)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, schema, compression="zstd")
        self._writer.write_table(table)
        self._rows = []

    def close(self) -> Path:
        """Write what is buffered and move the part into place (an empty part for none)."""
        import pyarrow.parquet as pq

        self._flush()
        if self._writer is None:
            pq.write_table(_schema().empty_table(), self._tmp)
        else:
            self._writer.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop a half-written part."""
        if self._writer is not None:
            self._writer.close()
        self._tmp.unlink(missing_ok=True)


def write_index(path: Path, index: Any) -> str:
    """Store the input's index (``"range"`` when it is the default 0..n-1, nothing stored)."""
    import pandas as pd

    if index is None:
        return "range"
    # pandas makes a MultiIndex of a list of tuples, but a flat index of tuples of one.
    idx = index if isinstance(index, pd.Index) else pd.Index(index)
    if isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1:
        return "range"
    pd.DataFrame(index=idx).to_parquet(path)
    return "stored"


def read_index(path: Path, kind: str, rows: int) -> pd.Index:
    """The input's index, as :func:`write_index` stored it."""
    import pandas as pd

    if kind == "range":
        return pd.RangeIndex(rows)
    return pd.read_parquet(path).index


def read_parts(paths: Iterable[Path], columns: list[str] | None = None) -> pa.Table:
    """Every part's rows, in the order given (empty when there are none)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(p, columns=columns) for p in paths if p.exists()]
    if not tables:
        schema = _schema()
        return schema.empty_table() if columns is None else schema.empty_table().select(columns)
    return pa.concat_tables(tables)


def assemble(parts: list[Path], index: pd.Index, models: list[str]) -> pd.DataFrame:
    """One column per model, aligned to ``index``: the answer text, or ``"<status>: <error>"``
    for a cell that was blocked, failed, expired or cancelled; None where nothing came yet."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    table = read_parts(parts, ["row", "model", "status", "text", "error"])
    rows = len(index)
    status = table.column("status")
    ok = pc.equal(status, "done")
    reason = pc.binary_join_element_wise(status, pc.fill_null(table.column("error"), ""), ": ")
    cell = pc.if_else(ok, pc.fill_null(table.column("text"), ""), reason)
    row_idx = table.column("row").to_numpy()
    model_idx = table.column("model").to_numpy()
    values = np.asarray(cell.to_numpy(zero_copy_only=False), dtype=object)
    out: dict[str, Any] = {}
    for k, name in enumerate(models):
        column = np.full(rows, None, dtype=object)
        mask = model_idx == k
        column[row_idx[mask]] = values[mask]  # later parts come later: they win
        out[name] = column
    return pd.DataFrame(out, index=index)
