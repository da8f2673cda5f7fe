"""A placeholder that names a context key of *another* session: say which one, and how
to use it again.

Session context survives a kernel restart only under a pinned id. After a restart, a
kernel that had pinned ``proj`` runs under a fresh ``proc-…`` id until it is pinned
again, so ``{customer}`` (kept under ``proj``) failed to load with "it is not 'input', a
step name, a session context key or a variable", and nothing said that the key is one
``%orchestrate session proj`` away.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import SpecError

__all__ = ["other_session_notes"]

#: How many other sessions are looked into (a long-lived home can hold many).
SESSIONS_LOOKED_AT = 200

_UNRESOLVED = re.compile(r"\{([A-Za-z_]\w*)[^{}]*\} does not resolve")


def other_session_notes(bus: Any, session_id: str, error: SpecError) -> list[str]:
    """One note per name ``error`` could not resolve that another session's context
    holds: which session, and the line that makes this kernel use it."""
    names = list(
        dict.fromkeys(m.group(1) for p in error.errors for m in _UNRESOLVED.finditer(p.message))
    )
    if not names:
        return []
    found: dict[str, list[str]] = {}
    others = [s for s in bus.sessions_sync() if s != session_id][-SESSIONS_LOOKED_AT:]
    for other in others:
        context = bus.get_context_sync(other)
        for name in names:
            if name in context:
                found.setdefault(name, []).append(other)
    return [
        f"{{{name}}} is a context key of session {' and '.join(map(repr, held[:3]))}, not of "
        f"this kernel's ({session_id}): '%orchestrate session {held[0]}' makes this kernel "
        "use it (session context survives a restart only under a pinned id)."
        for name, held in found.items()
    ]
