"""Pausing Python's cyclic garbage collector while a read makes many small objects.

A whole-trail read makes an object or more per row (the decoded ``detail`` of each
row; a view of each row's message and its MAC in ``verify()``). Each 700 new container
objects start a collection, and those add up to full passes over every object in the
process: about a tenth of such a read's time went there. None of these objects form
reference cycles (they are freed by reference counting as before), so nothing is kept
longer for the pause, and what the read returns is the same.

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
