"""Integer columns that pandas turned into floats because of a missing value.

``pd.DataFrame({"stars": [5, None, 3]})`` holds ``5.0, NaN, 3.0`` (float64): a prompt read
"5.0-star" and every frame view showed ``5.0``. A float column whose values, where
present, are all whole numbers (and that misses at least one) is such a column: prompts
take its values as integers and views show it as pandas' nullable ``Int64``. The user's
own frame, and the dtypes of what they get back, do not change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["as_integers_where_whole", "whole_float_positions", "whole_values"]

#: Beyond 2**53 a float no longer holds every integer: such a column stays as it is.
_EXACT = 2.0**53


def _is_whole_with_missing(values: np.ndarray) -> bool:
    missing = np.isnan(values)
    if not missing.any() or missing.all():
        return False
    present = values[~missing]
    return bool(
        np.isfinite(present).all()
        and (np.abs(present) < _EXACT).all()
        and (present == np.trunc(present)).all()
    )


def _floats(column: pd.Series) -> np.ndarray | None:
    """A Series' values as float64 (NaN where missing), or ``None`` if it is not floats."""
    if getattr(column.dtype, "kind", "") != "f":
        return None
    return np.asarray(column.to_numpy(dtype="float64", na_value=np.nan))


def whole_float_positions(frame: pd.DataFrame) -> list[int]:
    """The positions of ``frame``'s columns that are integers with missing values."""
    out = []
    for k in range(frame.shape[1]):
        values = _floats(frame.iloc[:, k])
        if values is not None and _is_whole_with_missing(values):
            out.append(k)
    return out


def whole_values(column: pd.Series) -> list[int | None] | None:
    """``column``'s values as Python ints and ``None`` when it is an integer column with
    missing values (see the module docstring), else ``None``."""
    values = _floats(column)
    if values is None or not _is_whole_with_missing(values):
        return None
    return [None if v != v else int(v) for v in values.tolist()]


def as_integers_where_whole(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for display: a shallow copy whose whole-number float columns are
    ``Int64`` (``5`` and ``<NA>``, not ``5.0`` and ``NaN``); ``frame`` itself if none."""
    positions = whole_float_positions(frame)
    if not positions:
        return frame
    out = frame.copy(deep=False)
    for k in positions:
        out.isetitem(k, out.iloc[:, k].astype("Int64").array)
    return out
