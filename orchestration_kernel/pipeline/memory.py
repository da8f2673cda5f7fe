"""A run's conversation writer: each finished step's prompt and reply, appended to the
session conversation in the background, in step-finish order.

Every write is a hop to the bus store's worker thread and one transaction there, and on
the simulator a hop costs more than a whole step. So the turns of a finished step wait
up to :data:`DELAY_S` for the steps finishing after it and go in the same commit: a run
shorter than that writes its whole conversation once, at its end, while its audit rows
commit; a long run's turns are still written within :data:`DELAY_S` of their step
finishing. A ``context: session`` step and the run's end flush what waits and wait for
the writes (:meth:`TurnWriter.settle`), so a run's conversation is committed, in step
order, before the run returns. A step's two turns always commit together.
"""

from __future__ import annotations

import asyncio
import logging

from .collaborators import RunBus

__all__ = ["DELAY_S", "Turn", "TurnWriter"]

log = logging.getLogger("orchestration_kernel.pipeline")

#: The longest a finished step's turns wait to be written with later steps' (the audit
#: writer's ``flush_interval`` too: a killed process loses at most this much of either).
DELAY_S = 0.2

#: One turn of the conversation: (role, content, model).
Turn = tuple[str, str, str | None]


class TurnWriter:
    """Queues a run's turns and commits them to ``bus`` in batches, one writer at a time."""

    def __init__(self, bus: RunBus, session_id: str | None, delay: float = DELAY_S) -> None:
        self.bus = bus
        self.session_id = session_id
        self.delay = delay
        self._pending: list[tuple[str, list[Turn]]] = []
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def add(self, step: str, turns: list[Turn], *, flushed_soon: bool = False) -> None:
        """Queue one step's turns; they are written within ``delay`` seconds.

        ``flushed_soon``: the caller calls :meth:`flush` or :meth:`settle` next (the
        run's last step: its end does), so no timer is armed."""
        self._pending.append((step, turns))
        if self._timer is None and not flushed_soon and not self._writing():
            self._timer = asyncio.get_running_loop().call_later(self.delay, self.flush)
        # A write in flight takes what queued meanwhile as its next batch.

    def flush(self) -> None:
        """Start writing what is queued now (no-op when nothing is, or a write runs)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending and not self._writing():
            self._task = asyncio.get_running_loop().create_task(self._write())

    async def settle(self) -> None:
        """Flush, then wait until every queued turn is written (or has failed, logged)."""
        self.flush()
        task = self._task
        if task is None or task.done():
            return
        # Awaited directly, not through gather(): the run resumes one loop iteration
        # sooner once the write ends (it is the last thing a run waits for).
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the run itself is cancelled (its writer with it)
            # the writer alone was cancelled: nothing left to wait for
        except Exception:  # logged by the writer; a run never fails for its conversation
            pass

    def _writing(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _write(self) -> None:
        """Commit queued turns until none are left (one commit per batch)."""
        while self._pending:
            batch, self._pending = self._pending, []
            turns = [turn for _, pair in batch for turn in pair]
            try:
                await self.bus.append_turns(self.session_id, turns)
            except Exception:
                names = ", ".join(name for name, _ in batch)
                log.exception("recording step(s) %s in the conversation failed", names)
