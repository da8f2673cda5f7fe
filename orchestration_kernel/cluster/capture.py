"""An audit stand-in for a worker's engine: it keeps each run's events to send back.

The worker records nothing itself. :class:`CapturedAudit` has the one part of the
:class:`~orchestration_kernel.audit.AuditTrail` interface the call path writes through
(``record``) and keeps each event, by run id, until :meth:`take` hands a partition's
events back to the caller, whose own trail records them in its chain (redacting with
its own Guardian and content-logging switch, so a worker never decides what is stored).
"""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["AuditEvent", "CapturedAudit"]

#: One captured event: ``(wall time, event kind, columns)``.
AuditEvent = tuple[float, str, dict[str, Any]]


class CapturedAudit:
    """Keeps ``record()`` calls per ``run_id``; ``replay`` finds nothing (no history here)."""

    def __init__(self) -> None:
        self._events: dict[str | None, list[AuditEvent]] = {}
        self._lock = threading.Lock()
        #: Set by the engine; the caller's trail redacts instead (see the module docstring).
        self.redactor: Any = None
        self.content_logging = True

    def record(
        self, event: str, *, content_logging: bool = True, redactor: Any = None, **columns: Any
    ) -> None:
        """Keep one event (thread-safe; the columns are copied, ``detail`` included).
        ``content_logging`` and ``redactor`` are the worker's; the caller's trail records
        the event again with the caller's own settings."""
        with self._lock:
            self._events.setdefault(columns.get("run_id"), []).append(
                (time.time(), event, dict(columns))
            )

    def take(self, run_id: str) -> list[AuditEvent]:
        """Every event of ``run_id`` so far, in order, forgotten here once taken."""
        with self._lock:
            return self._events.pop(run_id, [])

    def find_replay(self, request_hash: str) -> None:
        """No answers to replay on a worker."""
        return None

    def request_hash(self, material: str) -> str:
        """Unused: replay is off on workers."""
        return ""

    def check_writable(self) -> None:
        """Always writable: nothing is written here."""

    def commit_point(self) -> Any:
        """Settled at once: the caller's trail commits these events, not the worker."""
        from ..storage.commit import Commit

        return Commit.settled()

    def flush(self) -> None:
        """Nothing to commit: the caller records the events."""

    async def aflush(self) -> str:
        """Nothing to commit: the caller records the events."""
        return ""
