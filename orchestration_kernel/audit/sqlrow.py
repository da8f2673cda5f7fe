"""The types of what the audit database stores: one cell, one row.

SQLite hands back ``str``, ``int``, ``float``, ``bytes`` or ``None`` for a cell; every
audit column is one of those (see ``rows.py``, which normalises values before they are
hashed). Naming them lets the writer, the chain and the readers say so instead of
``Any``.
"""

from __future__ import annotations

__all__ = ["Cell", "Row"]

#: One stored value, as sqlite3 returns it.
Cell = str | int | float | bytes | None

#: One stored row, values in the order its query selected them.
Row = tuple[Cell, ...]
