"""ipywidgets views of runs, comparisons and the audit trail, with HTML/text fallbacks.

```python
from orchestration_kernel.widgets import RunView, CompareView, MatrixView, AuditView
result = await RunView("quickstart").execute(pipeline, text)   # live, then final
CompareView(await engine.compare(["gpt-4", "claude-3"], "prompt"))
AuditView(engine.audit, run=result.run_id)                      # rows, per model, chart
```

This is the only package that imports ipywidgets (and matplotlib, for charts); the core
never does. Names load lazily so that importing the package costs nothing until a view
is made. Modules: :mod:`.state` (a run as data), :mod:`.render` and :mod:`.run_render`
(HTML/text), :mod:`.frontend` (display and replace), :mod:`.throttle` (rate limit),
:mod:`.run_view` (runs), :mod:`.compare_view` (side by side),
:mod:`.matrix_view` (``--over``, and a cluster job's progress),
:mod:`.audit_view` and :mod:`.charts` (the audit),
:mod:`.batch_view` (a batch job's progress).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "RunView": "run_view",
    "run_display": "run_view",
    "RunState": "state",
    "StepState": "state",
    "CompareView": "compare_view",
    "MatrixView": "matrix_view",
    "MatrixProgressView": "matrix_view",
    "AuditView": "audit_view",
    "BatchView": "batch_view",
    "Chart": "charts",
    "View": "frontend",
    "ViewRegistry": "views",
    "views_for": "views",
}

__all__ = [
    "AuditView",
    "BatchView",
    "Chart",
    "CompareView",
    "MatrixProgressView",
    "MatrixView",
    "RunState",
    "RunView",
    "StepState",
    "View",
    "ViewRegistry",
    "run_display",
    "views_for",
]

if TYPE_CHECKING:
    from .audit_view import AuditView
    from .batch_view import BatchView
    from .charts import Chart
    from .compare_view import CompareView
    from .frontend import View
    from .matrix_view import MatrixProgressView, MatrixView
    from .run_view import RunView, run_display
    from .state import RunState, StepState
    from .views import ViewRegistry, views_for


__getattr__, __dir__ = lazy_exports(__name__, {k: f".{v}" for k, v in _EXPORTS.items()}, globals())
