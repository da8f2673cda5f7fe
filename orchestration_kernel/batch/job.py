"""``BatchJob``: a dataset × model matrix run through the providers' Batch APIs.

```python
job = await engine.matrix(["gpt-4o-mini", "claude-haiku"], "Classify: {text}", df,
                          mode="batch", name="nightly", confirm=True)
job.plan                       # rows × models, batches, tokens, batch vs interactive cost
await job.wait(progress=print) # polls, streams results to Parquet, audits every item
job.to_dataframe()             # df's columns and index, then one column per model
# a restarted kernel:
job = BatchJob.resume("nightly"); await job.wait()
```

The life of a chunk (one provider batch): ``pending`` → ``submitting`` (manifest written,
then the create is sent) → ``submitted`` (the provider's id recorded) → ``collected`` (its
results are a whole Parquet part) → ``done`` (every item audited). A job killed at any
point resumes from the manifest: a chunk left ``submitting`` is first looked up at the
provider (:meth:`Backend.find`) and adopted if it was created, so no chunk is ever
submitted twice; a chunk left ``collected`` re-audits only the items missing from the
audit, so every ``custom_id`` is answered — and audited — exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import BatchJobError, ProviderError, RetryableError
from ..models import Usage
from ..privacy import audit_options
from ..repr_floor import masked_repr
from .backends.base import Backend, ItemRequest, ItemResult, PollState
from .input_table import TABLE_FILE, read_table, with_answers
from .job_lock import held_by, job_lock
from .manifest import (
    ChunkRecord,
    Manifest,
    ModelRecord,
    cancel_requested,
    custom_id,
    list_jobs,
    parse_custom_id,
    request_cancel,
)
from .plan import BatchPlan, PlanLine, line_costs
from .results import ResultWriter, assemble, read_index, read_parts
from .retention import content_removed_error, notice, remove_content

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from ..audit import AuditTrail
    from ..routing.catalogue import Catalogue
    from ..runtime import Runtime
    from .engine_face import BatchEngine

__all__ = ["BatchJob", "JobStatus", "ProviderProgress"]

Progress = Callable[["JobStatus"], Any]
T = TypeVar("T")

#: retryable provider errors in a row after which wait() gives up (and says why)
MAX_POLL_FAILURES = 5
#: statuses of a cell that retry_failed() runs again
RETRYABLE = ("failed", "expired", "cancelled")


@dataclass
class ProviderProgress:
    """One provider's share of a job: items by state and an ETA."""

    provider: str
    way: str
    items: int = 0
    submitted: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    blocked: int = 0
    eta_s: float | None = None


@dataclass
class JobStatus:
    """A job's state: per provider progress and the overall word."""

    name: str
    state: str  # pending | running | done | cancelled
    providers: list[ProviderProgress] = field(default_factory=list)
    chunks: dict[str, int] = field(default_factory=dict)  # chunk state -> count
    #: why this status was only read, not advanced (another process works on the job)
    note: str | None = None

    @property
    def done(self) -> bool:
        """True when every chunk has its results."""
        return self.state in ("done", "cancelled")

    def __str__(self) -> str:
        parts = [f"job {self.name!r}: {self.state}"]
        if self.note:
            parts.append(f"  ({self.note})")
        for p in self.providers:
            eta = "" if p.eta_s is None else f", ETA {p.eta_s:.0f}s"
            parts.append(
                f"  {p.provider} ({p.way}): {p.items} items, {p.submitted} submitted, "
                f"{p.running} running, {p.done} done, {p.failed} failed, "
                f"{p.blocked} blocked{eta}"
            )
        return "\n".join(parts)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # What IPython shows as text (``%orchestrate jobs NAME`` in a console, a
        # notebook's text/plain): the readable lines, not the dataclass's raw repr.
        p.text(str(self))

    def _repr_markdown_(self) -> str:
        head = (
            "| provider | runs as | items | submitted | running | done | failed | blocked | ETA |"
        )
        rows = [
            f"| {p.provider} | {p.way} | {p.items} | {p.submitted} | {p.running} | {p.done} | "
            f"{p.failed} | {p.blocked} | {'' if p.eta_s is None else f'{p.eta_s:.0f}s'} |"
            for p in self.providers
        ]
        note = [f"_({self.note})_", ""] if self.note else []
        return "\n".join(
            [f"**{self.name}**: {self.state}", "", *note, head, "|---" * 9 + "|", *rows]
        )


@masked_repr()
class BatchJob:
    """A submitted (or resumed) batch job; see the module docstring."""

    def __init__(
        self, engine: BatchEngine, manifest: Manifest, plan: BatchPlan | None = None
    ) -> None:
        self.engine = engine
        self.manifest = manifest
        #: the plan shown before submit (a resumed job's from its manifest; None for a
        #: job made before the manifest kept it)
        if plan is None and manifest.plan is not None:
            plan = BatchPlan.from_dict(manifest.plan)
        self.plan = plan
        self._backends: dict[int, Backend] = {}
        self._prompts: list[str] | None = None
        self._blocked: dict[int, dict[int, str]] | None = None
        self._poll_started = time.monotonic()
        self._start_done: int | None = None
        #: the table to_dataframe() collected before deleting the content (retention)
        self._collected: pd.DataFrame | None = None
        #: who holds the job's lock when this object last found it taken, else None
        self.held_elsewhere: str | None = None

    @property
    def _runtime(self) -> Runtime:
        """The engine's runtime, typed (``engine`` itself is duck-typed)."""
        runtime: Runtime = self.engine.runtime
        return runtime

    # -- names ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The job's name (its directory under ``ORCHESTRATION_HOME/batches``)."""
        return self.manifest.name

    @property
    def run_id(self) -> str:
        """The run id every audit row of the job carries."""
        return self.manifest.run_id

    @property
    def models(self) -> list[str]:
        """The model names, as given."""
        return [m.name for m in self.manifest.models]

    @classmethod
    def resume(cls, name: str, engine: BatchEngine | None = None) -> BatchJob:
        """The job called ``name`` from its manifest (after a kernel restart). ``engine``
        defaults to the session's engine (keys and base URLs from the environment).
        Continue it with ``await job.wait()``."""
        manifest = Manifest.load(name)
        if engine is None:
            from ..session import Session

            engine = Session.current().engine  # the kernel's engine, made on first use
        return cls(engine, manifest)

    @staticmethod
    def names() -> list[str]:
        """Every job name under ``ORCHESTRATION_HOME/batches``, newest first."""
        return list_jobs()

    def __repr__(self) -> str:
        states = _count(c.state for c in self.manifest.chunks)
        m = self.manifest
        return f"BatchJob({self.name!r}, rows={m.rows}, models={self.models}, chunks={states})"

    def _repr_markdown_(self) -> str:
        parts = [self.plan._repr_markdown_(), ""] if self.plan is not None else []
        parts.append(self._status()._repr_markdown_())
        parts.append(
            f"\n`await job.wait()` collects the results; after a restart "
            f"`BatchJob.resume({self.name!r})`."
        )
        if notice(self.manifest):
            parts.append(f"\n{notice(self.manifest)}")
        return "\n".join(parts)

    # -- inputs ---------------------------------------------------------------------------
    def _load_inputs(self) -> None:
        import pyarrow.parquet as pq

        if self._prompts is not None:
            return
        self._prompts = pq.read_table(self.manifest.dir / "inputs.parquet").column(0).to_pylist()

    def _load_blocked(self) -> None:
        import pyarrow.parquet as pq

        if self._blocked is not None:
            return
        blocked: dict[int, dict[int, str]] = {}
        path = self.manifest.dir / "blocked.parquet"
        if path.exists():
            table = pq.read_table(path).to_pydict()
            for model, row, reason in zip(
                table["model"], table["row"], table["reason"], strict=True
            ):
                blocked.setdefault(model, {})[row] = reason
        self._blocked = blocked

    def blocked_rows(self, model: int) -> dict[int, str]:
        """``{row: reason}`` of the cells of model number ``model`` the Guardian blocked."""
        self._load_blocked()
        assert self._blocked is not None
        return self._blocked.get(model, {})

    def items_for(self, chunk: ChunkRecord) -> list[ItemRequest]:
        """The requests of ``chunk`` (blocked cells left out)."""
        self._load_inputs()
        assert self._prompts is not None
        record = self.manifest.models[chunk.model]
        blocked = self.blocked_rows(chunk.model)
        m = self.manifest
        return [
            ItemRequest(
                custom_id(chunk.model, row),
                record.model,
                self._prompts[row],
                m.system,
                m.max_tokens,
                m.temperature,
            )
            for row in range(chunk.start, chunk.stop)
            if row not in blocked
        ]

    def backend(self, model: int) -> Backend:
        """The backend running model number ``model``."""
        if model not in self._backends:
            from .backends import make_backend

            backend = make_backend(self.engine, self.manifest.models[model], self.manifest)
            backend.items_for = self.items_for  # type: ignore[attr-defined]  # concurrent runs
            self._backends[model] = backend
        return self._backends[model]

    # -- submitting -----------------------------------------------------------------------
    async def submit_pending(self) -> None:
        """Submit every chunk not yet at the provider, exactly once each (see the module
        docstring); a chunk an earlier process left ``submitting`` is reconciled first.
        Nothing is sent while another process works on the job (see :mod:`.job_lock`)."""
        await self._runtime.run(self._locked(self._submit_pending))

    async def _locked(self, work: Callable[[], Awaitable[T]]) -> T | None:
        """``await work()`` holding the job's lock, on the manifest as the last holder
        left it; ``None`` (the manifest read again, nothing done) while another process
        or job object holds the lock."""
        with job_lock(self.manifest.dir) as mine:
            self.manifest.refresh()
            self.held_elsewhere = None if mine else held_by(self.manifest.dir)
            if not mine:
                return None
            return await work()

    async def _submit_pending(self) -> None:
        m = self.manifest
        for chunk in m.chunks:
            if chunk.state not in ("pending", "submitting"):
                continue
            if m.cancelled:
                chunk.state = "done"
                chunk.provider_status = "cancelled"
                m.save()
                continue
            backend = self.backend(chunk.model)
            if chunk.state == "submitting":
                claimed = {c.batch_id for c in m.chunks if c.batch_id}
                found = await backend.find(chunk, claimed)  # may raise BatchReconcileError
                if found is not None:
                    self._submitted(chunk, found)
                    continue
            items = self.items_for(chunk)
            chunk.request_count = len(items)
            if not items:  # every row of the chunk was blocked
                chunk.state, chunk.provider_status = "collected", "empty"
                m.save()
                continue
            chunk.state, chunk.submit_started, chunk.error = "submitting", time.time(), None
            m.save()  # before the create: a kill from here on is reconciled, never resent
            try:
                batch_id = await backend.submit(chunk, items)
            except ProviderError as exc:
                chunk.error = str(exc)  # left "submitting": the next run looks it up first
                m.save()
                raise
            self._submitted(chunk, batch_id)

    def _submitted(self, chunk: ChunkRecord, batch_id: str) -> None:
        chunk.batch_id, chunk.state, chunk.submitted_at = batch_id, "submitted", time.time()
        self.manifest.save()

    # -- polling and collecting -----------------------------------------------------------
    async def poll(self) -> JobStatus:
        """Check every running chunk once and collect the ones that ended. While another
        process works on the job (its ``wait()``), only read how far it is."""
        return await self._runtime.run(self._poll_round())

    async def _poll_round(self) -> JobStatus:
        done = await self._locked(self._poll)
        if done is not None:
            return done
        status = self._status()
        if not status.done:
            status.note = f"being worked on by {self.held_elsewhere}; shown as it left it"
        return status

    async def _poll(self) -> JobStatus:
        m = self.manifest
        await self._cancel_if_asked()
        if any(c.state in ("pending", "submitting") for c in m.chunks):
            await self._submit_pending()
        for chunk in m.chunks:
            if chunk.state == "submitted":
                state = await self.backend(chunk.model).poll(chunk)
                self._note(chunk, state)
                if state.phase == "ended":
                    await self._collect(chunk, state)
            if chunk.state == "collected":
                await self._audit_chunk(chunk)
        if not m.blocked_audited:
            self._audit_blocked()
        await self._cancel_if_asked()  # asked for meanwhile: the round ends as cancelled
        return self._status()

    async def _cancel_if_asked(self) -> None:
        """Carry out a cancel another process (or job object) asked for."""
        if not self.manifest.cancel_sent and cancel_requested(self.manifest.dir):
            await self._cancel_chunks()

    def _note(self, chunk: ChunkRecord, state: PollState) -> None:
        changed = (chunk.provider_status, chunk.done, chunk.failed) != (
            state.status, state.done, state.failed,
        )  # fmt: skip
        chunk.provider_status, chunk.done, chunk.failed = state.status, state.done, state.failed
        if state.error:
            chunk.error = state.error
        if changed:
            self.manifest.save()

    async def wait(
        self,
        *,
        poll_interval: float | None = None,
        progress: Progress | None = None,
        timeout: float | None = None,
    ) -> BatchJob:
        """Poll until every chunk's results are in (streamed to Parquet, audited); returns
        the job. ``progress(status)`` is called after every round (a widget's hook).
        ``poll_interval`` defaults to 30 s for provider batches, 0.05 s when every model
        runs as concurrent calls or on the simulator. ``timeout``: seconds, then
        :class:`TimeoutError` (the job goes on; wait again or resume later). A retryable
        provider error (5xx, rate limit) is retried with backoff, five in a row at most."""
        interval = poll_interval if poll_interval is not None else self._default_interval()
        deadline = None if timeout is None else time.monotonic() + timeout
        failures = 0
        while True:
            try:
                status = await self.poll()
                failures = 0
            except RetryableError as exc:
                # A 5xx or a rate limit while polling (or submitting: that chunk stays
                # "submitting" and is reconciled next round) must not end a day-long wait.
                failures += 1
                if failures >= MAX_POLL_FAILURES:
                    raise
                await asyncio.sleep(min(max(interval, exc.retry_after or 0) * 2**failures, 300))
                continue
            if progress is not None:
                progress(status)
            if status.done:
                return self
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"batch job {self.name!r} still running: {status}")
            await asyncio.sleep(interval)

    def wait_sync(self, **kwargs: Any) -> BatchJob:
        """Blocking twin of :meth:`wait`."""
        return self._runtime.run_sync(self.wait(**kwargs))

    def _default_interval(self) -> float:
        batchy = any(m.backend != "concurrent" for m in self.manifest.models)
        return 30.0 if batchy else 0.05

    async def _collect(self, chunk: ChunkRecord, state: PollState) -> None:
        """Stream the chunk's results through the Guardian into a Parquet part."""
        m = self.manifest
        record = m.models[chunk.model]
        backend = self.backend(chunk.model)
        writer = ResultWriter(m.results_dir() / f"{chunk.id}.parquet")
        expected = {i.custom_id for i in self.items_for(chunk)}
        seen: set[str] = set()
        try:
            async for result in backend.results(chunk):
                if result.custom_id not in expected or result.custom_id in seen:
                    continue  # not ours, or a duplicate line: every item counts once
                seen.add(result.custom_id)
                await self._write(writer, chunk, record, backend, result)
            missing = (
                "cancelled"
                if m.cancelled or "cancel" in (state.status or "")
                else ("expired" if "expire" in (state.status or "").lower() else "failed")
            )
            why = state.error or f"no result (batch {state.status})"
            for cid in sorted(expected - seen, key=lambda c: parse_custom_id(c)[1]):
                result = ItemResult(cid, missing, error=why)  # type: ignore[arg-type]
                await self._write(writer, chunk, record, backend, result)
        except BaseException:
            writer.abort()
            raise
        writer.close()
        chunk.state, chunk.ended_at = "collected", time.time()
        m.save()

    async def _write(
        self,
        writer: ResultWriter,
        chunk: ChunkRecord,
        record: ModelRecord,
        backend: Backend,
        result: ItemResult,
    ) -> None:
        _, row = parse_custom_id(result.custom_id)
        text, error = result.text, result.error
        status: str = result.status
        if status == "done" and self.engine.guardian is not None:
            verdict = await self.engine.guardian.check_output(text, self._guard_ctx(record))
            if verdict.blocked:
                status, text = "blocked", ""
                error = "; ".join(verdict.reasons) or "Guardian blocked the reply"
            else:
                text = verdict.text  # only redacted text reaches Parquet and the audit
        cost = self._cost(record, backend, result)
        writer.append(
            (row, chunk.model, result.custom_id, status, text, error, result.input_tokens,
             result.output_tokens, cost, chunk.batch_id)
        )  # fmt: skip

    def _cost(self, record: ModelRecord, backend: Backend, result: ItemResult) -> float | None:
        if record.simulated:
            return 0.0
        if result.input_tokens == 0 and result.output_tokens == 0:
            return 0.0  # nothing processed, nothing billed
        usage = Usage(input_tokens=result.input_tokens, output_tokens=result.output_tokens)
        catalogue: Catalogue = self.engine.catalogue
        if backend.discounted:
            return catalogue.batch_cost(record.ref, usage)
        return catalogue.cost(record.ref, usage)

    def _guard_ctx(self, record: ModelRecord) -> Any:
        from ..guardian import GuardContext

        return GuardContext(
            model=record.ref,
            provider=record.provider,
            session_id=self.manifest.session_id,
            identity=self.engine.identity,
            run_id=self.run_id,
            step=f"batch:{self.name}",
        )

    # -- audit ----------------------------------------------------------------------------
    async def _audit_chunk(self, chunk: ChunkRecord) -> None:
        """One audit ``call`` row per item of a collected chunk (skipping any an earlier,
        interrupted run already wrote), then mark the chunk done."""
        import pyarrow.parquet as pq

        audit = self.engine.audit
        part = self.manifest.results_dir() / f"{chunk.id}.parquet"
        if audit is not None and part.exists():
            # Only a chunk whose auditing was interrupted asks the audit what it has.
            already = self._audited(audit, chunk) if chunk.audit_started else set()
            chunk.audit_started = True
            self.manifest.save()
            record = self.manifest.models[chunk.model]
            spend = 0.0
            for batch in pq.ParquetFile(part).iter_batches(batch_size=10_000):
                for row in batch.to_pylist():
                    if row["custom_id"] in already:
                        continue
                    self._audit_row(audit, record, row, chunk.id)
                    spend += row["cost_usd"] or 0.0
            await audit.aflush()
            if self.engine.guardian is not None and spend:
                self.engine.guardian.record_spend(
                    spend, self.manifest.session_id, self.engine.identity
                )
        self.backend(chunk.model).collected(chunk)  # e.g. the raw replies of a journal
        chunk.state = "done"
        self.manifest.save()

    def _audited(self, audit: AuditTrail, chunk: ChunkRecord) -> set[str]:
        """The custom_ids of ``chunk`` already in the audit (a resumed collection)."""
        frame = audit.to_dataframe(run=self.run_id, event="call")
        if frame.empty:
            return set()
        mine = frame[frame["step"] == chunk.id]
        return {
            str(d["custom_id"])
            for d in mine["detail"]
            if isinstance(d, dict) and d.get("custom_id")
        }

    def _audit_row(
        self, audit: AuditTrail, record: ModelRecord, row: dict[str, Any], step: str
    ) -> None:
        m = self.manifest
        status = {"done": "ok", "failed": "error"}.get(row["status"], row["status"])
        prompt = self._prompt_text(row["row"])
        audit.record(
            "call",
            **audit_options(self.engine),
            run_id=m.run_id,
            pipeline=f"batch:{m.name}",
            step=step,
            session_id=m.session_id,
            provider=getattr(self.engine.simulator, "name", "local")
            if record.simulated
            else record.provider,
            model=record.ref,
            status=status,
            error_type=None if row["status"] == "done" else row["status"],
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            cost_usd=row["cost_usd"],
            guardian_action="block" if row["status"] == "blocked" else None,
            prompt=prompt,
            response=row["text"] if row["status"] == "done" else None,
            detail={
                "job": m.name,
                "batch_id": row["batch_id"],
                "custom_id": row["custom_id"],
                "row": row["row"],
                "price": "batch" if self.backend(row["model"]).discounted else "interactive",
                "simulated": record.simulated,
                "fts": m.fts,  # the audit leaves rows with fts false out of search()
                **({"error": row["error"]} if row["error"] else {}),
            },
        )

    def _prompt_text(self, row: int) -> str:
        self._load_inputs()
        assert self._prompts is not None
        system = self.manifest.system
        head = f"[system] {system}\n" if system else ""
        return f"{head}[user] {self._prompts[row]}"

    def _audit_blocked(self) -> None:
        """Audit the cells the Guardian blocked before submit (once)."""
        import pyarrow.parquet as pq

        m = self.manifest
        part = m.results_dir() / "blocked.parquet"
        audit = self.engine.audit
        if audit is not None and part.exists():
            for row in pq.read_table(part).to_pylist():
                self._audit_row(audit, m.models[row["model"]], row, "blocked")
        m.blocked_audited = True
        m.save()

    # -- status and results ---------------------------------------------------------------
    def status(self) -> JobStatus:
        """Poll once (collecting what ended) and return the job's progress."""
        if self._finished():
            return self._status()
        return self._runtime.run_sync(self.poll())

    def _status(self) -> JobStatus:
        m = self.manifest
        by: dict[str, ProviderProgress] = {}
        for k, record in enumerate(m.models):
            key = "sim" if record.simulated else record.provider
            if key not in by:
                by[key] = ProviderProgress(key, self.backend(k).label)
            by[key].blocked += len(self.blocked_rows(k))
            by[key].items += m.rows
        done_chunks = [c for c in m.chunks if c.state in ("collected", "done")]
        counts = self._part_counts(done_chunks)
        for chunk in m.chunks:
            record = m.models[chunk.model]
            p = by["sim" if record.simulated else record.provider]
            if chunk.state in ("collected", "done"):
                # Parts deleted (retention): the counts kept in the manifest instead.
                kept = (chunk.done, chunk.failed) if m.content_removed else (0, 0)
                ok, bad = counts.get(chunk.id, kept)
                p.submitted += chunk.request_count
                p.done += ok
                p.failed += bad
            elif chunk.state == "submitted":
                p.submitted += chunk.request_count
                p.done += chunk.done
                p.failed += chunk.failed
                p.running += max(chunk.request_count - chunk.done - chunk.failed, 0)
        elapsed = max(time.monotonic() - self._poll_started, 1e-6)
        for p in by.values():
            left = p.items - p.blocked - p.done - p.failed
            rate = (p.done + p.failed) / elapsed
            p.eta_s = None if left <= 0 or rate <= 0 else left / rate
        states = _count(c.state for c in m.chunks)
        if all(c.state == "done" for c in m.chunks):
            state = "cancelled" if m.cancelled else "done"
        elif any(c.state in ("submitted", "collected") for c in m.chunks):
            state = "running"
        else:
            state = "pending"
        return JobStatus(self.name, state, list(by.values()), states)

    def _part_counts(self, chunks: Sequence[ChunkRecord]) -> dict[str, tuple[int, int]]:
        import pyarrow.compute as pc

        out: dict[str, tuple[int, int]] = {}
        for chunk in chunks:
            part = self.manifest.results_dir() / f"{chunk.id}.parquet"
            if not part.exists():
                continue
            status = read_parts([part], ["status"]).column("status")
            ok = pc.sum(pc.equal(status, "done")).as_py() or 0
            out[chunk.id] = (ok, len(status) - ok)
        return out

    def _parts(self) -> list[Path]:
        d = self.manifest.results_dir()
        parts = [d / "blocked.parquet"]
        parts += [d / f"{c.id}.parquet" for c in self.manifest.chunks]
        parts += [d / f"retry-{n}.parquet" for n in range(1, self.manifest.retries + 1)]
        return parts

    def results(self) -> pd.DataFrame:
        """Every result row (long form): row, model, custom_id, status, text, error,
        tokens, cost, batch id. Later rows for a cell (retries) supersede earlier ones."""
        if self.manifest.content_removed:
            raise content_removed_error(self.manifest, "its results")
        frame: pd.DataFrame = read_parts(self._parts()).to_pandas()
        frame["model"] = [self.models[k] for k in frame["model"]]
        return frame

    def to_dataframe(self) -> pd.DataFrame:
        """The input beside the answers, as the interactive ``matrix`` result's
        ``to_dataframe()``: the input's columns (after the Guardian's redaction) and index,
        then one column per model holding the (redacted) answer, or ``"<status>: <why>"``
        for a blocked, failed, expired or cancelled cell; ``None`` where no result has
        arrived yet. (A job made before the input was kept: the index and the model
        columns only.) A :class:`~orchestration_kernel.shown_frame.ShownFrame`, as the other
        result frames: its display masks credentials and shows whole-number columns as
        integers.

        With the engine's content logging off, the first call once the job is done also
        deletes the prompts and answers from disk (this object keeps the table; see
        :mod:`.retention`)."""
        from ..shown_frame import ShownFrame  # as every result frame: masked, ints as ints

        if self._collected is not None:
            return ShownFrame(self._collected.copy())
        m = self.manifest
        if m.content_removed:
            raise content_removed_error(m, "its answers")
        table = read_table(m.dir / TABLE_FILE) if m.has_table else None
        if table is None:
            index = read_index(m.dir / "index.parquet", m.index_kind, m.rows)
            frame = assemble(self._parts(), index, self.models)
        else:
            frame = with_answers(table, assemble(self._parts(), table.index, self.models))
        if not m.keep_content and self._finished():
            self._collected = frame.copy()
            remove_content(m, self._part_counts(m.chunks))
        return ShownFrame(frame)

    def _finished(self) -> bool:
        """Every chunk collected and audited, the blocked cells too: nothing needs the
        prompts any more."""
        m = self.manifest
        return m.blocked_audited and all(c.state == "done" for c in m.chunks)

    # -- cancel and retry -----------------------------------------------------------------
    async def cancel(self) -> JobStatus:
        """Cancel the job: chunks not yet sent never will be; running provider batches are
        cancelled (what they finished is still collected by :meth:`wait`). From a process
        other than the one working on the job, the cancel is recorded and that process
        carries it out at its next step."""
        return await self._runtime.run(self._cancel())

    def cancel_sync(self) -> JobStatus:
        """Blocking twin of :meth:`cancel`."""
        return self._runtime.run_sync(self.cancel())

    async def _cancel(self) -> JobStatus:
        request_cancel(self.manifest.dir)  # seen by whichever process holds the job
        await self._locked(self._cancel_chunks)
        return self._status()

    async def _cancel_chunks(self) -> None:
        m = self.manifest
        m.cancelled = True
        m.save()
        for chunk in m.chunks:
            if chunk.state == "pending":
                chunk.state, chunk.provider_status = "done", "cancelled"
            elif chunk.state == "submitted":
                await self.backend(chunk.model).cancel(chunk)
        m.cancel_sent = True
        m.save()

    async def retry_failed(self, *, concurrency: int = 8) -> int:
        """Run every failed, expired or cancelled cell again as an interactive call (at
        the interactive price, through the engine's retries and checks); the answers
        supersede the failures in :meth:`to_dataframe`. Returns how many were retried."""
        return await self._runtime.run(self._retry_round(concurrency))

    async def _retry_round(self, concurrency: int) -> int:
        retried = await self._locked(lambda: self._retry_failed(concurrency))
        if retried is None:
            raise BatchJobError(
                f"batch job {self.name!r} is being worked on by {self.held_elsewhere}; retry "
                "its failed cells once that process is done with it (or from there)"
            )
        return retried

    async def _retry_failed(self, concurrency: int) -> int:
        from ..errors import OrchestrationError

        if self.manifest.content_removed:
            raise content_removed_error(self.manifest, "its failed cells to retry")
        frame = read_parts(self._parts(), ["row", "model", "status"]).to_pandas()
        latest = frame.drop_duplicates(["row", "model"], keep="last")
        todo = latest[latest["status"].isin(RETRYABLE)]
        if todo.empty:
            return 0
        self._load_inputs()
        assert self._prompts is not None
        m = self.manifest
        m.retries += 1
        writer = ResultWriter(m.results_dir() / f"retry-{m.retries}.parquet")
        gate = asyncio.Semaphore(concurrency)

        async def one(row: int, model: int) -> None:
            record = m.models[model]
            async with gate:
                try:
                    reply = await self.engine.complete(
                        record.name, self._prompts[row], system=m.system,  # type: ignore[index]
                        max_tokens=m.max_tokens, temperature=m.temperature, run_id=m.run_id,
                        pipeline=f"batch:{m.name}", step="retry",
                    )  # fmt: skip
                except OrchestrationError as exc:
                    writer.add(row=row, model=model, custom_id=custom_id(model, row),
                               status="failed", error=f"retry: {exc}", input_tokens=0,
                               output_tokens=0, cost_usd=0.0, batch_id=None)  # fmt: skip
                    return
            writer.add(
                row=row, model=model, custom_id=custom_id(model, row), status="done",
                text=reply.text, error=None, input_tokens=reply.usage.input_tokens,
                output_tokens=reply.usage.output_tokens, cost_usd=reply.cost_usd, batch_id=None,
            )  # fmt: skip

        await asyncio.gather(
            *(one(int(r), int(k)) for r, k in zip(todo["row"], todo["model"], strict=True))
        )
        writer.close()
        m.save()
        return len(todo)

    def retry_failed_sync(self, **kwargs: Any) -> int:
        """Blocking twin of :meth:`retry_failed`."""
        return self._runtime.run_sync(self.retry_failed(**kwargs))


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


# -- creating a job --------------------------------------------------------------------
def plan_chunks(
    sizes: list[int], model: int, backend: Backend, chunk_size: int | None
) -> list[ChunkRecord]:
    """Cut rows ``0..len(sizes)`` into chunks under the backend's request and byte limits."""
    limit = min(chunk_size or backend.max_requests, backend.max_requests)
    chunks: list[ChunkRecord] = []
    start, used = 0, 0
    for row, size in enumerate(sizes):
        if row > start and (row - start >= limit or used + size > backend.max_bytes):
            chunks.append(ChunkRecord(f"m{model}c{len(chunks):04d}", model, start, row))
            start, used = row, 0
        used += size
    chunks.append(ChunkRecord(f"m{model}c{len(chunks):04d}", model, start, len(sizes)))
    return chunks


def build_plan(
    engine: BatchEngine,
    name: str,
    records: list[ModelRecord],
    chunks: list[ChunkRecord],
    backends: list[Backend],
    prompts: list[str],
    system: str | None,
    max_tokens: int | None,
    threshold: float,
) -> BatchPlan:
    """The plan of a job (see :mod:`.plan`)."""
    from .plan import DEFAULT_OUTPUT_TOKENS, estimate_tokens

    per_item_out = max_tokens or DEFAULT_OUTPUT_TOKENS
    plan = BatchPlan(name, len(prompts), output_per_item=per_item_out, threshold=threshold)
    for k, (record, backend) in enumerate(zip(records, backends, strict=True)):
        items = len(prompts)
        tokens_in = estimate_tokens(engine, prompts, system, record.ref)
        tokens_out = per_item_out * items
        paid, interactive, units = line_costs(
            engine.catalogue, record.ref, items, tokens_in, tokens_out, backend.discounted
        )
        plan.lines.append(
            PlanLine(
                model=record.name,
                ref=record.ref,
                way=backend.label,
                items=items,
                chunks=sum(1 for c in chunks if c.model == k),
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                batch_cost=paid,
                interactive_cost=interactive,
                simulated=record.simulated,
                unit_prices=units,
            )
        )
    return plan
