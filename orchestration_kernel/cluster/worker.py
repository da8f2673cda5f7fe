"""What runs on a cluster worker: one partition of a matrix, on the worker's own engine.

Each worker process builds one engine per configuration (cached by its fingerprint)
from the serialisable config in the task and the keys its :class:`~.plugin.KeyPlugin`
left in the process — the task itself never holds a key. The engine records into a
:class:`~.capture.CapturedAudit`; a partition's events go back with its replies.
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError
from .capture import AuditEvent, CapturedAudit

__all__ = [
    "PartitionOutcome",
    "PartitionTask",
    "engine_accepts",
    "engine_for",
    "forget_keys",
    "keep_keys",
    "run_partition",
    "worker_keys",
]


@dataclass(frozen=True)
class PartitionTask:
    """One partition's work: everything a worker needs except keys."""

    job_id: str
    index: int
    start: int
    labels: list[str]
    prompts: list[str]
    models: list[str]
    #: The caller's engine class (pickled by reference: workers import it themselves).
    engine_class: type
    config: dict[str, Any]
    fingerprint: str
    plugin: str
    run_id: str
    concurrency: int = 8
    limit_share: int = 1
    #: True: the worker's engine joins the caller's shared limiter (settings in the plugin).
    shared_limits: bool = False
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class PartitionOutcome:
    """A finished partition: one ``{model: cell}`` per row, the audit events, the worker's
    limits (deployment id → rpm) and which worker ran it."""

    index: int
    start: int
    cells: list[dict[str, dict[str, Any]]]
    events: list[AuditEvent]
    limits: dict[str, int | None]
    worker: str


#: Where the shared limiter's settings travel in the worker plugin (never in a task).
REDIS_KEY = "redis:settings"

_ENGINES: dict[tuple[Any, ...], Any] = {}
#: The limit share each cached engine applies now (see :func:`engine_for`).
_SHARES: dict[tuple[Any, ...], int] = {}
#: This process's keys, by plugin name (kept by :meth:`.plugin.KeyPlugin.setup`).
_KEYS: dict[str, dict[str, str]] = {}
_LOCK = threading.Lock()


def run_partition(task: PartitionTask) -> PartitionOutcome:
    """Run every row of ``task`` on every model (``concurrency`` rows at a time)."""
    from ..matrix import MatrixInput, run_matrix

    engine, audit = engine_for(task)
    part_run = f"{task.run_id}.p{task.index}"  # this partition's events, taken back below
    prepared = MatrixInput(items=list(task.prompts), prompts=list(task.prompts), index=task.labels)
    try:
        result = engine.runtime.run_sync(
            run_matrix(
                engine.compare,
                task.models,
                prepared,
                concurrency=task.concurrency,
                run_id=part_run,
                **task.options,
            )
        )
    finally:
        events = audit.take(part_run)
    cells = [
        {model: encode_cell(table.replies.get(model)) for model in task.models}
        for table in result.tables
    ]
    limits = {d.id: d.rpm for pool in engine.router.pools.values() for d in pool.deployments}
    return PartitionOutcome(task.index, task.start, cells, events, limits, f"pid-{os.getpid()}")


def encode_cell(reply: Any) -> dict[str, Any]:
    """A reply or error as plain data (for the caller and the partition's Parquet file)."""
    from ..errors import GuardianBlocked
    from ..models import Reply

    if isinstance(reply, Reply):
        return {"ok": True, "reply": reply.model_dump(mode="json")}
    return {
        "ok": False,
        "kind": type(reply).__name__,
        "message": str(reply),
        "blocked": isinstance(reply, GuardianBlocked),
    }


def engine_for(task: Any) -> tuple[Any, CapturedAudit]:
    """This worker's engine for ``task``'s configuration (built once, then cached) and the
    audit it records into. ``task`` has the fields every partition task shares.

    Without a shared limiter each worker applies 1/N of each quota, N the number of
    workers *now* (at the start of each partition): when workers join or leave during a
    job, the partitions started afterwards re-split, so joined workers do not push the
    cluster past a quota. Partitions already running keep the share they started with
    until they end."""
    from .config import add_pools, engine_from_config

    share = _current_share(task)
    cache_key = (task.fingerprint, task.plugin, task.shared_limits)
    with _LOCK:
        found = _ENGINES.get(cache_key)
        if found is not None:
            engine = found[0]
            if _SHARES.get(cache_key, share) != share:
                known = worker_keys(task.plugin) or {}

                async def resplit() -> None:  # on the engine's loop, between its calls' steps
                    add_pools(engine, task.config, known, share)

                engine.runtime.run_sync(resplit())
                _SHARES[cache_key] = share
            return found  # type: ignore[no-any-return]
        keys = worker_keys(task.plugin)
        if keys is None:
            raise ConfigurationError(
                f"this worker has no keys for the job (worker plugin {task.plugin!r} did not "
                "run here); was the worker started after the job began?"
            )
        from ..session import Session

        audit = CapturedAudit()
        overrides: dict[str, Any] = {}
        if engine_accepts(
            task.engine_class, "redis"
        ):  # explicit either way: the worker's own env must not decide
            overrides["redis"] = _redis_settings(keys) if task.shared_limits else False
        engine = engine_from_config(
            task.config,
            engine_class=task.engine_class,
            keys=keys,
            audit=audit,
            session=Session(f"cluster-worker-{os.getpid()}"),
            limit_share=share,
            **overrides,
        )
        _ENGINES[cache_key] = (engine, audit)
        _SHARES[cache_key] = share
        return engine, audit


def _current_share(task: Any) -> int:
    """How many ways this partition splits each limit: 1 with a shared limiter or no
    limits; else the cluster's worker count now (``task.limit_share``, the count when
    the job was submitted, outside a Dask worker or when the scheduler cannot say)."""
    from .config import limited_deployments

    if task.shared_limits or not limited_deployments(task.config):
        return 1
    try:
        import distributed

        distributed.get_worker()  # ValueError outside a worker
        workers = len(distributed.get_client().nthreads())
    except Exception:  # no worker, no scheduler: the split the job was submitted with
        logging.getLogger(__name__).debug("worker count unknown", exc_info=True)
        return max(1, int(task.limit_share))
    return max(1, workers)


def _redis_settings(keys: dict[str, str]) -> Any:
    """The caller's shared-limiter settings, from the plugin (issue 22's ``RedisSettings``)."""
    import importlib
    import json

    fields = json.loads(keys[REDIS_KEY])
    try:  # by name: the module is newer than this one, and the linter need not follow it
        settings = importlib.import_module("orchestration_kernel.redis_link").RedisSettings
    except (ImportError, AttributeError):
        return fields["url"]
    return settings(**fields)


def keep_keys(plugin: str, keys: Mapping[str, str]) -> None:
    """Keep the keys a :class:`~.plugin.KeyPlugin` brought to this process (memory only)."""
    with _LOCK:
        _KEYS[plugin] = dict(keys)


def worker_keys(plugin: str) -> dict[str, str] | None:
    """The keys the plugin ``plugin`` left in this process, or ``None`` if it never ran here."""
    return _KEYS.get(plugin)


def forget_keys(plugin: str) -> None:
    """Forget ``plugin``'s keys, and close and drop the engines built with them (its job is
    over: the plugin is being removed), so no engine outlives its keys here."""
    with _LOCK:
        _KEYS.pop(plugin, None)
        gone = [key for key in _ENGINES if key[1] == plugin]
        engines = [_ENGINES.pop(key)[0] for key in gone]
        for key in gone:
            _SHARES.pop(key, None)
    for engine in engines:
        try:
            engine.close()
            engine.session.close()
        except Exception:  # a worker shutting down: nothing left to keep tidy
            logging.getLogger(__name__).debug("closing a cluster engine failed", exc_info=True)


def engine_accepts(engine_class: type, name: str) -> bool:
    """Does this version's engine take the keyword ``name`` (``redis`` once it is there)?"""
    return name in inspect.signature(engine_class).parameters
