"""Schema versions and migrations, shared by the audit and the bus databases.

Each database records the version of its layout (an integer). Opening one runs, in
order and inside the opener's write transaction, every migration newer than the file:
either all of them commit or none does. A file from a newer release is refused (its
layout may mean something this release does not know) with a message saying so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import StorageError

__all__ = ["Migration", "migrate"]


@dataclass(frozen=True)
class Migration:
    """The step that brings a database to ``version`` from ``version - 1``."""

    version: int
    describe: str
    apply: Callable[[sqlite3.Connection], None]


def migrate(
    conn: sqlite3.Connection,
    found: int,
    migrations: Sequence[Migration],
    path: str | Path,
) -> int:
    """Apply the migrations newer than ``found`` (in the caller's transaction).

    Returns the version the database is at afterwards. Raises :class:`StorageError`
    when the file is newer than every migration we know.
    """
    latest = migrations[-1].version if migrations else 0
    if found > latest:
        raise StorageError(
            f"{path} has schema version {found}, newer than this release understands "
            f"(up to {latest}). Upgrade orchestration-kernel, or point ORCHESTRATION_HOME "
            "elsewhere.",
            str(path),
            "newer schema",
        )
    for step in migrations:
        if step.version > found:
            step.apply(conn)
            found = step.version
    return found
