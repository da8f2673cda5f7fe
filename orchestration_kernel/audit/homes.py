"""Reading the audit of several homes together: kernels on other machines keep their own.

The audit stays in SQLite. Kernels on one machine share one home and so one hash chain;
a kernel on another machine (a teammate's, sharing limits and the bus on Redis) writes
its own. ``trail.to_dataframe(homes=[...])`` reads each other home's ``audit.sqlite``
read-only, with the same filters, and returns one frame ordered by time, with a ``home``
column naming where each row came from. Each file's chain is still verified on its own
(``AuditTrail(path).verify()``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import ConfigurationError
from .sqlrow import Cell, Row

__all__ = ["audit_file", "read_rows"]


def audit_file(home: str | Path) -> Path:
    """The audit database of ``home`` (a home directory, or the ``.sqlite`` file itself)."""
    path = Path(home).expanduser()
    if path.is_dir():
        path = path / "audit.sqlite"
    if not path.is_file():
        raise ConfigurationError(
            f"No audit database at {path}: give a home directory that has one."
        )
    return path


def read_rows(
    homes: Iterable[str | Path], sql: str, params: Sequence[Cell]
) -> list[tuple[str, list[Row]]]:
    """``(home, rows)`` for each home: ``sql`` run read-only on its audit database."""
    out = []
    for home in homes:
        path = audit_file(home)
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            out.append((str(path.parent), conn.execute(sql, list(params)).fetchall()))
        finally:
            conn.close()
    return out
