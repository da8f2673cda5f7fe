"""The whole trail's Parquet export, written part by part as the snapshot is read
(``export.parquet_in_parts``): the same schema, metadata and values as the frame's export,
a row group per part, and a dictionary only for the columns whose values repeat."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration_kernel.audit import AuditTrail, snapshot


def _trail(path: Path, rows: int) -> AuditTrail:
    trail = AuditTrail(path, session_id="s")
    for i in range(rows):
        trail.record(
            "call",
            run_id=f"run{i // 5}",
            model=["openai:gpt-4o", "anthropic:claude"][i % 2],
            attempt=None if i % 4 == 0 else i,
            latency_ms=[412.5, 0.1 + 0.2, None][i % 3],
            prompt=f"a prompt of its own, é {i}",
            response="the same reply",
            detail={"n": i},
        )
    trail.flush()
    return trail


def _both_ways(trail: AuditTrail, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The trail exported the stdlib way (one frame), then through the snapshot."""
    paths = []
    for min_rows in (10**9, 1):
        monkeypatch.setattr(snapshot, "MIN_ROWS", min_rows)
        paths.append(trail.export(folder / f"{min_rows}.parquet"))
    return paths


def _dictionary_columns(path: Path) -> set[str]:
    meta = pq.ParquetFile(path).metadata
    group = meta.row_group(0)
    return {
        group.column(c).path_in_schema
        for c in range(meta.num_columns)
        if group.column(c).dictionary_page_offset is not None
    }


def test_the_parts_are_row_groups_with_the_frame_s_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _trail(tmp_path / "a.sqlite", 60) as trail:
        frame_file, parts_file = _both_ways(trail, tmp_path, monkeypatch)
    old, new = pq.read_table(frame_file), pq.read_table(parts_file)
    assert new.equals(old) and new.schema.metadata == old.schema.metadata
    assert pq.ParquetFile(parts_file).metadata.num_row_groups == snapshot.SPLITS
    repeating = _dictionary_columns(parts_file)
    assert {"model", "response", "event"} <= repeating
    assert not {"seq", "hash", "prev_hash", "prompt", "detail"} & repeating


def test_a_range_without_rows_adds_no_row_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gap in ``seq`` (rows deleted behind the trail's back) leaves a part empty."""
    path = tmp_path / "a.sqlite"
    _trail(path, 60).close()
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER audit_events_no_delete")
    raw.execute("DELETE FROM audit_events WHERE seq BETWEEN 11 AND 30")
    raw.commit()
    raw.close()
    with AuditTrail(path, session_id="s") as trail:
        frame_file, parts_file = _both_ways(trail, tmp_path, monkeypatch)
    old, new = pq.read_table(frame_file), pq.read_table(parts_file)
    assert new.num_rows == 40
    assert new.equals(old) and new.schema.metadata == old.schema.metadata
    assert pq.ParquetFile(parts_file).metadata.num_row_groups == snapshot.SPLITS - 2  # 11-30
