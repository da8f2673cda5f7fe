"""The columnar sidecar takes the rows this writer committed once enough of them are held
(``sidecar.APPEND_AT_ROWS``), without waiting for a WAL checkpoint (which comes only every
~1,000 WAL pages), so that the rows a whole-trail read still takes from SQLite stay few."""

from __future__ import annotations

import time
from pathlib import Path

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.sidecar import (
    ALIGN,
    APPEND_AT_ROWS,
    MAX_APPEND_ROWS,
    Settled,
    SidecarPaths,
)


def _record(trail: AuditTrail, rows: int) -> None:
    for i in range(rows):
        trail.record("call", run_id=f"r{i // 10}", model="m", status="ok", prompt=f"p{i}")
    trail.flush()


def _wait_for_record(paths: SidecarPaths) -> None:
    deadline = time.monotonic() + 60  # the append runs on the checkpoint thread
    while not paths.record.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_held_rows_are_appended_without_a_checkpoint(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    checkpointer = trail._store._checkpointer
    assert checkpointer is not None
    _record(trail, APPEND_AT_ROWS + ALIGN // 2)
    _wait_for_record(SidecarPaths.of(trail.path))
    assert checkpointer.runs == 0  # short rows: the WAL never reached a checkpoint
    report = trail.verify()
    assert report.ok
    assert report.sidecar == f"matches (rows through seq {APPEND_AT_ROWS})"
    trail.close()


def test_fewer_rows_than_that_wait_for_a_checkpoint(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    checkpointer = trail._store._checkpointer
    assert checkpointer is not None
    _record(trail, APPEND_AT_ROWS - ALIGN // 2)
    assert trail.verify().sidecar == "none"
    runs = checkpointer.runs
    checkpointer.request()
    deadline = time.monotonic() + 60
    while checkpointer.runs == runs and time.monotonic() < deadline:
        time.sleep(0.01)
    done = APPEND_AT_ROWS - ALIGN
    assert trail.verify().sidecar == f"matches (rows through seq {done})"
    trail.close()


def test_the_wake_comes_once_as_the_rows_held_pass_the_count() -> None:
    calls: list[int] = []
    settled = Settled(wake=lambda: calls.append(1))

    def commit(first: int, last: int) -> None:
        settled.committed([(seq, "row") for seq in range(first, last + 1)])

    commit(1, APPEND_AT_ROWS - 1)
    assert calls == []
    commit(APPEND_AT_ROWS, APPEND_AT_ROWS + 10)
    assert calls == [1]
    commit(APPEND_AT_ROWS + 11, APPEND_AT_ROWS + 500)  # still held: no second wake
    assert calls == [1]
    taken = settled.take(0, MAX_APPEND_ROWS)
    assert taken is not None and len(taken) == APPEND_AT_ROWS  # whole ALIGNs
    commit(APPEND_AT_ROWS + 501, 2 * APPEND_AT_ROWS + 1)  # past the count again
    assert calls == [1, 1]
