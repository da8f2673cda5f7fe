"""A DataFrame whose *display* masks credentials in the rows it shows.

An ``--over`` pipeline cell returns its frame (the input rows beside every step's output)
as the cell's value, and a key inside an input item, or echoed by a model, would be shown
unmasked in the saved notebook. Masking every cell of a 100,000-row frame costs seconds,
and pandas shows at most ``display.max_rows`` of them (the first and last
``display.min_rows`` of a longer frame). So :class:`ShownFrame` is the frame itself, values
intact (``Out[n]``, ``_`` and everything computed from it hold what the model and the user
wrote), and only its display (``repr``, HTML, LaTeX and the table-schema output) is drawn
from a copy whose shown rows, index labels and column names are masked
(:func:`~.shown_text.shown_value`). A frame derived from it (``_.head()``, ``_[cols]``) is
a plain DataFrame, shown as pandas shows it: that display is the user's own.

The display also shows an integer column that pandas made float for a missing value as
integers (``5`` and ``<NA>``, not ``5.0`` and ``NaN``: :mod:`.whole_numbers`); the frame's
dtypes stay the user's.
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np
import pandas as pd

from .shown_text import shown_value
from .whole_numbers import as_integers_where_whole

__all__ = ["ShownFrame", "shown_positions"]


def shown_positions(
    n: int, limit: int | None, shortened: int | None = None, *, axis: int = 0
) -> np.ndarray:
    """The positions (of ``n`` rows, or columns for ``axis=1``) a display with this
    ``limit`` can show: all of them when they fit (or ``limit`` is ``None``); else the
    first and the last ``shortened or limit`` (a superset of pandas' head and tail)."""
    if limit == 0:  # pandas fits a terminal: no more than its lines (rows) or characters
        size = shutil.get_terminal_size()
        limit = max(size.lines if axis == 0 else size.columns, shortened or 0)
    if limit is None or n <= limit:
        return np.arange(n)
    k = min(shortened or limit, limit, n)
    return np.unique(np.concatenate([np.arange(k), np.arange(n - k, n)]))


class ShownFrame(pd.DataFrame):
    """A DataFrame that displays with credentials masked (see the module docstring)."""

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame  # what is computed from it displays as pandas does

    def shown(self) -> pd.DataFrame:
        """A plain copy for display: credentials masked in the rows and columns pandas
        would show under the current ``display.*`` options; the rest shared, unread."""
        rows = shown_positions(
            len(self), pd.get_option("display.max_rows"), pd.get_option("display.min_rows")
        )
        cols = shown_positions(self.shape[1], pd.get_option("display.max_columns"), axis=1)
        # Integers pandas made floats for a missing value show as integers (5, not 5.0).
        out = as_integers_where_whole(pd.DataFrame(self, copy=False).copy(deep=False))
        for k in cols:
            column = out.iloc[:, k]
            if not _textual(column.dtype):
                continue  # numbers, booleans, dates: nothing to mask
            masked = _masked(column, rows)
            if masked is not None:
                out.isetitem(int(k), masked)
        out.index = _masked_index(out.index, rows)
        out.columns = _masked_index(out.columns, np.arange(out.shape[1]))
        return out

    def __repr__(self) -> str:
        return str(_as_pandas("__repr__", self.shown()))

    def _repr_html_(self) -> str | None:
        html = _as_pandas("_repr_html_", self.shown())
        return None if html is None else str(html)

    def _repr_latex_(self) -> str | None:
        latex = _as_pandas("_repr_latex_", self.shown())
        return None if latex is None else str(latex)

    def _repr_data_resource_(self) -> Any:
        return _as_pandas("_repr_data_resource_", self.shown())


def _as_pandas(method: str, frame: pd.DataFrame) -> Any:
    """What pandas' own display ``method`` gives for ``frame`` (the stubs omit some)."""
    return getattr(pd.DataFrame, method)(frame)


def _textual(dtype: Any) -> bool:
    return dtype.kind in "OSU" or str(dtype) == "str"


def _masked(values: pd.Series | pd.Index, positions: np.ndarray) -> np.ndarray | None:
    """``values`` with the cells at ``positions`` masked (a new array), or ``None`` when
    none of them changes. Only those cells are read unless one changes."""
    changed: dict[int, Any] = {}
    for p, value in zip(positions, values.take(positions).to_numpy(), strict=True):
        masked = shown_value(value)
        if masked is not value and masked != value:
            changed[int(p)] = masked
    if not changed:
        return None
    out = np.array(values.to_numpy(), dtype=object, copy=True)
    for p, masked in changed.items():
        out[p] = masked
    return out


def _masked_index(index: pd.Index, positions: np.ndarray) -> pd.Index:
    """``index`` with its labels at ``positions`` masked (each level of a MultiIndex)."""
    levels = [index.get_level_values(k) for k in range(index.nlevels)]
    masked = [_masked(level, positions) if _textual(level.dtype) else None for level in levels]
    if all(m is None for m in masked):
        return index
    arrays = [level if m is None else m for level, m in zip(levels, masked, strict=True)]
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_arrays(arrays, names=index.names)
    shown: pd.Index = pd.Index(arrays[0], name=index.name)
    return shown
