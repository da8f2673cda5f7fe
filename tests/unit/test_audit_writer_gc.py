"""The batch writer makes and commits a batch's rows with the cyclic collector paused
(the rows form no cycles), and gives it back as it found it."""

from __future__ import annotations

import gc
from pathlib import Path

from orchestration_kernel.audit import AuditTrail


def test_a_batch_is_encoded_and_committed_with_the_collector_paused(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    seen: list[bool] = []
    real_append, real_encode = trail._store.append, trail._encoder.encode

    def append(rows):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real_append(rows)

    def encode(item):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real_encode(item)

    trail._store.append = append  # type: ignore[method-assign]
    trail._encoder.encode = encode  # type: ignore[method-assign]
    assert gc.isenabled()
    for i in range(50):
        trail.record("call", run_id=f"r{i}", prompt=f"p{i}", response="r", detail={"n": i})
    trail.flush()
    assert seen and not any(seen)  # paused for every row and the commit
    assert gc.isenabled()  # and on again afterwards
    assert trail.verify().ok
    trail.close()


def test_a_program_that_turned_the_collector_off_keeps_it_off(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    gc.disable()
    try:
        trail.record("call", run_id="r", prompt="p")
        trail.flush()
        assert not gc.isenabled()
    finally:
        gc.enable()
    trail.close()
