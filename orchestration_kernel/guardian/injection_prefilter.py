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
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..session import quiet_home
from ..storage.files import private_dir
from ..storage.keys import load_or_create_key
from . import hs_cache
from .hs_cache import superset_expression

if TYPE_CHECKING:
    import hyperscan

__all__ = [
    "MODE_VARIABLE",
    "SignalPrefilter",
    "builds_pending",
    "prefilter_for",
    "start_pending",
    "superset_expression",
    "wait_all",
]

log = logging.getLogger(__name__)


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
#: What the expressions are made by (part of the cache's name: a changed translation
#: never reads a database built by an older one).
_TRANSLATOR = hashlib.sha256(
    Path(__file__).read_bytes() + Path(hs_cache.__file__).read_bytes()
).digest()


class SignalPrefilter:
    """One Hyperscan database for many patterns: :meth:`matching` tells which of them
    may match a text (every one that does, and perhaps some that do not).

    The database is never compiled in this process: the first :meth:`matching` loads it
    from the home's cache (:mod:`.hs_cache`: a MAC-verified file, a few milliseconds
    with the package's import) or leaves a build pending, which a child process runs
    once the check is done (:func:`start_pending`; a second later for a detector used
    without a Guardian), and answers ``None`` (not known: look at every pattern) until
    the child is done. Without the ``hyperscan`` package, when it fails, or when the
    cache cannot be written, it stays ``None``."""

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
        #: The last texts scanned and their answers, the latest first (one tuple,
        #: replaced whole): a text's readings are asked about twice, and a reading
        #: scanned between would push out the one before.
        self._last: tuple[tuple[str, set[int]], ...] = ()
        #: A build to start (the patterns and flags), and since when it waits.
        self._job: tuple[list[tuple[int, str]], int] | None = None
        self._since = 0.0
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
            self._spawn_pending()
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
                if self._job is not None and os.environ.get(MODE_VARIABLE) == "wait":
                    self._spawn_pending()
                    if self._child is not None:
                        self._child.wait()
                        self._collect()
            elif self._child is not None and self._child.poll() is not None:
                self._collect()
            elif self._job is not None and time.monotonic() - self._since > _DEFER_S:
                self._spawn_pending()  # no Guardian started it after its check: now
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
        # The cache is named by the patterns themselves and the translator's source: they
        # are translated into expressions by the child, only when a build is needed
        # (translating costs more than loading the database).
        usable = {
            i: p
            for i, p in enumerate(self._patterns)
            if p is not None and not p.flags & ~re.UNICODE
        }
        sources = [(i, f"{p.flags}:{p.pattern}".encode()) for i, p in usable.items()]
        if not sources:
            self._given_up = True
            return
        self._name = hs_cache.database_name(
            [(-1, _TRANSLATOR), *sources], flags, str(getattr(hyperscan, "__version__", "?"))
        )
        try:
            folder = private_dir((self._home or quiet_home()) / "guardian")
            self._key = load_or_create_key(folder / "cache.key", "Guardian cache key")
        except Exception:  # an unwritable home, or a key file others can read: no cache
            log.debug("no Guardian prefilter cache", exc_info=True)
            self._given_up = True
            return
        self._path = folder / f"prefilter-{self._name}.hsdb"
        if self._load():
            return
        # Built once the check that found it missing is done (:func:`start_pending`):
        # the child's start-up and compile do not compete with that check.
        self._job = ([(i, p.pattern) for i, p in usable.items()], flags)
        self._since = time.monotonic()
        _PENDING.append(self)

    def _spawn_pending(self) -> None:
        """Start the build :meth:`_start` left pending, if any (the lock is held)."""
        job, self._job = self._job, None
        if job is not None and not self._given_up:
            self._spawn(*job)

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

    def _spawn(self, patterns: list[tuple[int, str]], flags: int) -> None:
        """Start the child that translates the patterns, compiles the database and
        writes the cache file."""
        job = {
            "path": str(self._path),
            "name": self._name,
            "key": self._key.hex(),
            "flags": flags,
            "patterns": patterns,
        }
        try:
            # At a low priority from the start (a kernel's first check, running meanwhile,
            # goes first on a busy machine); -I: the script's folder (this package: its
            # secrets.py) is not put on sys.path.
            nice = shutil.which("nice") if os.name == "posix" else None
            child = subprocess.Popen(
                [*([nice, "-n", "10"] if nice else []), sys.executable, "-I", hs_cache.__file__],
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
        UTF-8). The answers for the last few texts are kept (asked again for the same
        ``str`` object, no second pass): the set is shared, never to be changed."""
        last = self._last
        for seen, known in last:
            if seen is text:
                return known
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
        self._last = ((text, found), *last[: _REMEMBERED - 1])
        return found

    def matching_together(self, text: str, others: Sequence[str] = ()) -> set[int] | None:
        """:meth:`matching` of ``text`` (``None`` when not known), found in one pass over
        ``text`` and ``others`` joined: the covered patterns that may match in any of
        them, a superset of each one's answer (a match in one is a match in the joined
        text), remembered for each of them. Texts scanned in a row this way cost one
        start of the scan (its tables brought into the CPU's caches) instead of one
        each. Already known for ``text``: that answer, no pass."""
        for seen, known in self._last:
            if seen is text:
                return known
        rest = [other for other in others if other is not text]
        if not rest:
            return self.matching(text)
        texts = [text, *rest]
        joined = "\n".join(texts)
        found = self.matching(joined)
        if found is not None:
            kept = [(seen, known) for seen, known in self._last if seen is not joined]
            self._last = (*((t, found) for t in texts), *kept)[:_REMEMBERED]
        return found


#: How many of the last texts scanned a prefilter remembers the answer for.
_REMEMBERED = 4

#: Every prefilter :func:`prefilter_for` made in this process.
_MADE: list[SignalPrefilter] = []
#: Prefilters whose database a check found missing: their builds start once it is done.
_PENDING: list[SignalPrefilter] = []
#: A build nobody started (a detector used without a Guardian) starts this long after.
_DEFER_S = 1.0


def builds_pending() -> bool:
    """Is a database build waiting to start (:func:`start_pending`)?"""
    return bool(_PENDING)


def start_pending() -> None:
    """Start the database builds the last checks found missing, each in a child process
    (the Guardian calls this once a check is done; cheap when there are none)."""
    while _PENDING:
        try:
            prefilter = _PENDING.pop()
        except IndexError:  # another thread took the last one
            return
        with prefilter._lock:
            prefilter._spawn_pending()


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
