"""What identifies a cluster job for a rerun, without telling what it ran.

A job's digest covers its settings and every row's prompt (or a pipeline row's input):
a rerun over the same rows finds the job's folder (``<kind>-<first 16 hex digits>``
unless ``job=`` names it) and its ``job.json``, and skips the partitions done. An
unkeyed SHA-256 of the prompts, as earlier versions stored, let anyone who can read the
home check a guess ("was this prompt run?") by hashing it. So the digest is an
HMAC-SHA256 under the home's cluster key (``ORCHESTRATION_HOME/cluster/job.key``: 32
random bytes, owner-only, made by :mod:`orchestration_kernel.storage.keys`), and
``job.json`` says so (``"digest_kind": "hmac-sha256"``).

Jobs written before keep working: the unkeyed digest is computed beside the keyed one
(never written), and a rerun that matches an old job adopts it — the folder named by the
unkeyed digest is renamed to the keyed name, and ``job.json`` gets the keyed digest,
keeping its run id and partitions (:meth:`~.store.JobStore.open`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from ..storage.keys import load_or_create_key

__all__ = ["DIGEST_KIND", "DigestBuilder", "JobDigest", "adopt_legacy_folder"]

#: ``job.json``'s ``digest_kind`` for a keyed digest (absent: an unkeyed one)
DIGEST_KIND = "hmac-sha256"


@dataclass(frozen=True)
class JobDigest:
    """A job's keyed digest (what is stored) and the unkeyed one earlier versions stored
    (compared with an old ``job.json``, never written)."""

    keyed: str
    legacy: str


class DigestBuilder:
    """Both digests of one job, in one pass: ``head`` (its settings), then each item."""

    def __init__(self, home: Path, head: bytes) -> None:
        key = load_or_create_key(Path(home) / "cluster" / "job.key", "cluster job key")
        self._keyed = hmac.new(key, head, hashlib.sha256)
        self._legacy = hashlib.sha256(head)

    def add(self, item: bytes) -> None:
        """One row's prompt or input (hashed first, as earlier versions did)."""
        digest = hashlib.sha256(item).digest()
        self._keyed.update(digest)
        self._legacy.update(digest)

    def finish(self) -> JobDigest:
        """The two digests, as hex."""
        return JobDigest(self._keyed.hexdigest(), self._legacy.hexdigest())


def adopt_legacy_folder(root: Path, kind: str, digest: JobDigest) -> str:
    """The default folder name of a job (``<kind>-<keyed digest[:16]>``), after renaming
    the folder an earlier version named by the unkeyed digest to it, when there is one."""
    name = f"{kind}-{digest.keyed[:16]}"
    old = root / f"{kind}-{digest.legacy[:16]}"
    if old.is_dir() and not (root / name).exists():
        os.replace(old, root / name)
    return name
