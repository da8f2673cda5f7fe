"""The audit on a full disk: nothing reports success for what it did not commit, every
later call fails fast naming the file and "disk full", reads keep working, and the
writer recovers by itself when space comes back (issue 14, item 1)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.errors import AuditWriteError
from tests.integration.storage_disk import SmallDisk, small_disk

pytestmark = pytest.mark.timeout(120)

PADDING = "lorem ipsum dolor sit amet " * 80  # ~2 KB per prompt: the disk fills quickly


@pytest.fixture
def disk(tmp_path: Path):
    with small_disk(tmp_path) as d:
        yield d


def make(disk: SmallDisk) -> tuple[AuditTrail, OrchestrationEngine]:
    trail = AuditTrail(disk.path / "audit.sqlite", session_id="s", flush_interval=0.05)
    return trail, OrchestrationEngine(offline="on", audit=trail)


async def fill_until_stuck(engine: OrchestrationEngine) -> tuple[list[str], AuditWriteError]:
    """Call until a reply's rows cannot be committed; the run ids that returned."""
    returned: list[str] = []
    for i in range(3000):
        reply = await engine.complete("gpt-4", f"{PADDING} {i}", run_id=f"fill-{i}")
        returned.append(f"fill-{i}")
        try:
            await reply.committed
        except AuditWriteError as exc:
            return returned, exc
    raise AssertionError("the disk never filled")


async def wait_until_writable(trail: AuditTrail) -> None:
    for _ in range(400):  # hang guard: the retry back-off tops out at a few seconds
        if trail.write_error is None and trail.pending == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the writer did not recover: {trail.write_error}")


async def test_a_run_on_a_full_disk_raises_instead_of_reporting_done(disk: SmallDisk) -> None:
    trail, engine = make(disk)
    disk.fill(trail, leave=4096)
    pipeline = engine.create_pipeline([{"name": "a", "model": "gpt-4", "prompt": PADDING * 4}])
    with pytest.raises(AuditWriteError) as caught:
        await pipeline.execute("go")
    message = str(caught.value)
    assert "disk full" in message and str(disk.path / "audit.sqlite") in message
    assert "cannot rollback" not in message
    assert caught.value.result.status == "done"  # the outputs are there for the user
    disk.free(trail)
    await wait_until_writable(trail)
    trail.close()


async def test_a_stuck_writer_fails_every_call_fast_and_recovers_by_itself(
    disk: SmallDisk,
) -> None:
    trail, engine = make(disk)
    await (await engine.complete("gpt-4", "before the disk filled", run_id="before")).committed
    disk.fill(trail)
    returned, first = await fill_until_stuck(engine)
    assert "disk full" in str(first) and str(disk.path / "audit.sqlite") in str(first)

    # Every later call, run and compare fails fast, before reaching a provider.
    calls_before = engine.stats()
    for attempt in (
        engine.complete("gpt-4", "refused", run_id="refused"),
        engine.create_pipeline([{"name": "a", "model": "gpt-4", "prompt": "x"}]).execute("go"),
        engine.compare(["gpt-4", "claude-3"], "refused too"),
    ):
        with pytest.raises(AuditWriteError, match="disk full"):
            await attempt
    assert engine.stats() == calls_before  # no provider call was made

    # Reads answer from what is committed while the writer is stuck.
    assert trail.write_error is not None and trail.pending > 0
    frame = trail.to_dataframe()
    assert "before" in set(frame.run_id) and "refused" not in set(frame.run_id)
    assert trail.verify().ok
    assert len(trail.search("before the disk filled")) >= 1

    # Space comes back: the writer commits its backlog (in bounded batches) by itself.
    disk.free(trail)
    await wait_until_writable(trail)
    committed = set(trail.to_dataframe(event="call").run_id)
    assert set(returned) <= committed  # every call that returned is in the trail
    reply = await engine.complete("gpt-4", "after", run_id="after")
    await reply.committed
    assert "after" in set(trail.to_dataframe().run_id)
    assert trail.verify().ok
    trail.close()


def test_what_cannot_be_written_at_close_is_reported_with_a_count(disk: SmallDisk) -> None:
    trail = AuditTrail(disk.path / "audit.sqlite", session_id="s", flush_interval=60)
    trail.record("run_start", run_id="r0")
    trail.flush()
    disk.fill(trail, leave=2048)
    for i in range(40):
        trail.record("call", run_id=f"r{i}", prompt=PADDING)
    with pytest.raises(AuditWriteError) as caught:
        trail.close()
    assert caught.value.lost == 40 and "40 audit record(s) could not be committed" in str(
        caught.value
    )
    assert "disk full" in str(caught.value)


@pytest.mark.skipif(os.name != "posix", reason="SQLite errors are the same; the mode is POSIX")
def test_the_rollback_after_a_full_disk_does_not_hide_it(disk: SmallDisk) -> None:
    """The bus store too: the user reads "disk full", not "cannot rollback"."""
    from orchestration_kernel.bus import ContextBus

    if not disk.tmpfs:
        pytest.skip("needs a real small disk for the bus's own connection")
    filler = disk.path / "filler.bin"
    bus = ContextBus(disk.path / "bus.sqlite", session_id="s")
    bus.set_context_sync({"a": 1})
    free = os.statvfs(disk.path)
    filler.write_bytes(b"\0" * max(0, free.f_bavail * free.f_frsize - 8192))
    with pytest.raises(Exception) as caught:
        for i in range(500):
            bus.update_context_sync({f"k{i}": PADDING})
    assert "disk full" in str(caught.value) and "cannot rollback" not in str(caught.value)
    assert str(disk.path / "bus.sqlite") in str(caught.value)
    assert not isinstance(caught.value, sqlite3.Error)
    filler.unlink()
    bus.close_sync()


EXIT_ON_A_FULL_DISK = """
import sys
from pathlib import Path
from orchestration_kernel.audit import AuditTrail
disk = Path(sys.argv[1])
trail = AuditTrail(disk / "audit.sqlite", session_id="s", flush_interval=60)
trail.record("run_start", run_id="r0")
trail.flush()
import shutil
with open(disk / "filler.bin", "wb") as f:
    f.write(b"\\0" * max(0, shutil.disk_usage(disk).free - 2048))
for i in range(25):
    trail.record("call", run_id=f"r{i}", prompt="p" * 4000)
# the process ends without closing the trail
"""


def test_what_cannot_be_written_at_exit_is_reported_with_a_count(disk: SmallDisk) -> None:
    if not disk.tmpfs:
        pytest.skip("needs a real small disk shared with a child process")
    done = subprocess.run(
        [sys.executable, "-c", EXIT_ON_A_FULL_DISK, str(disk.path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "25 audit record(s) could not be committed" in done.stderr, done.stderr
    assert "disk full" in done.stderr and str(disk.path / "audit.sqlite") in done.stderr
