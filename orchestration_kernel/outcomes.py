"""What a call came to, in one word, and what the Guardian found: shared by a compare
(:mod:`.compare`) and a matrix (:mod:`.matrix`), whose status is the worst of their cells."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import GuardianBlocked, RunCancelled
from .models import Reply

__all__ = ["cell_status", "count_findings", "worst_status"]

#: Status words, best to worst: a run's status is the worst of its cells.
_STATUS_RANK = {"done": 0, "blocked": 1, "failed": 2, "cancelled": 3}


def cell_status(reply: object) -> str:
    """``done`` for a reply, ``blocked`` for a Guardian block, ``cancelled`` for a cell an
    interrupt stopped before it answered, ``failed`` for other errors."""
    if isinstance(reply, Reply):
        return "done"
    if isinstance(reply, RunCancelled):
        return "cancelled"
    return "blocked" if isinstance(reply, GuardianBlocked) else "failed"


def worst_status(replies: Iterable[object]) -> str:
    """The worst :func:`cell_status` of ``replies`` (``done`` when there are none)."""
    return max(map(cell_status, replies), key=_STATUS_RANK.__getitem__, default="done")


def count_findings(replies: Iterable[object]) -> int:
    """Guardian decisions that did not allow, over replies and blocks alike (a block
    carries its decisions), each policy's decision once (not the Guardian's summary)."""
    count = 0
    for reply in replies:
        decisions = getattr(reply, "decisions", None) or []
        objected = [d for d in decisions if getattr(d, "action", "allow") != "allow"]
        specific = [d for d in objected if getattr(d, "policy", "") != "guardian"]
        count += len(specific) if specific else len(objected)
    return count
