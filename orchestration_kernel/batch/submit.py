"""Creating a batch job: prompts, plan, confirmation, Guardian, manifest, submit.

The order matters: the plan is shown (and confirmed) before anything else; the Guardian
checks every item before the manifest is written (blocked cells never leave, and only
redacted text is stored); the manifest is written before the first submit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BatchJobError, ConfigurationError
from ..privacy import keeps_content
from .backends import backend_kind, make_backend
from .engine_face import BatchEngine
from .input_table import TABLE_FILE, redacted_index, write_table
from .job import BatchJob, build_plan, plan_chunks
from .job_lock import LOCK_FILE, job_lock
from .manifest import Manifest, ModelRecord, check_name, jobs_home
from .plan import BatchPlan, confirm_threshold
from .results import ResultWriter, write_index

if TYPE_CHECKING:
    from ..matrix import MatrixInput

__all__ = ["plan_job", "submit", "submit_sync"]


async def submit(
    engine: BatchEngine,
    models: Sequence[str],
    template: str,
    items: object,
    *,
    name: str | None = None,
    confirm: bool = False,
    confirm_above: float | None = None,
    namespace: Mapping[str, object] | None = None,
    system: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    chunk_size: int | None = None,
    fts: bool = False,
    keep_content: bool = False,
) -> BatchJob:
    """Create batch job ``name`` running ``template`` over ``items`` on every model, submit
    it, and return its :class:`BatchJob` (``await job.wait()`` for the results).

    ``items``: a list, a pandas Series or DataFrame (as :meth:`engine.matrix`).
    ``confirm``: needed when the plan costs more than ``confirm_above`` USD (default
    ``ORCHESTRATION_BATCH_CONFIRM_USD`` or $5); without it :class:`ConfirmationRequired`
    is raised carrying ``.plan`` and nothing is sent. ``chunk_size``: at most this many
    requests per provider batch (the providers' own limits always apply). ``fts``: index
    the job's audit rows for full-text search (``audit.search``); off by default, as a job
    writes one row per item. ``keep_content``: with the engine's content logging off, keep
    the prompts and answers on disk after ``to_dataframe()`` has collected them (by
    default they are deleted then; see :mod:`.retention`).
    """
    job: BatchJob = await engine.runtime.run(
        _submit(engine, list(models), template, items, name, confirm, confirm_above,
                namespace, system, max_tokens, temperature, chunk_size, fts, keep_content)
    )  # fmt: skip
    return job


def submit_sync(
    engine: BatchEngine, models: Sequence[str], template: str, items: object, **kw: Any
) -> BatchJob:
    """Blocking twin of :func:`submit`."""
    job: BatchJob = engine.runtime.run_sync(submit(engine, models, template, items, **kw))
    return job


async def _submit(
    engine: BatchEngine,
    models: list[str],
    template: str,
    items: object,
    name: str | None,
    confirm: bool,
    confirm_above: float | None,
    namespace: Mapping[str, object] | None,
    system: str | None,
    max_tokens: int | None,
    temperature: float | None,
    chunk_size: int | None,
    fts: bool,
    keep_content: bool,
) -> BatchJob:
    if name is None:
        raise ConfigurationError(
            "a batch job needs a name (name='nightly', --job NIGHTLY in %%orchestrate): the "
            "name is how a restarted kernel finds it again"
        )
    check_name(name)
    with _claimed(name):  # the name's lock, held while the job is made
        manifest, prompts, prepared, plan = _prepare(
            engine, models, template, items, name, confirm_above, namespace, system, max_tokens,
            temperature, chunk_size,
        )  # fmt: skip
        plan.require(confirm)
        manifest.fts = fts
        manifest.plan = plan.to_dict()
        manifest.keep_content = keep_content or keeps_content(engine)
        redacted, blocked = await _check_inputs(engine, manifest, prompts)
        redact = _redactor(engine)
        index: object = prepared.index
        if redact is not None and index is not None:  # as table.parquet's: no label unredacted
            index = redacted_index(index, redact)
        _write_inputs(manifest, redacted, blocked, index)
        manifest.has_table = write_table(manifest.dir / TABLE_FILE, prepared, redact)
        manifest.save()
        job = BatchJob(engine, manifest, plan)
        await job._submit_pending()
        return job


@contextlib.contextmanager
def _claimed(name: str) -> Iterator[None]:
    """Hold the new job's lock while it is made, so two kernels submitting one name make
    one job; :class:`BatchJobError` when the name is taken. Nothing made: no directory
    is left behind."""
    directory = jobs_home() / name
    with job_lock(directory) as mine:
        try:
            if not mine or Manifest.exists(name):
                raise BatchJobError(
                    f"a batch job called {name!r} already exists: pick it up with "
                    f"BatchJob.resume({name!r}), or choose another name"
                )
            yield
        finally:
            if mine and not Manifest.exists(name):
                with contextlib.suppress(OSError):
                    (directory / LOCK_FILE).unlink()
                    directory.rmdir()


def plan_job(
    engine: BatchEngine,
    models: Sequence[str],
    template: str,
    items: object,
    *,
    name: str = "plan",
    **kw: Any,
) -> BatchPlan:
    """The plan :func:`submit` would show, without submitting anything (``--dry-run``)."""
    return _prepare(
        engine, list(models), template, items, name, kw.get("confirm_above"),
        kw.get("namespace"), kw.get("system"), kw.get("max_tokens"), kw.get("temperature"),
        kw.get("chunk_size"),
    )[3]  # fmt: skip


def _prepare(
    engine: BatchEngine,
    models: list[str],
    template: str,
    items: object,
    name: str,
    confirm_above: float | None,
    namespace: Mapping[str, object] | None,
    system: str | None,
    max_tokens: int | None,
    temperature: float | None,
    chunk_size: int | None,
) -> tuple[Manifest, list[str], MatrixInput, BatchPlan]:
    """The job's manifest (unsaved), prompts, input and plan; nothing sent or written."""
    from ..matrix import matrix_prompts

    if not models:
        raise ConfigurationError("a batch job needs at least one model")
    if chunk_size is not None and chunk_size < 1:
        raise ConfigurationError(f"chunk_size must be at least 1, not {chunk_size}")
    records = [_model_record(engine, m) for m in models]
    prepared = matrix_prompts(template, items, namespace=namespace)
    prompts = prepared.prompts
    manifest = Manifest.new(
        name,
        run_id=_run_id(),
        rows=len(prompts),
        template=template,
        models=records,
        max_tokens=max_tokens,
        system=system,
        temperature=temperature,
        session_id=engine.session_id,
    )
    backends = [make_backend(engine, r, manifest) for r in records]
    sizes = [len(p.encode()) + 200 for p in prompts]
    for k, backend in enumerate(backends):
        manifest.chunks += plan_chunks(sizes, k, backend, chunk_size)
    plan = build_plan(
        engine, name, records, manifest.chunks, backends, prompts, system, max_tokens,
        confirm_threshold(confirm_above),
    )  # fmt: skip
    return manifest, prompts, prepared, plan


def _redactor(engine: BatchEngine) -> Callable[[str], str] | None:
    """What redacts the stored input table: the Guardian's redaction, when checks are on."""
    guardian = engine.guardian
    return None if guardian is None else guardian.redact


def _run_id() -> str:
    import uuid

    return uuid.uuid4().hex[:16]


def _model_record(engine: BatchEngine, name: str) -> ModelRecord:
    if name == "auto":
        raise ConfigurationError("a batch job needs named models, not 'auto'")
    engine.resolve(name)  # unknown names fail here, with suggestions
    deployment = engine.router.plan(name)[0]
    simulated = engine.providers.is_simulated(deployment.provider, deployment.api_key)
    options = engine.providers.options_for(deployment.provider)
    return ModelRecord(
        name=name,
        ref=str(deployment.ref),
        provider=deployment.provider,
        model=deployment.model,
        backend=backend_kind(deployment.provider, simulated, options),
        simulated=simulated,
        deployment=deployment.id,
    )


async def _check_inputs(
    engine: BatchEngine, manifest: Manifest, prompts: list[str]
) -> tuple[list[str], list[tuple[int, int, str]]]:
    """The Guardian's input check of every (row, model): the text to send (redacted) and
    the blocked cells ``(model, row, reason)``."""
    guardian = engine.guardian
    if guardian is None:
        return prompts, []
    from ..guardian import GuardContext

    redacted = list(prompts)
    blocked: list[tuple[int, int, str]] = []
    for k, record in enumerate(manifest.models):
        ctx = GuardContext(
            model=record.ref,
            provider=record.provider,
            session_id=manifest.session_id,
            identity=engine.identity,
            run_id=manifest.run_id,
            step=f"batch:{manifest.name}",
        )
        for row, prompt in enumerate(prompts):
            text = f"{manifest.system}\n{prompt}" if manifest.system else prompt
            verdict = await guardian.check_input(text, ctx)
            if verdict.blocked:
                blocked.append((k, row, "; ".join(verdict.reasons) or "Guardian blocked the input"))
            elif verdict.text != text and k == 0:
                cut = len(manifest.system) + 1 if manifest.system else 0
                redacted[row] = verdict.text[cut:]
    return redacted, blocked


def _write_inputs(
    manifest: Manifest, prompts: list[str], blocked: list[tuple[int, int, str]], index: object
) -> None:
    """``inputs.parquet``, ``index.parquet``, ``blocked.parquet`` and the blocked cells'
    result part (before the manifest, so a manifest on disk always has its inputs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    manifest.dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only: prompts
    pq.write_table(
        pa.table({"prompt": pa.array(prompts, pa.string())}), manifest.dir / "inputs.parquet"
    )
    manifest.index_kind = write_index(manifest.dir / "index.parquet", index)
    pq.write_table(
        pa.table(
            {
                "model": pa.array([b[0] for b in blocked], pa.int16()),
                "row": pa.array([b[1] for b in blocked], pa.int64()),
                "reason": pa.array([b[2] for b in blocked], pa.string()),
            }
        ),
        manifest.dir / "blocked.parquet",
    )
    writer = ResultWriter(manifest.results_dir() / "blocked.parquet")
    for model, row, reason in blocked:
        writer.add(
            row=row, model=model, custom_id=f"m{model}-r{row}", status="blocked", text=None,
            error=reason, input_tokens=0, output_tokens=0, cost_usd=0.0, batch_id=None,
        )  # fmt: skip
    writer.close()
