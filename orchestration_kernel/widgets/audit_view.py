"""``AuditView``: a run's audit rows as DataFrames (all rows, per model, the steps, the
Guardian's findings) and a chart of the steps' timeline and each model's latency and cost.

```python
view = AuditView(engine.audit, run=result.run_id)   # or any audit DataFrame
view.frame            # the rows (pandas)
view.per_model()      # calls, tokens, cost, latency p50/p95 per model
view.chart()          # the picture (matplotlib, PNG)
```
"""

from __future__ import annotations

from typing import Any

from ..offline import stand_in_cost_text, stand_in_label
from .charts import Chart, audit_chart
from .frontend import View
from .render import esc, fmt_cost, fmt_ms, table_html

__all__ = ["AuditView"]

#: The audit columns the "rows" tab shows (the frame has them all).
ROW_COLUMNS = ("event", "step", "model", "status", "latency_ms", "cost_usd", "guardian_action")


class AuditView(View):
    """Audit rows from an :class:`~orchestration_kernel.audit.AuditTrail` (filtered like
    ``to_dataframe``: ``run=``, ``model=``, ``since=`` …) or from a DataFrame.

    ``run`` may be a run id or a ``PipelineResult``.
    """

    def __init__(
        self, source: Any, run: Any = None, *, widget: bool | None = None, **filters: Any
    ) -> None:
        self.use_widget = widget
        run_id = getattr(run, "run_id", run)
        if hasattr(source, "to_dataframe"):
            frame = source.to_dataframe(run=run_id, **filters)
        else:
            frame = source if run_id is None else source[source["run_id"] == run_id]
        self.frame = frame.reset_index(drop=True)
        self.run_id: str | None = run_id
        self._tabs: Any = None

    def to_dataframe(self) -> Any:
        """The audit rows (a copy)."""
        return self.frame.copy()

    # -- views of the frame ------------------------------------------------------------
    def per_model(self) -> Any:
        """Per provider and model: calls, errors, tokens, cost, latency p50/p95."""
        from ..audit.summaries import summary_by_model

        table = summary_by_model(self.frame)
        estimates = _if_real_by_model(self.frame)
        if len(table):
            keys = zip(table["provider"], table["model"], strict=True)
            table["cost_if_real_usd"] = [estimates.get(k) for k in keys]
        return table

    def steps(self) -> Any:
        """One row per step: its model, status, latency, and when it started (ms since the
        run's first row), for the timeline."""
        frame = self.frame
        steps = frame[frame["event"] == "step"].copy()
        cols = ["step", "model", "status", "latency_ms", "cost_usd", "start_ms"]
        if steps.empty:
            return steps.assign(start_ms=[]).reindex(columns=cols)
        t0 = frame["timestamp"].min()
        ended_ms = (steps["timestamp"] - t0).dt.total_seconds() * 1000
        steps["start_ms"] = (ended_ms - steps["latency_ms"].fillna(0)).clip(lower=0)
        return steps[cols].reset_index(drop=True)

    def findings(self) -> Any:
        """The Guardian's decisions that did not allow: step, policy, stage, action, reasons.

        The Guardian's overall row per stage (policy ``guardian``) is left out where a
        policy's own row says the same."""
        frame = self.frame
        rows = frame[(frame["event"] == "guardian") & (frame["guardian_action"] != "allow")]
        rows = rows.rename(
            columns={
                "guardian_policy": "policy",
                "guardian_action": "action",
                "guardian_reasons": "reasons",
            }
        )
        rows = rows.assign(stage=_stages(rows))
        keys = list(zip(rows["step"], rows["stage"], strict=True))
        explained = {k for k, p in zip(keys, rows["policy"], strict=True) if p != "guardian"}
        keep = [
            p != "guardian" or k not in explained for k, p in zip(keys, rows["policy"], strict=True)
        ]
        out = rows.loc[keep, ["step", "policy", "stage", "action", "reasons"]]
        return out.reset_index(drop=True)

    def chart(self) -> Chart:
        """The steps' timeline beside latency (p50) and cost per model."""
        title = f"run {self.run_id}" if self.run_id else "audit"
        return audit_chart(self.steps(), self.per_model(), title)

    # -- the tables, as HTML and text cells -----------------------------------------------
    def _model_rows(self) -> list[list[str]]:
        rows = []
        for r in self.per_model().itertuples():
            cost = fmt_cost(_num(r.cost_usd))
            if _stood_in(r.provider, r.model):  # its $0 is not the price of the model named
                cost = stand_in_cost_text(None, _num(r.cost_if_real_usd), stand_in=True)
            elif r.cost_unknown:
                cost += f" (+{r.cost_unknown} unknown)"
            tokens = f"{r.input_tokens + r.output_tokens:,}"
            p50, p95 = fmt_ms(_num(r.latency_p50_ms)), fmt_ms(_num(r.latency_p95_ms))
            rows.append([_model_label(r.provider, r.model), str(r.calls), str(r.errors),
                         tokens, cost, p50, p95])  # fmt: skip
        return rows

    def _step_rows(self) -> list[list[str]]:
        stood_in = _stood_in_steps(self.frame)
        return [
            [str(r.step), str(r.model), str(r.status), fmt_ms(_num(r.latency_ms)),
             stand_in_cost_text(None, stood_in[r.step], stand_in=True)
             if r.step in stood_in else fmt_cost(_num(r.cost_usd))]
            for r in self.steps().itertuples()
        ]  # fmt: skip

    def _finding_rows(self) -> list[list[str]]:
        return [
            [str(r.step), str(r.policy), str(r.stage), str(r.action), _reasons(r.reasons)]
            for r in self.findings().itertuples()
        ]

    _MODEL_HEAD = ("model", "calls", "errors", "tokens", "cost", "latency p50", "latency p95")
    _STEP_HEAD = ("step", "model", "status", "latency", "cost")
    _FINDING_HEAD = ("step", "policy", "stage", "action", "reasons")

    def _sections(self) -> list[tuple[str, tuple[str, ...], list[list[str]]]]:
        return [
            ("per model", self._MODEL_HEAD, self._model_rows()),
            ("steps", self._STEP_HEAD, self._step_rows()),
            ("guardian findings", self._FINDING_HEAD, self._finding_rows()),
        ]

    def _title(self) -> str:
        run = f"run {self.run_id}" if self.run_id else "all runs"
        return f"audit · {run} · {len(self.frame)} rows"

    # -- widgets -----------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """A ``Tab``: per model, steps, Guardian findings, the chart, and the raw rows."""
        if self._tabs is None:
            import ipywidgets as widgets

            children = [widgets.HTML(_section_html(h, r)) for _, h, r in self._sections()]
            children.append(widgets.Image(value=self.chart().png(), format="png"))
            rows = self.frame.reindex(columns=list(ROW_COLUMNS))
            children.append(widgets.HTML(rows.to_html(index=False, na_rep="", max_rows=200)))
            self._tabs = widgets.Tab(children=children)
            for i, name in enumerate([*(s[0] for s in self._sections()), "chart", "rows"]):
                self._tabs.set_title(i, name)
        return self._tabs

    # -- fallbacks ---------------------------------------------------------------------
    def _html(self) -> str:
        parts = [f"<b>{esc(self._title())}</b>"]
        for name, head, rows in self._sections():
            parts.append(f"<div><i>{esc(name)}</i>{_section_html(head, rows)}</div>")
        return "<div class='orchestration-audit'>" + "".join(parts) + "</div>"

    def _text(self) -> str:
        # Each value is named ("calls 1, errors 0, …") rather than padded into columns:
        # padding would follow the width of latencies, which change from run to run.
        lines = [self._title()]
        for name, head, rows in self._sections():
            lines.append(f"{name}:")
            lines.extend(f"  {row[0]}: " + _named(head[1:], row[1:]) for row in rows)
            if not rows:
                lines.append("  (none)")
        return "\n".join(lines)


def _section_html(head: tuple[str, ...], rows: list[list[str]]) -> str:
    if not rows:
        return "<div><small>(none)</small></div>"
    return table_html(head, [[esc(c) for c in row] for row in rows])


def _named(head: tuple[str, ...], cells: list[str]) -> str:
    """``calls 1, errors 0, cost $0.00`` — each known value after its column's name."""
    return ", ".join(f"{h} {c}" for h, c in zip(head, cells, strict=True) if c)


def _num(value: Any) -> float | None:
    """A float, or ``None`` for a missing value (NaN, ``pd.NA``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is not equal to itself


def _reasons(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def _model_label(provider: Any, model: Any) -> str:
    """``openai:gpt-4o``, marked when an offline stand-in (provider ``sim`` or ``local``)
    answered."""
    name = _name(provider, model)
    if provider == "sim":
        return name + " (simulated)"
    if _stood_in(provider, model):
        return stand_in_label("local", name)
    return name


def _name(provider: Any, model: Any) -> str:
    return str(model) if ":" in str(model) or not provider else f"{provider}:{model}"


def _stood_in(provider: Any, model: Any) -> bool:
    """An audit row's model was answered by an offline stand-in (see ``_model_label``)."""
    return provider == "sim" or (
        provider == "local" and not _name(provider, model).startswith("local:")
    )


def _stages(rows: Any) -> list[str]:
    """Each Guardian row's stage: its ``stage`` column, or (rows written before that
    column existed) the stage its ``detail`` records."""
    stored = rows["stage"] if "stage" in rows else [None] * len(rows)
    details = rows["detail"] if "detail" in rows else [None] * len(rows)
    out = []
    for stage, detail in zip(stored, details, strict=True):
        if isinstance(stage, str) and stage:
            out.append(stage)
        else:
            out.append(str(detail.get("stage", "")) if isinstance(detail, dict) else "")
    return out


def _stood_in_steps(frame: Any) -> dict[Any, float | None]:
    """Per step a stand-in answered: what the real models would have charged (``None``
    when a call's price is unknown), from its call rows' ``detail``."""
    if "detail" not in frame:
        return {}
    out: dict[Any, float | None] = {}
    calls = frame[(frame["event"] == "call") & (frame["status"] == "ok")]
    rows = zip(calls["step"], calls["provider"], calls["model"], calls["detail"], strict=True)
    for step, provider, model, detail in rows:
        if not _stood_in(provider, model) or (step in out and out[step] is None):
            continue  # a real call, or a step whose real price is unknown already
        value = detail.get("cost_if_real_usd") if isinstance(detail, dict) else None
        out[step] = None if value is None else (out.get(step) or 0.0) + float(value)
    return out


def _if_real_by_model(frame: Any) -> dict[tuple[str, str], float]:
    """Per (provider, model): the real price of the simulator's calls, from each call row's
    ``detail`` (the audit's ``cost_usd`` stays the true cost, 0)."""
    out: dict[tuple[str, str], float] = {}
    if "detail" not in frame:
        return out
    calls = frame[frame["event"] == "call"]
    for provider, model, detail in zip(
        calls["provider"].fillna(""), calls["model"].fillna(""), calls["detail"], strict=True
    ):
        value = detail.get("cost_if_real_usd") if isinstance(detail, dict) else None
        if value is not None:
            key = (str(provider), str(model))
            out[key] = out.get(key, 0.0) + float(value)
    return out
