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
    "model_html",
    "model_text",
    "pre_html",
    "status_html",
    "table_html",
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
    "font-size:0.85em;color:white;background:{colour}"
)


def esc(value: Any) -> str:
    """``value`` as escaped HTML text."""
    return html.escape("" if value is None else str(value))


def fmt_ms(value: float | None) -> str:
    """Milliseconds, rounded (``""`` when unknown)."""
    return "" if value is None else f"{value:.0f} ms"


def fmt_cost(value: float | None, *, unknown: bool = False) -> str:
    """Dollars, or ``"unknown"`` when a model's price is unknown (unknown is not free)."""
    if unknown:
        return "unknown"
    return "" if value is None else f"${value:.6f}"


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
    arrow, via = _answered_by(model, provider, resolved, simulated)
    return (
        f"{model}{arrow}" + (f" via {via}" if via else "") + (" (simulated)" if simulated else "")
    )


def model_html(model: str, provider: str = "", simulated: bool = False, resolved: str = "") -> str:
    """:func:`model_text` as HTML, the simulator marked with a badge."""
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
    colour = STATUS_COLOURS.get(status, "#202124")
    title = f" title='{esc(note)}'" if note else ""
    return f"<span style='color:{colour};font-weight:600'{title}>{esc(status)}</span>"


def decision_text(decision: Any) -> str:
    """``redact by pii (input): an email address`` — one decision in words."""
    reasons = "; ".join(str(r) for r in getattr(decision, "reasons", None) or []) or "no findings"
    action, policy = getattr(decision, "action", "?"), getattr(decision, "policy", "?")
    return f"{action} by {policy} ({getattr(decision, 'stage', '?')}): {reasons}"


def badges_html(decisions: Sequence[Any]) -> str:
    """One coloured badge per decision that did not allow; its reasons are the tooltip."""
    out = []
    for d in findings(decisions):
        action = str(getattr(d, "action", "?"))
        style = _BADGE.format(colour=ACTION_COLOURS.get(action, "#5f6368"))
        label = f"{action} · {getattr(d, 'policy', '?')}"
        out.append(f"<span style='{style}' title='{esc(decision_text(d))}'>{esc(label)}</span>")
    return "".join(out)


def decisions_html(decisions: Sequence[Any]) -> str:
    """Every decision with its reasons, folded in a ``<details>`` (``""`` when none)."""
    if not decisions:
        return ""
    items = "".join(f"<li>{esc(decision_text(d))}</li>" for d in decisions)
    count = len(findings(decisions))
    summary = (
        f"Guardian: {count} finding{'s' if count != 1 else ''}" if count else "Guardian: allow"
    )
    return f"<details><summary>{summary}</summary><ul style='margin:0'>{items}</ul></details>"


def pre_html(text: str) -> str:
    """Text kept as written, wrapped, in a scrollable block."""
    return (
        "<pre style='white-space:pre-wrap;margin:0;max-height:16em;overflow:auto'>"
        f"{esc(text)}</pre>"
    )


def table_html(header: Sequence[str], rows: Iterable[Sequence[str] | str], foot: str = "") -> str:
    """A table of already-escaped HTML cells. A row given as one string spans every
    column (a step's text under its row); ``foot`` is a spanning last row."""
    span = len(header)
    cell = "<td style='vertical-align:top;padding:2px 8px;text-align:left'>{}</td>"
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{h}</th>" for h in header)
    body = []
    for row in rows:
        if isinstance(row, str):
            body.append(f"<tr><td colspan='{span}' style='padding:0 8px 6px 24px'>{row}</td></tr>")
        else:
            body.append("<tr>" + "".join(cell.format(c) for c in row) + "</tr>")
    tfoot = f"<tfoot><tr><td colspan='{span}'>{foot}</td></tr></tfoot>" if foot else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>{tfoot}</table>"
