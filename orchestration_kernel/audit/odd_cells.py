"""Cells the trail's writer never writes, met when reading: what a read does with them.

The writer stores only valid UTF-8 text and only integers in ``INTEGER`` columns. A
database edited by hand, by another program, or damaged on disk can still hold

* **text that is not valid UTF-8**: SQLite hands it over as it is, and the stdlib's
  ``sqlite3`` refuses the whole read ("Could not decode to UTF-8"). ``to_dataframe()``
  then reads again with such text decoded with replacement characters (U+FFFD) and warns
  (:class:`AuditReadWarning`) naming each row (``seq``) and column; ``verify()`` reports
  the first such row as broken, saying why, instead of failing to read;
* **a fraction in an INTEGER column** (SQLite keeps ``2.5`` as a REAL there): it used to
  come back truncated (``2``). The column is read as ``float64`` instead, every value
  exact, with a warning naming the rows.

Reads of well-formed trails take none of these paths and cost nothing more.
"""

from __future__ import annotations

import contextlib
import sqlite3
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AuditReadWarning",
    "Mended",
    "fractional_column",
    "is_undecodable",
    "mended_cells",
    "mending",
    "undecodable_report",
    "warn_mended",
]

#: what the stdlib's sqlite3 says when a TEXT cell is not valid UTF-8
_DECODE_ERROR = "Could not decode to UTF-8"
#: rows named in a warning at most (the count says how many more)
_NAMED = 10


class AuditReadWarning(UserWarning):
    """A read of the audit met cells its writer never writes (see the module docstring)."""


class Mended(str):
    """Text read with replacement characters: the stored bytes were not valid UTF-8."""


def _mend(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return Mended(data.decode("utf-8", "replace"))


def is_undecodable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is sqlite3 refusing text that is not UTF-8."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.OperationalError) and _DECODE_ERROR in str(seen):
            return True
        seen = seen.__cause__
    return False


@contextlib.contextmanager
def mending(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``conn`` decoding text that is not UTF-8 as :class:`Mended` text, for the block."""
    before = conn.text_factory
    conn.text_factory = _mend
    try:
        yield conn
    finally:
        conn.text_factory = before


def mended_cells(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> list[tuple[int, str]]:
    """``(seq, column)`` of every :class:`Mended` cell of ``rows`` (``seq`` first)."""
    return [
        (int(row[0]), columns[i])
        for row in rows
        for i, cell in enumerate(row)
        if type(cell) is Mended
    ]


def _where(found: Sequence[tuple[int, str]]) -> str:
    named = ", ".join(f"seq {seq} ({column})" for seq, column in found[:_NAMED])
    more = len(found) - _NAMED
    return named + (f" and {more} more" if more > 0 else "")


def warn_mended(found: Sequence[tuple[int, str]], path: str) -> None:
    """Warn that the cells ``found`` were read with replacement characters."""
    warnings.warn(
        AuditReadWarning(
            f"the audit database {path} holds text that is not valid UTF-8, which its "
            f"writer never stores: {_where(found)}. Read with replacement characters "
            "(U+FFFD); verify() reports the row"
        ),
        stacklevel=5,  # the caller of to_dataframe() / export()
    )


def undecodable_report(conn: sqlite3.Connection, columns: Sequence[str]) -> tuple[int, str] | None:
    """``(seq, reason)`` of the first row of ``conn``'s trail holding text that is not
    UTF-8 (read on a mending connection), or ``None`` when there is none."""
    names = ", ".join(columns)
    with mending(conn):
        cursor = conn.execute(f"SELECT {names} FROM audit_events ORDER BY seq")
        while rows := cursor.fetchmany(5000):
            found = mended_cells(rows, columns)
            if found:
                seq = found[0][0]
                cols = sorted({c for s, c in found if s == seq})
                return seq, (
                    f"row {seq} holds text that is not valid UTF-8 ({', '.join(cols)}): the "
                    "trail's writer never stores that, so the row was altered or damaged"
                )
    return None


def fractional_column(column: pd.Series[Any], seqs: Sequence[Any] | None) -> pd.Series[Any]:
    """An INTEGER column holding fractions (or numbers beyond 64 bits) as ``float64``
    (every value as stored), with a warning naming the rows (``seqs``: the frame's ``seq``
    column, when it has one)."""
    import pandas as pd

    numbers = pd.to_numeric(column, errors="coerce").astype("float64")
    odd = numbers.notna() & ((numbers != numbers.round()) | (numbers.abs() >= 2.0**63))
    at = [int(i) for i in odd.to_numpy().nonzero()[0]]
    where = [(int(seqs[i]) if seqs is not None else i, str(column.name)) for i in at]
    warnings.warn(
        AuditReadWarning(
            f"the audit column {column.name!r} is INTEGER but holds numbers that are not "
            f"64-bit integers (fractions), which its writer never stores: {_where(where)}. "
            "Read as float64 so no value is cut"
        ),
        stacklevel=5,
    )
    return numbers
