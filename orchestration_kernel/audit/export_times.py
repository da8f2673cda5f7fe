"""One ISO 8601 form for every timestamp a text export writes: ``2026-12-07T08:09:57.199739+00:00``.

CSV wrote ``+0000`` (``strftime``'s ``%z``: an offset ISO 8601 allows only in its basic
format, which the rest of that timestamp is not) and JSONL wrote ``Z`` (pandas' ISO
dates), so the same row exported twice differed as text, and a plain ``pd.read_csv`` /
``json.loads`` of the two did not compare equal. Both now write the extended form with
``+00:00``: RFC 3339, what ``datetime.isoformat()`` and the audit database itself hold,
read by ``datetime.fromisoformat`` and ``pd.to_datetime`` alike. Parquet keeps native
timestamps (UTC, microseconds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["UTC_SUFFIX", "with_iso_times"]

#: The offset every exported timestamp ends with (they are all UTC).
UTC_SUFFIX = "+00:00"


def with_iso_times(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each timezone-aware datetime column as ISO 8601 text in UTC
    (microseconds, ``+00:00``), missing stays missing; other columns untouched. A copy
    only when there is such a column."""
    import numpy as np
    import pandas as pd

    columns = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    if not columns:
        return frame
    out = frame.copy(deep=False)
    for name in columns:
        col = frame[name].dt.tz_convert("UTC").dt.tz_localize(None)
        values = col.to_numpy(dtype="datetime64[us]")
        # numpy formats the whole column in C (``strftime`` goes cell by cell).
        text = np.char.add(np.datetime_as_string(values, unit="us"), UTC_SUFFIX).astype(object)
        text[np.isnat(values)] = None
        out[name] = pd.Series(text, index=frame.index, dtype=object)
    return out
