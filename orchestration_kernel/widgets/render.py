"""HTML and plain-text pieces every view shares: numbers, model labels, status and
Guardian badges, tables.

The widgets build their cells from these same strings, so a live widget, the HTML a saved
notebook keeps and the text a terminal prints all say the same thing. Everything a user or
a model wrote is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from ..formatting import format_cost, format_ms
from ..offline import stand_in_label
from .state import findings

__all__ = [
    "STATUS_COLOURS",
    "badges_html",
    "decision_text",
    "decisions_html",
    "esc",
    "fmt_cost",
    "fmt_ms",
    "fmt_tokens",
    "mark_html",
    "model_html",
    "model_text",
    "pre_html",
    "status_html",
    "table_html",
    "text_html",
]

STATUS_COLOURS: dict[str, str] = {
    "pending": "#80868b",
    "running": "#1a73e8",
    "done": "#188038",
    "failed": "#d93025",
    "skipped": "#80868b",
    "blocked": "#a50e0e",
    "cancelled": "#e37400",
}
ACTION_COLOURS: dict[str, str] = {
    "allow": "#188038",
    "warn": "#e37400",
    "redact": "#8430ce",
    "block": "#d93025",
}
_BADGE = (
    "display:inline-block;padding:0 6px;margin:1px 2px;border-radius:8px;"
    "font-size:0.85em;color:white;background:{colour};white-space:nowrap"
)
#: Lines and muted text in translucent grey, so they read on light and dark themes alike.
RULE = "rgba(128,128,128,0.35)"
MUTED = "opacity:0.7"
# Notebook stylesheets right-align and stripe table cells (fit for numbers, not for
# prose); every cell states its own alignment and background so the run reads the same
# in JupyterLab, nbconvert and GitHub.
_CELL = "vertical-align:top;padding:2px 8px;text-align:left;background:transparent"


def esc(value: Any) -> str:
    """``value`` as escaped HTML text."""
    return html.escape("" if value is None else str(value))


def fmt_ms(value: float | None) -> str:
    """Milliseconds, rounded (``""`` when unknown)."""
    return format_ms(value)


def fmt_cost(value: float | None, *, unknown: bool = False) -> str:
    """Dollars (see :func:`~orchestration_kernel.formatting.format_cost`); ``"unknown"``
    when a model's price is unknown, ``""`` when there is no cost to show."""
    if unknown:
        return "unknown"
    return format_cost(value, unknown="")


def fmt_tokens(value: int | None) -> str:
    """A token count (``""`` when unknown)."""
    return "" if value is None else f"{value:,}"


def _answered_by(model: str, provider: str, resolved: str, simulated: bool) -> tuple[str, str]:
    """What follows the model's name: ``→ openai:gpt-4o`` and ``via <provider>``."""
    arrow = f" → {resolved}" if resolved and resolved != model else ""
    via = "" if simulated or not provider or provider in (resolved or model) else provider
    return arrow, via


def model_text(model: str, provider: str = "", simulated: bool = False, resolved: str = "") -> str:
    """``gpt-4 → openai:gpt-4o (simulated)``: the name asked for, what answered, and
    whether the offline simulator stood in for the provider."""
    if provider == "local" and not simulated and not model.startswith("local:"):
        return stand_in_label("local", model)
    arrow, via = _answered_by(model, provider, resolved, simulated)
    return (
        f"{model}{arrow}" + (f" via {via}" if via else "") + (" (simulated)" if simulated else "")
    )


def model_html(model: str, provider: str = "", simulated: bool = False, resolved: str = "") -> str:
    """:func:`model_text` as HTML, the simulator marked with a badge."""
    if provider == "local" and not simulated and not model.startswith("local:"):
        return f"<code>{esc(model)}</code> <small>{esc(stand_in_label('local', model))}</small>"
    arrow, via = _answered_by(model, provider, resolved, simulated)
    sim = (
        f" <span style='{_BADGE.format(colour='#5f6368')}' "
        "title='answered by the offline simulator, not a real provider'>simulated</span>"
        if simulated
        else ""
    )
    extra = f"<small>{esc(arrow)}</small>" + (f" <small>via {esc(via)}</small>" if via else "")
    return f"<code>{esc(model)}</code>{extra}{sim}"


def status_html(status: str, note: str = "") -> str:
    """The status as a coloured word; the reason (if any) as its tooltip."""
    colour = STATUS_COLOURS.get(status, "inherit")
    title = f" title='{esc(note)}'" if note else ""
    return f"<span style='color:{colour};font-weight:600'{title}>{esc(status)}</span>"


def decision_text(decision: Any) -> str:
    """``redact by pii (input): an email address`` — one decision in words."""
    reasons = "; ".join(str(r) for r in getattr(decision, "reasons", None) or []) or "no findings"
    action, policy = getattr(decision, "action", "?"), getattr(decision, "policy", "?")
    return f"{action} by {policy} ({getattr(decision, 'stage', '?')}): {reasons}"


def badges_html(decisions: Sequence[Any]) -> str:
    """One coloured badge per decision that did not allow; its reasons are the tooltip."""
    return "".join(_badge(d) for d in findings(decisions))


def _badge(decision: Any) -> str:
    action = str(getattr(decision, "action", "?"))
    style = _BADGE.format(colour=ACTION_COLOURS.get(action, "#5f6368"))
    label = f"{action} · {getattr(decision, 'policy', '?')}"
    return f"<span style='{style}' title='{esc(decision_text(decision))}'>{esc(label)}</span>"


def _reasons(decision: Any) -> str:
    return "; ".join(str(r) for r in getattr(decision, "reasons", None) or []) or "no reason given"


def decisions_html(decisions: Sequence[Any]) -> str:
    """The Guardian's verdict, readable without hovering: each finding as its badge with
    its reasons beside it (``""`` when there were no decisions, a muted ``allow`` when
    nothing objected). Every decision is listed in the tooltip."""
    if not decisions:
        return ""
    every = esc("\n".join(decision_text(d) for d in decisions))
    shown = findings(decisions)
    if not shown:
        return f"<span style='{MUTED}' title='{every}'>✓ allow</span>"
    return "".join(
        f"<div title='{every}'>{_badge(d)} <small>{esc(_reasons(d))}</small></div>" for d in shown
    )


def pre_html(text: str) -> str:
    """Text kept as written, wrapped at word boundaries, in a scrollable block marked by
    a rule on its left."""
    return (
        "<pre style='white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere;"
        "text-align:left;margin:0;padding:0 0 0 8px;max-height:16em;overflow:auto;"
        f"background:transparent;border-left:3px solid {RULE}'>{esc(text)}</pre>"
    )


def text_html(text: str) -> str:
    """Short text (a dataset item, a label) that keeps its line breaks and wraps at words."""
    return (
        "<div style='white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere'>"
        f"{esc(text)}</div>"
    )


def mark_html(label: str) -> str:
    """A ``fastest``/``cheapest`` mark: dark green on pale green, readable on any theme."""
    return f"<span style='{MARK_STYLE}'>{esc(label)}</span>"


MARK_STYLE = (
    "background:#e6f4ea;color:#137333;border-radius:8px;padding:0 6px;margin-left:4px;"
    "font-size:0.85em;font-weight:600;white-space:nowrap"
)


def table_html(
    header: Sequence[str],
    rows: Iterable[Sequence[str] | str],
    foot: str = "",
    *,
    fixed: str | None = None,
) -> str:
    """A table of already-escaped HTML cells. A row given as one string spans every
    column (a step's text under its row); ``foot`` is a spanning last row. Each list row
    starts a group, ruled off from the one above, which keeps its spanning rows.
    ``fixed``: the first column's width (``"6em"``); the others then share the rest
    equally, for side-by-side views."""
    span = len(header)
    cell = f"<td style='{_CELL}'>{{}}</td>"
    th = f"<th style='{_CELL};font-weight:600;border-bottom:1px solid {RULE}{{}}'>{{}}</th>"
    head = "".join(
        th.format(f";width:{fixed}" if fixed and i == 0 else "", h) for i, h in enumerate(header)
    )
    groups: list[list[str]] = []
    for row in rows:
        if isinstance(row, str):
            spanning = f"<td colspan='{span}' style='{_CELL};padding:0 8px 6px 24px'>{row}</td>"
            if not groups:
                groups.append([])
            groups[-1].append(f"<tr style='background:transparent'>{spanning}</tr>")
        else:
            border = f"border-top:1px solid {RULE};" if groups else ""
            cells = "".join(cell.format(c) for c in row)
            groups.append([f"<tr style='{border}background:transparent'>{cells}</tr>"])
    body = "".join(f"<tbody>{''.join(g)}</tbody>" for g in groups)
    tfoot = (
        f"<tfoot><tr style='border-top:1px solid {RULE}'>"
        f"<td colspan='{span}' style='{_CELL};font-weight:600'>{foot}</td></tr></tfoot>"
        if foot
        else ""
    )
    layout = "table-layout:fixed;width:100%;" if fixed else ""
    return (
        f"<table style='{layout}border-collapse:collapse'>"
        f"<thead><tr style='background:transparent'>{head}</tr></thead>{body}{tfoot}</table>"
    )
