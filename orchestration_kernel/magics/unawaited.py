"""A call of ours left un-awaited in a cell says so, instead of ``<coroutine object ...>``.

``engine.compare(["gpt-4o", "claude-3"], "hi")`` without ``await`` runs nothing: the
cell's value is a coroutine, shown by default as ``<coroutine object
OrchestrationEngine.compare at 0x7f...>``, which a newcomer reads as a result. With the
extension loaded, IPython shows such a coroutine (only one made by this package) as what
to write instead: ``await`` it, or call its blocking twin. Other coroutines keep their
ordinary repr. Nothing is run or closed: ``await _`` still works.
"""

from __future__ import annotations

import inspect
import types
from pathlib import Path
from typing import Any

__all__ = ["explain_unawaited", "show_unawaited_calls"]

_PACKAGE = str(Path(__file__).resolve().parent.parent) + "/"
#: Blocking twins not named ``<method>_sync``.
_TWINS = {"execute": "run"}


def explain_unawaited(coro: Any) -> str | None:
    """The text shown for ``coro`` when it is one of ours not yet started, else ``None``."""
    code, frame = coro.cr_code, coro.cr_frame
    if inspect.getcoroutinestate(coro) != inspect.CORO_CREATED:
        return None  # started, or done: its ordinary repr
    if not code.co_filename.startswith(_PACKAGE):
        return None
    name = getattr(code, "co_qualname", code.co_name)
    owner = frame.f_locals.get("self")
    twin = _TWINS.get(code.co_name, f"{code.co_name}_sync")
    sync = f", or call {twin}(...), which blocks until done" if hasattr(owner, twin) else ""
    return (
        f"<{name}(...) has not run: it is a coroutine. Write await before the call "
        f"(a notebook cell can await){sync}.>"
    )


def _pretty(coro: Any, printer: Any, cycle: bool) -> None:
    printer.text(explain_unawaited(coro) or repr(coro))


def show_unawaited_calls(ipython: Any) -> None:
    """Register the plain-text formatter for coroutines with ``ipython``."""
    ipython.display_formatter.formatters["text/plain"].for_type(types.CoroutineType, _pretty)
