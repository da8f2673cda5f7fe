"""Ctrl-C (a kernel interrupt) cancels an awaiting cell at once.

In a notebook, ``await engine.complete(...)`` runs as a coroutine on the kernel's event
loop. ipykernel turns the interrupt into a cancellation of that coroutine, but the loop
only acts on it the next time it wakes, and nothing wakes an idle loop that waits for
one answer: measured with ipykernel 7.4, ``await asyncio.sleep(20)`` was cancelled 18 s
after the interrupt (the same with any awaited call), while a blocking call stopped at
once. So while a cell runs, :class:`LoopWaker` wakes the running loop every
:data:`TICK_S` seconds: a pending cancellation then takes effect within a tick. (The
magics block on the runtime instead, and were interrupted at once already.)
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["TICK_S", "LoopWaker"]

#: How often the loop wakes while a cell runs: the most an interrupt waits to act.
TICK_S = 0.2


class LoopWaker:
    """``pre_run_cell``/``post_run_cell`` hooks that keep a running loop waking."""

    def __init__(self) -> None:
        self._handle: Any = None
        self._loop: Any = None

    def pre_run_cell(self, info: object = None) -> None:
        """A cell starts: wake its loop every tick (nothing when no loop is running)."""
        self.post_run_cell()
        asyncio = sys.modules.get("asyncio")  # not imported: no loop can be running
        if asyncio is None:
            return
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # a terminal shell runs cells outside a loop: nothing to wake
        self._tick()

    def _tick(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._handle = self._loop.call_later(TICK_S, self._tick)

    def post_run_cell(self, result: object = None) -> None:
        """The cell ended: stop waking the loop."""
        handle, self._handle, self._loop = self._handle, None, None
        if handle is not None:
            handle.cancel()

    @property
    def active(self) -> bool:
        """True while a cell runs with its loop being woken."""
        return self._handle is not None
