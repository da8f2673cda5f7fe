"""Pausing Python's cyclic garbage collector while ``verify()`` makes its per-row objects.

The snapshot walk of ``verify()`` makes a view of each row's message and its MAC: on
100,000 rows, about 130 collections, one of them a full pass over every object in the
process, some 60 ms of CPU each time, all of it holding the GIL that the MAC loop
needs. None of these objects form reference cycles (reference counting frees them, batch
by batch, as before), so nothing is kept longer for the pause, and the report is the same.

(``to_dataframe()``'s decoded ``detail`` dicts are not paused for: they outlive the read,
so a pause only moves the collector's first look at them to after it, and measured no
faster, ``bench.audit_reads_ab``'s ``gc_s``.)

The pause is process-wide (``gc.disable``), nests, and holds across threads: the
collector comes back when the last read that paused it ends, and only if it was on when
the first one began (a program that turned it off keeps it off).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["gc_paused"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Within the block, no automatic collection runs (see the module docstring)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
