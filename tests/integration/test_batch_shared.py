"""One batch job, two workers: two job objects (as two kernels resuming it) at once.

A job's rounds hold a lock on its directory (``batch/job_lock.py``); a second object
only reads how far the first has got. The judge is the wire server's request log and
the audit: every row asked once, answered once, audited once.
"""

from __future__ import annotations

import asyncio
import collections
import json

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.batch import BatchJob, submit_sync
from orchestration_kernel.batch.manifest import jobs_home
from orchestration_kernel.errors import BatchJobError
from tests.conftest import fake_key
from tests.servers import Fault, PerplexityServer
from tests.waiting import until

pytestmark = pytest.mark.timeout(120)

ROWS, CHUNK = 120, 40
MODEL = "perplexity:sonar"


@pytest.fixture
def slow_server():
    with PerplexityServer() as srv:
        srv.latency = 0.05  # a chunk's calls take a while: the two objects overlap
        yield srv


def _engine(srv: PerplexityServer) -> OrchestrationEngine:
    return OrchestrationEngine(
        offline="off",
        keys={"perplexity": fake_key("perplexity")},
        base_urls={"perplexity": srv.base_url},
    )


def _submit(engine: OrchestrationEngine, name: str) -> BatchJob:
    frame = pd.DataFrame({"text": [f"row {i}" for i in range(ROWS)]})
    return submit_sync(engine, [MODEL], "Say: {text}", frame, name=name, chunk_size=CHUNK)


def _asked(srv: PerplexityServer) -> collections.Counter[str]:
    return collections.Counter(json.dumps(r.json["messages"]) for r in srv.requests)


def _hold_the_rest(srv: PerplexityServer) -> None:
    """From now on the server holds each request until :func:`_release_all`."""
    srv.script(Fault.hold(), times=None)


def _release_all(srv: PerplexityServer) -> None:
    """Let every request held, and any held later, go on."""
    for _ in range(ROWS):
        srv.release()


def test_two_objects_waiting_on_one_job_ask_each_row_once(slow_server) -> None:
    """Before: both ran every chunk (each row sent twice) and one died in a manifest
    rename (FileNotFoundError)."""
    engine = _engine(slow_server)
    _submit(engine, "shared-wait")
    first, second = BatchJob.resume("shared-wait", engine), BatchJob.resume("shared-wait", engine)

    async def both() -> list[BatchJob]:
        return await asyncio.gather(first.wait(), second.wait())

    engine.runtime.run_sync(both())
    asked = _asked(slow_server)
    assert len(asked) == ROWS and set(asked.values()) == {1}
    for job in (first, second):  # both see the finished job, whoever did the work
        assert job.status().state == "done"
        frame = job.to_dataframe()
        assert frame[MODEL].str.startswith("Echo from sonar: Say: row").all()
    engine.audit.flush()
    calls = engine.audit.to_dataframe(run=first.run_id, event="call")
    ids = [d["custom_id"] for d in calls["detail"]]
    assert len(ids) == len(set(ids)) == ROWS
    engine.close()


def test_a_cancel_from_another_object_stops_the_one_at_work(slow_server) -> None:
    engine = _engine(slow_server)
    _submit(engine, "shared-cancel")
    worker, other = (
        BatchJob.resume("shared-cancel", engine),
        BatchJob.resume("shared-cancel", engine),
    )

    async def cancel_midway() -> None:
        waiting = asyncio.ensure_future(worker.wait())
        await until(lambda: len(slow_server.requests) >= 10, "ten rows asked")
        _hold_the_rest(slow_server)  # so the worker cannot finish first on a busy machine
        status = await other.cancel()
        assert status.state != "done"  # recorded; the worker carries it out
        _release_all(slow_server)
        await asyncio.wait_for(waiting, 60)

    engine.runtime.run_sync(cancel_midway())
    assert worker.status().state == "cancelled" and other.status().state == "cancelled"
    results = worker.results()
    assert results["custom_id"].is_unique and len(results) == ROWS
    asked = _asked(slow_server)
    assert set(asked.values()) == {1} and len(asked) < ROWS  # the rest never left
    assert (results["status"] == "done").sum() == len(asked)
    assert set(results["status"]) == {"done", "cancelled"}
    engine.audit.flush()
    calls = engine.audit.to_dataframe(run=worker.run_id, event="call")
    assert sorted(d["custom_id"] for d in calls["detail"]) == sorted(results["custom_id"])
    engine.close()


def test_retry_from_another_object_while_one_works_says_who_has_the_job(slow_server) -> None:
    engine = _engine(slow_server)
    _submit(engine, "shared-retry")
    worker, other = BatchJob.resume("shared-retry", engine), BatchJob.resume("shared-retry", engine)

    async def retry_midway() -> None:
        waiting = asyncio.ensure_future(worker.wait())
        await until(lambda: len(slow_server.requests) >= 5, "five rows asked")
        _hold_the_rest(slow_server)  # so the worker is still at work when the other asks
        with pytest.raises(BatchJobError, match="being worked on by process"):
            await other.retry_failed()
        seen = await other.poll()  # a read: the worker's progress, nothing sent
        assert "being worked on by process" in str(seen)
        assert "being worked on by process" in seen._repr_markdown_()  # %orchestrate jobs
        _release_all(slow_server)
        await asyncio.wait_for(waiting, 60)

    engine.runtime.run_sync(retry_midway())
    assert set(_asked(slow_server).values()) == {1}
    engine.close()


def test_a_journal_line_cut_by_a_kill_does_not_swallow_the_next_answer() -> None:
    """Before: the next answer was appended to the cut line, and both were lost (the row
    came out 'failed: no result')."""
    engine = OrchestrationEngine(offline="on")
    job = submit_sync(engine, ["gpt-4o-mini"], "Say {item}", ["a", "b", "c"], name="cut")
    journal = jobs_home() / "cut" / "journal" / f"{job.manifest.chunks[0].id}.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text('{"custom_id": "m0-r0", "sta')  # a kill mid-line
    job.wait_sync()
    results = job.results()
    assert sorted(results["custom_id"]) == ["m0-r0", "m0-r1", "m0-r2"]
    assert set(results["status"]) == {"done"}, results[["custom_id", "status", "error"]]
    engine.close()


def test_two_submits_of_one_name_make_one_job() -> None:
    engine = OrchestrationEngine(offline="on")

    async def twice() -> list[object]:
        return await asyncio.gather(
            *(engine.matrix(["gpt-4o-mini"], "{item}", ["a", "b"], mode="batch", name="once")
              for _ in range(2)),
            return_exceptions=True,
        )  # fmt: skip

    outcomes = engine.runtime.run_sync(twice())
    kinds = sorted(type(o).__name__ for o in outcomes)
    assert kinds == ["BatchJob", "BatchJobError"], outcomes
    assert "already exists" in str(next(o for o in outcomes if isinstance(o, BatchJobError)))
    engine.close()


def test_an_interrupted_wait_keeps_the_answers_in_flight_and_resume_asks_each_row_once(
    slow_server,
) -> None:
    """Ctrl-C on ``await job.wait()`` cut the calls in flight: their rows had been sent
    (and billed) but were not journaled, so the resumed job sent each again (16 rows,
    the concurrency, per interrupt)."""
    engine = _engine(slow_server)
    slow_server.latency = 0.2
    _submit(engine, "interrupted")
    job = BatchJob.resume("interrupted", engine)

    async def interrupt_then_resume() -> None:
        waiting = asyncio.ensure_future(job.wait())
        while len(slow_server.requests) < 20:  # noqa: ASYNC110 - the server is in a thread
            await asyncio.sleep(0.01)
        waiting.cancel()  # what a notebook interrupt does to the cell
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await BatchJob.resume("interrupted", engine).wait()

    engine.runtime.run_sync(interrupt_then_resume())
    asked = _asked(slow_server)
    assert len(asked) == ROWS and set(asked.values()) == {1}, collections.Counter(asked.values())
    engine.audit.flush()
    calls = engine.audit.to_dataframe(run=job.run_id, event="call")
    assert len(calls) == ROWS and calls["cost_usd"].sum() == job.results()["cost_usd"].sum()
    engine.close()
