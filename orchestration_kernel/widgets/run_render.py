"""A run as HTML and as plain text: the fallback of :class:`~.run_view.RunView`, and the
final state that replaces the live widget in a saved notebook, nbconvert, GitHub's
preview, nbval and a terminal.

The cells are the same strings the widget shows (see :func:`step_cells`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..shown_text import shown
from .render import (
    MUTED,
    STATUS_COLOURS,
    decision_text,
    decisions_html,
    esc,
    fmt_cost,
    fmt_ms,
    fmt_tokens,
    model_html,
    model_text,
    pre_html,
    status_html,
    table_html,
)
from .state import RunState, StepState, findings

__all__ = [
    "HEADER",
    "StepCells",
    "cost_text",
    "run_html",
    "run_text",
    "step_cells",
    "totals_text",
]

HEADER = ("step", "status", "model", "latency", "tokens", "cost", "guardian")


@dataclass(frozen=True)
class StepCells:
    """One step's cells, as text; the widgets and both fallbacks are built from these."""

    status: str
    model: str
    latency: str
    tokens: str
    cost: str


def step_cells(step: StepState) -> StepCells:
    """What one row says: the status (with its reason), who answered, timing, usage, cost."""
    status = step.status
    if step.note and step.status not in ("done", "running", "pending"):
        # A reason may already lead with the status ("failed: MissingKeyError").
        said = step.note.startswith(f"{step.status}:")
        status = step.note if said else f"{step.status}: {step.note}"
    latency = fmt_ms(step.latency_ms)
    if latency and step.ttft_ms is not None:
        latency += f" (first token {fmt_ms(step.ttft_ms)})"
    tokens = ""
    if step.total_tokens is not None:
        tokens = f"{fmt_tokens(step.input_tokens)} in / {fmt_tokens(step.output_tokens)} out"
    return StepCells(
        status=status,
        model=model_text(step.model, step.provider, step.simulated, step.answered_by),
        latency=latency,
        tokens=tokens,
        cost=cost_text(
            step.cost_usd,
            step.cost_if_real_usd,
            unknown=step.cost_unknown,
            simulated=step.stood_in and step.status == "done",
        ),
    )


def cost_text(
    cost: float | None, if_real: float | None, *, unknown: bool = False, simulated: bool = False
) -> str:
    """The true cost; where the simulator stood in, the real model's price for the same
    usage instead, marked ``est. if real`` (the audit keeps the true cost, 0) — or
    ``unknown if real`` when the catalogue has no price for that model."""
    if if_real is not None:
        return f"{fmt_cost(if_real)} est. if real"
    if simulated:
        return "unknown if real"
    return fmt_cost(cost, unknown=unknown)


def _nowrap(text: str) -> str:
    """A number and its unit kept on one line (a cell may still break between parts)."""
    return f"<span style='white-space:nowrap'>{esc(text)}</span>" if text else ""


def _latency_html(step: StepState) -> str:
    """The latency, and the first token's on a line of its own: neither ever wraps."""
    total = fmt_ms(step.latency_ms)
    if not total:
        return ""
    first = (
        f"<br><small style='{MUTED};white-space:nowrap'>first token {esc(fmt_ms(step.ttft_ms))}"
        "</small>"
        if step.ttft_ms is not None
        else ""
    )
    return _nowrap(total) + first


def _tokens_html(step: StepState) -> str:
    if step.total_tokens is None:
        return ""
    return (
        f"{_nowrap(fmt_tokens(step.input_tokens) + ' in')} / "
        f"{_nowrap(fmt_tokens(step.output_tokens) + ' out')}"
    )


def totals_text(state: RunState) -> str:
    """The foot line: steps done, latency, tokens, cost, Guardian findings."""
    t = state.totals()
    cost = "cost unknown" if t["cost_usd"] is None else fmt_cost(t["cost_usd"])
    if t["cost_if_real_usd"] is not None:
        cost = f"{fmt_cost(t['cost_if_real_usd'])} est. if real"
    elif t["stood_in"] and t["done"]:
        cost = "cost unknown if real"  # a stand-in for a model the catalogue has no price for
    parts = [
        f"{t['done']}/{t['steps']} steps done",
        fmt_ms(t["latency_ms"]),
        f"{t['input_tokens'] + t['output_tokens']:,} tokens",
        cost,
        f"{t['decisions']} Guardian finding{'s' if t['decisions'] != 1 else ''}",
    ]
    if t["simulated"]:
        parts.append("offline simulator")
    return "total: " + " · ".join(p for p in parts if p)


def _title(state: RunState) -> str:
    run = f" · run {state.run_id}" if state.run_id else ""
    return f"{state.title} · {state.status}{run}"


def _title_html(state: RunState) -> str:
    """The title in bold, the run's status in its colour, the run id quiet beside it."""
    colour = STATUS_COLOURS.get(state.status, "inherit")
    run = f" <small style='{MUTED}'>run {esc(state.run_id)}</small>" if state.run_id else ""
    status = f"<span style='color:{colour}'>{esc(state.status)}</span>"
    return f"<div><b>{esc(state.title)} · {status}</b>{run}</div>"


def _beneath_html(step: StepState, cells: StepCells) -> str:
    """What goes under a step's row: why it did not finish normally, then its text."""
    note = ""
    if step.note and step.status not in ("done", "running", "pending"):
        colour = STATUS_COLOURS.get(step.status, "inherit")
        note = f"<div style='color:{colour}'><i>{esc(cells.status)}</i></div>"
    return note + (pre_html(shown(step.text)) if step.text else "")


def run_html(state: RunState) -> str:
    """The run as an HTML table: one row per step (its text beneath), totals at the foot."""
    rows: list[list[str] | str] = []
    for step in state.steps.values():
        cells = step_cells(step)
        rows.append(
            [
                f"<b>{esc(step.name)}</b>",
                status_html(step.status, cells.status),
                model_html(step.model, step.provider, step.simulated, step.answered_by),
                _latency_html(step),
                _tokens_html(step),
                _nowrap(cells.cost),
                decisions_html(step.decisions),
            ]
        )
        beneath = _beneath_html(step, cells)
        if beneath:
            rows.append(beneath)
    error = f"<div style='color:#d93025'>{esc(state.error)}</div>" if state.error else ""
    return (
        f"<div class='orchestration-run'>{_title_html(state)}"
        f"{table_html(HEADER, rows, esc(totals_text(state)))}{error}</div>"
    )


def run_text(state: RunState) -> str:
    """The run as plain text: one line per step, its text indented beneath, totals last."""
    lines = [_title(state)]
    for step in state.steps.values():
        cells = step_cells(step)
        meta = "  ".join(c for c in (cells.latency, cells.tokens, cells.cost) if c)
        lines.append(f"  {step.name} [{cells.status}] {cells.model}  {meta}".rstrip())
        lines.extend(f"      guardian: {decision_text(d)}" for d in findings(step.decisions))
        lines.extend(f"      | {line}" for line in shown(step.text).splitlines())
    lines.append(totals_text(state))
    if state.error:
        lines.append(f"error: {state.error}")
    return "\n".join(lines)
