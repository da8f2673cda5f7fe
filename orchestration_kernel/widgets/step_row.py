"""One step of a run as ipywidgets: a row of cells, the streaming text beneath, and the
Guardian's decisions in an expandable section.

Cells are ``ipywidgets.HTML`` built from the same strings as the HTML fallback
(:func:`~.run_render.step_cells`); setting an unchanged value sends nothing, so an
update only costs what actually changed.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from .render import decision_text, decisions_html, esc, model_html, pre_html, status_html
from .run_render import step_cells
from .state import StepState, findings

__all__ = ["COLUMN_WIDTHS", "StepRow"]

#: Widths of the row's cells: step, status, model, latency, tokens, cost, guardian.
COLUMN_WIDTHS = ("9em", "8em", "16em", "13em", "10em", "7em", "auto")


def _cell(width: str) -> widgets.HTML:
    return widgets.HTML(layout=widgets.Layout(width=width, overflow="hidden"))


class StepRow:
    """The widgets of one step; :meth:`update` makes them show a :class:`StepState`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.label, self.status, self.model, self.latency, self.tokens, self.cost, self.badges = (
            _cell(w) for w in COLUMN_WIDTHS
        )
        self.label.value = f"<b>{esc(name)}</b>"
        self.text = widgets.HTML(layout=widgets.Layout(margin="0 0 0 2em"))
        self.reasons = widgets.HTML()
        self.details = widgets.Accordion(
            children=[self.reasons], layout=widgets.Layout(display="none", margin="0 0 0 2em")
        )
        self.details.selected_index = None
        self.box = widgets.VBox(
            [
                widgets.HBox([self.label, self.status, self.model, self.latency, self.tokens,
                              self.cost, self.badges]),
                self.text,
                self.details,
            ]
        )  # fmt: skip

    def update(self, step: StepState) -> None:
        """Show ``step``: status, who answered, timing, usage, cost, decisions and text."""
        cells = step_cells(step)
        self.status.value = status_html(step.status, cells.status)
        self.model.value = model_html(step.model, step.provider, step.simulated, step.answered_by)
        self.latency.value = esc(cells.latency)
        self.tokens.value = esc(cells.tokens)
        self.cost.value = esc(cells.cost)
        self.badges.value = decisions_html(step.decisions)  # badges with their reasons
        self.text.value = pre_html(step.text) if step.text else ""
        self._show_decisions(step.decisions)

    def _show_decisions(self, decisions: list[Any]) -> None:
        if not decisions:
            return
        self.reasons.value = "<ul>" + "".join(
            f"<li>{esc(decision_text(d))}</li>" for d in decisions
        ) + "</ul>"  # fmt: skip
        count = len(findings(decisions))
        self.details.set_title(0, f"Guardian: {count} finding(s) in {len(decisions)} decisions")
        self.details.layout.display = None
