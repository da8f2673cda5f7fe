"""A matrix's (or a ``--compare`` cell's) own audit rows: one ``run_start`` and one
``run_end`` under its run id, as a pipeline run has.

Without them a matrix left only its calls' rows, so an interrupted matrix and its final
status were nowhere in the trail. ``run_start`` names the models and the item count;
``run_end`` carries the status (the matrix's own: ``done``, ``blocked`` or ``failed``, or
``cancelled`` for an interrupt — the words a pipeline's ``run_end`` uses), how many cells
answered and failed, tokens and cost. The result is returned only once its ``run_end`` is
committed: a commit that fails raises :class:`AuditWriteError` carrying the result, as a
pipeline run does. The rows go through the trail's ordinary ``record`` (the writer's
encoding is untouched) with the recording engine's settings (:func:`.privacy.audit_options`).

The cluster's workers run :func:`.matrix.run_matrix` bare: only the caller, which owns the
run id, writes the pair.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from .errors import AuditWriteError
from .matrix import MatrixEvent, MatrixInput, MatrixResult, new_run_id, run_matrix
from .models import Reply
from .privacy import audit_options

__all__ = ["MatrixRunAudit", "run_audited_matrix"]

log = logging.getLogger(__name__)


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
    ) -> None:
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
        self._replies: list[Reply] = []

    def start(self, run_id: str) -> None:
        """Record ``run_start`` under ``run_id``."""
        self.run_id = run_id
        self.started = time.monotonic()
        detail = {"kind": "matrix", "models": self.models, "items": self.items}
        self._record("run_start", status="running", detail=detail)

    def observe(self, event: MatrixEvent) -> None:
        """Count one cell's end (a :class:`MatrixEvent` from :func:`run_matrix`)."""
        if event.kind != "cell_end":
            return
        if isinstance(event.reply, Reply):
            self.ok += 1
            self._replies.append(event.reply)
        else:
            self.failed += 1

    def count(self, result: MatrixResult) -> None:
        """Take the counts from a finished ``result`` (every cell, kept ones included)."""
        replies = list(result.replies.values())
        self._replies = replies
        self.ok = len(replies)
        self.failed = len(result.tables) * len(result.models) - self.ok

    def end(self, status: str, error: str | None = None) -> None:
        """Record ``run_end`` with ``status`` and the counts so far (once)."""
        if self.ended or self.run_id is None:
            return
        self.ended = True
        replies = self._replies
        costs = [r.cost_usd for r in replies]
        detail: dict[str, object] = {
            "kind": "matrix",
            "models": self.models,
            "items": self.items,
            "cells": {"ok": self.ok, "failed": self.failed},
        }
        if error:
            detail["error"] = error
        self._record(
            "run_end",
            status=status,
            latency_ms=(time.monotonic() - self.started) * 1000,
            input_tokens=sum(r.usage.input_tokens for r in replies),
            output_tokens=sum(r.usage.output_tokens for r in replies),
            cost_usd=None if any(c is None for c in costs) else float(sum(costs)),  # type: ignore[arg-type]
            detail=detail,
        )

    def finish(self, result: MatrixResult) -> None:
        """``run_end`` for a finished ``result`` (its own status), committed before return."""
        self.count(result)
        self.end(result.status)
        self.commit(result)

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
        cols.setdefault("session_id", self.session_id)
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

    try:
        result = await run_matrix(
            engine.compare, models, prepared, run_id=run_id, observer=watch, **kwargs
        )
    except asyncio.CancelledError:
        rows.end("cancelled", "the run was cancelled")
        await _settle(rows)
        raise
    except Exception as exc:
        rows.end("failed", f"{type(exc).__name__}: {exc}")
        await _settle(rows)
        raise
    rows.count(result)
    rows.end(result.status)
    await rows.acommit(result)
    return result


async def _settle(rows: MatrixRunAudit) -> None:
    """Commit a run that is ending by an error: the error it ends with is the one raised."""
    try:
        await rows.acommit()
    except AuditWriteError:
        log.warning("the run_end row of run %s could not be committed yet", rows.run_id)
