"""Compiled Hyperscan databases, built in a child process and cached in the home.

Compiling the Guardian's prefilter databases takes about half a second (seconds on a
cold machine) and holds the GIL while it runs: done in the checking process, the first
check of a kernel would wait for it, and a background thread would freeze the kernel.
So a database is compiled by a child process (this file, run as a script: it imports
only the standard library and ``hyperscan``; it also translates the patterns into
Hyperscan expressions, see :func:`superset_expression`), which writes it to
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
import re
import secrets
import struct
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "MAGIC",
    "database_name",
    "decode",
    "encode",
    "superset_expression",
    "write_private",
]

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


#: Python's ``\s`` among ASCII characters (``str.isspace``: a test checks every one).
_ASCII_SPACES = r"\t-\r\x1c-\x20"
#: Any run of non-ASCII bytes: holds the UTF-8 bytes of any one non-ASCII character.
_HIGH = r"[\x80-\xff]+"
_LOOKAROUND = re.compile(r"\(\?(?:=|!|<=|<!)")
_BOUNDED = re.compile(r"\{(\d*),\d+\}")
#: Python shorthand classes outside brackets: their ASCII members, and whether they hold
#: non-ASCII characters too.
_SHORTHANDS = {
    "s": (f"[{_ASCII_SPACES}]", True),
    "w": ("[0-9A-Za-z_]", True),
    "W": (r"[^0-9A-Za-z_\x80-\xff]", True),
}


class _Untranslatable(ValueError):
    """A construct this module does not translate."""


def _group_end(pattern: str, start: int) -> int:
    """The index just past the ``)`` that closes the group opened at ``start``."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(pattern, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise _Untranslatable("unbalanced group")


def _class_end(pattern: str, start: int) -> int:
    """The index just past the ``]`` that closes the class opened at ``start``."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1  # a leading "]" is a member
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i + 1
        if pattern[i] == "[":
            raise _Untranslatable("nested class")
        i += 1
    raise _Untranslatable("unclosed class")


def _either(ascii_class: str, high: bool) -> str:
    return f"(?:{ascii_class}|{_HIGH})" if high else ascii_class


def _class(body: str) -> str:
    """A character class ``[body]`` as a byte-level superset expression."""
    negated = body.startswith("^")
    members, high, i = [], False, 1 if negated else 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            esc = body[i + 1]
            if esc == "w":
                members.append("0-9A-Za-z_")
                high = True
            elif esc == "s":
                members.append(_ASCII_SPACES)
                high = True
            elif esc.isalpha() and esc not in "nrtfv":
                raise _Untranslatable(f"\\{esc} in a class")
            elif not esc.isascii():
                high = True
            else:
                members.append(body[i : i + 2])
            i += 2
            continue
        if not ch.isascii():
            if body[i + 1 : i + 2] == "-" and i + 2 < len(body):
                raise _Untranslatable("a range with a non-ASCII end")
            high = True
        else:
            members.append(ch)
        i += 1
    if negated:
        if high:
            raise _Untranslatable("a negated class with non-ASCII members")
        # Every non-ASCII character is outside the (ASCII) members: a run of them.
        return _either("[^" + "".join(members) + r"\x80-\xff]", True)
    if not members:
        return _HIGH
    return _either("[" + "".join(members) + "]", high)


def _utf8(ch: str) -> str:
    """One character as Hyperscan reads it literally: its UTF-8 bytes, escaped."""
    return ch if ch.isascii() else "".join(f"\\x{b:02x}" for b in ch.encode())


def superset_expression(pattern: str) -> str:
    """A Hyperscan expression that matches the UTF-8 bytes of any text wherever the
    Python ``pattern`` (a ``str`` pattern without flags beyond ``re.UNICODE``) matches
    it; raises ``ValueError`` for a construct it does not translate."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            esc = pattern[i + 1] if i + 1 < len(pattern) else ""
            if esc in ("b", "B"):
                pass  # an assertion: dropping it only adds matches
            elif esc in _SHORTHANDS:
                out.append(_either(*_SHORTHANDS[esc]))
            elif not esc or esc.isdigit() or (esc.isalpha() and esc not in "nrtfv"):
                raise _Untranslatable(f"\\{esc}")
            else:
                out.append(pattern[i : i + 2] if esc.isascii() else _literal(esc, pattern, i + 2))
            i += 2
        elif ch == "[":
            end = _class_end(pattern, i)
            out.append(_class(pattern[i + 1 : end - 1]))
            i = end
        elif ch == ".":
            out.append(_either(r"[^\n\x80-\xff]", True))
            i += 1
        elif ch == "(" and pattern.startswith("(?P<", i):
            out.append("(")
            i = pattern.index(">", i) + 1
        elif ch == "(" and _LOOKAROUND.match(pattern, i):
            i = _group_end(pattern, i)  # an assertion: dropping it only adds matches
        elif ch == "(" and pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
            raise _Untranslatable("inline flags or another extension")
        elif ch in "^$":
            raise _Untranslatable("an anchor")
        elif ch == "{" and (bound := _BOUNDED.match(pattern, i)):
            out.append("{" + bound.group(1) + ",}")  # more repeats: only adds matches
            i = bound.end()
        else:
            out.append(_literal(ch, pattern, i + 1))
            i += 1
    return "".join(out)


def _literal(ch: str, pattern: str, after: int) -> str:
    """``ch`` as bytes; grouped when several bytes meet a quantifier, which would
    otherwise repeat the last byte only (``é?`` read as ``\xc3\xa9?``: no superset)."""
    literal = _utf8(ch)
    quantified = pattern[after : after + 1] in ("?", "*", "+", "{")
    return f"(?:{literal})" if quantified and not ch.isascii() else literal


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
    ``patterns`` as ``[id, Python pattern]``); writes the database file, exit 0."""
    job = json.loads(sys.stdin.buffer.read())
    expressions = []
    for i, pattern in job["patterns"]:
        try:
            expressions.append((int(i), superset_expression(pattern).encode()))
        except ValueError:
            continue  # this one is always looked at
    if not expressions:
        return 1
    covered, database = _compile(expressions, int(job["flags"]))
    if not covered:
        return 1
    data = encode(bytes.fromhex(job["key"]), job["name"], covered, database)
    write_private(Path(job["path"]), data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
