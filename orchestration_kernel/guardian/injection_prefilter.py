"""Which injection signals can match a text at all, for every signal in one pass.

The injection detector finds a signal by looking at each place one of its trigger words
occurs and trying the signal's pattern there (and its structural check): a prompt full
of "what", "your" and "instructions" costs a Python step and a regex attempt per
occurrence, for every signal, and most signals match nowhere. Here a Hyperscan database
(the ``hyperscan`` package, imported on first use) holds one expression per signal that
matches *at least* wherever the signal's pattern matches, and one scan of the text says
which signals match somewhere: the others are not looked at, and their verdict is the
same (no match), since a match of the pattern is a match of the expression.

How an expression stays a superset of its pattern (Python ``re`` on a ``str``): the
database reads the UTF-8 bytes of the text byte by byte (Hyperscan's UTF-8 mode builds
large automata for Unicode classes: seconds to compile), and

- an ASCII character stands for itself, a non-ASCII one for its UTF-8 bytes;
- ``\\s``, ``\\w``, ``\\W``, ``.`` and every class become their ASCII members, or a run
  of non-ASCII bytes (any non-ASCII character, whether the class holds it or not);
- look-arounds and ``\\b`` are dropped (an assertion only ever removes matches);
- a bounded repeat ``{m,n}`` becomes ``{m,}`` (more repeats only add matches);
- named groups become plain groups;
- ``HS_FLAG_PREFILTER`` lets Hyperscan widen what it cannot build exactly.

A pattern this module cannot translate, or Hyperscan cannot compile, gets no expression:
its signal is always looked at, as before. Without the package, until the database is
built (in a child process, cached in the home: :mod:`.hs_cache`), or for a text that is
not valid UTF-8 (a lone surrogate), nothing is skipped.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..session import default_home
from ..storage.files import private_dir
from ..storage.keys import load_or_create_key
from . import hs_cache

if TYPE_CHECKING:
    import hyperscan

__all__ = [
    "MODE_VARIABLE",
    "SignalPrefilter",
    "prefilter_for",
    "superset_expression",
    "wait_all",
]

log = logging.getLogger(__name__)

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
                out.append(pattern[i : i + 2] if esc.isascii() else _utf8(esc))
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
            out.append(_utf8(ch))
            i += 1
    return "".join(out)


class _Ready(NamedTuple):
    """A loaded database and the patterns it answers for."""

    database: hyperscan.Database
    covered: frozenset[int]
    uncovered: tuple[int, ...]


#: ``off``: never use Hyperscan (the pure-Python path, as without the package); ``wait``:
#: the first check waits for the database (benches, equivalence runs); anything else:
#: the database is built in the background and used once it is there.
MODE_VARIABLE = "ORCHESTRATION_GUARDIAN_PREFILTER"

_FLAG_NAMES = ("HS_FLAG_SINGLEMATCH", "HS_FLAG_PREFILTER", "HS_FLAG_ALLOWEMPTY")


class SignalPrefilter:
    """One Hyperscan database for many patterns: :meth:`matching` tells which of them
    may match a text (every one that does, and perhaps some that do not).

    The database is never compiled in this process: the first :meth:`matching` loads it
    from the home's cache (:mod:`.hs_cache`: a MAC-verified file, about a millisecond)
    or starts a child process that compiles and caches it, and answers ``None`` (not
    known: look at every pattern) until the child is done. Without the ``hyperscan``
    package, when it fails, or when the cache cannot be written, it stays ``None``."""

    def __init__(
        self, patterns: Sequence[re.Pattern[str] | None], home: Path | None = None
    ) -> None:
        """``patterns``: one per signal, ``None`` for one not to prefilter; ``home``:
        where the cache lives (default: ``ORCHESTRATION_HOME``, looked up on first use)."""
        self._patterns = tuple(patterns)
        self._home = home
        self._ready: _Ready | None = None
        self._started = False  # the cache was looked for (and a build started if needed)
        self._given_up = False  # no database in this process: always the Python path
        self._child: subprocess.Popen[bytes] | None = None
        self._path: Path | None = None
        self._key = b""
        self._name = ""
        self._lock = threading.Lock()
        # Hyperscan scans with the GIL released, and one scratch space serves one scan at
        # a time: each thread (the Guardian checks long texts off the event loop) has its
        # own.
        self._local = threading.local()

    @property
    def covered(self) -> frozenset[int]:
        """The indexes of the patterns :meth:`matching` answers for (empty until the
        database is loaded)."""
        ready = self._ready
        return ready.covered if ready is not None else frozenset()

    @property
    def uncovered(self) -> tuple[int, ...]:
        """The indexes of the patterns :meth:`matching` does not answer for."""
        ready = self._ready
        return ready.uncovered if ready is not None else tuple(range(len(self._patterns)))

    @property
    def ready(self) -> bool:
        """Whether the database is loaded (:meth:`matching` answers)."""
        return self._ready is not None

    @property
    def cache_path(self) -> Path | None:
        """The cache file (known once :meth:`matching` or :meth:`wait` looked for it)."""
        return self._path

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until the database is loaded or known to be unavailable (benches and
        tests; a check never waits unless :data:`MODE_VARIABLE` says ``wait``). True when
        it is loaded."""
        with self._lock:
            if not self._started:
                self._start()
            child = self._child
            if child is not None:
                try:
                    child.wait(timeout)
                except subprocess.TimeoutExpired:
                    return False
                self._collect()
        return self._ready is not None

    def _advance(self) -> _Ready | None:
        """One step towards a loaded database, never waiting: look for the cache on the
        first call, then see whether the child is done."""
        if self._given_up or not self._lock.acquire(blocking=False):
            return None  # another thread is at it: this check takes the Python path
        try:
            if not self._started:
                self._start()
                if self._child is not None and os.environ.get(MODE_VARIABLE) == "wait":
                    self._child.wait()
                    self._collect()
            elif self._child is not None and self._child.poll() is not None:
                self._collect()
        finally:
            self._lock.release()
        return self._ready

    def _start(self) -> None:
        self._started = True
        if os.environ.get(MODE_VARIABLE) == "off":
            self._given_up = True
            return
        try:
            import hyperscan  # the package: importing it is not free, and may fail
        except Exception:  # missing, or its native library does not load here
            self._given_up = True
            return
        flags = 0
        for flag in _FLAG_NAMES:
            flags |= int(getattr(hyperscan, flag))
        kept = []
        for i, pattern in enumerate(self._patterns):
            if pattern is None or pattern.flags & ~re.UNICODE:
                continue
            try:
                kept.append((i, superset_expression(pattern.pattern).encode()))
            except ValueError:
                continue  # this one is always looked at
        if not kept:
            self._given_up = True
            return
        self._name = hs_cache.database_name(
            kept, flags, str(getattr(hyperscan, "__version__", "?"))
        )
        try:
            folder = private_dir((self._home or default_home()) / "guardian")
            self._key = load_or_create_key(folder / "cache.key", "Guardian cache key")
        except Exception:  # an unwritable home, or a key file others can read: no cache
            log.debug("no Guardian prefilter cache", exc_info=True)
            self._given_up = True
            return
        self._path = folder / f"prefilter-{self._name}.hsdb"
        if not self._load():
            self._spawn(kept, flags)

    def _load(self) -> bool:
        """Use the cached database if its MAC verifies and Hyperscan reads it."""
        assert self._path is not None
        try:
            data = self._path.read_bytes()
        except OSError:
            return False
        decoded = hs_cache.decode(self._key, self._name, data)
        if decoded is None:
            log.debug("ignoring the Guardian prefilter cache %s: it does not verify", self._path)
            return False
        covered, serialized = decoded
        import hyperscan

        try:
            database = hyperscan.loadb(serialized, hyperscan.HS_MODE_BLOCK)
        except hyperscan.error:  # another platform's, or not a database: built again
            return False
        uncovered = tuple(i for i in range(len(self._patterns)) if i not in covered)
        self._ready = _Ready(database, covered, uncovered)
        return True

    def _spawn(self, kept: list[tuple[int, bytes]], flags: int) -> None:
        """Start the child that compiles the database and writes the cache file."""
        job = {
            "path": str(self._path),
            "name": self._name,
            "key": self._key.hex(),
            "flags": flags,
            "expressions": [(i, e.decode("latin-1")) for i, e in kept],
        }
        try:
            child = subprocess.Popen(
                # -I: the script's folder (this package: its secrets.py) is not put on sys.path
                [sys.executable, "-I", hs_cache.__file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C meant for the kernel does not stop it
            )
            assert child.stdin is not None
            child.stdin.write(json.dumps(job).encode())  # a few KB: fits in the pipe
            child.stdin.close()
        except OSError:
            log.debug("could not start the Guardian prefilter build", exc_info=True)
            self._given_up = True
            return
        self._child = child

    def _collect(self) -> None:
        """The child is done: load what it wrote, or give up for this process (never a
        second build: a database that cannot be built here would be built forever)."""
        self._child = None
        if not self._load():
            self._given_up = True

    def matching(self, text: str) -> set[int] | None:
        """The indexes of the covered patterns that may match somewhere in ``text``, or
        ``None`` when that is not known (no database yet, or ``text`` is not valid
        UTF-8)."""
        ready = self._ready or self._advance()
        if ready is None:
            return None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: Hyperscan reads UTF-8 only
            return None
        found: set[int] = set()

        def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
            found.add(index)

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            import hyperscan

            scratch = self._local.scratch = hyperscan.Scratch(ready.database)
        ready.database.scan(data, match_event_handler=on_match, scratch=scratch)
        return found


#: Every prefilter :func:`prefilter_for` made in this process.
_MADE: list[SignalPrefilter] = []


@functools.lru_cache(maxsize=8)
def prefilter_for(patterns: tuple[re.Pattern[str] | None, ...]) -> SignalPrefilter:
    """The prefilter of these patterns, shared by every detector with the same signals
    (its database is built once per home and loaded once per process)."""
    made = SignalPrefilter(patterns)
    _MADE.append(made)
    return made


def wait_all(timeout: float = 120.0) -> bool:
    """Wait until every shared prefilter made so far has its database (benches, and a
    process about to exit that started a build); True when all of them have one."""
    return all([p.wait(timeout) for p in list(_MADE)])
