"""Rate-limit updates per key, so that streaming text does not flood the frontend.

A key (a step) may update at most once per ``interval``; an update that comes too soon
is remembered as *pending* and flushed later (on the next event, the magics' clock tick,
or the end of the run), so the last text is never lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RedrawBudget", "Throttle"]


class Throttle:
    """At most one update per key every ``interval`` seconds; the rest wait as pending."""

    def __init__(self, interval: float = 0.1, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def ready(self, key: str, *, force: bool = False) -> bool:
        """True if ``key`` may update now (and records it); else marks it pending."""
        now = self._clock()
        with self._lock:
            if force or now - self._last.get(key, float("-inf")) >= self.interval:
                self._last[key] = now
                self._pending.discard(key)
                return True
            self._pending.add(key)
            return False

    def due(self) -> list[str]:
        """The pending keys whose interval has passed (they are recorded as updated)."""
        now = self._clock()
        with self._lock:
            keys = [k for k in self._pending if now - self._last.get(k, 0.0) >= self.interval]
            for key in keys:
                self._last[key] = now
                self._pending.discard(key)
            return keys

    def drain(self) -> list[str]:
        """Every pending key, due or not (the run is over: show everything now)."""
        with self._lock:
            keys = sorted(self._pending)
            self._pending.clear()
            return keys


class RedrawBudget:
    """Whole-view redraws at a bounded rate, however many rows the view has.

    A step starting or ending redraws the whole view, and a view sends all of itself each
    time: a matrix of N cells made N redraws of N rows, so its traffic grew with N squared
    (500 cells sent 1.9 GB to the frontend and took six minutes on the simulator). After a
    redraw of ``size`` characters above ``small``, the next one waits ``size / rate``
    seconds; changes in between are shown by the next allowed redraw (an event, the
    magics' clock tick, or the end, which always redraws). A view of a few steps stays
    under ``small`` and redraws at once, as before.
    """

    def __init__(
        self,
        rate: float = 500_000.0,
        small: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.small = small
        self._clock = clock
        self._next = float("-inf")

    def ready(self) -> bool:
        """True when a redraw may be sent now."""
        return self._clock() >= self._next

    def spent(self, size: int) -> None:
        """A redraw of ``size`` characters was sent now."""
        wait = size / self.rate if size > self.small else 0.0
        self._next = self._clock() + wait
