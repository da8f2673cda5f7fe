"""The frame ``to_dataframe()`` returns: pandas' own, whose file writers keep JSON as JSON.

In the frame, ``detail`` holds the decoded JSON (dicts a user can index). pyarrow cannot
write such a column: it infers one struct type for every cell, and a trail's details
differ in shape from row to row (a list here, a string there, an empty object), so a
plain ``df.to_parquet(...)`` raised ``ArrowInvalid`` on any real trail, and
``df.to_csv(...)`` wrote Python reprs rather than JSON. :class:`AuditFrame` writes those
columns as the JSON text the trail stores — the file ``engine.audit.export(...)`` writes
— and is otherwise the DataFrame it was; frames computed from it (filters, slices) are
AuditFrames too.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .export_times import with_iso_times
from .frames import encode_json_columns

__all__ = ["AuditFrame"]


class AuditFrame(pd.DataFrame):
    """Audit rows as a DataFrame; ``to_parquet``/``to_feather``/``to_orc``/``to_csv``
    write the JSON columns (``detail``) as JSON text (see the module docstring)."""

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return AuditFrame

    def _with_json_text(self) -> pd.DataFrame:
        return encode_json_columns(pd.DataFrame(self, copy=False))

    def to_parquet(self, *args: Any, **kwargs: Any) -> Any:
        """pandas' ``to_parquet``, with the JSON columns as JSON text."""
        return pd.DataFrame.to_parquet(self._with_json_text(), *args, **kwargs)

    def to_feather(self, *args: Any, **kwargs: Any) -> Any:
        """pandas' ``to_feather``, with the JSON columns as JSON text."""
        return pd.DataFrame.to_feather(self._with_json_text(), *args, **kwargs)

    def to_orc(self, *args: Any, **kwargs: Any) -> Any:
        """pandas' ``to_orc``, with the JSON columns as JSON text."""
        return pd.DataFrame.to_orc(self._with_json_text(), *args, **kwargs)

    def to_csv(self, *args: Any, **kwargs: Any) -> Any:
        """pandas' ``to_csv``, with the JSON columns as JSON text and, unless a
        ``date_format`` is given, timestamps in the ISO 8601 form every export writes
        (``2026-12-07T08:09:57.199739+00:00``, see :mod:`.export_times`)."""
        frame = self._with_json_text()
        if kwargs.get("date_format") is None:
            frame = with_iso_times(frame)
        return pd.DataFrame.to_csv(frame, *args, **kwargs)
