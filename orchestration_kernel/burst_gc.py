"""Fewer young-generation collections while a burst of calls is in flight.

With 1,000 calls held at once, every call's objects live for the whole hold, so each
young collection finds most of what it looks at still alive and promotes it, and every
tenth one of those starts a full collection over every object in the process: in
issue 24's 1,000 held pipelines the collector took 0.9-1.1 s of CPU per burst beside the
runtime loop's 4-5 s (``python -m bench.http_held_timeline``, ``gc_s``, on a busy
machine), the full collections most of it. A larger first threshold
lets more of a call's short-lived objects die before a collection looks at them, and
starts a full collection that much less often.

The change is process-wide (Python has one collector), so it is scoped: :class:`BurstGC`
raises the first threshold when :data:`BURST` calls are in flight on the runtime and puts
back the thresholds it found when they are down to a quarter of that, unless someone
else has set them meanwhile (theirs then stand). Collection stays on, so cyclic garbage
is still freed, only in larger batches; nothing else about the collector changes.
"""

from __future__ import annotations

import gc

__all__ = ["BURST", "SCALE", "BurstGC"]

#: Calls in flight from which the first threshold is raised (a quarter of it ends that).
BURST = 200
#: How many times the first threshold (700 by default) it raises it.
SCALE = 10


class BurstGC:
    """Counts the runtime's calls in flight and scales the collector's first threshold
    while they are a burst. Used on the runtime loop's thread only (no lock)."""

    __slots__ = ("_found", "_raised", "in_flight")

    def __init__(self) -> None:
        self.in_flight = 0
        self._found: tuple[int, ...] | None = None  # the thresholds before we raised them
        self._raised: tuple[int, ...] | None = None  # what we set them to

    def started(self) -> None:
        """One more call in flight."""
        self.in_flight += 1
        if self.in_flight == BURST and self._raised is None:
            self._raise()

    def ended(self) -> None:
        """One call fewer in flight."""
        self.in_flight -= 1
        if self._raised is not None and self.in_flight <= BURST // 4:
            self._restore()

    def _raise(self) -> None:
        found = gc.get_threshold()
        if found[0] == 0:  # automatic collection off: leave it off
            return
        raised = (found[0] * SCALE, *found[1:])
        gc.set_threshold(*raised)
        self._found, self._raised = found, raised

    def _restore(self) -> None:
        if gc.get_threshold() == self._raised and self._found is not None:
            gc.set_threshold(*self._found)
        self._found = self._raised = None
