"""The whole trail's Parquet export depends on its rows only, not on how the Arrow table
it is written from is chunked (the private snapshot reads two ranges, the columnar
sidecar one batch per append): ``columnar.canonical_chunks``."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pytest

from orchestration_kernel.audit.export import parquet_from_arrow, write_parquet
from orchestration_kernel.audit.frames import KINDS
from orchestration_kernel.audit.store import ALL_COLUMNS

CHUNK_ROWS = 1024
ROWS = 24 * CHUNK_ROWS + 77
_TYPES = {"int": pa.int64(), "bool": pa.int64(), "float": pa.float64()}


def schema() -> pa.Schema:
    """The whole trail's Arrow table, as the snapshot reads it."""
    return pa.schema([(c, _TYPES.get(KINDS.get(c, "text"), pa.string())) for c in ALL_COLUMNS])


def _table() -> pa.Table:
    rows = [
        {
            "seq": i + 1,
            "timestamp": f"2026-12-07T08:{i // 600 % 60:02d}:{i // 10 % 60:02d}.{i:06d}+00:00",
            "event": "call",
            "model": f"openai:gpt-4o-mini-{i % 7}",
            "latency_ms": 412.5 + i % 13,
            "input_tokens": i * 3,
            "replayed": i % 2,
            "detail": f'{{"n": {i}}}',
            "prompt": f"prompt {i} " * (20 + i % 5),
            "hash": f"{i:064x}",
        }
        for i in range(ROWS)
    ]
    full = schema()
    return pa.Table.from_pylist(rows, schema=full)


def _written(table: pa.Table, path: Path) -> bytes:
    direct = parquet_from_arrow(table, path)
    assert direct is not None
    write_parquet(direct, path)
    return path.read_bytes()


@pytest.mark.parametrize("cuts", [[ROWS // 2], [1000, 3000], [1024, 2048, 4096], [1, 20000]])
def test_the_same_rows_give_the_same_file_however_they_are_chunked(
    tmp_path: Path, cuts: list[int]
) -> None:
    table = _table()
    one = _written(table.combine_chunks(), tmp_path / "one.parquet")
    bounds = [0, *cuts, ROWS]
    spans = list(itertools.pairwise(bounds))
    chunked = pa.concat_tables([table.slice(a, b - a).combine_chunks() for a, b in spans])
    assert [len(c) for c in chunked.column(0).chunks] == [b - a for a, b in spans]
    assert _written(chunked, tmp_path / "chunked.parquet") == one


def test_canonical_chunks_cut_every_1024_rows_and_keep_the_rows() -> None:
    from orchestration_kernel.audit.columnar import canonical_chunks

    table = pa.concat_tables([_table().slice(0, 1500), _table().slice(1500)])
    cut = canonical_chunks(table)
    sizes = [len(c) for c in cut.column(0).chunks]
    assert sizes == [CHUNK_ROWS] * (ROWS // CHUNK_ROWS) + [ROWS % CHUNK_ROWS]
    assert cut.equals(table)
