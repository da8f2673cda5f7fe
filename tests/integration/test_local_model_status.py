"""The local model's first start (seconds of loading) says so while it happens: in a
notebook cell as one output that reads "starting the local model…" and then "local model
ready (N s)"; in a script as a one-time note. A real kernel and a real process, each
starting the real embedded model (llama.cpp on the loopback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration_kernel.providers.local_server import local_model_available
from tests.integration.test_notebook_user import ok, start_kernel, stop

pytestmark = [
    pytest.mark.skipif(not local_model_available(), reason="the [local] extra is absent"),
    pytest.mark.timeout(240),
]

CELL = '%%orchestrate\n- model: gpt-4o-mini\n  prompt: "Say hi"\n  max_tokens: 4\n'


def test_a_cell_shows_the_local_model_starting_then_ready(tmp_path: Path) -> None:
    kernel = start_kernel(tmp_path, ORCHESTRATION_OFFLINE_MODEL="local")
    try:
        ok(kernel, "%load_ext orchestration_kernel")
        msgs = ok(kernel, CELL)
        kinds = [m["msg_type"] for m in msgs]
        shown = [
            (m["msg_type"], m["content"]["data"].get("text/plain", ""))
            for m in msgs
            if m["msg_type"] in ("display_data", "update_display_data")
        ]
        starting = [i for i, (_, text) in enumerate(shown) if "starting the local model" in text]
        ready = [i for i, (_, text) in enumerate(shown) if text.startswith("local model ready")]
        assert starting and ready, shown
        assert shown[ready[0]][0] == "update_display_data"  # the same output, now done
        assert starting[0] < ready[0] < len(shown)
        assert kinds.index("execute_result") > kinds.index("update_display_data")
        # A second cell finds it running: nothing more to say.
        again = ok(kernel, CELL)
        assert not any("local model" in str(m["content"].get("data", {})) for m in again
                       if m["msg_type"] == "display_data")  # fmt: skip
    finally:
        stop(kernel)


def test_a_script_is_told_once_that_the_local_model_is_starting(tmp_path: Path) -> None:
    code = (
        "from orchestration_kernel import OrchestrationEngine\n"
        "e = OrchestrationEngine(offline='on')\n"
        "e.providers.set_offline_model('local')\n"
        "for _ in range(2):\n"
        "    e.complete_sync('gpt-4o-mini', 'Say hi', max_tokens=4)\n"
        "e.close()\n"
    )
    env = {**os.environ, "ORCHESTRATION_HOME": str(tmp_path), "PYTHONWARNINGS": "default"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=200,
        check=True,
    )  # fmt: skip
    assert out.stderr.count("OfflineNotice: starting the local model") == 1, out.stderr


def test_a_status_line_goes_to_listeners_and_a_failing_one_breaks_nothing() -> None:
    from orchestration_kernel.magics.status_view import StatusDisplay
    from orchestration_kernel.status import add_status_listener, report

    heard: list[tuple[str, bool]] = []
    published: list[tuple[str, dict]] = []

    class Handle:
        def update(self, bundle: dict, **_: object) -> None:
            published.append(("update", bundle))

    def publish(bundle: dict, **_: object) -> Handle:
        published.append(("display", bundle))
        return Handle()

    def broken(message: str, done: bool) -> None:
        raise RuntimeError("a display that fails")

    removers = [
        add_status_listener(lambda m, d: heard.append((m, d))),
        add_status_listener(broken),
        add_status_listener(StatusDisplay(publish)),
    ]
    try:
        report("starting x…")
        report("x ready", done=True)
        report("y ready", done=True)  # a wait this display never showed starting
    finally:
        for remove in removers:
            remove()
    assert heard == [("starting x…", False), ("x ready", True), ("y ready", True)]
    assert [(kind, b["text/plain"]) for kind, b in published] == [
        ("display", "starting x…"), ("update", "x ready"),
    ]  # fmt: skip
