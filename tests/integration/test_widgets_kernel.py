"""RunView in a real ipykernel, over the Jupyter protocol: the widget view is shown, its
state changes arrive while the cell is busy (from the runtime loop's thread and from the
cell's), and the final state replaces the display before the cell goes idle."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_kernel import Frontend

pytestmark = [pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(180)]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

SETUP = """
from orchestration_kernel import Session, SimulatorConfig
from orchestration_kernel.widgets import RunView
engine = Session.current().engine
# Slow enough that a step streams for a while: updates must reach the frontend meanwhile.
engine.simulator.config = SimulatorConfig(latency=0.6, chunks=8)
pipeline = engine.create_pipeline([{"model": "gpt-4", "task": "analysis"},
                                   {"model": "claude-3", "task": "synthesis"}])
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontend]:
    from jupyter_client.manager import start_new_kernel

    home: Path = tmp_path_factory.mktemp("widgets-home")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL")) and k != "ORCHESTRATION_OFFLINE"
    }
    env.update(ORCHESTRATION_HOME=str(home), ORCHESTRATION_OFFLINE="on",
               ORCHESTRATION_NO_DOTENV="1", ORCHESTRATION_NO_KEYRING="1")  # fmt: skip
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(home), startup_timeout=60)
    frontend = Frontend(km, kc)
    try:
        for cell in ("%load_ext orchestration_kernel", SETUP):
            reply, msgs = frontend.run(cell)
            assert reply["status"] == "ok", msgs
        yield frontend
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _widget_updates(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        m for m in msgs
        if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "update"
    ]  # fmt: skip


def _check_live_then_final(msgs: list[dict[str, Any]]) -> dict[str, Any]:
    """Shown with the widget view, updated while busy, replaced by the final state."""
    kinds = [m["msg_type"] for m in msgs]
    first = next(m for m in msgs if m["msg_type"] == "display_data")
    display_id = first["content"]["transient"]["display_id"]
    assert WIDGET_MIME in first["content"]["data"]
    assert {"text/html", "text/plain"} <= set(first["content"]["data"])
    shown_at = kinds.index("display_data")
    updates = _widget_updates(msgs[shown_at:])
    assert len(updates) >= 3, kinds
    final = [m for m in msgs if m["msg_type"] == "update_display_data"][-1]
    assert final["content"]["transient"]["display_id"] == display_id
    data = final["content"]["data"]
    assert WIDGET_MIME not in data
    # Everything arrived with the cell's parent header, before it went idle.
    idle = next(i for i, m in enumerate(msgs) if m["msg_type"] == "status"
                and m["content"]["execution_state"] == "idle")  # fmt: skip
    assert msgs.index(final) < idle
    return data


def test_python_run_updates_live_and_ends_final(kernel: Frontend) -> None:
    reply, msgs = kernel.run(
        "result = await RunView('live').execute(pipeline, 'Revenue rose 12%.')", timeout=60
    )
    assert reply["status"] == "ok", msgs
    data = _check_live_then_final(msgs)
    assert data["text/plain"].count("[done]") == 2
    assert "pending" not in data["text/plain"] and "running" not in data["text/plain"]
    assert "2/2 steps done" in data["text/html"]


def test_magic_run_uses_the_widget_view(kernel: Frontend) -> None:
    cell = (
        "%%orchestrate widgets\n"
        "- name: a\n  model: gpt-4\n  prompt: 'Analyze: hello'\n"
        "- name: b\n  model: claude-3\n  prompt: 'Synthesize: {a}'\n"
    )
    reply, msgs = kernel.run(cell, timeout=60)
    assert reply["status"] == "ok", msgs
    data = _check_live_then_final(msgs)
    assert "widgets · done" in data["text/plain"]
    assert "(simulated)" in data["text/plain"]
