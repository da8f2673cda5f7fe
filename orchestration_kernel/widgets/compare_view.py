"""``CompareView``: one prompt's replies side by side, one column per model, with the
fastest and the cheapest marked.

```python
table = await engine.compare(["gpt-4", "claude-3", "gemini-pro"], "prompt")
CompareView(table)              # widget in a notebook; HTML/text elsewhere
CompareView(table).to_dataframe()
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..offline import reply_stood_in
from ..shown_text import shown
from .frontend import View
from .render import (
    MUTED,
    STATUS_COLOURS,
    decision_text,
    decisions_html,
    esc,
    fmt_ms,
    fmt_tokens,
    mark_html,
    model_html,
    model_text,
    pre_html,
    table_html,
)
from .run_render import cost_text
from .state import findings

__all__ = [
    "CompareView",
    "ReplyCells",
    "clear_winner",
    "effective_cost",
    "if_real",
    "reply_cells",
    "run_header",
    "run_header_html",
]


@dataclass(frozen=True)
class ReplyCells:
    """What one model's column says, as text."""

    model: str
    output: str = ""
    latency: str = ""
    tokens: str = ""
    cost: str = ""
    decisions: tuple[Any, ...] = ()
    marks: tuple[str, ...] = ()
    error: str | None = None
    resolved: str = ""
    provider: str = ""
    simulated: bool = False

    @property
    def answered_by(self) -> str:
        """``gpt-4 → openai:gpt-4o (simulated)``."""
        return model_text(self.model, self.provider, self.simulated, self.resolved)

    @property
    def header_html(self) -> str:
        """The column's head: who answered, and the fastest/cheapest marks."""
        if self.error:
            return f"<code>{esc(self.model)}</code>"
        who = model_html(self.model, self.provider, self.simulated, self.resolved)
        return who + "".join(mark_html(m) for m in self.marks)


def reply_cells(model: str, reply: Any, marks: tuple[str, ...] = ()) -> ReplyCells:
    """The cells of one model's reply (or of the error that replaced it)."""
    if not hasattr(reply, "text"):
        error = shown(f"{type(reply).__name__}: {reply}")
        return ReplyCells(model, marks=marks, error=error)
    usage = reply.usage
    latency = fmt_ms(reply.latency_ms)
    if reply.ttft_ms is not None:
        latency += f" (first token {fmt_ms(reply.ttft_ms)})"
    return ReplyCells(
        model=model,
        # What the model wrote, credentials masked (with guardian=False nothing else did).
        output=shown(reply.text),
        latency=latency,
        tokens=f"{fmt_tokens(usage.input_tokens)} in / {fmt_tokens(usage.output_tokens)} out",
        cost=cost_text(
            reply.cost_usd,
            if_real(reply),
            unknown=reply.cost_usd is None,
            simulated=reply_stood_in(reply),  # the simulator or the local model stood in
        ),
        decisions=tuple(reply.decisions),
        marks=marks,
        resolved=reply.resolved_model,
        provider=reply.provider,
        simulated=reply.simulated,
    )


def if_real(reply: Any) -> float | None:
    """What the real model would have charged, where the simulator stood in."""
    return (getattr(reply, "extras", None) or {}).get("cost_if_real_usd")


def effective_cost(reply: Any) -> float | None:
    """The cost to compare models by: the real price for a stand-in's reply (unknown,
    ``None``, when the catalogue has no price for it: a stand-in's 0 is not a price)."""
    real = if_real(reply)
    if real is not None or reply_stood_in(reply):
        return real
    return getattr(reply, "cost_usd", None)


#: A "fastest" mark needs a lead of 20% and 50 ms; "cheapest" 20%; both, 3 samples each.
LEAD_SHARE = 0.2
LEAD_MS = 50.0
MIN_SAMPLES = 3


def clear_winner(
    samples: Mapping[str, Sequence[float | None]], *, floor: float = 0.0
) -> str | None:
    """The key whose mean is lowest by a clear lead — more than ``max(20% of the
    runner-up, floor)`` — when every key has at least three known samples; else nobody
    (sub-millisecond noise, or one sample, wins nothing)."""
    means: dict[str, float] = {}
    for key, values in samples.items():
        known = [v for v in values if v is not None]
        if len(known) < MIN_SAMPLES or len(known) < len(values):
            return None
        means[key] = sum(known) / len(known)
    if len(means) < 2:
        return None
    (best, low), (_, runner_up) = sorted(means.items(), key=lambda kv: kv[1])[:2]
    return best if runner_up - low > max(LEAD_SHARE * runner_up, floor) else None


class CompareView(View):
    """A :class:`~orchestration_kernel.compare.CompareTable` as columns, one per model."""

    def __init__(self, table: Any, *, widget: bool | None = None) -> None:
        self.table = table
        self.use_widget = widget
        self._box: Any = None

    @property
    def columns(self) -> list[ReplyCells]:
        """One :class:`ReplyCells` per model, in the order the models were asked."""
        ok = {m: r for m, r in self.table.replies.items() if hasattr(r, "text")}
        # One sample per model: never enough to call a winner (see clear_winner).
        winners = {
            "fastest": clear_winner({m: [r.latency_ms] for m, r in ok.items()}, floor=LEAD_MS),
            "cheapest": clear_winner({m: [effective_cost(r)] for m, r in ok.items()}),
        }
        out = []
        for model, reply in self.table.replies.items():
            marks = tuple(label for label, winner in winners.items() if winner == model)
            out.append(reply_cells(model, reply, marks))
        return out

    def to_dataframe(self) -> Any:
        """The comparison as a pandas DataFrame, one row per model."""
        return self.table.to_dataframe()

    # -- widgets -----------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """An ``HBox`` of one ``VBox`` per model: header, output, numbers, decisions."""
        if self._box is None:
            import ipywidgets as widgets

            columns = [
                widgets.VBox(
                    [widgets.HTML(c.header_html), widgets.HTML(_body_html(c))],
                    layout=widgets.Layout(
                        flex="1 1 0",
                        min_width="14em",
                        border="1px solid #dadce0",
                        padding="4px",
                        margin="2px",
                    ),
                )
                for c in self.columns
            ]
            self._box = widgets.HBox(columns, layout=widgets.Layout(width="100%"))
        return self._box

    # -- fallbacks ---------------------------------------------------------------------
    def _html(self) -> str:
        columns = self.columns
        header = [c.header_html for c in columns]
        rows = [
            [pre_html(c.output) if not c.error else _error_html(c) for c in columns],
            [esc(c.latency) for c in columns],
            [esc(c.tokens) for c in columns],
            [esc(c.cost) for c in columns],
            [decisions_html(c.decisions) for c in columns],
        ]
        labels = ["output", "latency", "tokens", "cost", "guardian"]
        rows = [[f"<b>{label}</b>", *row] for label, row in zip(labels, rows, strict=True)]
        table = table_html(["", *header], rows, fixed="6em")
        return f"<div class='orchestration-compare'>{run_header_html(self.table)}{table}</div>"

    def _text(self) -> str:
        count = len(self.table.replies)
        lines = [f"compare {count} model{'s' * (count != 1)}: {_prompt_line(self.table.prompt)}"]
        head = run_header(self.table)
        if head:
            lines.insert(0, head)
        for c in self.columns:
            marks = f"  [{', '.join(c.marks)}]" if c.marks else ""
            lines.append(f"- {c.answered_by}{marks}")
            if c.error:
                lines.append(f"    error: {c.error}")
                continue
            lines.append(f"    {c.latency} · {c.tokens} · {c.cost}")
            lines.extend(f"    guardian: {decision_text(d)}" for d in findings(c.decisions))
            lines.extend(f"    | {line}" for line in c.output.splitlines())
        return "\n".join(lines)


def run_header(result: Any, title: str = "compare") -> str:
    """``compare · failed · run 1a2b… · 2 Guardian findings`` for a compare or a matrix
    that ran under a run id (``""`` for one built by hand)."""
    run_id = getattr(result, "run_id", None)
    if not run_id:
        return ""
    n = int(getattr(result, "findings", 0) or 0)
    found = f"{n} Guardian finding{'' if n == 1 else 's'}"
    return f"{title} · {getattr(result, 'status', '')} · run {run_id} · {found}"


def run_header_html(result: Any, title: str = "compare") -> str:
    """:func:`run_header` as HTML: the status in its colour, the run id quiet."""
    run_id = getattr(result, "run_id", None)
    if not run_id:
        return ""
    status = str(getattr(result, "status", ""))
    n = int(getattr(result, "findings", 0) or 0)
    colour = STATUS_COLOURS.get(status, "inherit")
    return (
        f"<div><b>{esc(title)} · <span style='color:{colour}'>{esc(status)}</span></b> "
        f"<small style='{MUTED}'>run {esc(run_id)} · {n} Guardian finding"
        f"{'' if n == 1 else 's'}</small></div>"
    )


def _prompt_line(prompt: str, limit: int = 80) -> str:
    # A prompt filled from a variable may hold a key the cell never showed: the echo
    # masks credentials, as the audit does, since notebook outputs are saved to disk.
    from ..guardian.secrets_only import redact_secrets  # loads the rules on first view

    line = " ".join(redact_secrets(str(prompt)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _error_html(c: ReplyCells) -> str:
    return f"<span style='color:#d93025'>{esc(c.error)}</span>"


def _body_html(c: ReplyCells) -> str:
    if c.error:
        return _error_html(c)
    meta = " · ".join(esc(x) for x in (c.latency, c.tokens, c.cost) if x)
    return f"{pre_html(c.output)}<small>{meta}</small>{decisions_html(c.decisions)}"
