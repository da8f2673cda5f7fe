"""A run's conversation kept in memory when the engine's content logging is off.

Every finished step's prompt and reply join the session conversation (``remember``,
on by default), which the ContextBus stores on disk (``bus.sqlite`` or Redis). With
``OrchestrationEngine(content_logging=False)`` no prompt or reply may reach disk, so a
run talks to :class:`PrivateTurns` instead of the bus itself: the turns it appends are
kept in a list the session holds, and ``context: session`` steps read the stored
conversation followed by those turns. Everything else (context, publishes, metrics)
goes to the real bus unchanged. The turns last as long as the kernel; they are not on
``engine.bus.conversation()``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from ..privacy import keeps_content
from .collaborators import RunBus

__all__ = ["PrivateTurns", "run_bus"]

#: Session id → that session's turns appended while content logging was off.
TurnStore = dict[str | None, list[dict[str, str | float | None]]]


class PrivateTurns:
    """``bus`` for a run, with its conversation turns in ``turns`` instead of on disk."""

    def __init__(self, bus: RunBus, turns: TurnStore) -> None:
        self.bus = bus
        self.turns = turns

    async def get_context(self, session_id: str | None = None) -> Mapping[str, object]:
        """The session's context (the bus's)."""
        return await self.bus.get_context(session_id)

    async def conversation(self, session_id: str | None = None) -> Sequence[Mapping[str, object]]:
        """The stored conversation, then the turns kept in memory, oldest first."""
        stored = await self.bus.conversation(session_id)
        return [*stored, *self.turns.get(session_id, [])]

    async def append_turns(
        self, session_id: str | None, turns: Sequence[tuple[str, str, str | None]]
    ) -> None:
        """Keep ``(role, content, model)`` turns in memory, in order."""
        now = time.time()
        kept = self.turns.setdefault(session_id, [])
        kept.extend({"role": r, "content": c, "model": m, "ts": now} for r, c, m in turns)

    async def publish(
        self, topic: str, data: object = None, *, session_id: str | None = None
    ) -> object:
        """Publish on the bus (a step's event is not written unless declared durable)."""
        return await self.bus.publish(topic, data, session_id=session_id)

    def record_handoff(self, ms: float) -> None:
        """Record a handoff latency on the bus, when it keeps them."""
        record = getattr(self.bus, "record_handoff", None)
        if record is not None:
            record(ms)


def run_bus(engine: object, bus: RunBus | None) -> RunBus | None:
    """The bus a run of ``engine`` uses: ``bus`` itself, or, with content logging off,
    a :class:`PrivateTurns` over it whose turns the engine's session keeps."""
    if bus is None or keeps_content(engine):
        return bus
    session = getattr(engine, "session", None)
    turns: TurnStore = session.service("pipeline:private-turns", dict) if session else {}
    return PrivateTurns(bus, turns)
