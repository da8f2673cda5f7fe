"""The bus across a real process restart: durable consumers and session context.

A child process writes and exits abruptly (``os._exit``: no clean shutdown, as when a
kernel dies); this process, a new one as far as the store is concerned, resumes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration_kernel.bus import ContextBus
from orchestration_kernel.session import Session

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0  # hang guards only

PRODUCER = """
import asyncio, os
from orchestration_kernel.bus import ContextBus

async def main():
    bus = ContextBus()
    bus.declare_durable("job.#")
    for i in range(6):
        await bus.publish(f"job.{i}", {"n": i})
    sub = bus.subscribe("job.#", consumer="indexer")
    for _ in range(3):
        msg = await sub.get(timeout=30)
        await msg.ack()
    print(bus.session_id, flush=True)

asyncio.run(main())
os._exit(0)  # die without closing anything, like a killed kernel
"""

NOTEBOOK = """
import os
from orchestration_kernel.bus import ContextBus

bus = ContextBus()
bus.publish_sync("context.updated", {"dataset": "q3.csv", "stage": "analysis"})
bus.update_context_sync({"stage": "synthesis"})
bus.append_turn_sync(None, "assistant", "Revenue rose 4%", model="gpt-4")
print(bus.session_id, flush=True)
os._exit(0)
"""


@pytest.fixture
def home(hermetic_home: Path) -> Path:
    """tests/conftest.py's private ORCHESTRATION_HOME (the Session is fresh too)."""
    return hermetic_home


def run_child(code: str, **env: str) -> str:
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def test_durable_consumer_resumes_after_its_last_ack_in_a_new_process(home: Path) -> None:
    run_child(PRODUCER)
    assert (home / "bus.sqlite").exists()
    bus = ContextBus()
    sub = bus.subscribe("job.#", consumer="indexer")
    resumed = [await sub.get(timeout=WAIT) for _ in range(3)]
    assert [m.data["n"] for m in resumed if m is not None] == [3, 4, 5]
    # Nothing else is pending: the next message is the one published now.
    await bus.publish("job.sentinel", {"n": "sentinel"})
    nxt = await sub.get(timeout=WAIT)
    assert nxt is not None and nxt.data == {"n": "sentinel"}
    # A consumer that never acked starts from the beginning of the log.
    fresh = bus.subscribe("job.#", consumer="auditor")
    first = await fresh.get(timeout=WAIT)
    assert first is not None and first.data == {"n": 0}
    await bus.close()


async def test_context_survives_a_kernel_restart_via_the_notebook_name(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = str(home / "analysis.ipynb")
    child_session = run_child(NOTEBOOK, JPY_SESSION_NAME=notebook)
    monkeypatch.setenv("JPY_SESSION_NAME", notebook)
    bus = ContextBus()  # the restarted kernel: same notebook, same session id
    assert bus.session_id == child_session
    assert await bus.get_context() == {"dataset": "q3.csv", "stage": "synthesis"}
    assert await bus.context_version() == 2
    turns = await bus.conversation()
    assert [(t["role"], t["model"]) for t in turns] == [("assistant", "gpt-4")]
    # Another notebook has its own session and context.
    monkeypatch.setenv("JPY_SESSION_NAME", str(home / "other.ipynb"))
    Session.current().close()
    assert await ContextBus().get_context() == {}


def test_two_live_processes_share_one_store(home: Path) -> None:
    bus = ContextBus(session_id="shared")
    bus.update_context_sync({"from": "parent"})
    run_child(
        """
        from orchestration_kernel.bus import ContextBus
        bus = ContextBus(session_id="shared")
        assert bus.get_context_sync() == {"from": "parent"}, bus.get_context_sync()
        bus.update_context_sync({"child": True})
        """
    )
    assert bus.get_context_sync() == {"from": "parent", "child": True}
    assert [v.version for v in bus.context_history_sync()] == [1, 2]
    bus.close_sync()
