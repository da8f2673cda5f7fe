"""Charts of the audit where a picture beats a table: a timeline of a run's steps, and
latency and cost per model.

matplotlib is imported lazily, here only, and drawn without pyplot (no GUI backend, no
global figure state): a :class:`Chart` renders itself as PNG wherever it is shown.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from .render import STATUS_COLOURS

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
    latency and cost per model (``models``: model, latency_p50_ms, cost_usd)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, max(2.5, 0.45 * len(steps) + 1.5)), layout="constrained")
    timeline, latency, cost = fig.subplots(1, 3, width_ratios=[3, 2, 2])
    _timeline(timeline, steps)
    _bars(latency, models, "latency_p50_ms", "latency p50 (ms)", "#1a73e8")
    _bars(cost, models, "cost_usd", "cost (USD)", "#188038")
    fig.suptitle(title)
    description = (
        f"Chart: timeline of {len(steps)} step(s); latency and cost of {len(models)} model(s)"
    )
    return Chart(fig, description)


def _timeline(ax: Any, steps: Any) -> None:
    labels = [f"{s} ({m})" for s, m in zip(steps["step"], steps["model"], strict=True)]
    colours = [STATUS_COLOURS.get(str(s), "#5f6368") for s in steps["status"]]
    ax.barh(labels, steps["latency_ms"].fillna(0), left=steps["start_ms"].fillna(0), color=colours)
    ax.invert_yaxis()  # the first step on top
    ax.set_xlabel("ms since the run started")
    ax.set_title("steps")
    if not len(steps):
        ax.text(0.5, 0.5, "no steps", ha="center", va="center", transform=ax.transAxes)


def _bars(ax: Any, models: Any, column: str, label: str, colour: str) -> None:
    names = [str(m) for m in models["model"]] if len(models) else []
    values = models[column].astype(float).fillna(0).tolist() if len(models) else []
    ax.barh(names, values, color=colour)
    ax.invert_yaxis()
    ax.set_title(label)
    if not names:
        ax.text(0.5, 0.5, "no calls", ha="center", va="center", transform=ax.transAxes)
