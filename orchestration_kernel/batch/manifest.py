"""A batch job's manifest: everything a restarted kernel needs to pick the job up.

It lives in ``ORCHESTRATION_HOME/batches/<name>/``:

* ``manifest.json`` — the job (models, chunks, each chunk's state and provider batch id),
  rewritten atomically (temporary file, fsync, rename) *before* every submit and after
  every state change, so a kill at any moment leaves the last consistent version;
* ``index.parquet`` — the input's index (any dtype pandas can store), for alignment;
* ``table.parquet`` — the input itself, (redacted) columns and index, which
  ``to_dataframe()`` puts beside the answers (see :mod:`.input_table`);
* ``inputs.parquet`` — one (redacted) prompt per row;
* ``blocked.parquet`` — the (row, model) cells the Guardian blocked before submit;
* ``results/<chunk>.parquet`` — each chunk's answers, one row per item;
* ``journal/<chunk>.jsonl`` — row-by-row answers of chunks run as concurrent calls.

A ``custom_id`` is ``m{model}-r{row}``: the mapping to row and model is the id itself, so
nothing per item is written at submit time beyond the prompt (this is what keeps
manifest writing above 100,000 rows a second).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BatchJobError
from ..near_names import did_you_mean

__all__ = [
    "CANCEL_FILE",
    "CHUNK_STATES",
    "ChunkRecord",
    "Manifest",
    "ModelRecord",
    "cancel_requested",
    "custom_id",
    "jobs_home",
    "parse_custom_id",
    "request_cancel",
]

#: pending → submitting → submitted → collected → done; or failed / cancelled at the end.
CHUNK_STATES = ("pending", "submitting", "submitted", "collected", "done")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CUSTOM_ID = re.compile(r"^m(\d+)-r(\d+)$")


def custom_id(model: int, row: int) -> str:
    """The ``custom_id`` of the item for model number ``model`` and input row ``row``."""
    return f"m{model}-r{row}"


def parse_custom_id(value: str) -> tuple[int, int]:
    """``(model, row)`` of a ``custom_id`` made by :func:`custom_id`."""
    match = _CUSTOM_ID.match(value)
    if match is None:
        raise ValueError(f"not a batch custom_id: {value!r}")
    return int(match[1]), int(match[2])


def jobs_home() -> Path:
    """``ORCHESTRATION_HOME/batches`` (created owner-only if missing)."""
    from ..session import default_home
    from ..storage.files import private_dir

    return private_dir(default_home() / "batches")


@dataclass
class ModelRecord:
    """One model of the job: how it was named, what it resolved to, how it is run."""

    name: str
    ref: str  # provider:model
    provider: str
    model: str  # the provider's own model id
    backend: str  # openai | anthropic | gemini | concurrent
    simulated: bool = False
    deployment: str | None = None


@dataclass
class ChunkRecord:
    """One provider batch (or one slice run as concurrent calls): rows ``[start, stop)``."""

    id: str
    model: int
    start: int
    stop: int
    state: str = "pending"
    batch_id: str | None = None
    #: epoch seconds just before the create was sent (Anthropic reconciliation)
    submit_started: float | None = None
    request_count: int = 0
    provider_status: str | None = None
    done: int = 0
    failed: int = 0
    error: str | None = None
    submitted_at: float | None = None
    ended_at: float | None = None
    #: auditing of the collected results began (a resumed run checks what is audited)
    audit_started: bool = False


@dataclass
class Manifest:
    """The job's durable state (see the module docstring)."""

    name: str
    uid: str
    run_id: str
    created: float
    rows: int
    template: str
    models: list[ModelRecord]
    chunks: list[ChunkRecord] = field(default_factory=list)
    max_tokens: int | None = None
    system: str | None = None
    temperature: float | None = None
    session_id: str | None = None
    index_kind: str = "range"  # range | stored
    cancelled: bool = False
    retries: int = 0
    #: the cells blocked before submit have their audit rows
    blocked_audited: bool = False
    #: index the job's audit rows for full-text search (off: a job has many rows)
    fts: bool = False
    #: ``table.parquet`` holds the input (jobs made before it existed have none)
    has_table: bool = False
    #: keep prompts and answers once collected (False: content logging was off; see
    #: :mod:`.retention`)
    keep_content: bool = True
    #: the prompts and answers were deleted once collected
    content_removed: bool = False
    #: the plan shown before submit (``BatchPlan.to_dict()``), so a resumed job shows it
    #: too (jobs made before it was kept have none)
    plan: dict[str, Any] | None = None
    #: the running provider batches were told to cancel (after ``cancelled``)
    cancel_sent: bool = False
    version: int = 1

    # -- places ---------------------------------------------------------------------------
    @property
    def dir(self) -> Path:
        """The job's directory."""
        return jobs_home() / self.name

    @property
    def path(self) -> Path:
        """``manifest.json``."""
        return self.dir / "manifest.json"

    def results_dir(self) -> Path:
        """Where the result parts go (created)."""
        path = self.dir / "results"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def journal_dir(self) -> Path:
        """Where concurrent chunks journal their rows (created)."""
        path = self.dir / "journal"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- persistence ----------------------------------------------------------------------
    def save(self) -> None:
        """Write ``manifest.json`` atomically and durably (before every submit)."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds prompts
        data = asdict(self)
        tmp = self.path.with_suffix(f".json.{os.getpid()}.tmp")  # never another writer's
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, name: str) -> Manifest:
        """The manifest of job ``name``; :class:`BatchJobError` naming the file if absent."""
        check_name(name)
        path = jobs_home() / name / "manifest.json"
        if not path.exists():
            jobs = list_jobs()
            known = ", ".join(jobs[:10]) or "none"
            raise BatchJobError(
                f"no batch job {name!r} (looked for {path}).{did_you_mean(name, jobs)} "
                f"Known jobs: {known}"
            )
        try:
            data = json.loads(path.read_text("utf-8"))
            # A cancel asked for by a process that did not hold the job's lock.
            data["cancelled"] = data.get("cancelled") or cancel_requested(path.parent)
            data["models"] = [ModelRecord(**m) for m in data["models"]]
            data["chunks"] = [ChunkRecord(**c) for c in data["chunks"]]
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise BatchJobError(f"the manifest {path} does not read: {exc}") from None

    def refresh(self) -> None:
        """Read ``manifest.json`` again, in place (another process may have moved the job
        on; whoever holds this object keeps it)."""
        fresh = Manifest.load(self.name)
        self.__dict__.update(fresh.__dict__)

    @staticmethod
    def exists(name: str) -> bool:
        """True when a job called ``name`` has a manifest."""
        return (jobs_home() / name / "manifest.json").exists()

    @classmethod
    def new(cls, name: str, **fields: Any) -> Manifest:
        """A fresh manifest (not yet saved)."""
        import uuid

        check_name(name)
        return cls(name=name, uid=uuid.uuid4().hex[:12], created=time.time(), **fields)


#: A file in the job's directory: a cancel was asked for (by any process).
CANCEL_FILE = "cancel-requested"


def cancel_requested(directory: Path) -> bool:
    """True once any process asked to cancel the job in ``directory``."""
    return (directory / CANCEL_FILE).exists()


def request_cancel(directory: Path) -> None:
    """Record that the job in ``directory`` is to be cancelled (see :func:`cancel_requested`)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    (directory / CANCEL_FILE).touch(mode=0o600)


def check_name(name: str) -> None:
    """A job name is a file name: letters, digits, ``_ . -``, at most 64 characters."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise BatchJobError(
            f"batch job name {name!r} must be 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )


def list_jobs() -> list[str]:
    """The names of every job with a manifest, newest first."""
    home = jobs_home()
    found = [p for p in home.iterdir() if (p / "manifest.json").exists()]
    found.sort(key=lambda p: (p / "manifest.json").stat().st_mtime, reverse=True)
    return [p.name for p in found]
