"""The core's status lines (:mod:`orchestration_kernel.status`) in the running cell.

While the local model starts (seconds, inside whatever call needed it) the cell shows
"starting the local model…", and the same output reads "local model ready (5.2 s)" once it
has: one output, updated in place (``display_id``), so a saved notebook keeps the outcome
rather than a wait that is over. The line is published from whichever thread reports it;
the kernel routes it to the cell that is running.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["StatusDisplay", "show_status_in_cells"]


class StatusDisplay:
    """A status listener that shows each wait in the running cell (see the module)."""

    def __init__(self, publish: Callable[..., Any] | None = None) -> None:
        self._publish = publish
        self._handle: Any = None
        self._lock = threading.Lock()

    def __call__(self, message: str, done: bool) -> None:
        bundle = {"text/plain": message, "text/html": f"<small><i>{_esc(message)}</i></small>"}
        with self._lock:
            if self._handle is None:
                if done:
                    return  # its start was not shown here (another listener's wait)
                self._handle = self._display(bundle, raw=True, display_id=True)
            else:
                self._handle.update(bundle, raw=True)
            if done:
                self._handle = None

    def _display(self, obj: Any, **kwargs: Any) -> Any:
        if self._publish is not None:
            return self._publish(obj, **kwargs)
        from IPython.display import display

        return display(obj, **kwargs)


def _esc(text: str) -> str:
    import html

    return html.escape(text)


def show_status_in_cells() -> Callable[[], None]:
    """Listen for status lines and show them in the running cell; returns the remover."""
    from ..status import add_status_listener

    return add_status_listener(StatusDisplay())
