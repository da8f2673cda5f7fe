"""``await reply.committed``: once it returns, a SIGKILL cannot lose the call's rows
(issue 14, item 2). The audit still commits in groups; this is how to close the window."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail

pytestmark = pytest.mark.skipif(os.name != "posix", reason="uses SIGKILL")

KILLED = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from orchestration_kernel import OrchestrationEngine
    from orchestration_kernel.audit import AuditTrail

    async def main():
        # A long group-commit window, so what is not awaited is surely still queued.
        trail = AuditTrail(sys.argv[1], key_path=sys.argv[2], session_id="s",
                           flush_interval=60)
        engine = OrchestrationEngine(offline="on", audit=trail)
        reply = await engine.complete("gpt-4", "keep me", run_id="awaited")
        await reply.committed
        table = await engine.compare(["gpt-4", "claude-3"], "compare me", run_id="compared")
        await table.committed
        result = await engine.create_pipeline(
            [{"name": "a", "model": "gpt-4", "prompt": "run {input}"}]).execute("me")
        await result.committed
        await engine.complete("gpt-4", "only returned", run_id="loose")
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
    """
)


def test_rows_awaited_through_committed_survive_a_sigkill(tmp_path: Path) -> None:
    db, key = tmp_path / "audit.sqlite", tmp_path / "audit.key"
    done = subprocess.run(
        [sys.executable, "-c", KILLED, str(db), str(key)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    conn = sqlite3.connect(db)
    calls = conn.execute(
        "SELECT run_id, COUNT(*) FROM audit_events WHERE event = 'call' GROUP BY run_id"
    )
    by_run = dict(calls.fetchall())
    runs = {r[0] for r in conn.execute("SELECT run_id FROM audit_events WHERE event = 'run_end'")}
    conn.close()
    assert by_run.get("awaited") == 1 and by_run.get("compared") == 2
    assert len(runs) == 1  # the pipeline run's rows
    assert "loose" not in by_run  # the window is real: returned is not committed
    with AuditTrail(db, key_path=key, session_id="v") as trail:
        assert trail.verify().ok


def test_committed_can_be_waited_on_from_plain_code(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s", flush_interval=60)
    engine = OrchestrationEngine(offline="on", audit=trail)
    reply = engine.complete_sync("gpt-4", "sync", run_id="sync")
    assert trail.pending > 0
    reply.committed.wait(timeout=30)
    assert trail.pending == 0
    assert "sync" in set(trail.to_dataframe().run_id)
    trail.close()


async def test_without_an_audit_committed_is_settled() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    reply = await engine.complete("gpt-4", "no audit")
    await reply.committed
    await (await engine.compare(["gpt-4"], "x")).committed
