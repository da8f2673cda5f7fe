"""Whether an engine may write prompt and reply text to disk (``content_logging``).

``OrchestrationEngine(content_logging=False)`` promises that the audit keeps only keyed
hashes and sizes of prompts and replies. Everything else the engine writes under
``ORCHESTRATION_HOME`` on the user's behalf (a cluster job's partition files, …) asks
:func:`keeps_content` first, so the promise holds for the whole home, not only the audit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from .audit import AuditTrail
    from .guardian import Guardian

__all__ = [
    "AuditOptions",
    "audit_options",
    "credential_floor",
    "follow_guardian",
    "keeps_content",
    "logs_content",
]


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


def credential_floor(text: str) -> str:
    """What a trail redacts with when no Guardian set its redactor: every credential the
    secrets policy finds is masked, nothing else (no key is ever written)."""
    from .guardian.secrets_only import redact_secrets  # the detectors load on first use

    return redact_secrets(text)


def follow_guardian(trail: AuditTrail | None, old: Guardian | None, new: Guardian | None) -> None:
    """After an engine's Guardian changed from ``old`` to ``new``: make ``trail`` (the
    engine's, or ``None``) redact as constructing the engine with ``new`` would have — a
    Guardian's redaction, or without one the credential floor, unless the trail's
    redactor was set by someone else (the user's own is kept)."""
    if trail is None:
        return
    if new is not None:
        trail.redactor = new.redact
    elif old is not None and trail.redactor == old.redact:
        trail.redactor = credential_floor
