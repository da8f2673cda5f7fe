"""A read filtered by a model the trail has never seen says so, with the near names.

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

__all__ = ["warn_if_unknown_model"]

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


def warn_if_unknown_model(rows: Rows, model: str | None, matched: int) -> None:
    """Warn when ``matched`` is 0 and no row of the trail names ``model`` at all."""
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
    warnings.warn(f"No audit row names the model {model!r}.{hint}", AuditReadWarning, stacklevel=3)
