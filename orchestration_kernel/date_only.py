"""Date columns: timestamps that are all at midnight.

``pd.to_datetime(["2024-01-01", "2024-02-01"])`` holds ``Timestamp('2024-01-01 00:00:00')``;
pandas shows such a column as ``2024-01-01``, but ``str()`` of each value, which is what a
prompt renders, reads ``2024-01-01 00:00:00``: a time the data never had. A datetime
column without a time zone whose present values are all at midnight is a date column
here: prompts take its values as ``datetime.date`` (``2024-01-01``). The user's own frame
does not change.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["date_only_positions", "date_values"]


def _midnights(column: pd.Series) -> bool:
    # datetime64 without a zone: pandas shows a zoned one with its time and offset.
    if getattr(column.dtype, "kind", "") != "M" or getattr(column.dtype, "tz", None) is not None:
        return False
    present = column.dropna()
    return not present.empty and bool((present == present.dt.normalize()).all())


def date_only_positions(frame: pd.DataFrame) -> list[int]:
    """The positions of ``frame``'s columns that are dates (see the module docstring)."""
    return [k for k in range(frame.shape[1]) if _midnights(frame.iloc[:, k])]


def date_values(column: pd.Series) -> list[datetime.date | None] | None:
    """``column``'s values as dates and ``None`` where missing when it is a date column,
    else ``None``."""
    if not _midnights(column):
        return None
    return [None if value is None or value != value else value.date() for value in column.tolist()]
