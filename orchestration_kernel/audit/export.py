"""Writing audit frames to Parquet, CSV or JSONL (chosen by suffix) and reading them back.

Parquet keeps every dtype. CSV and JSONL are text, so :func:`read_back` restores the
types from the schema; the JSON columns travel as JSON text in Parquet and CSV and as
nested JSON in JSONL. One limit of CSV: an empty string and a missing value look the
same there, and both come back missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from .frames import KINDS, apply_types, encode_json_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "export_frame", "read_back", "wants_decoded_json"]

#: Suffix -> format name.
FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigurationError(
            f"Cannot tell the export format from {path.name!r}: use a file name ending in "
            ".parquet, .csv or .jsonl."
        )
    return fmt


def wants_decoded_json(path: str | Path) -> bool:
    """JSONL nests decoded JSON; Parquet and CSV store the JSON columns as text."""
    return _format(Path(path)) == "jsonl"


def export_frame(frame: pd.DataFrame, path: str | Path, *, json_as_text: bool = False) -> Path:
    """Write ``frame`` to ``path`` in the format its suffix names; returns the path.

    ``json_as_text``: the JSON columns still hold the stored JSON text (no re-encoding).
    """
    path = Path(path).expanduser()
    fmt = _format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    as_text = frame if json_as_text else None
    if fmt == "parquet":
        (as_text if as_text is not None else encode_json_columns(frame)).to_parquet(
            path, index=False
        )
    elif fmt == "csv":
        (as_text if as_text is not None else encode_json_columns(frame)).to_csv(
            path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f%z"
        )
    else:
        frame.to_json(
            path, orient="records", lines=True, date_format="iso", date_unit="us", force_ascii=False
        )
    return path


def read_back(path: str | Path) -> pd.DataFrame:
    """Read an export written by :func:`export_frame`, with the audit dtypes restored."""
    import pandas as pd

    path = Path(path).expanduser()
    fmt = _format(path)
    if fmt == "parquet":
        frame = pd.read_parquet(path)
    elif fmt == "csv":
        # Read every known column as text first, so nothing is guessed (ids stay ids).
        frame = pd.read_csv(
            path, dtype={k: object for k in KINDS}, keep_default_na=False, na_values=[""]
        )
    else:
        # Parsed by hand: pandas' JSON reader would guess types we already know.
        with path.open(encoding="utf-8") as lines:
            frame = pd.DataFrame.from_records([json.loads(line) for line in lines if line.strip()])
    return apply_types(frame)
