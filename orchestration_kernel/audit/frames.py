"""Audit rows as typed pandas DataFrames (pandas is imported here, lazily, only).

Types follow the column kinds in :mod:`.events`: ``timestamp`` is
``datetime64[us, UTC]``, integers are ``Int64`` (nullable), floats ``float64``,
``replayed`` is ``boolean``, text is pandas' string dtype, and the JSON columns
(``detail``, ``guardian_reasons``) are decoded to Python objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .events import COLUMNS
from .store import ALL_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["KINDS", "apply_types", "encode_json_columns", "frame_from_rows"]

#: Column -> kind for every column of a row, ``seq`` and the hashes included.
KINDS: dict[str, str] = {
    "seq": "int",
    **{c.name: c.kind for c in COLUMNS},
    "prev_hash": "text",
    "hash": "text",
}


def frame_from_rows(
    rows: Iterable[Sequence[Any]], columns: Sequence[str] = ALL_COLUMNS, decode_json: bool = True
) -> pd.DataFrame:
    """A typed DataFrame from raw SQLite rows; JSON columns decoded where ``decode_json``."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    return apply_types(frame, decode_json)


def apply_types(frame: pd.DataFrame, decode_json: bool = True) -> pd.DataFrame:
    """Give every known column its dtype; decode JSON text where ``decode_json``."""
    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        kind = KINDS.get(name)
        if kind is not None:
            out[name] = _typed(pd, out[name], kind, decode_json)
    return out


def _typed(pd: Any, col: pd.Series, kind: str, decode_json: bool) -> pd.Series:
    if kind == "time":
        return pd.to_datetime(col, utc=True, format="ISO8601").astype("datetime64[us, UTC]")
    if kind == "int":
        return pd.to_numeric(col, errors="coerce").astype("Int64")
    if kind == "float":
        return pd.to_numeric(col, errors="coerce").astype("float64")
    if kind == "bool":
        return col.map(_to_bool, na_action="ignore").astype("boolean")
    if kind == "json" and decode_json:
        decoded = col.map(_from_json, na_action="ignore").astype(object)
        return decoded.where(col.notna(), None)  # missing is None, whatever the source
    # pandas 3's "str" keeps missing values missing; on pandas 2 "str" would mean "None".
    return col.astype("str" if pd.__version__ >= "3" else "string")


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _from_json(value: Any) -> Any:
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
