"""Live progress of a run in a cell, and the seam where the widgets plug in.

A :class:`RunDisplay` is told every event of a run (``on_event``: pipeline events, or a
compare's cell events), may refresh on a clock (``tick``), and is told the outcome
(``finish``). All three are called on the cell's own thread, never the runtime's.

There is one model of a run and one renderer, shared with the widgets:
:class:`~orchestration_kernel.widgets.state.RunState` and
:mod:`~orchestration_kernel.widgets.run_render` (pure Python, no ipywidgets).
:class:`LiveRunDisplay` is the fallback that works everywhere: one ``display_id`` output
with that HTML and text, updated in place as steps start, stream and end, and replaced by
the final state at the end (``update_display``), so a saved notebook, nbconvert or a
terminal shows the finished run, never rows stuck at "pending". The ipywidgets
:class:`~orchestration_kernel.widgets.RunView` implements the same protocol;
:func:`make_run_display` picks one.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

__all__ = ["LiveRunDisplay", "RunDisplay", "make_run_display"]


@runtime_checkable
class RunDisplay(Protocol):
    """What the magics drive while a run goes. Implemented by the fallback and the widgets."""

    def on_event(self, event: Any) -> None:
        """One event: run_start, step_start, delta, step_end, run_end, cell_start, cell_end."""

    def tick(self) -> None:
        """Called about every 100 ms while the cell waits: flush coalesced updates."""

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        """The run is over: show its final state, for good."""

    def replace(self, obj: Any) -> None:
        """Show ``obj`` in the run's place (a compare's final view): one output per cell."""


class LiveRunDisplay:
    """The fallback display: one updatable output with HTML and plain text (or text only)."""

    def __init__(
        self,
        title: str,
        *,
        html_output: bool = True,
        min_interval: float = 0.1,
        publish: Callable[..., Any] | None = None,
        live: bool = True,
    ) -> None:
        from ..widgets.state import RunState

        self.state = RunState(title)
        self.html_output = html_output
        #: False where outputs cannot be updated in place (a terminal): show the end only.
        self.live = live
        self.min_interval = min_interval
        self.updates = 0
        self._publish = publish
        self._handle: Any = None
        self._dirty = False
        self._last = 0.0
        from ..widgets.throttle import RedrawBudget

        #: Whole redraws of a big display (a matrix of many cells) at a bounded rate.
        self._budget = RedrawBudget()

    def bundle(self) -> dict[str, str]:
        """The MIME bundle for the current state."""
        from ..widgets.run_render import run_html, run_text

        state = self.state.snapshot()
        out = {"text/plain": run_text(state)}
        if self.html_output:
            out["text/html"] = run_html(state)
        return out

    def show(self) -> None:
        """Show the display (once); later changes update it in place."""
        if self._handle is None:
            display = self._publish or _ipython_display
            self._handle = display(self.bundle(), raw=True, display_id=True)
            self._last = time.monotonic()

    def on_event(self, event: Any) -> None:
        """Fold the event in; show structural changes now, streamed text at most every 100 ms."""
        changed = self.state.apply(event)
        self._dirty = True
        structural = "*" in changed or getattr(event, "kind", "") != "delta"
        due = structural or time.monotonic() - self._last >= self.min_interval
        if due and self._budget.ready():  # else a big display waits for the next allowed one
            self._refresh()

    def tick(self) -> None:
        """Flush text that arrived since the last update."""
        due = time.monotonic() - self._last >= self.min_interval
        if self._dirty and due and self._budget.ready():
            self._refresh()

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        """Replace the live view by the final state, for good."""
        if result is not None:
            self.state.absorb(result)
        self.state.end(error)
        self._refresh(final=True)

    def replace(self, obj: Any) -> None:
        """Show ``obj`` (anything IPython can display) where the run was."""
        if self._handle is None:
            (self._publish or _ipython_display)(obj, display_id=True)
        else:
            self._handle.update(obj)

    def _refresh(self, final: bool = False) -> None:
        if not self.live and not final:
            self._dirty = False
            return
        if self._handle is None:
            self.show()
        else:
            bundle = self.bundle()
            self._handle.update(bundle, raw=True)
            self.updates += 1
            self._budget.spent(sum(len(v) for v in bundle.values()))
        self._dirty = False
        self._last = time.monotonic()


def _ipython_display(obj: Any, **kwargs: Any) -> Any:
    from IPython.display import display

    return display(obj, **kwargs)


def _widget_factory() -> Callable[..., RunDisplay] | None:
    """``orchestration_kernel.widgets.run_display`` when the widgets are built and usable."""
    try:
        widgets = importlib.import_module("orchestration_kernel.widgets")
    except ImportError:
        return None
    factory = getattr(widgets, "run_display", None)
    return factory if callable(factory) else None


def make_run_display(mode: str, title: str) -> RunDisplay:
    """A display for ``mode`` (``widget``, ``html`` or ``text``), shown at once.

    ``widget`` uses ``orchestration_kernel.widgets.run_display(title=...)`` when it exists
    and returns a display (it may return ``None`` where no widget frontend is present);
    otherwise, and for ``html``, the HTML/text fallback.
    """
    if mode == "widget":
        factory = _widget_factory()
        view = factory(title=title) if factory is not None else None
        if view is not None:
            return view
    live = _in_kernel()
    display = LiveRunDisplay(title, html_output=mode != "text", live=live)
    if live:
        display.show()
    return display


def _in_kernel() -> bool:
    """True in a Jupyter kernel, where a display can be updated in place."""
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None
