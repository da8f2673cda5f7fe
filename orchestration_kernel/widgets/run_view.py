"""``RunView``: a pipeline run, live, one row per step, totals at the foot.

It is a pipeline observer and the magics' :class:`~orchestration_kernel.magics.display.RunDisplay`:

```python
view = RunView("quickstart")
result = await view.execute(pipeline, "some text")     # shows it, runs, shows the end
# or, by hand:
view.show(); result = await pipeline.execute(text, observer=view); view.finish(result)
```

Events may come on the cell's thread (the magics pump them there) or straight from the
runtime loop's thread (``observer=view``): both fold into a thread-safe
:class:`~.state.RunState`, and the widgets are changed under one lock. ipywidgets sends
a changed value over the kernel's comm from whichever thread sets it, so a frontend sees
the run move while the cell is still busy. Streaming text updates a row at most every
``min_interval`` seconds (10 per second by default); what comes in between is flushed on
the next event, on :meth:`tick`, or at the end.

When the run ends, :meth:`finish` replaces the displayed output (``update_display``) by
the final HTML and text, without the widget view, so every place a notebook is read later
shows the finished run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from .frontend import View, in_kernel
from .run_render import run_html, run_text
from .state import RunState
from .throttle import RedrawBudget, Throttle

__all__ = ["RunView", "run_display"]


class RunView(View):
    """The live view of one run. ``min_interval``: seconds between two updates of one row."""

    def __init__(self, title: str = "pipeline", *, min_interval: float = 0.1) -> None:
        self.state = RunState(title)
        self.throttle = Throttle(min_interval)
        #: Whole-view redraws of a big view (a matrix of many cells) at a bounded rate.
        self.budget = RedrawBudget()
        self._held = False  # a change the budget held back, shown by the next redraw
        #: How many times a row's widgets were updated (streaming is throttled).
        self.updates = 0
        self.final = False
        self._box: Any = None
        self._table: Any = None
        self._lock = threading.RLock()

    def _widget_wanted(self) -> bool:
        # Live: the widget view is sent in any kernel, and the final HTML replaces it.
        return in_kernel()

    # -- the RunDisplay protocol -------------------------------------------------------
    def on_event(self, event: Any) -> None:
        """Fold one ``PipelineEvent`` in and show it (streamed text is throttled)."""
        changed = self.state.apply(event)
        structural = "*" in changed or getattr(event, "kind", "") != "delta"
        self._sync(changed - {"*"}, force=structural)

    __call__ = on_event  # so that ``observer=view`` works

    def tick(self) -> None:
        """Show text that was held back by the throttle and is now due."""
        due = self.throttle.due()
        if due or (self._held and self.budget.ready()):
            self._sync(set(due), force=True)

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        """The run is over: show its final state, and replace the displayed output by it."""
        if result is not None:
            self.state.absorb(result)
        self.state.end(error)
        self.throttle.drain()
        self._sync(set(self.state.steps), force=True, final=True)
        self.final = True
        self.refresh()

    # -- running a pipeline ------------------------------------------------------------
    async def execute(self, pipeline: Any, input_data: Any = None, **kwargs: Any) -> Any:
        """Show this view, run ``pipeline`` into it, show the end; returns the result.

        Errors (a failed step, a cancelled run) still show the partial run, then raise.
        """
        self.show()
        try:
            result = await pipeline.execute(input_data, observer=self.on_event, **kwargs)
        except BaseException as exc:
            self._failed(pipeline, exc)
            raise
        self.finish(result)
        return result

    def run(self, pipeline: Any, input_data: Any = None, **kwargs: Any) -> Any:
        """Blocking twin of :meth:`execute` (``pipeline.run``), for plain scripts."""
        self.show()
        try:
            result = pipeline.run(input_data, observer=self.on_event, **kwargs)
        except BaseException as exc:
            self._failed(pipeline, exc)
            raise
        self.finish(result)
        return result

    def _failed(self, pipeline: Any, exc: BaseException) -> None:
        """Show the partial run a failure or a cancellation left (the error carries it)."""
        self.finish(getattr(exc, "result", None) or getattr(pipeline, "last_result", None), exc)

    # -- widgets -----------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The ipywidgets view: one ``HTML`` holding the same table the final output shows
        (headers, one row per step, totals), so the layout never changes at the end."""
        with self._lock:
            if self._box is None:
                import ipywidgets as widgets

                self._table = widgets.HTML()
                self._box = widgets.VBox([self._table])
                self._sync(set(self.state.steps), force=True)
            return self._box

    @property
    def html(self) -> str:
        """What the widget shows now (the last update sent)."""
        return str(self._table.value) if self._box is not None else ""

    @property
    def rows(self) -> dict[str, Any]:
        """The state of each step shown so far, by step name (a consistent copy)."""
        return dict(self.state.snapshot().steps)

    def replace(self, obj: Any) -> None:
        """Show ``obj`` where the run was (a compare's final view): one output per cell."""
        self.final = True
        if self._handle is not None:
            self._handle.update(obj)
        else:
            from IPython.display import display

            display(obj)

    def _sync(self, names: Iterable[str], *, force: bool = False, final: bool = False) -> None:
        """Bring the view up to date (only once the widget exists). Streaming text is
        throttled per step; ``force`` (a step started or ended) redraws at once, unless the
        view is big and its redraw budget is spent (then the next allowed one shows it);
        ``final`` always redraws."""
        with self._lock:
            if self._box is None:
                return
            ready = [name for name in names if self.throttle.ready(name, force=force)]
            if not ready and not force:
                return
            if not final and not self.budget.ready():
                self._held = True
                return
            self._held = False
            value = run_html(self.state.snapshot())
            if value != self._table.value:
                self._table.value = value
                self.updates += 1
                self.budget.spent(len(value))

    # -- fallbacks ---------------------------------------------------------------------
    def _html(self) -> str:
        return run_html(self.state.snapshot())

    def _text(self) -> str:
        return run_text(self.state.snapshot())


def run_display(title: str = "pipeline", **kwargs: Any) -> RunView | None:
    """The magics' seam: a shown :class:`RunView` inside a kernel, else ``None`` (so the
    magics use their HTML/text fallback, e.g. in a terminal IPython)."""
    if not in_kernel():
        return None
    view = RunView(title, **kwargs)
    view.show()
    return view
