"""Secret keys of a home: 32 random bytes in a file only its owner can read.

The audit keys its trail with one (row hashes, the head anchor, the high-water mark);
the Guardian keys its cache of compiled pattern databases with another, so a cached
file someone else wrote is never trusted. Two processes creating a key at once agree on
one: the file appears atomically (written aside, then hard-linked into place, which
fails if another process won).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from ..errors import ConfigurationError
from .files import private_dir
from .sqlite import storage_error

__all__ = ["KEY_BYTES", "load_or_create_key"]

KEY_BYTES = 32

#: What is lost without a key (said when its file is damaged).
_LOSS = {"audit key": "; without it the trail cannot be verified"}


def load_or_create_key(path: Path, what: str = "audit key") -> bytes:
    """Read the key at ``path``, creating it (mode 0o600) if it does not exist; ``what``
    names it in an error (``"audit key"``)."""
    path = Path(path)
    if not path.exists():
        _create(path, what)
    return _read(path, what)


def _create(path: Path, what: str) -> None:
    try:
        private_dir(path.parent)
    except OSError as exc:
        raise storage_error(exc, path.parent, f"create the folder for the {what}") from None
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise storage_error(exc, path, f"create the {what}") from None
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(KEY_BYTES) + "\n")
            f.flush()
            os.fsync(f.fileno())
        # A hard link is atomic and refuses to replace: the first process to link wins.
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside)


def _read(path: Path, what: str) -> bytes:
    _check_private(path, what)
    try:
        text = path.read_bytes().decode("ascii").strip()
        key = bytes.fromhex(text)
    except (UnicodeDecodeError, ValueError):
        key = b""  # binary or garbled: reported below, naming the file
    except OSError as exc:
        raise storage_error(exc, path, f"read the {what}") from None
    if len(key) < 16:
        raise ConfigurationError(
            f"The {what} file {path} is not a valid key (expected {KEY_BYTES * 2} hex "
            "characters). Restore it from a backup" + _LOSS.get(what, "") + "."
        )
    return key


def _check_private(path: Path, what: str) -> None:
    if os.name != "posix":
        return  # Windows has no mode bits; the file lives in the user's profile
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"The {what} file {path} can be read by other users (mode {oct(mode & 0o777)}). "
            f"Make it owner-only: chmod 600 {path}"
        )
