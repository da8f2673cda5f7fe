"""A matrix's (or a ``--compare`` cell's, or a plain ``engine.compare``'s) own audit rows:
one ``run_start`` and one ``run_end`` under its run id, as a pipeline run has.

Without them a matrix left only its calls' rows, so an interrupted matrix and its final
status were nowhere in the trail. ``run_start`` names the models and the item count;
``run_end`` carries the status (the matrix's own: ``done``, ``blocked`` or ``failed``, or
``cancelled`` for an interrupt — the words a pipeline's ``run_end`` uses), how many cells
answered and failed, tokens and cost. The result is returned only once its ``run_end`` is
committed: a commit that fails raises :class:`AuditWriteError` carrying the result, as a
pipeline run does. The rows go through the trail's ordinary ``record`` (the writer's
encoding is untouched) with the recording engine's settings (:func:`.privacy.audit_options`).

The cluster's workers run :func:`.matrix.run_matrix` bare: only the caller, which owns the
run id, writes the pair. A plain ``engine.compare(models, prompt)`` is a run of its own
(:func:`run_audited_compare`, ``kind: compare``); a compare given a ``run_id`` (each item
of a matrix) belongs to the run that gave it, which writes the pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from .compare import CompareTable, run_compare
from .errors import AuditWriteError, RunCancelled
from .matrix import MatrixEvent, MatrixInput, MatrixResult, new_run_id, run_matrix
from .models import Reply
from .privacy import audit_options

__all__ = ["MatrixRunAudit", "run_audited_compare", "run_audited_matrix"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class MatrixRunAudit:
    """The ``run_start``/``run_end`` pair of one matrix run (nothing without an audit)."""

    def __init__(
        self,
        engine: Any,
        models: Sequence[str],
        items: int,
        *,
        pipeline: str | None = None,
        session_id: str | None = None,
        kind: str = "matrix",
        names: str = "models",
    ) -> None:
        #: ``matrix`` or ``compare`` (counts cells: one per item and model) or
        #: ``pipeline_matrix`` (counts rows: one pipeline run each, with its own run rows
        #: beside these).
        self.kind = kind
        #: What ``models`` holds, as the rows' ``detail`` names it (``steps`` for rows).
        self.names = names
        self.engine = engine
        self.audit = getattr(engine, "audit", None)
        self.models = list(models)
        self.items = items
        self.pipeline = pipeline
        self.session_id = session_id
        self.run_id: str | None = None
        self.started = 0.0
        self.ended = False
        #: Cells seen ending so far (for a run cut short, what it did before).
        self.ok = 0
        self.failed = 0
        self.input_tokens = 0
        self.output_tokens = 0
        #: ``None`` once any part's price is unknown: unknown is not free.
        self.cost_usd: float | None = 0.0

    def start(self, run_id: str) -> None:
        """Record ``run_start`` under ``run_id``."""
        self.run_id = run_id
        self.started = time.monotonic()
        detail = {"kind": self.kind, self.names: self.models, "items": self.items}
        self._record("run_start", status="running", detail=detail)

    def observe(self, event: MatrixEvent) -> None:
        """Count one cell's end (a :class:`MatrixEvent` from :func:`run_matrix`)."""
        if event.kind != "cell_end":
            return
        self._add(event.reply)

    def count(self, result: MatrixResult) -> None:
        """Take the counts from a finished ``result`` (every cell, kept ones included)."""
        self._reset()
        for i in range(len(result.tables)):
            for model in result.models:
                self._add(result.reply(i, model))

    def count_table(self, table: CompareTable) -> None:
        """Take the counts from a finished comparison (one cell per model)."""
        self._reset()
        for reply in table.replies.values():
            self._add(reply)

    def count_runs(self, runs: Sequence[Any]) -> None:
        """Take the counts from a pipeline matrix's row runs (``PipelineResult``s)."""
        self._reset()
        for run in runs:
            self.ok += run.status == "done"
            self.failed += run.status != "done"
            self.input_tokens += run.usage.input_tokens
            self.output_tokens += run.usage.output_tokens
            cost = run.cost_usd
            self.cost_usd = None if cost is None or self.cost_usd is None else self.cost_usd + cost

    def _reset(self) -> None:
        self.ok = self.failed = self.input_tokens = self.output_tokens = 0
        self.cost_usd = 0.0

    def _add(self, reply: object) -> None:
        """One cell: a reply counts (tokens, cost), anything else is a failed cell."""
        if not isinstance(reply, Reply):
            self.failed += 1
            return
        self.ok += 1
        self.input_tokens += reply.usage.input_tokens
        self.output_tokens += reply.usage.output_tokens
        cost = reply.cost_usd
        self.cost_usd = None if cost is None or self.cost_usd is None else self.cost_usd + cost

    def end(self, status: str, error: str | None = None) -> None:
        """Record ``run_end`` with ``status`` and the counts so far (once)."""
        if self.ended or self.run_id is None:
            return
        self.ended = True
        parts = "rows" if self.kind == "pipeline_matrix" else "cells"
        detail: dict[str, object] = {
            "kind": self.kind,
            self.names: self.models,
            "items": self.items,
            parts: {"ok": self.ok, "failed": self.failed},
        }
        if error:
            detail["error"] = error
        self._record(
            "run_end",
            status=status,
            latency_ms=(time.monotonic() - self.started) * 1000,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
            detail=detail,
        )

    def finish(self, result: MatrixResult) -> None:
        """``run_end`` for a finished ``result`` (its own status), committed before return."""
        self.count(result)
        self.end(result.status)
        self.commit(result)

    def finish_rows(self, result: Any) -> None:
        """:meth:`finish` for a pipeline matrix's result (its ``runs`` and ``status``)."""
        self.count_runs(result.runs)
        self.end(result.status)
        self.commit(result)

    def around(self, job: Callable[[Callable[[str], Any]], T]) -> T:
        """``job(start)`` (blocking; it calls ``start(run_id)`` once its run id is known),
        ending the run ``cancelled`` (an interrupt) or ``failed`` when it raises."""
        try:
            return job(self.start)
        except BaseException as exc:
            cancelled = isinstance(exc, RunCancelled | KeyboardInterrupt)
            self.end("cancelled" if cancelled else "failed", f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):  # the error it ends with is the one raised
                self.commit()
            raise

    def commit(self, result: object = None) -> None:
        """Commit the rows now (blocking); a refused commit raises carrying ``result``."""
        if self.audit is None:
            return
        try:
            self.audit.flush()
        except AuditWriteError as exc:
            raise _with_result(exc, result) from exc

    async def acommit(self, result: object = None) -> None:
        """:meth:`commit` without blocking the event loop."""
        if self.audit is None:
            return
        try:
            await self.audit.aflush()
        except AuditWriteError as exc:
            raise _with_result(exc, result) from exc

    def _record(self, event: str, **cols: Any) -> None:
        if self.audit is None:
            return
        cols["run_id"] = self.run_id
        cols.setdefault("pipeline", self.pipeline)
        # The session the run's call rows carry (the engine's unless one was given).
        session_id = self.session_id or getattr(self.engine, "session_id", None)
        cols.setdefault("session_id", session_id)
        identity = getattr(self.engine, "identity", None)
        if identity is not None:
            cols.setdefault("identity", str(getattr(identity, "label", identity)))
        self.audit.record(event, **audit_options(self.engine), **cols)


def _with_result(exc: AuditWriteError, result: object) -> AuditWriteError:
    error = AuditWriteError(str(exc), exc.path, exc.cause)
    error.result = result  # type: ignore[attr-defined]
    return error


async def run_audited_matrix(
    engine: Any,
    models: Sequence[str],
    prepared: MatrixInput,
    *,
    run_id: str | None = None,
    observer: Callable[[MatrixEvent], Any] | None = None,
    **kwargs: Any,
) -> MatrixResult:
    """:func:`run_matrix` over ``engine.compare`` between its ``run_start`` and
    ``run_end`` rows (see the module docstring); the keywords are :func:`run_matrix`'s."""
    run_id = run_id or new_run_id()
    rows = MatrixRunAudit(
        engine, models, len(prepared.prompts),
        pipeline=kwargs.get("pipeline"), session_id=kwargs.get("session_id"),
    )  # fmt: skip
    if rows.audit is not None:
        rows.audit.check_writable()  # fail fast: no matrix runs unaudited
    rows.start(run_id)

    def watch(event: MatrixEvent) -> None:
        rows.observe(event)
        if observer is not None:
            observer(event)

    async with _ended_if_raising(rows):
        result = await run_matrix(
            engine.compare, models, prepared, run_id=run_id, observer=watch, **kwargs
        )
    rows.count(result)
    rows.end(result.status)
    await rows.acommit(result)
    return result


@contextlib.asynccontextmanager
async def _ended_if_raising(rows: MatrixRunAudit) -> AsyncIterator[None]:
    """The run ends ``cancelled`` (cancelled) or ``failed`` (an error) if the body raises."""
    try:
        yield
    except (asyncio.CancelledError, RunCancelled):  # RunCancelled: with its partial result
        rows.end("cancelled", "the run was cancelled")
        await _settle(rows)
        raise
    except Exception as exc:
        rows.end("failed", f"{type(exc).__name__}: {exc}")
        await _settle(rows)
        raise


async def _settle(rows: MatrixRunAudit) -> None:
    """Commit a run that is ending by an error: the error it ends with is the one raised."""
    try:
        await rows.acommit()
    except AuditWriteError:
        log.warning("the run_end row of run %s could not be committed yet", rows.run_id)


async def run_audited_compare(
    engine: Any, models: Sequence[str], prompt: Any, kwargs: dict[str, Any]
) -> CompareTable:
    """:func:`.compare.run_compare` as a run of its own: a new run id for every call, between
    a ``run_start`` and a ``run_end`` (``kind: compare``; ``cancelled`` or ``failed`` when
    it ends so). Given a ``run_id``, the comparison is part of that run (a matrix's item)
    and writes no pair: the run's owner does."""
    if kwargs.get("run_id"):
        return await run_compare(engine, models, prompt, kwargs)
    run_id = new_run_id()
    kwargs = {**kwargs, "run_id": run_id, "pipeline": kwargs.get("pipeline") or "compare"}
    rows = MatrixRunAudit(
        engine, models, 1, pipeline=kwargs["pipeline"], session_id=kwargs.get("session_id"),
        kind="compare",
    )  # fmt: skip
    if rows.audit is not None:
        rows.audit.check_writable()  # fail fast: no compare runs unaudited
    rows.start(run_id)
    async with _ended_if_raising(rows):
        table = await run_compare(engine, models, prompt, kwargs)
    table.run_id = run_id
    rows.count_table(table)
    rows.end(table.status)
    if rows.audit is not None:  # `await table.committed`: its run_end too
        table.committed = rows.audit.commit_point()
    return table
