"""What the audit trail and the context bus share about files on disk.

* :mod:`.files`: private homes and files (0700 / 0600) and atomic replacement;
* :mod:`.sqlite`: opening a SQLite file safely, transactions whose rollback never hides
  the real error, and turning ``sqlite3`` errors into :class:`StorageError` that names
  the file, the cause ("disk full", "not a database" ...) and what to do;
* :mod:`.schema`: schema versions and ordered migrations;
* :mod:`.commit`: ``Commit``, the awaitable behind ``reply.committed``.
"""

from __future__ import annotations

from .commit import Commit
from .files import atomic_path, check_home, private_dir, private_file
from .schema import Migration, migrate
from .sqlite import connect, rollback_quietly, storage_error, transaction

__all__ = [
    "Commit",
    "Migration",
    "atomic_path",
    "check_home",
    "connect",
    "migrate",
    "private_dir",
    "private_file",
    "rollback_quietly",
    "storage_error",
    "transaction",
]
