"""Filters for reading the trail: the WHERE clause behind ``to_dataframe(run=…, …)``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypedDict

from ..errors import ConfigurationError, UnknownNameError, UsageError
from ..near_names import did_you_mean
from .events import EVENT_KINDS
from .rows import format_timestamp
from .sqlrow import Cell
from .store import ALL_COLUMNS

__all__ = ["FrameFilters", "RowFilters", "Since", "check_filters", "select_sql"]

#: A moment: an aware or naive (taken as UTC) datetime, ISO text, epoch seconds, or a
#: timedelta meaning "that long ago".
Since = datetime | str | float | int | timedelta


class RowFilters(TypedDict, total=False):
    """The keyword filters of :func:`select_sql` (and ``AuditTrail.export``)."""

    run: str | None
    since: Since | None
    model: str | None
    event: str | Iterable[str] | None
    session: str | None
    limit: int | None


class FrameFilters(RowFilters, total=False):
    """The keyword filters of ``AuditTrail.to_dataframe``: :class:`RowFilters` and
    ``homes`` (other ``ORCHESTRATION_HOME`` directories to read as well)."""

    homes: Iterable[str | Path]


def check_filters(filters: Mapping[str, object], what: str, *, homes: bool = False) -> None:
    """Refuse a filter keyword ``what`` does not take, naming the near one (``run_id=``
    is ``run=``), before it reaches :func:`select_sql` or ``to_dataframe`` as a TypeError
    naming them. ``homes``: ``what`` takes :class:`FrameFilters` (``homes=`` too)."""
    known = list(RowFilters.__annotations__) + (["homes"] if homes else [])
    for name in filters:
        if name not in known:
            raise UsageError(
                f"{what} takes no filter {name!r}.{did_you_mean(name, known)} "
                f"Its filters: {', '.join(known)}."
            )


def select_sql(
    run: str | None = None,
    since: Since | None = None,
    model: str | None = None,
    event: str | Iterable[str] | None = None,
    session: str | None = None,
    limit: int | None = None,
) -> tuple[str, list[Cell]]:
    """SQL and parameters selecting matching rows in ``seq`` order.

    ``model`` matches the requested model (with or without its ``provider:``), the
    responding model, or ``provider:model``.
    ``limit`` keeps the most recent rows.
    """
    where: list[str] = []
    params: list[Cell] = []
    if run is not None:
        where.append("run_id = ?")
        params.append(run)
    if session is not None:
        where.append("session_id = ?")
        params.append(session)
    if since is not None:
        where.append("timestamp >= ?")
        params.append(_moment(since))
    if model is not None:
        # A bare name also matches a requested ``provider:name`` (how a stand-in, the
        # simulator or the local model, records the model it stands in for).
        where.append(
            "(? IN (model, response_model, provider || ':' || model)"
            " OR substr(model, instr(model, ':') + 1) = ?)"
        )
        params.extend((model, model))
    if event is not None:
        kinds = _event_kinds(event)
        where.append(f"event IN ({', '.join('?' for _ in kinds)})")
        params.extend(kinds)
    sql = f"SELECT {', '.join(ALL_COLUMNS)} FROM audit_events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if limit is None:
        return sql + " ORDER BY seq", params
    # The most recent ``limit`` rows, returned oldest first.
    return f"SELECT * FROM ({sql} ORDER BY seq DESC LIMIT ?) ORDER BY seq", [*params, int(limit)]


def _event_kinds(event: str | Iterable[str]) -> list[str]:
    """The event filter as a list; a kind the trail never records is a mistake (``"cal"``,
    ``"calls"``) that would otherwise return an empty frame without a word."""
    kinds = [event] if isinstance(event, str) else list(event)
    for kind in kinds:
        if kind not in EVENT_KINDS:
            raise UnknownNameError.of("audit event", str(kind), sorted(EVENT_KINDS))
    return kinds


def _moment(since: Since) -> str:
    if isinstance(since, timedelta):
        return format_timestamp(datetime.now(UTC) - since)
    if isinstance(since, str):
        try:
            return format_timestamp(datetime.fromisoformat(since))
        except ValueError:
            raise ConfigurationError(
                f"since={since!r} is not an ISO date/time; use e.g. '2025-01-31T12:00' "
                "or a timedelta such as timedelta(hours=1)."
            ) from None
    if type(since).__name__ == "datetime64":  # numpy's (df.day.values.max()): naive UTC
        since = since.astype("datetime64[us]").item()  # type: ignore[union-attr]
    if isinstance(since, date) and not isinstance(since, datetime):
        # date.today(), df.day.max(): from that day's midnight, UTC as naive datetimes are
        since = datetime(since.year, since.month, since.day, tzinfo=UTC)
    try:
        return format_timestamp(since)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ConfigurationError(
            f"since= takes a datetime, a date, ISO text, epoch seconds or a timedelta, not "
            f"{type(since).__name__}; e.g. since=timedelta(hours=1) or since='2025-01-31'."
        ) from None
