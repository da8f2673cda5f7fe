"""What a notebook shows when Ctrl-C interrupts a call awaited in a cell: one short block.

``r = await engine.complete(...)`` interrupted showed a ``CancelledError`` traceback
through the runtime's frames, which says nothing the user can act on and looks like a
crash. The error (``CancelledError`` for an awaited call, ``KeyboardInterrupt`` for a
blocking twin such as ``complete_sync``) still leaves the cell, so Run All stops and
``%tb`` has the whole traceback; :func:`mark_interrupted` only gives that one error object
a ``_render_traceback_``, the protocol IPython asks an exception for its own lines (no
IPython import: outside a notebook nothing reads it).
"""

from __future__ import annotations

__all__ = ["interrupted_lines", "mark_interrupted"]

_RED, _RESET = "\x1b[0;31m", "\x1b[0m"


def interrupted_lines(exc: BaseException, stopped: bool) -> list[str]:
    """The lines shown for ``exc``: interrupted, and what the audit holds of it."""
    state = (
        "has stopped"
        if stopped
        else "is stopping (it had not finished cancelling when the cell gave up waiting)"
    )
    return [
        f"{_RED}{type(exc).__name__}{_RESET}: Interrupted: the call was cancelled and {state}. "
        "The audit trail records what it did, the interrupted attempt with status "
        "'cancelled' (engine.audit.to_dataframe()); no reply was returned. %tb shows the "
        "full traceback."
    ]


def mark_interrupted(exc: BaseException, stopped: bool) -> None:
    """Let ``exc`` render as :func:`interrupted_lines` in IPython (this object only)."""
    exc._render_traceback_ = lambda: interrupted_lines(exc, stopped)  # type: ignore[attr-defined]
