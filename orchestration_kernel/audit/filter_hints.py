"""A read filtered by a model (or a run) the trail has never seen says so, with the
near names.

``engine.audit.to_dataframe(model="gpt4")`` matches no row (the trail holds
``gpt-4o``): an empty frame alone looks like "no calls yet". The event filter already
refuses kinds the trail never records (:func:`.query.select_sql`); a model name can be
anything, so an unknown one warns instead, naming the models the trail does hold.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

from ..near_names import did_you_mean
from .odd_cells import AuditReadWarning

__all__ = ["warn_if_unknown_model", "warn_if_unknown_run"]

#: Every name a ``model`` filter matches (see :func:`.query.select_sql`).
_MODEL_NAMES_SQL = (
    "SELECT model FROM audit_events WHERE model IS NOT NULL"
    " UNION SELECT response_model FROM audit_events WHERE response_model IS NOT NULL"
    " UNION SELECT provider || ':' || model FROM audit_events"
    " WHERE provider IS NOT NULL AND model IS NOT NULL"
)
#: Names listed when none is near (a longer list is cut with a count).
_LISTED = 8

Rows = Callable[[str, tuple[()]], Sequence[Sequence[object]]]


def warn_if_unknown_model(rows: Rows, model: str | None, matched: int, depth: int = 1) -> None:
    """Warn when ``matched`` is 0 and no row of the trail names ``model`` at all.
    ``depth``: how many of our frames stand between the warning and the user's call."""
    if model is None or matched:
        return
    known = sorted(str(row[0]) for row in rows(_MODEL_NAMES_SQL, ()))
    if model in known:
        return  # the model is there; the other filters left nothing
    hint = did_you_mean(model, known)
    if not hint and known:
        shown = ", ".join(repr(name) for name in known[:_LISTED])
        more = f" and {len(known) - _LISTED} more" if len(known) > _LISTED else ""
        hint = f" It holds {shown}{more}."
    elif not known:
        hint = " It holds no model calls yet."
    warnings.warn(
        f"No audit row names the model {model!r}.{hint}", AuditReadWarning, stacklevel=2 + depth
    )


#: Every run id, the latest first (a run's rows are consecutive; its last is its newest).
_RUN_IDS_SQL = (
    "SELECT run_id FROM audit_events WHERE run_id IS NOT NULL"
    " GROUP BY run_id ORDER BY MAX(seq) DESC"
)


def warn_if_unknown_run(rows: Rows, run: str | None, matched: int, depth: int = 1) -> None:
    """Warn when ``matched`` is 0 and no row of the trail has the run id ``run``: a
    mistyped or cut id (``to_dataframe(run="2ce538cf")``) read as a run with no rows."""
    if run is None or matched:
        return
    known = [str(row[0]) for row in rows(_RUN_IDS_SQL, ())]
    if run in known:
        return
    near = [k for k in known if k.startswith(run)][:3] if run else []
    hint = (
        f" Did you mean {' or '.join(repr(k) for k in near)}? (run ids are matched whole)"
        if near
        else did_you_mean(run, known)
    )
    if not hint:
        latest = ", ".join(repr(k) for k in known[:3])
        hint = f" Its latest runs are {latest}." if known else " It holds no runs yet."
    warnings.warn(
        f"No audit row has the run id {run!r}.{hint}", AuditReadWarning, stacklevel=2 + depth
    )
