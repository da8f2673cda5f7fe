"""Charts of the audit where a picture beats a table: a timeline of a run's steps, and
latency and cost per model.

matplotlib is imported lazily, here only, and drawn without pyplot (no GUI backend, no
global figure state): a :class:`Chart` renders itself as PNG wherever it is shown.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from .render import STATUS_COLOURS, fmt_cost

__all__ = ["Chart", "audit_chart"]


class Chart:
    """A matplotlib figure that shows itself as a PNG (and says what it is in text)."""

    def __init__(self, figure: Any, description: str) -> None:
        self.figure = figure
        self.description = description

    def png(self) -> bytes:
        """The figure as PNG bytes."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=90, bbox_inches="tight")
        return buf.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "image/png": base64.b64encode(self.png()).decode("ascii"),
            "text/plain": self.description,
        }

    def __repr__(self) -> str:
        return self.description


def audit_chart(steps: Any, models: Any, title: str = "run") -> Chart:
    """A timeline of ``steps`` (columns step, model, status, start_ms, latency_ms) beside
    latency and cost per model (``models``: provider, model, latency_p50_ms, cost_usd)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, max(2.5, 0.45 * max(len(steps), len(models)) + 1.5)))
    fig.set_layout_engine("constrained")
    timeline, latency, cost = fig.subplots(1, 3, width_ratios=[3, 2, 2])
    _timeline(timeline, steps)
    _bars(latency, models, "latency_p50_ms", "latency per model (p50)", "ms", "#1a73e8")
    estimated = (
        len(models)
        and "cost_if_real_usd" in models
        and models["cost_if_real_usd"].notna().any()
        and not models["cost_usd"].fillna(0).astype(float).any()
    )
    if estimated:  # the simulator's calls cost nothing: show what they would have cost
        _bars(cost, models, "cost_if_real_usd", "cost per model (est. if real)", "USD", "#188038")
    else:
        _bars(cost, models, "cost_usd", "cost per model", "USD", "#188038")
    # Same models in the same order as the latency panel beside it: name them once.
    cost.tick_params(labelleft=False)
    simulated = len(models) and "provider" in models and (models["provider"] == "sim").all()
    fig.suptitle(title + (" · offline simulator" if simulated else ""))
    description = (
        f"Chart: timeline of {len(steps)} step(s); latency and cost of {len(models)} model(s)"
    )
    return Chart(fig, description)


def _timeline(ax: Any, steps: Any) -> None:
    from matplotlib.patches import Patch

    labels = [f"{s} ({m})" for s, m in zip(steps["step"], steps["model"], strict=True)]
    statuses = [str(s) for s in steps["status"]]
    colours = [STATUS_COLOURS.get(s, "#5f6368") for s in statuses]
    ax.barh(labels, steps["latency_ms"].fillna(0), left=steps["start_ms"].fillna(0), color=colours)
    ax.invert_yaxis()  # the first step on top
    ax.set_xlim(left=0)  # the run starts at 0, not at the first bar
    ax.set_xlabel("ms since the run started")
    ax.set_title("steps")
    if not len(steps):
        ax.text(0.5, 0.5, "no steps", ha="center", va="center", transform=ax.transAxes)
        return
    # The colours mean statuses: say which, for those present.
    present = list(dict.fromkeys(statuses))
    handles = [Patch(color=STATUS_COLOURS.get(s, "#5f6368"), label=s) for s in present]
    # Below the axis, where it hides no bar.
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22),
              ncols=len(handles), fontsize="small", frameon=False)  # fmt: skip


def _bars(ax: Any, models: Any, column: str, title: str, unit: str, colour: str) -> None:
    names = [str(m) for m in models["model"]] if len(models) else []
    raw = models[column].astype(float).tolist() if len(models) else []
    values = [0.0 if v != v else v for v in raw]  # NaN (unknown) draws as no bar
    bars = ax.barh(names, values, color=colour)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(unit)
    if not names:
        ax.text(0.5, 0.5, "no calls", ha="center", va="center", transform=ax.transAxes)
        return
    if not any(values):
        # An empty axis would look like a missing chart: say what the numbers are.
        note = "all unknown" if all(v != v for v in raw) else "all $0.00"
        ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes, color="#5f6368")
        ax.set_xticks([])
        return
    ax.set_xlim(0, max(values) * 1.3)  # from zero, with room for the labels at the ends
    ax.bar_label(bars, labels=[_value_label(v, unit) for v in raw], padding=3, fontsize="small")


def _value_label(value: float, unit: str) -> str:
    if value != value:
        return "unknown"
    if unit == "USD":
        return fmt_cost(value)
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"
