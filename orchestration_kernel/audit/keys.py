"""The audit key: 32 random bytes in a file only its owner can read.

Every keyed hash of the trail (row hashes, the head anchor, the prune checkpoint,
``request_hash`` and content hashes) uses this key, so a hash of a short secret cannot be
reversed by guessing and a chain cannot be recomputed by someone without the file.
Two processes creating the key at once agree on one: the file appears atomically
(written aside, then hard-linked into place, which fails if another process won).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from ..errors import ConfigurationError
from ..storage.files import private_dir
from ..storage.sqlite import storage_error

__all__ = ["KEY_BYTES", "load_or_create_key"]

KEY_BYTES = 32


def load_or_create_key(path: Path) -> bytes:
    """Read the key at ``path``, creating it (mode 0o600) if it does not exist."""
    path = Path(path)
    if not path.exists():
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    try:
        private_dir(path.parent)
    except OSError as exc:
        raise storage_error(exc, path.parent, "create the folder for the audit key") from None
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise storage_error(exc, path, "create the audit key") from None
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


def _read(path: Path) -> bytes:
    _check_private(path)
    try:
        text = path.read_bytes().decode("ascii").strip()
        key = bytes.fromhex(text)
    except (UnicodeDecodeError, ValueError):
        key = b""  # binary or garbled: reported below, naming the file
    except OSError as exc:
        raise storage_error(exc, path, "read the audit key") from None
    if len(key) < 16:
        raise ConfigurationError(
            f"The audit key file {path} is not a valid key (expected {KEY_BYTES * 2} hex "
            "characters). Restore it from a backup; without it the trail cannot be verified."
        )
    return key


def _check_private(path: Path) -> None:
    if os.name != "posix":
        return  # Windows has no mode bits; the file lives in the user's profile
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"The audit key file {path} can be read by other users (mode {oct(mode & 0o777)}). "
            f"Make it owner-only: chmod 600 {path}"
        )
