"""A cluster job's digest (``job.json`` and the default folder name) is keyed by the home's
cluster key: it does not tell whether a guessed prompt was run. A job an earlier version
wrote under the unkeyed digest is adopted by a rerun, its partitions skipped."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.cluster.digest import DIGEST_KIND, DigestBuilder, adopt_legacy_folder
from orchestration_kernel.cluster.store import JobStore

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.timeout(120)

PROMPTS = ["what is our Q3 plan?", "the merger with Initech", "payroll for Bob"]


def _unkeyed(head: bytes, items: list[str]) -> str:
    """The digest earlier versions stored: anyone can compute it for a guess."""
    h = hashlib.sha256(head)
    for item in items:
        h.update(hashlib.sha256(item.encode()).digest())
    return h.hexdigest()


def _digest(home: Path, items: list[str]) -> Any:
    builder = DigestBuilder(home, b"head")
    for item in items:
        builder.add(item.encode())
    return builder.finish()


def test_the_digest_is_keyed_per_home_and_keeps_the_unkeyed_one_for_old_jobs(
    tmp_path: Path,
) -> None:
    mine, again, other = (
        _digest(tmp_path / "a", PROMPTS),
        _digest(tmp_path / "a", PROMPTS),
        _digest(tmp_path / "b", PROMPTS),
    )
    assert mine == again  # a rerun in the same home finds its job
    assert mine.keyed != other.keyed  # another home's key: a guess cannot be checked
    assert mine.legacy == other.legacy == _unkeyed(b"head", PROMPTS) != mine.keyed
    assert _digest(tmp_path / "a", PROMPTS[:2]).keyed != mine.keyed
    key = tmp_path / "a" / "cluster" / "job.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_an_old_job_file_is_adopted_only_by_the_same_job(tmp_path: Path) -> None:
    digest = _digest(tmp_path, PROMPTS)
    old = {"models": ["m"], "rows": 3, "partition_size": 2, "digest": digest.legacy,
           "run_id": "old-run"}  # fmt: skip
    new = {**old, "digest": digest.keyed, "digest_kind": DIGEST_KIND, "run_id": "new-run"}
    root = tmp_path / "cluster"
    store = JobStore(root, adopt_legacy_folder(root, "matrix", digest))
    store.path.mkdir(parents=True)
    (store.path / "job.json").write_text(json.dumps(old))
    store.write(0, 0, [{"m": {"ok": True}}, {"m": {"ok": True}}])
    # Another job's rows: not adopted, started afresh.
    assert store.open({**new, "rows": 4}, legacy_digest=digest.legacy)["run_id"] == "new-run"
    assert store.done(2) == set()

    (store.path / "job.json").write_text(json.dumps(old))
    store.write(0, 0, [{"m": {"ok": True}}, {"m": {"ok": True}}])
    adopted = store.open(new, legacy_digest=digest.legacy)
    assert adopted["run_id"] == "old-run" and store.done(2) == {0}  # its partition kept
    stored = json.loads((store.path / "job.json").read_text())
    assert stored["digest"] == digest.keyed and stored["digest_kind"] == DIGEST_KIND
    # Adopted once: an unkeyed digest is never matched again.
    assert store.open(new, legacy_digest=digest.legacy)["run_id"] == "old-run"


@pytest.fixture
def client() -> Iterator[Any]:
    with distributed.Client(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.ERROR,
    ) as made:  # fmt: skip
        yield made


def test_a_cluster_job_names_itself_by_the_keyed_digest_and_adopts_an_old_one(
    client: Any, hermetic_home: Path
) -> None:
    engine = OrchestrationEngine(offline="on")
    first = engine.matrix_sync(["gpt-4o-mini"], "{item}", PROMPTS, cluster=client,
                               partition_size=2)  # fmt: skip
    (folder,) = (hermetic_home / "cluster").glob("matrix-*")
    stored = json.loads((folder / "job.json").read_text())
    assert stored["digest_kind"] == DIGEST_KIND
    options = {"session_id": None}  # what the matrix hashes beside the prompts
    head = json.dumps([["gpt-4o-mini"], sorted(options.items())], default=str).encode()
    unkeyed = _unkeyed(head, PROMPTS)
    assert stored["digest"] != unkeyed and unkeyed[:16] not in folder.name
    assert folder.name == f"matrix-{stored['digest'][:16]}"

    # The same job as an earlier version left it: unkeyed digest, folder named by it.
    legacy = {k: v for k, v in stored.items() if k != "digest_kind"}
    (folder / "job.json").write_text(json.dumps({**legacy, "digest": unkeyed}))
    os.replace(folder, folder.with_name(f"matrix-{unkeyed[:16]}"))
    again = engine.matrix_sync(["gpt-4o-mini"], "{item}", PROMPTS, cluster=client,
                               partition_size=2)  # fmt: skip
    assert again.computed == [] and again.skipped == [0, 1]  # nothing run again
    assert again.run_id == first.run_id
    assert [p.name for p in (hermetic_home / "cluster").glob("matrix-*")] == [folder.name]
    assert json.loads((folder / "job.json").read_text())["digest"] == stored["digest"]
