"""verify()'s walk of a long chain pauses Python's garbage collector while it makes its
per-row objects (``audit.gc_pause``), and leaves it as it found it: on when it was on, off
when the program had turned it off, whatever the nesting and the threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail, snapshot, verify
from orchestration_kernel.audit.gc_pause import gc_paused

ROWS = 6000


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    # Back as it was before the test, whatever the test did (one turns it off itself).
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_back_after(collector_on: None) -> None:
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: still off, and still off after the inner block
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_program_stays_off(collector_on: None) -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_still_brings_the_collector_back(collector_on: None) -> None:
    with pytest.raises(ValueError, match="inside"), gc_paused():
        raise ValueError("inside")
    assert gc.isenabled()


def test_the_collector_comes_back_when_the_last_thread_leaves(collector_on: None) -> None:
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            entered.set()
            leave.wait(10)

    worker = threading.Thread(target=other)
    worker.start()
    assert entered.wait(10)
    with gc_paused():
        pass
    assert not gc.isenabled()  # the other thread is still inside
    leave.set()
    worker.join(10)
    assert gc.isenabled()


@pytest.fixture
def long_trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditTrail]:
    # The snapshot walk from fewer rows.
    monkeypatch.setattr(verify, "PARALLEL_ROWS", 10)
    monkeypatch.setattr(snapshot, "_STREAM_ROWS", "500")
    trail = AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60)
    for i in range(ROWS):
        trail.record("call", attempt=1, prompt=f"p{i}", detail={"n": i, "tags": ["a", i]})
    trail.flush()
    yield trail
    trail.close()


def _collections(read: object) -> tuple[object, list[int]]:
    """What ``read()`` returns, and the generation of each collection started meanwhile."""
    started: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        result = read()  # type: ignore[operator]
    finally:
        gc.callbacks.remove(seen)
    return result, started


def test_verify_of_a_long_chain_starts_no_collection(
    long_trail: AuditTrail, collector_on: None
) -> None:
    report, started = _collections(long_trail.verify)
    assert report.ok and report.rows == ROWS
    # A view and a MAC per row: thousands of objects, which started a collection every
    # 700 (dozens, older generations among them). Now none starts while they are made:
    # what is left is the catch-up when the pause ends, and whatever the rest of the
    # read (the copy, the threads) allocates.
    assert len(started) <= 3, started
    assert gc.isenabled()
