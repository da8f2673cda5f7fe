"""What a cell or line handler gets: a small :class:`CellContext`, not the magics object.

IPython's own magics hand their helpers what they need; so do we. The magics class
builds one context per cell (:meth:`OrchestrateMagics.context`), and the handlers in
:mod:`.cells` and :mod:`.commands` use only it: the engine, the names placeholders see,
how to show a run, how to bind a result, how to block on the runtime, and the
kernel-long state (:class:`KernelState`: the session id, the last run, the notes
already shown).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .namespace import ErrorLog

__all__ = ["LAST_RESULT", "CellContext", "KernelState"]

#: The user-namespace name that always holds the last result.
LAST_RESULT = "_orchestrate"


@dataclass
class KernelState:
    """What the magics remember for the kernel's life."""

    #: The session id runs use by default, and where it came from (see :mod:`.notebook`).
    session_id: str | None = None
    session_source: str = ""
    #: The id of the last run in this kernel (``%orchestrate audit`` shows it).
    last_run_id: str | None = None
    #: One-time notes already shown (an alias's first use, the session id).
    noted: set[str] = field(default_factory=set)

    def note_once(self, key: str, text: str) -> None:
        """Print ``text`` the first time ``key`` is seen in this kernel: information, on
        stdout (a notebook's stderr is kept for what went wrong)."""
        if key not in self.noted:
            self.noted.add(key)
            print(f"note: {text}")


@dataclass
class CellContext:
    """Everything a handler may use. Built per cell by the magics."""

    engine: Any
    user_ns: dict[str, Any]
    errors: ErrorLog
    kernel: KernelState
    #: ``widget``, ``html`` or ``text``: how a run shows.
    display: str = "widget"
    #: Whether this cell streams text (the ``stream`` trait and ``--no-stream``).
    stream: bool = True
    default_model: str = ""
    shell: Any = None
    #: The kernel's named pipelines (built on first use).
    manager_factory: Callable[[], Any] | None = None

    @property
    def namespace(self) -> Mapping[str, Any]:
        """What placeholders see: the user's variables, ``In``, ``Out`` and ``Err``."""
        from .namespace import interpolation_namespace

        return interpolation_namespace(self.user_ns, self.errors)

    @property
    def manager(self) -> Any:
        """The kernel's :class:`~orchestration_kernel.pipeline.PipelineManager`."""
        if self.manager_factory is None:
            raise RuntimeError("this context has no pipeline manager")
        return self.manager_factory()

    @property
    def session_id(self) -> str:
        """The session id a run uses unless ``--session`` says otherwise."""
        return self.kernel.session_id or self.engine.session_id

    def session_context(self, session_id: str | None = None) -> dict[str, Any]:
        """The session context a run of this cell will see (``--session`` or the kernel's)."""
        return dict(self.engine.bus.get_context_sync(session_id or self.session_id))

    def bind(self, out: str | None, value: Any) -> None:
        """Keep ``value`` as the last result, and in ``out`` when given."""
        self.user_ns[LAST_RESULT] = value
        if out:
            self.user_ns[out] = value

    def ran(self, run_id: str | None) -> None:
        """Remember the last run (``%orchestrate audit`` shows it by default)."""
        self.kernel.last_run_id = run_id or self.kernel.last_run_id

    def block(
        self,
        start: Callable[[Callable[[Any], None]], Any],
        view: Any,
        *,
        cancel: Callable[[], None] | None = None,
    ) -> Any:
        """Run ``start(observer)`` on the runtime, the cell blocking; events go to ``view``
        (streamed text only when this cell streams)."""
        stream = self.stream

        def on_event(event: Any) -> None:
            if stream or getattr(event, "kind", None) != "delta":
                view.on_event(event)

        from .runner import run_blocking  # imported on first run: it brings asyncio

        return run_blocking(self.engine.runtime, start, on_event, view.tick, cancel=cancel)

    def notes(self, texts: list[str]) -> None:
        """Print each of this cell's notes on stdout, as :meth:`KernelState.note_once` does."""
        for text in texts:
            print(f"note: {text}")

    def note_alias(self, names: list[str]) -> None:
        """The first time a family name or retired id is used in this kernel, say what
        it runs (``gpt-4 → openai:gpt-4o``); a name the catalogue does not know at all
        is flagged every time (a typo?)."""
        for name in dict.fromkeys(names):
            note = self.engine.model_note(name)
            if note:
                print(f"note: {note}", file=sys.stderr)
            alias = _alias_target(self.engine, name)
            if alias:
                self.kernel.note_once(
                    f"alias:{name.lower()}",
                    f"{name!r} is an alias: it runs {alias} ({name} → {alias})",
                )


def _alias_target(engine: Any, name: str) -> str | None:
    """``provider:model`` when ``name`` resolves through the alias table, else ``None``."""
    router = getattr(engine, "router", None)
    if name == "auto" or router is None or router.is_pool(name):
        return None
    how = router.resolver.explain(name, also_known=router.pools)
    return str(how.ref) if how.how == "alias" else None
