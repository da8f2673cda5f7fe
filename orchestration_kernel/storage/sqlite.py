"""SQLite files that never lie about what went wrong.

Two things the standard library leaves to us:

* When a statement fails with "database or disk is full" (and a few other errors)
  SQLite has already rolled the transaction back; a blind ``ROLLBACK`` then fails with
  "cannot rollback - no transaction is active", and *that* is what the user would see.
  :func:`rollback_quietly` rolls back only a transaction that is still open and never
  replaces the original error.
* ``sqlite3`` errors name no file. :func:`storage_error` turns one into a
  :class:`~orchestration_kernel.errors.StorageError` that names the file, the cause in a
  few words ("disk full", "not a database", "read-only") and what to do.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ..errors import StorageError
from .files import private_file

__all__ = ["cause_of", "connect", "rollback_quietly", "storage_error", "transaction"]

# SQLite primary result codes (https://sqlite.org/rescode.html).
_CORRUPT, _FULL, _CANTOPEN, _READONLY, _NOTADB, _IOERR, _PERM = 11, 13, 14, 8, 26, 10, 3

_ADVICE = {
    "disk full": "Free space on that disk (or point ORCHESTRATION_HOME elsewhere); "
    "writing resumes by itself once there is room.",
    "not a database": "The file is truncated, garbled or not a SQLite database. Move it "
    "aside (keep it if you need what it held); a new one is created on next use.",
    "read-only": "Make the file and its folder writable by you, or point "
    "ORCHESTRATION_HOME at a writable folder.",
    "cannot open": "Check that the folder exists and is writable by you, or point "
    "ORCHESTRATION_HOME at a writable folder.",
    "disk I/O error": "The disk reported an error; check it and free space on it.",
    "locked": "Another process holds the database's write lock; try again, or close it.",
}


def cause_of(exc: BaseException) -> str:
    """The cause of a storage failure in a few words ("disk full", "read-only" ...)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == _FULL or "disk is full" in text or getattr(exc, "errno", None) == 28:
        return "disk full"
    if primary in (_NOTADB, _CORRUPT) or "not a database" in text or "malformed" in text:
        return "not a database"
    if primary == _READONLY or "readonly" in text or "read-only" in text:
        return "read-only"
    if isinstance(exc, PermissionError) or primary == _PERM:
        return "read-only"
    if primary == _CANTOPEN or "unable to open" in text:
        return "cannot open"
    if primary == _IOERR or "disk i/o" in text:
        return "disk I/O error"
    if "locked" in text or "busy" in text:
        return "locked"
    return type(exc).__name__


def storage_error(
    exc: BaseException,
    path: str | Path,
    what: str,
    cls: type[StorageError] = StorageError,
) -> StorageError:
    """``exc`` as a ``cls`` naming ``path``, the cause and what to do (raise it ``from exc``).

    ``what`` says what we were doing: "open the audit database", "commit audit records".
    """
    if isinstance(exc, StorageError):
        return exc
    cause = cause_of(exc)
    advice = _ADVICE.get(cause, "")
    message = f"Could not {what} {path}: {cause} ({exc})."
    return cls(f"{message} {advice}".strip(), str(path), cause)


def rollback_quietly(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already; never raise."""
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
    """``BEGIN <mode>`` … ``COMMIT``; on any error roll back (quietly) and re-raise it.

    For connections opened with ``isolation_level=None`` (we issue BEGIN ourselves).
    """
    conn.execute(f"BEGIN {mode}")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        rollback_quietly(conn)
        raise


def connect(path: str | Path, *, timeout: float, what: str) -> sqlite3.Connection:
    """Open (creating it 0600 if missing) the SQLite file at ``path`` for our own SQL.

    ``isolation_level=None`` (explicit transactions) and usable from any thread (callers
    serialise). Raises :class:`StorageError` naming the file when it cannot be opened or
    is not a database: reading the schema forces SQLite to look at the header.
    """
    path = Path(path)
    try:
        private_file(path)
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise storage_error(exc, path, what) from None
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise storage_error(exc, path, what) from None
    return conn
