"""A live progress view of a batch job: per provider, submitted, running, done, failed,
blocked and an ETA. It is the ``progress`` hook of ``BatchJob.wait``::

    view = BatchView()
    await job.wait(progress=view)   # shows itself, then updates in place

HTML and text everywhere; an ipywidget (an ``HTML`` widget updated in place) where a
widget frontend is known.
"""

from __future__ import annotations

import html
from typing import Any

from .frontend import View

__all__ = ["BatchView"]

_COLUMNS = ("provider", "runs as", "items", "submitted", "running", "done", "failed",
            "blocked", "ETA")  # fmt: skip


class BatchView(View):
    """Progress of a batch job; call it with each ``JobStatus`` (see the module docstring)."""

    def __init__(self, status: Any = None) -> None:
        self.status = status
        self._widget: Any = None

    def __call__(self, status: Any) -> None:
        """Take a new status and show it (the first call displays the view)."""
        self.status = status
        if not self.shown:
            self.show()
        else:
            self.refresh()
        if self._widget is not None:
            self._widget.value = self._html()
        self.final = bool(getattr(status, "done", False))

    def _rows(self) -> list[list[str]]:
        rows = []
        for p in getattr(self.status, "providers", []) or []:
            eta = "" if p.eta_s is None else f"{p.eta_s:.0f} s"
            rows.append([p.provider, p.way, str(p.items), str(p.submitted), str(p.running),
                         str(p.done), str(p.failed), str(p.blocked), eta])  # fmt: skip
        return rows

    def _title(self) -> str:
        if self.status is None:
            return "batch job: no status yet"
        return f"batch job {self.status.name!r}: {self.status.state}"

    def _html(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
            for row in self._rows()
        )
        return (
            f"<div class='ok-batch'><b>{html.escape(self._title())}</b>"
            f"<table><tr>{head}</tr>{body}</table></div>"
        )

    def _text(self) -> str:
        lines = [self._title()]
        lines += ["  " + ", ".join(f"{c}: {v}" for c, v in zip(_COLUMNS, row, strict=True))
                  for row in self._rows()]  # fmt: skip
        return "\n".join(lines)

    @property
    def widget(self) -> Any:
        """An ``ipywidgets.HTML`` holding the table (updated with each status)."""
        if self._widget is None:
            import ipywidgets

            self._widget = ipywidgets.HTML(value=self._html())
        return self._widget
