"""A cluster job's folder: its manifest and one Parquet file per finished partition.

``ORCHESTRATION_HOME/cluster/<job id>/`` holds ``job.json`` (models, row count,
partition size, the run id every rerun reuses) and ``part-00007.parquet`` for each
partition the caller has received, audited and written. A rerun of the same job skips
every partition with a file. Each file is written to a temporary name and renamed, so a
file that exists is complete.

With content logging off (``OrchestrationEngine(content_logging=False)``) a partition's
cells hold the prompts and replies the audit must not keep, so they are not written:
they stay in ``memory`` (a dict the session keeps for the job), and a rerun in the same
kernel still skips them; after a restart those partitions are computed again. Files an
earlier run wrote with content logging on are still read (and skipped), never added to.
``job.json`` holds no content either way (models, counts, a keyed digest: see
:mod:`.digest`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["JobStore"]

_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class JobStore:
    """The folder of one job under ``root`` (normally ``ORCHESTRATION_HOME/cluster``)."""

    def __init__(
        self, root: Path, job_id: str, memory: dict[int, tuple[int, list[Any]]] | None = None
    ) -> None:
        if not _JOB_NAME.match(job_id):
            raise ConfigurationError(
                f"job name {job_id!r} must be letters, digits, '_', '.' or '-' (at most 80)"
            )
        self.job_id = job_id
        self.path = root / job_id
        #: Partition index → (first row, cells) kept in memory instead of on disk (content
        #: logging off), or None: partitions are Parquet files.
        self.memory = memory

    # -- the manifest ------------------------------------------------------------------
    def open(self, manifest: dict[str, Any], legacy_digest: str | None = None) -> dict[str, Any]:
        """The job's manifest: the one on disk when it matches ``manifest`` (a rerun, which
        keeps its run id), else ``manifest`` written afresh (and any old parts dropped).
        ``legacy_digest``: the unkeyed digest an earlier version stored for the same job;
        a ``job.json`` holding it is adopted, its digest replaced by the keyed one."""
        self.path.mkdir(parents=True, exist_ok=True)
        file = self.path / "job.json"
        if file.exists():
            try:
                stored = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = None
            same = ("models", "rows", "partition_size", "digest")
            if isinstance(stored, dict) and all(stored.get(k) == manifest[k] for k in same):
                return stored
            if _legacy_match(stored, manifest, legacy_digest):  # see .digest
                adopted = {**stored, "digest": manifest["digest"]}
                adopted["digest_kind"] = manifest.get("digest_kind")
                _write_atomic(file, json.dumps(adopted, indent=1).encode())
                return adopted
            for part in self.path.glob("part-*.parquet"):  # another job under this name
                part.unlink()
            if self.memory is not None:
                self.memory.clear()
        _write_atomic(file, json.dumps(manifest, indent=1).encode())
        return manifest

    # -- partitions --------------------------------------------------------------------
    def part_path(self, index: int) -> Path:
        """Where partition ``index`` is kept."""
        return self.path / f"part-{index:05d}.parquet"

    def done(self, total: int) -> set[int]:
        """The partitions already written (or kept in memory)."""
        kept = self.memory or {}
        return {i for i in range(total) if i in kept or self.part_path(i).exists()}

    def write(self, index: int, start: int, cells: list[dict[str, Any]]) -> Path | None:
        """Write one partition's cells (one JSON object per row) atomically; with
        ``memory``, keep them there instead (nothing written, ``None`` returned)."""
        if self.memory is not None:
            self.memory[index] = (start, cells)
            return None
        import pandas as pd

        frame = pd.DataFrame(
            {
                "row": list(range(start, start + len(cells))),
                "cells": [json.dumps(c, default=str) for c in cells],
            }
        )
        target = self.part_path(index)
        temp = target.with_suffix(".tmp")
        frame.to_parquet(temp, index=False)
        os.replace(temp, target)
        return target

    def read(self, index: int) -> tuple[int, list[dict[str, Any]]]:
        """``(first row, cells)`` of a written partition."""
        if self.memory is not None and index in self.memory:
            return self.memory[index]
        import pandas as pd

        frame = pd.read_parquet(self.part_path(index))
        rows = frame["row"].tolist()
        return (int(rows[0]) if rows else 0), [json.loads(c) for c in frame["cells"]]


def _legacy_match(stored: object, manifest: dict[str, Any], legacy_digest: str | None) -> bool:
    """True when ``stored`` is the same job as ``manifest``, written by an earlier version
    under the unkeyed digest ``legacy_digest``."""
    if legacy_digest is None or not isinstance(stored, dict) or "digest_kind" in stored:
        return False
    same = ("models", "rows", "partition_size")
    return stored.get("digest") == legacy_digest and all(stored.get(k) == manifest[k] for k in same)


def _write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_suffix(path.suffix + ".tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
