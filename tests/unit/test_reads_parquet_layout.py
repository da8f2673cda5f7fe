"""The whole trail's Parquet export (``export.write_parquet``) writes each column the way
its values call for: digests (hex of a keyed hash, unique per row) neither compressed nor
put in a dictionary, free text without min/max statistics, columns whose values repeat
in a dictionary with their statistics; and a reader gets every value back as it was."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration_kernel.audit.export import parquet_from_arrow, write_parquet
from orchestration_kernel.audit.frames import KINDS
from orchestration_kernel.audit.store import ALL_COLUMNS

ROWS = 3000
_TYPES = {"int": pa.int64(), "bool": pa.int64(), "float": pa.float64()}
DIGESTS = ("prompt_hash", "request_hash", "prev_hash", "hash")


def _table() -> pa.Table:
    """Rows shaped as the snapshot reads them: digests unique, models repeating."""
    n = range(ROWS)
    given: dict[str, list[object]] = {
        "seq": [i + 1 for i in n],
        "timestamp": [
            f"2026-12-07T09:{i // 600 % 60:02d}:{i // 10 % 60:02d}.{i:06d}+00:00" for i in n
        ],
        "event": ["call"] * ROWS,
        "model": [f"openai:gpt-4o-mini-{i % 3}" for i in n],
        "latency_ms": [400.25 + i % 7 for i in n],
        "input_tokens": [i * 3 for i in n],
        "replayed": [i % 2 for i in n],
        "detail": [f'{{"k": {i}}}' for i in n],
        "prompt": [f"ask {i} " * (10 + i % 5) for i in n],
    }
    for k, name in enumerate(DIGESTS):
        given[name] = [f"{i * 7919 + k:064x}" for i in n]
    columns = {}
    for column in ALL_COLUMNS:
        kind = _TYPES.get(KINDS.get(column, "text"), pa.string())
        columns[column] = pa.array(given.get(column, [None] * ROWS), kind)
    return pa.table(columns)


def _export(tmp_path: Path) -> tuple[pa.Table, Path]:
    path = tmp_path / "trail.parquet"
    direct = parquet_from_arrow(_table(), path)
    assert direct is not None
    write_parquet(direct, path)
    return direct, path


def _columns(path: Path) -> dict[str, pq.ColumnChunkMetaData]:
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == 1
    group = meta.row_group(0)
    return {group.column(k).path_in_schema: group.column(k) for k in range(group.num_columns)}


def test_digests_are_written_plain_and_uncompressed(tmp_path: Path) -> None:
    _, path = _export(tmp_path)
    columns = _columns(path)
    for name in DIGESTS:
        assert columns[name].compression == "UNCOMPRESSED", name
        assert "RLE_DICTIONARY" not in columns[name].encodings, name
        assert not columns[name].is_stats_set, name


def test_free_text_has_no_statistics_and_repeating_columns_keep_theirs(tmp_path: Path) -> None:
    _, path = _export(tmp_path)
    columns = _columns(path)
    for name in ("prompt", "detail"):
        assert not columns[name].is_stats_set, name
        assert "RLE_DICTIONARY" not in columns[name].encodings, name
        assert columns[name].compression == "SNAPPY", name
    model = columns["model"]
    assert "RLE_DICTIONARY" in model.encodings
    assert model.compression == "SNAPPY"
    assert model.is_stats_set
    assert model.statistics.min == "openai:gpt-4o-mini-0"
    assert model.statistics.max == "openai:gpt-4o-mini-2"
    assert columns["seq"].statistics.min == 1
    assert columns["seq"].statistics.max == ROWS


def test_every_value_reads_back_as_written(tmp_path: Path) -> None:
    direct, path = _export(tmp_path)
    back = pq.read_table(path)
    assert back.schema.equals(direct.schema, check_metadata=True)
    assert back.equals(direct)
