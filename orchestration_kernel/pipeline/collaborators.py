"""What a pipeline run uses of the engine's context bus and audit trail, as Protocols.

A run reads both off the engine by attribute (either may be absent), so neither package
is imported here: these name just the members :mod:`.runner` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from ..storage.commit import Commit

__all__ = ["Redactor", "RunAudit", "RunBus"]


class RunBus(Protocol):
    """The members of ``bus.ContextBus`` a run calls."""

    async def get_context(self, session_id: str | None = None) -> Mapping[str, object]:
        """The session's context."""
        ...

    async def conversation(self, session_id: str | None = None) -> Sequence[Mapping[str, object]]:
        """The session's turns, oldest first."""
        ...

    async def append_turns(
        self, session_id: str | None, turns: Sequence[tuple[str, str, str | None]]
    ) -> None:
        """Add ``(role, content, model)`` turns, committed together."""
        ...

    async def publish(
        self, topic: str, data: object = None, *, session_id: str | None = None
    ) -> object:
        """Publish ``data`` on ``topic``."""
        ...

    def record_handoff(self, ms: float) -> None:
        """Record one step-to-step handoff latency."""
        ...


class RunAudit(Protocol):
    """The members of ``audit.AuditTrail`` a run calls."""

    def record(
        self,
        event: str,
        *,
        content_logging: bool = True,
        redactor: Callable[[str], str] | None = None,
        **columns: object,
    ) -> None:
        """Queue one event row (its content as hashes only with ``content_logging=False``;
        redacted by ``redactor`` when given, else by the trail's)."""
        ...

    def check_writable(self) -> None:
        """Raise ``AuditWriteError`` while the trail cannot commit."""
        ...

    async def aflush(self) -> str:
        """Commit what was recorded; the head hash that covers it."""
        ...

    def commit_point(self) -> Commit:
        """An awaitable settled once everything recorded so far is committed."""
        ...


class Redactor(Protocol):
    """What a run uses of the engine's Guardian: storage redaction of a step's prompt."""

    def redact(self, text: str) -> str:
        """``text`` with every credential and personal datum replaced."""
        ...
