"""Find a marker string anywhere under a folder: the bytes of every file (SQLite pages,
WAL and journal included) and, for Parquet files, the decoded values too (a compressed
page need not hold the marker's bytes verbatim)."""

from __future__ import annotations

from pathlib import Path


def files_holding(root: Path, marker: str) -> list[str]:
    """The paths (relative to ``root``) of the files under ``root`` that hold ``marker``."""
    needle = marker.encode()
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            data = path.read_bytes()
        except OSError:  # a file removed while we walk (a temporary one)
            continue
        if needle in data or (path.suffix == ".parquet" and marker in _parquet_text(path)):
            found.append(str(path.relative_to(root)))
    return found


def _parquet_text(path: Path) -> str:
    import pyarrow.parquet as pq

    try:
        return str(pq.read_table(path).to_pylist())
    except Exception:  # not (or not yet) a whole Parquet file: its raw bytes were read
        return ""
