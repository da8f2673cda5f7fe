"""The batch writer makes and commits a batch's rows with the cyclic collector paused
(the rows form no cycles), and gives it back as it found it."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector on for the test (an earlier test may have left it off), and left
    as the test found it."""
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_a_batch_is_encoded_and_committed_with_the_collector_paused(
    tmp_path: Path, collector_on: None
) -> None:
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
    # (Another trail's writer thread in this process may hold a pause of its own.)
    assert _enabled_soon()
    for i in range(50):
        trail.record("call", run_id=f"r{i}", prompt=f"p{i}", response="r", detail={"n": i})
    trail.flush()
    assert seen and not any(seen)  # paused for every row and the commit
    assert _enabled_soon()  # and on again afterwards
    assert trail.verify().ok
    trail.close()


def _enabled_soon(timeout: float = 30.0) -> bool:
    """Whether the collector is on, or comes back within ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not gc.isenabled() and time.monotonic() < end:
        time.sleep(0.01)
    return gc.isenabled()


def test_a_program_that_turned_the_collector_off_keeps_it_off(
    tmp_path: Path, collector_on: None
) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    assert _enabled_soon()
    gc.disable()
    try:
        trail.record("call", run_id="r", prompt="p")
        trail.flush()
        assert not gc.isenabled()
    finally:
        gc.enable()
    trail.close()
