"""The session context in a real kernel across ``km.restart_kernel``, as a notebook server
restarts it: published in one cell, read in another, read again after the restart;
another notebook in the same folder keeps its own. Every model is simulated."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_kernel import Frontend, text_of

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(240)]


def _env(home: Path, notebook: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(
        ORCHESTRATION_HOME=str(home),
        ORCHESTRATION_OFFLINE="on",
        ORCHESTRATION_OFFLINE_MODEL="sim",
        ORCHESTRATION_NO_DOTENV="1",
        ORCHESTRATION_NO_KEYRING="1",
        JPY_SESSION_NAME=str(notebook),  # what Jupyter Server sets for a notebook's kernel
    )
    env.pop("ORCHESTRATION_SESSION_ID", None)
    return env


def _start(home: Path, notebook: Path) -> Frontend:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(
        kernel_name="python3", env=_env(home, notebook), cwd=str(notebook.parent),
        startup_timeout=60,
    )  # fmt: skip
    return Frontend(km, kc)


def _stop(frontend: Frontend) -> None:
    frontend.kc.stop_channels()
    frontend.km.shutdown_kernel(now=True)


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "state").mkdir(mode=0o700)  # private, as the package makes it
    yield tmp_path


def _context(frontend: Frontend) -> tuple[str, str]:
    """(session id, context items) as READ prints them."""
    printed = _ok(frontend, READ)
    line = next(x for x in printed.splitlines() if x.startswith("nb-"))
    session, _, items = line.partition(" ")
    return session, items


def _ok(frontend: Frontend, code: str) -> str:
    reply, msgs = frontend.run(code)
    assert reply["status"] == "ok", text_of(msgs)
    return text_of(msgs)


PUBLISH = """\
%load_ext orchestration_kernel
from orchestration_kernel import ContextBus
bus = ContextBus()
await bus.publish("context.updated", {"dataset": "q3.csv", "rows": 1200, "note": "café ✓"})
"""
READ = """\
from orchestration_kernel import ContextBus
ctx = await ContextBus().get_context()
print(ContextBus().session_id, sorted(ctx.items()))
"""
PIPELINE = """\
%%orchestrate --input "'go'"
- name: a
  model: gpt-4o-mini
  prompt: "Dataset {dataset}, {rows} rows: {input}"
"""


def test_context_survives_a_kernel_restart_and_stays_per_notebook(folder: Path) -> None:
    home = folder / "state"
    first = _start(home, folder / "analysis.ipynb")
    try:
        _ok(first, PUBLISH)
        session, before = _context(first)
        assert "('dataset', 'q3.csv')" in before and "café ✓" in before
        assert session.startswith("nb-analysis-")

        first.km.restart_kernel(now=True)  # what the notebook's "Restart kernel" does
        first.kc.wait_for_ready(timeout=60)
        assert _context(first) == (session, before)
        shown = _ok(first, "%load_ext orchestration_kernel\n")
        assert "does not survive a restart" not in shown
        ran = _ok(first, PIPELINE)  # the context interpolates after the restart too
        assert "Dataset q3.csv, 1200 rows: go" in ran
        assert "does not survive a restart" not in ran  # pinned by the notebook's name

        other = _start(home, folder / "report.ipynb")  # same folder, same home
        try:
            theirs, items = _context(other)
            assert theirs.startswith("nb-report-") and items == "[]"
            _ok(other, PUBLISH.replace("q3.csv", "q4.csv"))
            assert "q4.csv" in _context(other)[1]
        finally:
            _stop(other)
        assert _context(first) == (session, before)  # the other notebook left ours alone
    finally:
        _stop(first)


def test_api_errors_in_a_real_kernel_show_the_message_not_our_frames(folder: Path) -> None:
    (folder / "state" / "bus.sqlite").write_bytes(b"not a database " * 300)
    kernel = _start(folder / "state", folder / "broken.ipynb")
    try:
        reply, msgs = kernel.run("%load_ext orchestration_kernel\n" + READ)
        assert reply["status"] == "error" and reply["ename"] == "StorageError"
        shown = text_of(msgs)
        assert "bus.sqlite" in shown and "Move it aside" in shown
        assert "get_context()" in shown and "orchestration_kernel/" not in shown
        reply, msgs = kernel.run("%orchestrate --help")
        assert reply["status"] == "ok" and "%orchestrate** commands" in text_of(msgs)
        # A frontend without stdin (nbconvert, papermill): getpass cannot ask.
        reply, msgs = kernel.run("%orchestrate key anthropic")
        shown = text_of(msgs)
        assert reply["status"] == "error" and reply["ename"] == "ConfigurationError"
        assert "cannot ask for input" in shown and "ANTHROPIC_API_KEY" in shown
        assert "Traceback" not in shown and "orchestration_kernel/" not in shown
    finally:
        _stop(kernel)
