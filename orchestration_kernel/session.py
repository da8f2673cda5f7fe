"""The per-kernel session: the one piece of process-wide state.

It owns the runtime (the event loop thread) and holds the services the magics and a
bare ``OrchestrationEngine()`` share — the default engine, the audit trail, the bus's
broker — by key (:meth:`Session.service`). It imports none of them: each service's
module makes its own default (``OrchestrationEngine.default()``, ``AuditTrail.default()``,
``ContextBus.default()``) and keeps it here, so dependencies point from the engine,
the audit and the bus down to the session, never back. Its id is stable across a
kernel restart where the notebook gives us a name (``JPY_SESSION_NAME``), so session
context survives the restart.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigurationError, UnknownNameError
from .runtime import Runtime

__all__ = ["Session", "default_home", "default_session_id", "quiet_home"]

#: Where the documented shortcuts (``session.engine``, ``session.audit``) find their
#: service's default, by import path: the class's ``default(session)`` makes it and keeps
#: it in the session. Resolved on first use, so importing the session imports neither.
DEFAULT_SERVICES: dict[str, str] = {
    "engine": "orchestration_kernel.engine:OrchestrationEngine",
    "audit": "orchestration_kernel.audit:AuditTrail",
}


def default_home() -> Path:
    """``ORCHESTRATION_HOME``, or ``~/.orchestration-kernel``. Created owner-only (0700)
    if missing; a warning (once) if it exists and others can read it."""
    from .storage.files import private_dir  # it holds prompts and responses: keep it private

    return private_dir(_home())


def quiet_home() -> Path:
    """:func:`default_home` for what keeps no prompts or responses there (the Guardian's
    compiled rules): created owner-only if missing, but no warning about an existing
    home's mode, which the stores that do keep content give when they open."""
    from .storage.files import private_dir

    home = _home()
    return home if home.exists() else private_dir(home)


def _home() -> Path:
    return Path(os.environ.get("ORCHESTRATION_HOME") or Path.home() / ".orchestration-kernel")


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
        self._services: dict[str, Any] = {}
        # Re-entrant: making one service may need another (the engine needs the audit).
        self._services_lock = threading.RLock()
        self._closed = False
        self.identity: Any = None

    def use_id(self, session_id: str) -> None:
        """Make ``session_id`` the id that runs, ``engine.bus`` and every ``ContextBus()``
        without an explicit id use from now on (``%orchestrate session NAME``)."""
        if not isinstance(session_id, str) or not session_id.strip():
            raise ConfigurationError(f"a session id is a non-empty string, not {session_id!r}")
        self.id = session_id.strip()

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

    def service(self, key: str, factory: Callable[[], Any] | None = None) -> Any:
        """The shared service kept under ``key``, made by ``factory`` on first use (or
        again once it reports ``closed``). Without a factory, a documented default
        (``engine``, ``audit``) is made by its class's ``default(session)``."""
        with self._services_lock:
            found = self._services.get(key)
            if found is not None and not getattr(found, "closed", False):
                return found
            made = _default_factory(key)(self) if factory is None else factory()
            # A default() asked for the same key while it made it: keep what it kept.
            kept = self._services.get(key)
            if kept is not None and kept is not found and not getattr(kept, "closed", False):
                return kept
            self._services[key] = made
            return made

    def peek(self, key: str) -> Any:
        """The service under ``key`` if one was made, else ``None`` (never makes one)."""
        with self._services_lock:
            return self._services.get(key)

    @property
    def engine(self) -> Any:
        """The session's default :class:`OrchestrationEngine`, created on first use."""
        return self.service("engine")

    @property
    def audit(self) -> Any:
        """The session's :class:`AuditTrail` (``home/audit.sqlite``), shared by its engines."""
        return self.service("audit")

    def close(self) -> None:
        """Close the engine, commit the audit and stop the runtime.

        A later :meth:`current` starts afresh.
        """
        if self._closed:
            return
        self._closed = True
        with self._services_lock:
            services = dict(self._services)
        engine = services.pop("engine", None)
        if engine is not None:
            engine.close()  # flushes the audit and closes clients while the loop runs
        self.runtime.close()  # runs the closers (the bus broker's among them)
        failure: BaseException | None = None
        for service in reversed(list(services.values())):  # the audit commits here
            close = getattr(service, "close", None)
            if callable(close) and not getattr(service, "closed", False):
                try:
                    close()
                except Exception as exc:  # close the others, then report the first failure
                    failure = failure or exc
        if failure is not None:
            raise failure

    def __repr__(self) -> str:
        return f"Session(id={self.id!r}, home={str(self._home) if self._home else None!r})"


def _default_factory(key: str) -> Callable[[Session], Any]:
    path = DEFAULT_SERVICES.get(key)
    if path is None:
        raise UnknownNameError.of(
            "session service",
            key,
            DEFAULT_SERVICES,
            "Pass a factory: session.service(key, factory).",
        )
    module, _, name = path.partition(":")
    owner = getattr(importlib.import_module(module), name)
    return owner.default  # type: ignore[no-any-return]
