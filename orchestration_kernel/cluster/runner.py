"""``engine.matrix(..., cluster=...)``: a matrix's rows, partitioned over Dask workers.

The caller's side of a cluster job, in order:

1. connect (``"local"``: a process-per-core ``LocalCluster`` kept for the session;
   ``"tcp://host:8786"``: a scheduler, also kept; or a ``distributed.Client`` you made);
2. copy the engine's configuration (:mod:`.config`, no keys) and register a
   :class:`~.plugin.KeyPlugin` so each worker receives the keys once, outside the graph;
3. split each rate limit between the workers — unless ``ORCHESTRATION_REDIS_URL`` is
   set and the engine takes a shared limiter, which keeps the whole cluster inside
   each quota — and say so in one warning line when it splits;
4. skip the partitions already in the job's folder (:mod:`.store`; with content logging
   off, kept in the session's memory instead), submit the rest;
5. as each partition arrives: record its calls' audit events in the caller's own trail
   (one chain, one run id) and commit them, then write its Parquet file (so a kept
   partition is always an audited one), report progress;
6. return a :class:`ClusterMatrixResult`, aligned to the input like any matrix.

An exception from the progress callback (or Ctrl-C) stops the job: partitions still on
the cluster are cancelled, and a rerun picks up from the files written so far.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import re
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..compare import CompareTable
from ..errors import (
    ClusterError,
    ConfigurationError,
    GuardianBlocked,
    OrchestrationError,
    RunCancelled,
)
from ..matrix import MatrixInput, MatrixResult, new_run_id
from ..matrix_audit import MatrixRunAudit
from ..near_names import did_you_mean
from ..privacy import audit_options, keeps_content
from ..redis_link import redact
from ..repr_floor import masked_repr
from ..user_spec import check_concurrency
from .config import config_fingerprint, engine_config, engine_keys, limited_deployments
from .digest import DIGEST_KIND, DigestBuilder, JobDigest, adopt_legacy_folder
from .progress import ClusterProgress, ProgressClock
from .stop import current_stop
from .store import JobStore
from .worker import REDIS_KEY, engine_accepts

__all__ = [
    "ClusterJob",
    "ClusterMatrixResult",
    "ClusterQuotaWarning",
    "PartitionedJob",
    "RemoteCellError",
    "connect",
    "run_matrix_on_cluster",
    "run_partitions",
]

#: The variable naming the Redis server of the shared limiter (issue 22's).
REDIS_ENV = "ORCHESTRATION_REDIS_URL"


class ClusterQuotaWarning(UserWarning):
    """Each worker got a share of each rate limit (no shared limiter is configured)."""


class RemoteCellError(OrchestrationError):
    """A cell's error as a worker reported it (its class name is the original's)."""


class _RemoteBlocked(RemoteCellError, GuardianBlocked):
    def __init__(self, message: str) -> None:
        OrchestrationError.__init__(self, message)
        self.stage, self.decisions = "", []


_ERROR_CLASSES: dict[tuple[str, bool], type[RemoteCellError]] = {}


@dataclass(kw_only=True)
class ClusterJob:
    """Where a cluster job ran and what this run computed: the fields every cluster
    result adds to its in-kernel twin."""

    job_id: str = ""
    job_dir: Path | None = None
    partitions: int = 0
    computed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    #: Deployment id → the rpm each worker applied (``None``: no rpm limit).
    worker_limits: dict[str, int | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@masked_repr()  # its own generated repr too
@dataclass
class ClusterMatrixResult(MatrixResult, ClusterJob):
    """A :class:`MatrixResult` plus where the job ran and what this run computed."""


# -- connecting ------------------------------------------------------------------------
#: Seconds a job waits for a cluster's first worker before it says there is none.
WORKER_WAIT = 60.0


def connect(cluster: Any, session: Any) -> Any:
    """A ``distributed.Client`` for ``cluster`` (see the module docstring)."""
    try:
        import distributed
    except ImportError:
        raise ConfigurationError(
            "matrix(cluster=...) needs Dask: pip install 'orchestration-kernel[cluster]'"
        ) from None
    if isinstance(cluster, distributed.Client):
        return cluster
    if cluster == "local":
        held = session.service("cluster:local", _LocalCluster)
        if not _has_workers(held.client):  # its workers died (killed, out of memory): anew
            held.close()
            held = session.service("cluster:local", _LocalCluster)
        return held.client
    address = scheduler_address(cluster)
    shown = redact(address)

    def remote() -> Any:
        try:
            return distributed.Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ConfigurationError(
                f"cluster={shown!r}: no Dask scheduler answered there "
                f"({str(exc).replace(address, shown)})"
            ) from None
        except ValueError:  # an address Dask cannot parse: its message echoes it whole
            raise ConfigurationError(
                f"cluster={shown!r} is not a scheduler address Dask can reach; one looks "
                "like 'tcp://scheduler:8786'."
            ) from None

    return session.service(f"cluster:{address}", remote)


#: ``host:port`` (a name, an IPv4 address or a bracketed IPv6 one), with no scheme.
_HOST_PORT = re.compile(r"(?:[\w.-]+|\[[0-9a-fA-F:.]+\]):\d{1,5}")


def scheduler_address(cluster: object) -> str:
    """``cluster`` checked as a scheduler address, or a ConfigurationError that says what
    was meant (``'Local'``/``'locall'`` near ``'local'``). ``'host:8786'`` is
    ``'tcp://host:8786'``, as ``distributed.Client`` reads it. An address with a password
    is refused (Dask takes none), never echoed."""
    what = "cluster must be 'local', a scheduler address such as 'tcp://scheduler:8786', or a "
    if not isinstance(cluster, str) or not cluster.strip():
        raise ConfigurationError(f"{what}distributed.Client, not {cluster!r:.60}")
    text = cluster.strip()
    if "://" not in text and _HOST_PORT.fullmatch(text):
        text = "tcp://" + text  # Dask's own default protocol for a bare host:port
    if "://" not in text:
        hint = did_you_mean(text, ["local"])
        raise ConfigurationError(f"{what}distributed.Client, not {text!r:.60}.{hint}")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - parsing it is the check: 'tcp://host:80x6' fails here
    except ValueError:
        raise ConfigurationError(
            f"cluster={redact(text)!r} is not a scheduler address; one looks like "
            "'tcp://scheduler:8786'."
        ) from None
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            f"cluster={redact(text)!r}: a Dask scheduler address takes no user name or "
            "password (secure a scheduler with TLS: a distributed.Client with "
            "security=...)."
        )
    return text


class _LocalCluster:
    """The kernel's own local cluster, kept as a session service (closed with it)."""

    def __init__(self) -> None:
        self.client = _local_client()
        self.closed = False

    def close(self) -> None:
        """Close the client and its cluster (what is left of them)."""
        if not self.closed:
            self.closed = True
            _close_quietly(self.client)


def _local_client() -> Any:
    import distributed

    from .plugin import KeepThroughInterrupts

    workers = max(1, min(os.cpu_count() or 1, 8))
    client = distributed.Client(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},  # no dashboard; health on any port
        silence_logs=logging.ERROR,
    )
    client.register_plugin(KeepThroughInterrupts())  # a Ctrl-C stops the cell, not the workers
    return client


def _has_workers(client: Any) -> bool:
    """True when the client runs and its scheduler has a worker now (asked, not cached)."""
    try:
        return client.status == "running" and bool(client.nthreads())
    except Exception:  # a scheduler gone with its workers
        return False


def _close_quietly(client: Any) -> None:
    """Close a client and, for a local cluster, the cluster (what is left of it)."""
    with contextlib.suppress(Exception):
        cluster = getattr(client, "cluster", None)
        client.close(timeout=5)
        if cluster is not None:
            cluster.close(timeout=5)


def wait_for_workers(client: Any, cluster: object) -> None:
    """Wait (at most :data:`WORKER_WAIT` seconds) for the cluster's first worker: a
    scheduler without workers would otherwise hold the cell for ever."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
    except (TimeoutError, OSError):
        where = "local" if cluster == "local" else _address(client)
        raise ConfigurationError(
            f"The Dask cluster ({where}) has no worker: none joined within {WORKER_WAIT:g} s. "
            "Start workers (dask worker tcp://scheduler:8786), or use cluster='local'."
        ) from None


def check_worker_versions(client: Any, cluster: object) -> None:
    """A :class:`ConfigurationError` before anything is sent when a worker runs another
    orchestration-kernel than this kernel (or none), or another Python ``major.minor``:
    otherwise each partition fails on the worker with an unpickling or attribute error.
    Asked with standard-library functions, so a worker without the package can answer."""
    import importlib.metadata
    import platform

    def minor(version: object) -> str:
        return ".".join(str(version).split(".")[:2])

    try:
        mine = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # run from a source tree: nothing to match
        mine = None
    try:
        theirs = client.run(importlib.metadata.version, DISTRIBUTION, on_error="return")
        pythons = client.run(platform.python_version, on_error="return")
    except Exception:  # the scheduler cannot say now: the job itself will tell
        logging.getLogger(__name__).debug("worker versions unknown", exc_info=True)
        return
    here = minor(platform.python_version())
    wrong = []
    for worker, version in sorted(theirs.items()):
        python = pythons.get(worker)
        found = version if isinstance(version, str) else "not installed"
        if (mine is not None and found != mine) or (
            isinstance(python, str) and minor(python) != here
        ):
            wrong.append(f"{worker}: {DISTRIBUTION} {found}, Python {python}")
    if wrong:
        where = "local" if cluster == "local" else _address(client)
        raise ConfigurationError(
            f"The Dask cluster ({where}) has workers that cannot run this job: "
            f"{'; '.join(wrong[:5])}{' ...' if len(wrong) > 5 else ''}. This kernel runs "
            f"{DISTRIBUTION} {mine or '(from source)'} on Python {platform.python_version()}: "
            f"install the same version on every worker (pip install "
            f"'{DISTRIBUTION}[cluster]=={mine or '...'}') with Python {here}. Nothing was sent."
        )


#: The distribution workers must have installed, at this kernel's version.
DISTRIBUTION = "orchestration-kernel"


# -- the job ---------------------------------------------------------------------------
@dataclass
class PartitionedJob:
    """What :func:`run_partitions` did: every partition's cells (kept or computed)."""

    run_id: str
    store: JobStore
    partitions: int
    size: int
    #: Partition index → its cells, one per row (kept on disk or sent back by a worker).
    cells: dict[int, list[Any]]
    computed: list[int]
    skipped: list[int]
    limits: dict[str, int | None]
    notes: list[str]

    def rows(self) -> list[Any]:
        """Every row's cell, in input order."""
        return [cell for i in range(self.partitions) for cell in self.cells[i]]

    def job_fields(self) -> dict[str, Any]:
        """The :class:`ClusterJob` fields of the result."""
        return {
            "job_id": self.store.job_id, "job_dir": self.store.path,
            "partitions": self.partitions, "computed": self.computed, "skipped": self.skipped,
            "worker_limits": self.limits, "notes": self.notes,
        }  # fmt: skip


#: ``(common task fields, partition index, first row, row after the last)`` → the task.
TaskMaker = Callable[[dict[str, Any], int, int, int], Any]


def run_partitions(
    engine: Any,
    *,
    cluster: Any,
    kind: str,
    rows: int,
    manifest: dict[str, Any],
    work: Callable[[Any], Any],
    task_for: TaskMaker,
    partition_size: int | None = None,
    job: str | None = None,
    progress: Callable[[ClusterProgress], Any] | None = None,
    keep_run_ids: bool = False,
    digest: JobDigest | None = None,
    on_start: Callable[[str], Any] | None = None,
) -> PartitionedJob:
    """Steps 1–5 of the module docstring for any per-row work: ``work(task)`` runs on a
    worker and returns a :class:`~.worker.PartitionOutcome`; ``task_for`` makes each
    partition's task from the fields every task shares. ``manifest`` must hold
    ``models`` and ``digest`` (what identifies the job for a rerun; ``digest`` gives
    both of its forms, for a job an earlier version wrote: see :mod:`.digest`).
    ``keep_run_ids``: the events keep the run ids the worker gave them (one pipeline run
    per row), else they are recorded under the job's one run id. ``on_start(run_id)`` is
    called once the job's run id is known, before any partition is sent.
    """
    import distributed

    if partition_size is not None and partition_size < 1:
        raise ConfigurationError(f"partition_size must be at least 1, not {partition_size}")
    config = engine_config(engine)
    if engine.audit is not None and hasattr(engine.audit, "check_writable"):
        engine.audit.check_writable()  # fail fast: no job runs unaudited
    client = connect(cluster, engine.session)
    wait_for_workers(client, cluster)
    check_worker_versions(client, cluster)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    size = partition_size or max(1, min(1000, math.ceil(rows / (workers * 4))))
    total = math.ceil(rows / size)
    root = engine.session.home / "cluster"
    if job is not None:
        name = job
    elif digest is not None:
        name = adopt_legacy_folder(root, kind, digest)
    else:
        name = f"{kind}-{str(manifest['digest'])[:16]}"
    memory = None
    if not keeps_content(engine):  # no prompt or reply on disk: see .store
        memory = engine.session.service(f"cluster-parts:{root / name}", dict)
    store = JobStore(root, name, memory)
    manifest = store.open(
        {**manifest, "rows": rows, "partition_size": size, "run_id": new_run_id(),
         "partitions": total},
        legacy_digest=None if digest is None else digest.legacy,
    )  # fmt: skip
    run_id = str(manifest["run_id"])
    if on_start is not None:
        on_start(run_id)
    shared = shared_limiter(engine)
    share, notes = _limit_share(config, workers, shared is not None)
    for note in notes:  # runs on a helper thread: a caller's line would mean nothing here
        logging.getLogger(__name__).info("%s", note)  # the record, whatever warnings show
        warnings.warn_explicit(note, ClusterQuotaWarning, "orchestration_kernel.cluster", 0)
    skipped = sorted(store.done(total))
    cells: dict[int, list[Any]] = {}
    for index in skipped:
        cells[index] = store.read(index)[1]
    clock = ProgressClock(total, rows, len(skipped), sum(len(cells[i]) for i in skipped))
    if progress is not None:
        progress(clock.now())
    computed: list[int] = []
    limits: dict[str, int | None] = {}
    pending = [i for i in range(total) if i not in cells]
    if pending:
        from .plugin import KeyPlugin

        plugin = f"orchestration-keys-{uuid.uuid4().hex[:12]}"
        keys = engine_keys(engine, config)
        if shared is not None:  # its URL may hold a password: it travels with the keys
            keys[REDIS_KEY] = json.dumps(shared)
        client.register_plugin(KeyPlugin(plugin, keys), name=plugin)
        try:
            common = {
                "job_id": store.job_id, "engine_class": type(engine), "config": config,
                "fingerprint": config_fingerprint(config), "plugin": plugin, "run_id": run_id,
                "limit_share": share, "shared_limits": shared is not None,
            }  # fmt: skip
            futures = [
                client.submit(
                    work,
                    task_for(common, i, i * size, min(i * size + size, rows)),
                    key=f"orchestration-{kind}-{store.job_id}-{i}-{uuid.uuid4().hex[:6]}",
                    pure=False,
                )
                for i in pending
            ]
            stop = current_stop()
            if stop is not None:  # the caller's cancel (an interrupt) cancels what is pending
                stop.bind(lambda: client.cancel([f for f in futures if not f.done()]))
            try:
                for future in distributed.as_completed(futures):
                    if stop is not None and stop.stopped:  # nobody waits for the rest
                        raise RunCancelled(f"cluster job {store.job_id} was interrupted")
                    try:
                        outcome = future.result()
                    except Exception as exc:
                        lost = _lost_partition(exc, client, cluster, len(cells), total)
                        if lost is None:
                            raise  # the work's own error (a worker's ConfigurationError...)
                        raise lost from None
                    # Committed before it is kept, so a kept partition is an audited one.
                    _record(engine, outcome.events, None if keep_run_ids else run_id)
                    store.write(outcome.index, outcome.start, outcome.cells)  # a rerun skips it
                    cells[outcome.index] = outcome.cells
                    computed.append(outcome.index)
                    limits.update(outcome.limits)
                    if progress is not None:
                        progress(clock.add(len(outcome.cells)))
            finally:
                client.cancel([f for f in futures if not f.done()])
        finally:
            if engine.audit is not None:
                engine.audit.flush()
            try:
                client.unregister_worker_plugin(plugin)
            except Exception:  # a worker gone away: its keys went with it
                logging.getLogger(__name__).debug("could not unregister %s", plugin)
    return PartitionedJob(
        run_id=run_id, store=store, partitions=total, size=size, cells=cells,
        computed=sorted(computed), skipped=skipped, limits=limits, notes=notes,
    )  # fmt: skip


def run_matrix_on_cluster(
    engine: Any,
    models: Sequence[str],
    prepared: MatrixInput,
    *,
    cluster: Any,
    concurrency: int = 8,
    partition_size: int | None = None,
    job: str | None = None,
    progress: Callable[[ClusterProgress], Any] | None = None,
    **options: Any,
) -> ClusterMatrixResult:
    """Run ``prepared`` on the cluster (blocking); see the module docstring."""
    from .worker import PartitionTask, run_partition

    check_concurrency(concurrency)
    options.pop("run_id", None)  # a job keeps one run id across reruns (its manifest's)
    models = list(models)
    # The session is left out of the digest: a rerun from a restarted kernel still matches.
    digest = _job_digest(
        engine.session.home, models, prepared.prompts, {**options, "session_id": None}
    )
    options.setdefault("session_id", engine.session.id)
    prompts, labels = prepared.prompts, prepared.labels

    def task_for(common: dict[str, Any], index: int, start: int, stop: int) -> PartitionTask:
        return PartitionTask(
            **common, index=index, start=start, labels=labels[start:stop],
            prompts=prompts[start:stop], models=models, concurrency=concurrency,
            options=dict(options),
        )  # fmt: skip

    # The run's own run_start/run_end rows, written here (the workers write none).
    run = MatrixRunAudit(
        engine, models, len(prompts),
        pipeline=options.get("pipeline"), session_id=options.get("session_id"),
    )  # fmt: skip
    done = run.around(
        lambda start: run_partitions(
            engine, cluster=cluster, kind="matrix", rows=len(prompts),
            manifest={"models": models, "digest": digest.keyed, "digest_kind": DIGEST_KIND},
            work=run_partition, task_for=task_for, partition_size=partition_size, job=job,
            progress=progress, digest=digest, on_start=start,
        )
    )  # fmt: skip
    tables = [
        CompareTable(prompt=prompts[row], replies={m: decode_cell(c[m]) for m in models})
        for row, c in enumerate(done.rows())
    ]
    result = ClusterMatrixResult(
        models=models,
        items=prepared.items,
        tables=tables,
        index=prepared.index,
        prompts=prompts,
        source=prepared.source,
        run_id=done.run_id,
        **done.job_fields(),
    )
    run.finish(result)  # committed before the result is returned
    return result


def _lost_partition(
    exc: BaseException, client: Any, cluster: object, kept: int, total: int
) -> ClusterError | None:
    """A :class:`ClusterError` for a partition the cluster lost rather than computed —
    Dask cancelled it (its scheduler went away) or killed the workers it ran on too often —
    else None (an error of the work itself, raised as it is)."""
    import concurrent.futures

    from distributed.scheduler import KilledWorker

    where = "local" if cluster == "local" else _address(client)
    after = (
        f"{kept} of {total} partitions are kept (audited and on disk): run the job again "
        "to compute the rest."
    )
    if isinstance(exc, KilledWorker):
        return ClusterError(
            f"The Dask cluster ({where}) lost a partition: every worker that ran it died "
            f"(killed, or out of memory; Dask gives up after "
            f"distributed.scheduler.allowed-failures). {after}"
        )
    if isinstance(exc, concurrent.futures.CancelledError):  # Dask's FutureCancelledError
        reason = str(getattr(exc, "reason", "") or "cancelled on the cluster")
        return ClusterError(
            f"The Dask cluster ({where}) dropped the job's partitions ({reason.replace('-', ' ')}"
            f"; its scheduler went away or cancelled them). {after}"
        )
    return None


def _address(client: Any) -> str:
    """The client's scheduler address, redacted (``"unknown"`` once it is gone)."""
    try:
        return redact(str(client.scheduler.address))
    except Exception:  # a closed client may have no scheduler handle left
        return "unknown"


def shared_limiter(engine: Any) -> dict[str, Any] | None:
    """The engine's shared-limiter settings as plain data (its ``redis``, from ``redis=``
    or ``ORCHESTRATION_REDIS_URL``), or ``None`` when its limits are its own."""
    settings = getattr(engine, "redis", None)
    if settings is None or not engine_accepts(type(engine), "redis"):
        return None
    if dataclasses.is_dataclass(settings) and not isinstance(settings, type):
        return dataclasses.asdict(settings)
    return {"url": str(settings)}


def _limit_share(config: dict[str, Any], workers: int, shared: bool) -> tuple[int, list[str]]:
    """How many ways to split each limit, and the line that says so (none when shared)."""
    limited = limited_deployments(config)
    if not limited or workers == 1 or shared:
        return 1, []
    note = (
        f"cluster: no shared limiter ({REDIS_ENV} unset), so each of the {workers} workers "
        f"gets 1/{workers} of each limit of {', '.join(limited)} (re-split at each "
        "partition's start when workers join or leave)"
    )
    return workers, [note]


def _record(engine: Any, events: list[Any], run_id: str | None) -> None:
    """A partition's events into the caller's trail, under the job's run id (``None``:
    each keeps the run id it was recorded with)."""
    audit = engine.audit
    if audit is None:
        return
    identity = getattr(engine, "identity", None)
    options = audit_options(engine)  # the caller's settings, not the workers'
    for wall, kind, columns in events:
        columns = {**columns, "run_id": run_id} if run_id is not None else dict(columns)
        columns.setdefault("timestamp", wall)
        if identity is not None:
            columns.setdefault("identity", str(getattr(identity, "label", identity)))
        audit.record(kind, **options, **columns)
    audit.flush()  # committed now (or AuditWriteError): the partition's file comes after


def _job_digest(
    home: Path, models: list[str], prompts: list[str], options: dict[str, Any]
) -> JobDigest:
    """What identifies a matrix job: its models, options and every prompt (keyed)."""
    h = DigestBuilder(home, json.dumps([models, sorted(options.items())], default=str).encode())
    for prompt in prompts:
        h.add(prompt.encode())
    return h.finish()


def decode_cell(cell: dict[str, Any]) -> Any:
    """A :class:`Reply`, or the error standing for the one a worker reported."""
    from ..models import Reply

    if cell.get("ok"):
        return Reply.model_validate(cell["reply"])
    kind, blocked = str(cell.get("kind") or "Error"), bool(cell.get("blocked"))
    cls = _ERROR_CLASSES.get((kind, blocked))
    if cls is None:
        base = _RemoteBlocked if blocked else RemoteCellError
        cls = _ERROR_CLASSES[(kind, blocked)] = type(kind, (base,), {"__module__": __name__})
    return cls(str(cell.get("message") or ""))
