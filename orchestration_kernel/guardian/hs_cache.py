"""Compiled Hyperscan databases, built in a child process and cached in the home.

Compiling the Guardian's prefilter databases takes about half a second (seconds on a
cold machine) and holds the GIL while it runs: done in the checking process, the first
check of a kernel would wait for it, and a background thread would freeze the kernel.
So a database is compiled by a child process (this file, run as a script: it imports
only the standard library and ``hyperscan``), which writes it to
``ORCHESTRATION_HOME/guardian/prefilter-<name>.hsdb`` (the folder 0700, the file 0600,
written aside then renamed into place). Until the file is there, the checks take the
pure-Python path, which reaches the same verdicts (a prefilter only skips work).

``<name>`` is a hash of the expressions, their flags, the ``hyperscan`` version and the
machine: a changed rule or upgraded package never reads an old database. The file is
tamper-evident: an HMAC-SHA256, under a per-home secret key (``guardian/cache.key``,
made like the audit key by :mod:`orchestration_kernel.storage.keys`), over everything
after it. A file whose MAC does not verify (damaged, or written by someone without the
key), or that Hyperscan refuses to load, is ignored and built again, never trusted.

File layout: ``MAGIC``, the 32-byte MAC, then the body the MAC covers: a 4-byte
big-endian length, a JSON header (``{"name": ..., "covered": [ids]}``), the serialized
database (``hyperscan.dumpb``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import platform
import secrets
import struct
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MAGIC", "database_name", "decode", "encode", "write_private"]

MAGIC = b"OKHSDB1\n"
_MAC_BYTES = 32


def database_name(expressions: Sequence[tuple[int, bytes]], flags: int, version: str) -> str:
    """The cache name of a database: a hash of what goes into it and what reads it."""
    digest = hashlib.sha256()
    digest.update(json.dumps([version, platform.machine(), sys.byteorder, flags]).encode())
    for index, expression in expressions:
        digest.update(b"%d\0%d\0" % (index, len(expression)) + expression)
    return digest.hexdigest()[:32]


def encode(key: bytes, name: str, covered: Sequence[int], database: bytes) -> bytes:
    """The file's bytes for a serialized ``database`` answering for ``covered``."""
    header = json.dumps({"name": name, "covered": sorted(covered)}).encode()
    body = struct.pack(">I", len(header)) + header + database
    return MAGIC + hmac.new(key, body, hashlib.sha256).digest() + body


def decode(key: bytes, name: str, data: bytes) -> tuple[frozenset[int], bytes] | None:
    """``(covered, serialized database)`` from a file's bytes, or ``None`` when they are
    not a database of this ``name`` whose MAC verifies under ``key``."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _MAC_BYTES + 4:
        return None
    mac, body = data[len(MAGIC) : len(MAGIC) + _MAC_BYTES], data[len(MAGIC) + _MAC_BYTES :]
    if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()):
        return None
    (size,) = struct.unpack(">I", body[:4])
    try:
        header = json.loads(body[4 : 4 + size])
        covered = frozenset(int(i) for i in header["covered"])
    except (ValueError, KeyError, TypeError):
        return None
    if header.get("name") != name:
        return None
    return covered, body[4 + size :]


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` owner-only (0600), atomically: aside, then renamed."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(aside, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside)


def _compile(expressions: list[tuple[int, bytes]], flags: int) -> tuple[list[int], bytes]:
    """Compile in this (child) process: the ids kept (an expression Hyperscan refuses is
    left out: its pattern is always looked at) and the serialized database."""
    import hyperscan

    def build(kept: list[tuple[int, bytes]]) -> hyperscan.Database:
        database = hyperscan.Database()
        database.compile(
            expressions=[e for _, e in kept],
            ids=[i for i, _ in kept],
            elements=len(kept),
            flags=[flags] * len(kept),
        )
        return database

    def compiles(expression: bytes) -> bool:
        try:
            hyperscan.Database().compile(expressions=[expression], flags=[flags])
        except hyperscan.error:
            return False
        return True

    try:
        database = build(expressions)
    except hyperscan.error:
        expressions = [(i, e) for i, e in expressions if compiles(e)]
        if not expressions:
            return [], b""
        database = build(expressions)
    return [i for i, _ in expressions], hyperscan.dumpb(database)


def main() -> int:
    """The child: a JSON job on stdin (``path``, ``name``, ``key`` in hex, ``flags``,
    ``expressions`` as ``[id, latin-1 text]``); writes the database file, exit 0."""
    job = json.loads(sys.stdin.buffer.read())
    expressions = [(int(i), e.encode("latin-1")) for i, e in job["expressions"]]
    covered, database = _compile(expressions, int(job["flags"]))
    if not covered:
        return 1
    data = encode(bytes.fromhex(job["key"]), job["name"], covered, database)
    write_private(Path(job["path"]), data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
