"""The input a batch job ran over, kept beside its answers (``table.parquet``).

An interactive ``engine.matrix(...)`` result's ``to_dataframe()`` is the input (a
DataFrame's own columns, a Series as one column, records by their keys, a list as
``item``), indexed like it, then one column per model. A batch job's result has the same
shape, so switching ``mode="interactive"`` to ``mode="batch"`` changes nothing downstream.
The job must survive a kernel restart, so the input is written at submit time:

* through the Guardian's redaction when the engine has one (as the prompts are: no cell
  and no index label reaches disk unredacted; a number is redacted by its digits, as
  ``guardian.redact`` does);
* as Parquet with its index; a column Parquet cannot hold (mixed kinds of value in one
  column) is kept as text, and a column name that is not text as its ``str()``.

A job made before this file existed has none; its ``to_dataframe()`` keeps the old shape
(the index and one column per model).
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..matrix import MatrixInput

__all__ = ["TABLE_FILE", "read_table", "redacted_index", "with_answers", "write_table"]

log = logging.getLogger(__name__)

#: the input table's file in the job's directory
TABLE_FILE = "table.parquet"

Redact = Callable[[str], str]


def write_table(path: Path, prepared: MatrixInput, redact: Redact | None) -> bool:
    """Write the input of ``prepared`` to ``path`` (redacted with ``redact`` when given);
    False (and a log line) when even the text fallback cannot be stored."""
    from ..matrix import input_frame

    frame = input_frame(prepared.source, prepared.items, prepared.index, len(prepared.items))
    if redact is not None:
        frame = _redacted(frame, redact)
    try:
        frame.to_parquet(path)
        return True
    except Exception:
        pass
    try:
        _as_storable(frame).to_parquet(path)
        return True
    except Exception as exc:
        path.unlink(missing_ok=True)
        log.warning(
            "the batch job's input table could not be stored (%s: %s); its to_dataframe() "
            "will hold the index and one column per model only",
            type(exc).__name__,
            exc,
        )
        return False


def read_table(path: Path) -> pd.DataFrame | None:
    """The input table :func:`write_table` stored, or ``None`` when there is none."""
    import pandas as pd

    if not path.exists():
        return None
    return pd.read_parquet(path)


def with_answers(table: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """``table`` (the input) with each column of ``answers`` (one per model) after its
    own, named as the interactive matrix names them (see :func:`~..matrix.reply_column`)."""
    from ..matrix import reply_column

    frame = table.copy()
    for model in answers.columns:
        frame[reply_column(frame, model)] = answers[model].to_numpy()
    return frame


def _redacted(frame: pd.DataFrame, redact: Redact) -> pd.DataFrame:
    """Each text cell and index label through ``redact``; a number by its digits (kept
    when nothing in it is personal); anything else (missing values, dates, booleans) as
    it is."""
    cell = _cell_redactor(redact)
    out = frame.copy()
    for k in range(out.shape[1]):
        column = out.iloc[:, k]
        if _as_is(column.dtype):
            continue
        mapped = column.map(cell)
        if not mapped.equals(column):
            out.isetitem(k, mapped.to_numpy())
    out.index = redacted_index(out.index, redact)
    return out


def redacted_index(labels: Any, redact: Redact) -> pd.Index:
    """``labels`` (an index, or a list of labels) as an index with each label redacted as
    a cell is (every level of a MultiIndex); unchanged when nothing in it changes (a
    range index is never read)."""
    import pandas as pd

    index: pd.Index = labels if isinstance(labels, pd.Index) else pd.Index(labels)
    if isinstance(index, pd.RangeIndex):
        return index
    cell = _cell_redactor(redact)
    levels = [index.get_level_values(k) for k in range(index.nlevels)]
    mapped: list[pd.Index] = [level if _as_is(level.dtype) else level.map(cell) for level in levels]
    if all(new.equals(old) for new, old in zip(mapped, levels, strict=True)):
        return index
    out: pd.Index = (
        pd.MultiIndex.from_arrays(mapped, names=index.names)
        if isinstance(index, pd.MultiIndex)
        else pd.Index(mapped[0], name=index.name)
    )
    return out


def _cell_redactor(redact: Redact) -> Callable[[Any], Any]:
    from ..guardian.redact_values import redact_value

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, numbers.Number) and not isinstance(value, bool):
            return redact_value(value, redact)
        return value

    return cell


def _as_is(dtype: Any) -> bool:
    """A column or index of booleans, dates or durations: nothing in it to redact."""
    return str(dtype) in ("bool", "boolean") or str(dtype).startswith(("datetime", "timedelta"))


def _as_storable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text column names and every column Parquet refuses as text."""
    import pandas as pd
    import pyarrow as pa

    out = frame.copy()
    out.columns = pd.Index([str(c) for c in frame.columns])
    for k in range(out.shape[1]):
        column = out.iloc[:, k]
        try:
            pa.array(column, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            out.isetitem(k, column.map(lambda v: None if _missing(v) else str(v)).to_numpy())
    return out


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
