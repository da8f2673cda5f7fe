"""``MatrixView``: ``%%orchestrate --compare m1 m2 --over VAR`` — one row per item, one
column per model, per-model totals at the foot (the fastest and cheapest model marked).
``MatrixProgressView``: a cluster job while it runs — partitions done (a progress bar),
rows per second and the time left.

```python
matrix = _                               # the CompareMatrix the cell returned (or --out VAR)
view = MatrixView(matrix)
view.to_dataframe()                      # one row per item, one column per model

progress = MatrixProgressView("reviews")  # the progress hook of a cluster job
engine.matrix_sync(models, template, df, cluster="local", progress=progress)
```
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..offline import reply_stood_in
from .compare_view import (
    LEAD_MS,
    ReplyCells,
    clear_winner,
    effective_cost,
    reply_cells,
    run_header,
    run_header_html,
)
from .frontend import View
from .render import (
    badges_html,
    esc,
    fmt_cost,
    fmt_ms,
    mark_html,
    model_html,
    pre_html,
    table_html,
    text_html,
)

__all__ = ["SHOWN_ROWS", "MatrixProgressView", "MatrixView"]

_PREVIEW = 200
#: Rows a view shows. A matrix over 3,000 rows put every one in the output, 6 MB of HTML
#: saved with the notebook (and a widget per cell); ``to_dataframe()`` has them all.
SHOWN_ROWS = 50


class MatrixView(View):
    """A compare matrix (``models``, ``items``, ``tables``; see
    :class:`~orchestration_kernel.matrix.MatrixResult`) as a grid."""

    def __init__(self, matrix: Any, *, widget: bool | None = None) -> None:
        self.matrix = matrix
        self.use_widget = widget
        self._grid: Any = None

    @classmethod
    def from_tables(
        cls, models: Sequence[str], items: Sequence[Any], tables: Sequence[Any]
    ) -> MatrixView:
        """A view of ``tables[i]`` (a ``CompareTable``) for each ``items[i]``."""
        from ..matrix import MatrixResult

        return cls(MatrixResult(models=list(models), items=list(items), tables=list(tables)))

    @property
    def models(self) -> list[str]:
        """The columns."""
        return list(self.matrix.models)

    def cells(self) -> list[tuple[Any, list[ReplyCells]]]:
        """Per item, one :class:`ReplyCells` per model (an absent reply is an error)."""
        from ..guardian.secrets_only import redact_secrets  # loads the rules on first view

        out = []
        labels = getattr(self.matrix, "row_labels", None)
        items = labels() if callable(labels) else self.matrix.items
        for item, table in zip(items[:SHOWN_ROWS], self.matrix.tables, strict=False):
            replies = table.replies
            row = [
                reply_cells(m, replies.get(m, LookupError(f"no reply from {m}")))
                for m in self.models
            ]
            # An item shown as its row's label is user text: credentials masked, as in
            # the compare view's prompt line.
            out.append((redact_secrets(_one_line(item)) if isinstance(item, str) else item, row))
        return out

    def hidden_rows(self) -> str:
        """What the view leaves out (rows past :data:`SHOWN_ROWS`), in words; ``""`` if none."""
        more = len(self.matrix.items) - SHOWN_ROWS
        if more <= 0:
            return ""
        return f"… {more:,} more item{'s' * (more != 1)}: to_dataframe() has every row"

    def totals(self) -> dict[str, dict[str, Any]]:
        """Per model: answers, errors, summed latency, tokens and cost (None if unknown)."""
        return dict(self.matrix.totals())

    def winners(self) -> dict[str, str | None]:
        """``fastest`` and ``cheapest``, only for a clear lead (see
        :func:`~.compare_view.clear_winner`: 20% and 50 ms of mean latency, 20% of mean
        cost, the real price where the simulator stood in) among the models that answered
        every item, over at least three items."""
        latency: dict[str, list[float | None]] = {}
        cost: dict[str, list[float | None]] = {}
        for model in self.models:
            replies = [t.replies.get(model) for t in self.matrix.tables]
            if not replies or not all(hasattr(r, "text") for r in replies):
                continue
            latency[model] = [r.latency_ms for r in replies]
            cost[model] = [effective_cost(r) for r in replies]
        return {
            "fastest": clear_winner(latency, floor=LEAD_MS),
            "cheapest": clear_winner(cost),
        }

    def to_dataframe(self) -> Any:
        """One row per item (indexed like the Series given to ``--over``), one column per
        model."""
        return self.matrix.to_dataframe()

    # -- pieces shared by the widget and the fallbacks -------------------------------------
    def _totals(self) -> list[tuple[str, list[str]]]:
        """Per model: its totals in words, and the marks it won."""
        winners = self.winners()
        out = []
        for model, t in self.totals().items():
            cost = self._cost(model, t["cost_usd"])
            text = (
                f"{t['answers']} answered, {t['errors']} failed · {fmt_ms(t['latency_ms'])} · "
                f"{t['tokens']:,} tokens · {cost}"
            )
            out.append((text, [k for k, v in winners.items() if v == model]))
        return out

    def _cost(self, model: str, total: float | None) -> str:
        """The model's total cost; where a stand-in answered, the real price, marked."""
        replies = [t.replies.get(model) for t in self.matrix.tables]
        ok = [r for r in replies if hasattr(r, "text")]
        if not any(reply_stood_in(r) for r in ok):
            return "cost unknown" if total is None else fmt_cost(total)
        costs = [effective_cost(r) for r in ok]
        if any(c is None for c in costs):
            return "unknown if real"
        return f"{fmt_cost(float(sum(c or 0.0 for c in costs)))} est. if real"

    def _total_cells(self) -> list[str]:
        return [text + (f" [{', '.join(m)}]" if m else "") for text, m in self._totals()]

    def _total_cells_html(self) -> list[str]:
        return [
            f"<small>{esc(text)}</small>" + "".join(mark_html(k) for k in marks)
            for text, marks in self._totals()
        ]

    # -- widgets -----------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """A ``GridBox``: a header row, one row per item, the totals row."""
        if self._grid is None:
            import ipywidgets as widgets

            html = [f"<b>{h}</b>" for h in self._header()]
            for item, row in self.cells():
                html.append(text_html(str(item)))
                html.extend(_cell_html(c) for c in row)
            if self.hidden_rows():
                html.extend([esc(self.hidden_rows())] + [""] * len(self.models))
            html.append("<b>total</b>")
            html.extend(self._total_cells_html())
            columns = f"minmax(8em, 1fr) repeat({len(self.models)}, minmax(12em, 2fr))"
            self._grid = widgets.GridBox(
                [widgets.HTML(h) for h in html],
                layout=widgets.Layout(grid_template_columns=columns, grid_gap="2px 8px"),
            )
        return self._grid

    def _header(self) -> list[str]:
        """Each model's column head, with what answered (``claude-3 → anthropic:…``)."""
        heads = ["item"]
        for model in self.models:
            replies = [t.replies.get(model) for t in self.matrix.tables]
            answered = next((r for r in replies if hasattr(r, "text")), None)
            if answered is None:
                heads.append(f"<code>{esc(model)}</code>")
            else:
                heads.append(model_html(model, answered.provider, False, answered.resolved_model))
        return heads

    # -- fallbacks ---------------------------------------------------------------------
    def _html(self) -> str:
        rows: list[list[str] | str] = [
            [text_html(str(item)), *(_cell_html(c) for c in row)] for item, row in self.cells()
        ]
        if self.hidden_rows():
            rows.append([f"<i>{esc(self.hidden_rows())}</i>", *([""] * len(self.models))])
        rows.append(["<b>total</b>", *self._total_cells_html()])
        table = table_html(self._header(), rows, fixed="12em")
        head = run_header_html(self.matrix, "matrix")
        return f"<div class='orchestration-matrix'>{head}{table}</div>"

    def _text(self) -> str:
        rows, cols = len(self.matrix.items), len(self.models)
        lines = [f"{rows} item{'s' * (rows != 1)} × {cols} model{'s' * (cols != 1)}"]
        head = run_header(self.matrix, "matrix")
        if head:
            lines.insert(0, head)
        for item, row in self.cells():
            lines.append(f"- {item}")
            for c in row:
                answer = f"error: {c.error}" if c.error else _one_line(c.output)
                lines.append(f"    {c.model}: {answer}")
        if self.hidden_rows():
            lines.append(self.hidden_rows())
        lines.append("totals:")
        lines.extend(f"    {m}: {t}" for m, t in zip(self.models, self._total_cells(), strict=True))
        return "\n".join(lines)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _PREVIEW else line[: _PREVIEW - 1] + "…"


def _cell_html(c: ReplyCells) -> str:
    if c.error:
        return f"<span style='color:#d93025'>{esc(c.error)}</span>"
    meta = " · ".join(esc(x) for x in (c.latency, c.tokens, c.cost) if x)
    sim = " · simulated" if c.simulated else ""
    return f"{pre_html(c.output)}<small>{meta}{sim}</small>{badges_html(c.decisions)}"


class MatrixProgressView(View):
    """A cluster job's progress (``ClusterProgress``, see
    :mod:`orchestration_kernel.cluster.progress`): call it with each one, as the
    ``progress=`` hook of ``engine.matrix(..., cluster=...)`` or
    ``engine.pipeline_matrix(..., cluster=...)``; the first call shows it, later ones
    update it in place. The widget is a bar of partitions done (resumed ones included)
    above one line: rows done, rows per second and the ETA; green when every partition
    is in, red after :meth:`fail`."""

    def __init__(self, title: str = "cluster job", *, widget: bool | None = None) -> None:
        self.title = title
        self.use_widget = widget
        self.progress: Any = None
        self.error: BaseException | None = None
        self._box: Any = None

    def __call__(self, progress: Any) -> None:
        """Take a new progress and show it."""
        self.progress = progress
        self.final = bool(progress.finished)
        self._update()

    def fail(self, error: BaseException) -> None:
        """The job stopped before its end (interrupted, or an error): say so, for good."""
        self.error = error
        self.final = True
        self._update()

    def _update(self) -> None:
        self._sync_widget()
        if not self.shown:
            self.show()
        else:
            self.refresh()

    def _sync_widget(self) -> None:
        """The widget's traits from the current progress (nothing before it is built)."""
        if self._box is None:
            return
        bar, line = self._box.children[1:]
        p = self.progress
        if p is not None:
            bar.max = max(1, p.partitions_total)
            bar.value = p.partitions_done
        bar.bar_style = "danger" if self.error else ("success" if self.final else "info")
        line.value = esc(self._line())

    def _line(self) -> str:
        line = "starting…" if self.progress is None else str(self.progress)
        if self.error is not None:
            line += f" · stopped: {type(self.error).__name__}: {self.error}"
        return line

    @property
    def widget(self) -> Any:
        """A ``VBox``: the title, an ``IntProgress`` of partitions, an ``HTML`` line."""
        if self._box is None:
            import ipywidgets as widgets

            self._box = widgets.VBox(
                [
                    widgets.HTML(f"<b>{esc(self.title)}</b>"),
                    widgets.IntProgress(value=0, min=0, max=1, description="partitions"),
                    widgets.HTML(""),
                ]
            )
            self._sync_widget()
        return self._box

    def _html(self) -> str:
        p = self.progress
        done, total = (p.partitions_done, p.partitions_total) if p is not None else (0, 1)
        return (
            f"<div class='orchestration-matrix-progress'><b>{esc(self.title)}</b><br>"
            f"<progress value='{done}' max='{max(1, total)}'></progress> "
            f"<small>{esc(self._line())}</small></div>"
        )

    def _text(self) -> str:
        return f"{self.title}\n{self._line()}"
