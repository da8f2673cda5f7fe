"""What a running pipeline tells its observer (the widgets subscribe to these).

``run_start`` (data: the plan as a list of step dicts) → per step ``step_start``
(data: the :class:`StepResult`) → ``delta`` (data: a :class:`~orchestration_kernel.models.Delta`,
with ``model`` set for fan-out steps) → ``step_end`` (data: the :class:`StepResult`) →
``run_end`` (data: the :class:`PipelineResult`). Observers are called on the runtime loop's
thread and must return quickly; an observer that raises is logged and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["EventKind", "Observer", "PipelineEvent", "notify"]

log = logging.getLogger("orchestration_kernel.pipeline")

EventKind = Literal["run_start", "step_start", "delta", "step_end", "run_end"]


@dataclass(frozen=True, slots=True)
class PipelineEvent:
    """One event of one run."""

    kind: EventKind
    run_id: str
    step: str | None = None
    model: str | None = None
    data: object = None


Observer = Callable[[PipelineEvent], object]


def notify(observer: Observer | None, event: PipelineEvent) -> None:
    """Call ``observer``; its failures never break a run."""
    if observer is None:
        return
    try:
        observer(event)
    except Exception:  # a widget bug must not fail the user's pipeline
        log.exception("pipeline observer failed on %s", event.kind)
