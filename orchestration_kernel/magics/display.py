"""Live progress of a run in a cell, and the seam where the widgets plug in.

A :class:`RunDisplay` is told every :class:`~orchestration_kernel.pipeline.events.PipelineEvent`
of a run (``on_event``), may refresh on a clock (``tick``), and is told the outcome
(``finish``). All three are called on the cell's own thread, never the runtime's.

:class:`LiveRunDisplay` is the fallback that works everywhere: one ``display_id`` output
with HTML and plain text, updated in place as steps start, stream and end, and replaced
by the final state at the end (``update_display``), so a saved notebook, nbconvert or a
terminal shows the finished run, never rows stuck at "pending". The ipywidgets views in
:mod:`orchestration_kernel.widgets` implement the same protocol; :func:`make_run_display`
picks one.
"""

from __future__ import annotations

import html
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..formatting import format_cost, format_ms
from ..offline import model_label

__all__ = ["LiveRunDisplay", "RunDisplay", "RunState", "StepRow", "make_run_display"]

#: Steps whose status will not change again.
_FINAL = frozenset({"done", "failed", "skipped", "blocked", "cancelled"})
#: Characters of a step's text shown once the run has ended (the output is shown in full below).
_PREVIEW = 160


@runtime_checkable
class RunDisplay(Protocol):
    """What the magics drive while a run goes. Implemented by the fallback and the widgets."""

    def on_event(self, event: Any) -> None:
        """One pipeline event: run_start, step_start, delta, step_end or run_end."""

    def tick(self) -> None:
        """Called about every 100 ms while the cell waits: flush coalesced updates."""

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        """The run is over: show its final state, for good."""


@dataclass
class StepRow:
    """What the display knows about one step."""

    name: str
    model: str = ""
    provider: str = ""
    status: str = "pending"
    simulated: bool = False
    texts: dict[str, str] = field(default_factory=dict)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    tokens: int | None = None
    cost_usd: float | None = None
    guardian: str = ""
    note: str = ""

    @property
    def text(self) -> str:
        """The streamed text, labelled per model for a fan-out."""
        if len(self.texts) <= 1:
            return next(iter(self.texts.values()), "")
        return "\n\n".join(f"[{m}] {t}" for m, t in self.texts.items())


class RunState:
    """The rows of a run, built from its events (the same events the widgets get)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.status = "running"
        self.rows: dict[str, StepRow] = {}
        self.totals: str = ""
        self.started = time.monotonic()

    def row(self, name: str | None) -> StepRow:
        """The row for step ``name``, created when first seen."""
        key = name or "output"
        if key not in self.rows:
            self.rows[key] = StepRow(key)
        return self.rows[key]

    def apply(self, event: Any) -> bool:
        """Fold one event in; True when it changed the structure (worth showing now)."""
        kind = getattr(event, "kind", "")
        if kind == "run_start":
            for step in _plan_steps(event.data):
                row = self.row(step.get("name"))
                row.model = _model_text(step.get("model")) or row.model
            return True
        if kind == "delta":
            self._delta(event)
            return False
        if kind in ("step_start", "step_end"):
            row = self.row(event.step)
            if kind == "step_start":
                row.status = "running"
                row.model = row.model or _model_text(event.model)
            if event.data is not None:
                _copy_step(row, event.data)
            return True
        if kind == "run_end" and event.data is not None:
            self.absorb(event.data)
            return True
        return False

    def _delta(self, event: Any) -> None:
        row = self.row(event.step)
        row.status = "running" if row.status == "pending" else row.status
        delta = event.data
        model = event.model or row.model or ""
        kind, text = getattr(delta, "kind", "text"), getattr(delta, "text", delta)
        current = row.texts.get(model, "")
        if kind == "reset":
            row.texts[model] = ""
        elif kind == "replace":
            row.texts[model] = str(text)
        else:
            row.texts[model] = current + str(text)

    def absorb(self, result: Any) -> None:
        """Take the final state from a result (a ``PipelineResult`` or anything with steps)."""
        for step in getattr(result, "steps", []) or []:
            _copy_step(self.row(step.name), step)
        self.status = str(getattr(result, "status", "done") or "done")
        headline = getattr(result, "_headline", None)
        self.totals = headline() if callable(headline) else ""

    def end(self, error: BaseException | None) -> None:
        """Mark the run over; steps left unfinished take the run's fate."""
        if error is not None:
            cancelled = type(error).__name__ in ("RunCancelled", "KeyboardInterrupt")
            self.status = "cancelled" if cancelled else "failed"
            for row in self.rows.values():
                if row.status not in _FINAL:
                    row.status = "cancelled" if cancelled else "failed"
            self.totals = self.totals or f"{type(error).__name__}: {error}"
        elif self.status == "running":
            self.status = "done"


def _plan_steps(data: Any) -> list[dict[str, Any]]:
    steps = data.get("steps", []) if isinstance(data, dict) else data
    out = []
    for step in steps or []:
        if isinstance(step, dict):
            out.append(step)
        else:
            out.append({"name": getattr(step, "name", None), "model": getattr(step, "model", None)})
    return out


def _model_text(model: Any) -> str:
    if isinstance(model, (list, tuple)):
        return ", ".join(str(m) for m in model)
    return str(model) if model else ""


def _copy_step(row: StepRow, step: Any) -> None:
    """Copy what a ``StepResult`` knows into the row, keeping what it does not say."""
    row.status = getattr(step, "status", None) or row.status
    row.model = _model_text(getattr(step, "model", None)) or row.model
    row.provider = getattr(step, "provider", None) or row.provider
    row.simulated = bool(getattr(step, "simulated", False)) or row.simulated
    for attr in ("latency_ms", "ttft_ms", "cost_usd"):
        value = getattr(step, attr, None)
        if value is not None:
            setattr(row, attr, value)
    usage = getattr(step, "usage", None)
    if usage is not None and getattr(usage, "total_tokens", 0):
        row.tokens = usage.total_tokens
    outputs = getattr(step, "outputs", None)
    if outputs:
        row.texts = {str(k): str(v) for k, v in outputs.items()}
    elif getattr(step, "output", None):
        row.texts = {row.model: str(step.output)}
    guardian = getattr(step, "guardian", "")
    row.guardian = "" if guardian in ("", "allow") else str(guardian)
    row.note = getattr(step, "reason", None) or getattr(step, "error", None) or row.note


# -- rendering -------------------------------------------------------------------------
_HEADER = ("step", "model", "status", "latency", "tokens", "cost", "guardian", "text")
_COLOURS = {
    "pending": "#888",
    "running": "#1a73e8",
    "done": "#188038",
    "failed": "#d93025",
    "blocked": "#d93025",
    "skipped": "#888",
    "cancelled": "#e37400",
}


def _cells(row: StepRow, final: bool) -> list[str]:
    text = row.text if not final or len(row.text) <= _PREVIEW else row.text[:_PREVIEW] + "…"
    model = model_label(row.model, row.provider, row.simulated)
    return [
        row.name,
        model,
        row.status + (f" — {row.note}" if row.note and row.status != "done" else ""),
        format_ms(row.latency_ms),
        "" if row.tokens is None else str(row.tokens),
        format_cost(row.cost_usd, unknown=""),
        row.guardian,
        text,
    ]


def render_html(state: RunState, final: bool) -> str:
    """The run as an HTML table."""
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in _HEADER)
    body = []
    for row in state.rows.values():
        cells = [html.escape(c) for c in _cells(row, final)]
        colour = _COLOURS.get(row.status, "#000")
        cells[2] = f"<span style='color:{colour}'>{cells[2]}</span>"
        cells[7] = f"<pre style='white-space:pre-wrap;margin:0'>{cells[7]}</pre>"
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    foot = html.escape(state.totals or state.status)
    return (
        f"<div class='orchestrate-run'><b>{html.escape(state.title)}</b> · {state.status}"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<small>{foot}</small></div>"
    )


def render_text(state: RunState, final: bool) -> str:
    """The run as plain text, one line per step (plus its streaming text)."""
    lines = [f"{state.title} · {state.status}"]
    for row in state.rows.values():
        cells = _cells(row, final)
        meta = "  ".join(c for c in cells[1:7] if c)
        lines.append(f"  {row.name}: {meta}")
        if cells[7]:
            lines.extend(f"      {line}" for line in cells[7].splitlines())
    if state.totals:
        lines.append(state.totals)
    return "\n".join(lines)


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

    def bundle(self, final: bool = False) -> dict[str, str]:
        """The MIME bundle for the current state."""
        out = {"text/plain": render_text(self.state, final)}
        if self.html_output:
            out["text/html"] = render_html(self.state, final)
        return out

    def show(self, final: bool = False) -> None:
        """Show the display (once); later changes update it in place."""
        if self._handle is None:
            display = self._publish or _ipython_display
            self._handle = display(self.bundle(final), raw=True, display_id=True)
            self._last = time.monotonic()

    def on_event(self, event: Any) -> None:
        """Fold the event in; show structural changes now, streamed text at most every 100 ms."""
        structural = self.state.apply(event)
        self._dirty = True
        if structural or time.monotonic() - self._last >= self.min_interval:
            self._refresh()

    def tick(self) -> None:
        """Flush text that arrived since the last update."""
        if self._dirty and time.monotonic() - self._last >= self.min_interval:
            self._refresh()

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        """Replace the live view by the final state, for good."""
        if result is not None:
            self.state.absorb(result)
        self.state.end(error)
        self._refresh(final=True)

    def _refresh(self, final: bool = False) -> None:
        if not self.live and not final:
            self._dirty = False
            return
        if self._handle is None:
            self.show(final)
        else:
            self._handle.update(self.bundle(final), raw=True)
            self.updates += 1
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
