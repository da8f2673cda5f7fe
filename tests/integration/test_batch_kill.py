"""Kill the process running a batch job at each step of submit and poll, restart it,
resume: every ``custom_id`` is answered (and audited) exactly once, and the servers' logs
show exactly one create per chunk.

The job runs in a child process (``tests/integration/batch_child.py``) against wire
servers in this process. A scripted hold keeps the step's request at the server; the
test waits until the server has logged it, kills the child with SIGKILL, then releases
the request and waits for the server to finish what it received — as a provider does
when a client vanishes. The child is dead before the answer exists, however loaded the
machine is, and no test waits longer than the kill takes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration_kernel.batch.manifest import Manifest
from tests.conftest import fake_key
from tests.servers import AnthropicBatchServer, Fault, GeminiBatchServer, OpenAIBatchServer

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HOLD = Fault.hold(bound=120)  # held until the child is dead (the bound is a hang guard)


class Child:
    """The job's process: start it, kill it once the server holds a given request."""

    def __init__(self, srv, spec: dict) -> None:
        self.srv = srv
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.batch_child", json.dumps(spec)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def kill_during(self, operation: str, nth: int = 1) -> None:
        """SIGKILL the child once the server has logged the ``nth`` ``operation`` request
        (held there); then release it and wait until the server has finished answering it."""
        deadline = time.monotonic() + 120
        while True:
            held = [r for r in self.srv.requests if r.model == operation]
            if len(held) >= nth:
                break
            if self.proc.poll() is not None:
                raise AssertionError(f"child ended early: {self.proc.communicate()}")
            assert time.monotonic() < deadline, f"no {operation} request reached the server"
            time.sleep(0.01)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=30)
        self.srv.release()
        while [r for r in self.srv.requests if r.model == operation][nth - 1].t_end is None:
            time.sleep(0.02)

    def finish(self) -> dict:
        out, err = self.proc.communicate(timeout=240)
        assert self.proc.returncode == 0, err[-3000:]
        line = [x for x in out.splitlines() if x.startswith("DONE ")][-1]
        return json.loads(line[5:])


def spec_for(srv, provider: str, model: str, mode: str, rows: int = 6) -> dict:
    return {
        "mode": mode, "name": "killed", "rows": rows, "chunk_size": 3, "models": [model],
        "keys": {provider: fake_key(provider)}, "urls": {provider: srv.base_url},
    }  # fmt: skip


def check_exactly_once(srv, summary: dict, rows: int = 6, chunks: int = 2) -> None:
    assert summary == {
        "results": rows, "unique": rows, "audit": rows, "audit_unique": rows, "states": ["done"],
    }  # fmt: skip
    assert len(srv.batch_creates) == chunks == len(srv.batches)
    sent = [cid for batch in srv.batches.values() for cid in batch.custom_ids]
    assert sorted(sent) == sorted(f"m0-r{i}" for i in range(rows))


def test_openai_killed_at_upload_create_poll_and_download() -> None:
    with OpenAIBatchServer() as srv:
        srv.batch_run_seconds = 10_000  # batches stay in progress until the clock moves

        def run(mode: str) -> Child:
            return Child(srv, spec_for(srv, "openai", "openai:gpt-4o-mini", mode))

        srv.script(HOLD, model="files.create")
        run("submit").kill_during("files.create")
        assert Manifest.load("killed").chunks[0].state == "submitting"

        srv.script(Fault.delay(0), model="batches.create")  # chunk 0 goes through
        srv.script(HOLD, model="batches.create")  # chunk 1's answer is lost
        run("resume").kill_during("batches.create", nth=2)
        chunks = Manifest.load("killed").chunks
        assert [c.state for c in chunks] == ["submitted", "submitting"]
        assert len(srv.batches) == 2  # the provider did create chunk 1's batch

        srv.script(HOLD, model="batches.retrieve")
        run("resume").kill_during("batches.retrieve")
        assert len(srv.batch_creates) == 2  # chunk 1 was found by its metadata

        srv.advance(20_000)
        srv.script(HOLD, model="files.content")
        run("resume").kill_during("files.content")

        check_exactly_once(srv, run("resume").finish())


def test_anthropic_killed_at_create_and_while_reading_results() -> None:
    with AnthropicBatchServer() as srv:
        spec = spec_for(srv, "anthropic", "anthropic:claude-haiku-4-5", "submit", rows=5)
        srv.script(Fault.delay(0), model="batches.create")
        srv.script(HOLD, model="batches.create")
        Child(srv, spec).kill_during("batches.create", nth=2)
        srv.script(HOLD, model="batches.results.content")
        Child(srv, {**spec, "mode": "resume"}).kill_during("batches.results.content")
        summary = Child(srv, {**spec, "mode": "resume"}).finish()
        check_exactly_once(srv, summary, rows=5)


def test_gemini_killed_at_create() -> None:
    with GeminiBatchServer() as srv:
        spec = spec_for(srv, "gemini", "gemini:gemini-2.5-flash", "submit")
        srv.script(HOLD, model="batches.create")
        Child(srv, spec).kill_during("batches.create")
        summary = Child(srv, {**spec, "mode": "resume"}).finish()
        check_exactly_once(srv, summary)
