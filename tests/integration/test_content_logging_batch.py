"""What a batch job keeps on disk, with ``content_logging`` off and on.

A batch job must survive a kernel restart (``BatchJob.resume(name)``), so its folder
keeps what resuming needs: the prompts (``inputs.parquet``: submitting the chunks not
yet sent, reconciling, ``retry_failed()`` and the audit's hash of each prompt) and the
answers (``results/``: the job's output, read by ``to_dataframe()`` after a restart).
Nothing else may hold them: the audit keeps hashes only, and the journal of a chunk run
as concurrent calls drops the raw replies once the chunk's (redacted) part is written.
With content logging off they are kept no longer than needed: once the job is done, the
first ``to_dataframe()`` deletes them (unless ``keep_content=True``).

Real jobs against the wire servers (the OpenAI Batch API; an OpenAI-compatible server
run as concurrent calls), then every byte under ``ORCHESTRATION_HOME`` is searched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.batch import BatchJob, submit_sync
from orchestration_kernel.errors import BatchJobError
from tests.conftest import fake_key
from tests.integration.disk_scan import files_holding
from tests.servers import OpenAIBatchServer, OpenAIServer

pytestmark = pytest.mark.timeout(120)

MARKER = "QZX-PRIVATE-b47c"
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def batch_server() -> Iterator[OpenAIBatchServer]:
    with OpenAIBatchServer() as srv:
        yield srv


def _engine(server: OpenAIBatchServer, content_logging: bool) -> OrchestrationEngine:
    return OrchestrationEngine(
        offline="off",
        keys={"openai": fake_key("openai")},
        base_urls={"openai": server.base_url},
        retry=FAST,
        content_logging=content_logging,
    )


@pytest.mark.parametrize("content_logging", [False, True], ids=["off", "on"])
def test_a_batch_job_keeps_content_only_where_resuming_needs_it(
    batch_server, hermetic_home, content_logging
) -> None:
    engine = _engine(batch_server, content_logging)
    items = [f"item {i} {MARKER}" for i in range(6)]
    model = "openai:gpt-4o-mini"
    job = submit_sync(engine, [model], "{item}", items, name="private", chunk_size=3)
    assert ("Content logging is off" in job._repr_markdown_()) is not content_logging
    job.wait_sync(poll_interval=0.01)
    engine.audit.flush()
    calls = engine.audit.to_dataframe(run=job.run_id, event="call")
    assert len(calls) == 6 and (calls["prompt_chars"] > 0).all()
    assert (job.manifest.dir.stat().st_mode & 0o777) == 0o700  # owner-only, either way

    held = set(files_holding(hermetic_home, MARKER))
    needed = {"batches/private/inputs.parquet", "batches/private/table.parquet"} | {
        f"batches/private/results/{c.id}.parquet" for c in job.manifest.chunks
    }
    if content_logging:
        assert needed < held and any(p.startswith("audit") for p in held), held
    else:  # until the job is done and collected, only what resuming needs
        assert held == needed
        assert calls["prompt"].isna().all() and calls["response"].isna().all()
    frame = job.to_dataframe()
    assert frame[model].tolist() == [f"Echo from gpt-4o-mini: {x}" for x in items]
    assert frame["item"].tolist() == items  # the input beside the answers
    pd.testing.assert_frame_equal(job.to_dataframe(), frame)  # again, from this object
    assert job.status().providers[0].done == 6  # the counts outlive the content
    again = BatchJob.resume("private", engine)
    if content_logging:  # what it keeps is what a restarted kernel reads back
        pd.testing.assert_frame_equal(again.to_dataframe(), frame)
    else:  # collected: the content is gone, and a resumed job says why
        assert files_holding(hermetic_home, MARKER) == []
        assert again.status().providers[0].done == 6
        for read in (again.to_dataframe, again.results, again.retry_failed_sync):
            with pytest.raises(BatchJobError, match=r"content_logging=False.*keep_content=True"):
                read()


def test_keep_content_keeps_a_collected_job_on_disk_with_content_logging_off(
    batch_server, hermetic_home
) -> None:
    engine = _engine(batch_server, content_logging=False)
    model = "openai:gpt-4o-mini"
    job = submit_sync(engine, [model], "{item}", [MARKER], name="kept", keep_content=True)
    assert "Content logging is off" not in job._repr_markdown_()
    job.wait_sync(poll_interval=0.01)
    frame = job.to_dataframe()
    assert "batches/kept/inputs.parquet" in files_holding(hermetic_home, MARKER)
    pd.testing.assert_frame_equal(BatchJob.resume("kept", engine).to_dataframe(), frame)


def test_a_concurrent_chunk_keeps_no_raw_reply_once_collected(hermetic_home) -> None:
    """The journal held each reply as the server sent it, before the Guardian's
    redaction; after collection only the redacted part (and the audit's hash) remain."""
    with OpenAIServer() as srv:
        srv.reply_text = f"contact me at alice@example.com {MARKER}"
        engine = OrchestrationEngine(offline="off", retry=FAST, content_logging=False)
        engine.add_compatible("house", srv.base_url, api_key=fake_key("sk"))
        job = submit_sync(
            engine, ["house:any-model"], "{item}", ["a", "b", "c"], name="calls", confirm=True
        )
        assert [line.way for line in job.plan.lines] == ["concurrent calls"]
        job.wait_sync(poll_interval=0.01)
    engine.audit.flush()
    assert files_holding(hermetic_home, "alice@example.com") == []
    # The journal still says which items were answered (what a resume skips).
    (journal,) = (hermetic_home / "batches" / "calls" / "journal").glob("*.jsonl")
    rows = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(r["custom_id"] for r in rows) == ["m0-r0", "m0-r1", "m0-r2"]
    assert {r["status"] for r in rows} == {"done"} and not any("text" in r for r in rows)
    out = job.to_dataframe()["house:any-model"].tolist()
    assert out == [f"contact me at <EMAIL> {MARKER}"] * 3
