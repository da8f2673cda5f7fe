"""A row's label as a person reads it: what the live view, the notes, the summary table
and the audit's ``step`` column call a matrix row or a pipeline-over-rows row.

``str()`` of an index entry is right for a plain label (``r1``, ``7``) but not for the
others: a MultiIndex entry is a tuple, and a tuple's ``str()`` is the ``repr()`` of each
part, so a row read ``('a', Timestamp('2024-01-01 00:00:00'))``. pandas itself shows that
row as ``a  2024-01-01``. Here the parts are joined by `` · `` and a timestamp at
midnight is its date, as pandas shows an index of dates.
"""

from __future__ import annotations

from typing import Any

__all__ = ["row_label", "row_labels"]

#: Between the parts of a MultiIndex label (a comma could be part of a label's text).
SEPARATOR = " · "


def row_label(key: Any) -> str:
    """``key`` (an index entry) as a person reads it: ``a · 2024-01-01`` for the
    MultiIndex entry ``('a', Timestamp('2024-01-01'))``; ``str(key)`` for a plain one."""
    if isinstance(key, tuple):
        return SEPARATOR.join(row_label(part) for part in key)
    return _scalar_label(key)


def row_labels(keys: Any) -> list[str]:
    """:func:`row_label` of each of ``keys``."""
    return [row_label(key) for key in keys]


def _scalar_label(value: Any) -> str:
    if hasattr(value, "isoformat") and hasattr(value, "hour") and hasattr(value, "date"):
        # A datetime (pandas' Timestamp too): at midnight without a zone, just its date.
        time = (value.hour, value.minute, value.second, value.microsecond)
        fraction = getattr(value, "nanosecond", 0)  # a Timestamp's below a microsecond
        if not any(time) and not fraction and getattr(value, "tzinfo", None) is None:
            return str(value.date())
    return str(value)
