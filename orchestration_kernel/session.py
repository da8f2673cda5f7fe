"""The per-kernel session: the one piece of process-wide state.

It owns the runtime (the event loop thread) and, lazily, the default engine, the
bus store and the audit trail that the magics and a bare ``OrchestrationEngine()``
share. Its id is stable across a kernel restart where the notebook gives us a name
(``JPY_SESSION_NAME``), so session context survives the restart.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from .runtime import Runtime

__all__ = ["Session", "default_home", "default_session_id"]


def default_home() -> Path:
    """``ORCHESTRATION_HOME``, or ``~/.orchestration-kernel``. Created owner-only (0700)
    if missing; a warning (once) if it exists and others can read it."""
    from .storage.files import private_dir  # it holds prompts and responses: keep it private

    home = Path(os.environ.get("ORCHESTRATION_HOME") or Path.home() / ".orchestration-kernel")
    return private_dir(home)


def default_session_id() -> str:
    """A stable id for this kernel's notebook, or a fresh one outside a notebook."""
    explicit = os.environ.get("ORCHESTRATION_SESSION_ID")
    if explicit:
        return explicit
    notebook = os.environ.get("JPY_SESSION_NAME")
    if notebook:
        digest = hashlib.sha256(os.path.abspath(notebook).encode()).hexdigest()[:12]
        return f"nb-{Path(notebook).stem}-{digest}"
    return f"proc-{uuid.uuid4().hex[:12]}"


class Session:
    """The process's session object. Use :meth:`current`; magics and engines share it."""

    _current: Session | None = None
    _lock = threading.Lock()

    def __init__(self, session_id: str | None = None, home: Path | None = None) -> None:
        self.id = session_id or default_session_id()
        self._home = home
        self.runtime = Runtime()
        self._engine: Any = None
        self._audit: Any = None
        self._closed = False
        self.identity: Any = None

    @property
    def home(self) -> Path:
        """Where the audit and bus databases live."""
        if self._home is None:
            self._home = default_home()
        return self._home

    @classmethod
    def current(cls) -> Session:
        """The process-wide session, created on first use."""
        with cls._lock:
            if cls._current is None or cls._current._closed:
                cls._current = cls()
            return cls._current

    @property
    def engine(self) -> Any:
        """The session's default :class:`OrchestrationEngine`, created on first use."""
        if self._engine is None:
            from .engine import OrchestrationEngine

            self._engine = OrchestrationEngine(session=self)
        return self._engine

    @property
    def audit(self) -> Any:
        """The session's :class:`AuditTrail` (``home/audit.sqlite``), shared by its engines."""
        if self._audit is None:
            from .audit import AuditTrail

            self._audit = AuditTrail(self.home / "audit.sqlite", session_id=self.id)
        return self._audit

    def close(self) -> None:
        """Close the engine, commit the audit and stop the runtime.

        A later :meth:`current` starts afresh.
        """
        if self._closed:
            return
        self._closed = True
        if self._engine is not None:
            self._engine.close()
        self.runtime.close()
        if self._audit is not None:
            self._audit.close()

    def __repr__(self) -> str:
        return f"Session(id={self.id!r}, home={str(self._home) if self._home else None!r})"
