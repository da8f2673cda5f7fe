"""Whether an engine may write prompt and reply text to disk (``content_logging``).

``OrchestrationEngine(content_logging=False)`` promises that the audit keeps only keyed
hashes and sizes of prompts and replies. Everything else the engine writes under
``ORCHESTRATION_HOME`` on the user's behalf (a cluster job's partition files, …) asks
:func:`keeps_content` first, so the promise holds for the whole home, not only the audit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

__all__ = ["AuditOptions", "audit_options", "keeps_content", "logs_content"]


class AuditOptions(TypedDict):
    """The per-row keywords of ``AuditTrail.record`` an engine passes (see below)."""

    content_logging: bool
    redactor: Callable[[str], str] | None


def logs_content(engine: object) -> bool:
    """The engine's own ``content_logging``: what each audit row it records carries (a
    trail shared by several engines keeps each engine's setting for its own rows)."""
    return bool(getattr(engine, "_content_logging", True))


def audit_options(engine: object) -> AuditOptions:
    """The keywords of ``AuditTrail.record`` that carry the recording engine's own settings
    into each row: its ``content_logging`` and its Guardian's redaction (``None``: the
    trail's). A trail several engines share keeps each engine's settings for its rows."""
    guardian = getattr(engine, "guardian", None)
    return {
        "content_logging": logs_content(engine),
        "redactor": None if guardian is None else guardian.redact,
    }


def keeps_content(engine: object) -> bool:
    """False when ``engine`` was made with ``content_logging=False`` or records into an
    audit trail whose content logging is off (a trail shared with such an engine)."""
    if not logs_content(engine):
        return False
    audit = getattr(engine, "audit", None)
    return audit is None or bool(getattr(audit, "content_logging", True))
