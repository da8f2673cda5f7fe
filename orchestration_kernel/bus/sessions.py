"""Session state on the bus: a versioned key-value context and a conversation.

A session's context is a JSON-compatible dict. Every change makes a new version
(1, 2, ...) and the history keeps them all, so a notebook can see how its context
evolved. The conversation is the list of turns (any model) that ``context: session``
pipeline steps send on to the next model. All writes are committed before they return.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from ..errors import ConfigurationError
from ..text_checks import check_text, check_texts
from .broker import Broker
from .store import ContextVersion, Turn

__all__ = ["CONTEXT_SET", "CONTEXT_UPDATED", "ROLES", "SessionState"]

#: Publishing a dict here merges it into the session's context (the seed's usage).
CONTEXT_UPDATED = "context.updated"
#: Published after ``set_context`` replaced a session's context.
CONTEXT_SET = "context.set"
#: Roles a conversation turn may have.
ROLES = frozenset({"system", "user", "assistant", "tool"})


class SessionState:
    """Contexts and conversations kept in a broker's store. Runs on the runtime loop."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker

    async def get(self, session_id: str) -> dict[str, object]:
        """The current context (a fresh dict; empty when the session has none)."""
        latest = await (await self._broker.ensure_open()).read_context(session_id)
        return latest.data if latest else {}

    async def version(self, session_id: str) -> int:
        """The current version number; 0 when the session has no context yet."""
        latest = await (await self._broker.ensure_open()).read_context(session_id)
        return latest.version if latest else 0

    async def history(self, session_id: str) -> list[ContextVersion]:
        """Every version, oldest first."""
        return await (await self._broker.ensure_open()).context_history(session_id)

    async def write(self, session_id: str, data: object, *, merge: bool) -> ContextVersion:
        """Merge ``data`` into the context (``merge``) or replace it; a new version.

        ``data`` that is not a dict of names to values raises :class:`ConfigurationError`."""
        check_text(session_id, "the session id")
        store = await self._broker.ensure_open()
        return await store.write_context(session_id, as_context(data), merge=merge, ts=time.time())

    async def sessions(self) -> list[str]:
        """Every session id the store knows."""
        return await (await self._broker.ensure_open()).sessions()

    async def append_turns(
        self, session_id: str, turns: Sequence[tuple[str, str, str | None]]
    ) -> list[Turn]:
        """Append ``(role, content, model)`` turns to the session's conversation, in one
        commit."""
        check_text(session_id, "the session id")
        now = time.time()
        made = [_turn(role, content, model, now) for role, content, model in turns]
        await (await self._broker.ensure_open()).append_turns(session_id, made)
        return made

    async def conversation(self, session_id: str) -> list[dict[str, str | float | None]]:
        """The session's turns as dicts (role, content, model, ts), oldest first."""
        turns = await (await self._broker.ensure_open()).conversation(session_id)
        return [t.as_dict() for t in turns]


def as_context(data: object) -> dict[str, object]:
    """``data`` as a context dict, or a clear error saying what a context must be."""
    if not isinstance(data, Mapping):
        raise ConfigurationError(
            f"Session context must be a dict of names to values, not {type(data).__name__}; "
            f"e.g. publish('context.updated', {{'topic': 'q3 sales'}})."
        )
    if not all(isinstance(k, str) for k in data):
        raise ConfigurationError("Session context keys must be strings.")
    return dict(data)


def _turn(role: str, content: str, model: str | None, ts: float) -> Turn:
    if role not in ROLES:
        raise ConfigurationError(
            f"Unknown conversation role {role!r}; use one of {', '.join(sorted(ROLES))}."
        )
    if not isinstance(content, str):
        raise ConfigurationError(f"A turn's content must be text, not {type(content).__name__}.")
    check_texts([(f"the {role} turn's content", content), (f"the {role} turn's model", model)])
    return Turn(role, content, model, ts)
