"""What the audit trail and the context bus share about files on disk.

Import the modules themselves (this package imports nothing, so ``models`` can use
:mod:`.commit` without loading SQLite):

* :mod:`.files`: private homes and files (0700 / 0600) and atomic replacement;
* :mod:`.sqlite`: opening a SQLite file safely, transactions whose rollback never hides
  the real error, and turning ``sqlite3`` errors into ``StorageError`` that names the
  file, the cause ("disk full", "not a database" ...) and what to do;
* :mod:`.schema`: schema versions and ordered migrations;
* :mod:`.commit`: ``Commit``, the awaitable behind ``reply.committed``.
"""
